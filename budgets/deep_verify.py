"""`budgets verify --deep`: parse every document again from its archived files and compare.

Plain verify proves a stored parse is the one written (its checksum); it cannot tell whether
what was written is what the files say. Here each document goes through the same reading and
extraction as `budgets reparse` (budgets.process.extract_document, parsers.parse_disclosure),
nothing is saved, and the figures, flags and department are compared with the stored parse.
A difference is reported with its likely cause: a new parser version (stale, not damage),
changed inputs, a record altered after it was written, or one altered with its checksum.
"""
from __future__ import annotations

import json
from pathlib import Path

from archive import BLOBS_DIR, DB_NAME
from archive.blobs import BlobStore
from archive.db import record_checksum
from archive.parse_status import input_fingerprint
from archive.readonly import ReadOnlyArchive, ReadOnlyArchiveDB
from archive.verify import VerifyReport
from budgets.process import _page_sha, extract_document, missing_inputs
from budgets.progress import Progress
from parsers.disclosure import parse_disclosure
from parsers.version import PARSER_VERSION

COMPARED = ("department", "figures", "flags")
DETAIL_LIMIT = 600


def check_parses(data_dir: Path, report: VerifyReport) -> None:
    """Parse every parsed document again and add a problem to `report` for each that differs."""
    archive = ReadOnlyArchive(ReadOnlyArchiveDB(Path(data_dir) / DB_NAME), BlobStore(Path(data_dir) / BLOBS_DIR))
    report.reparsed = 0
    try:
        stored = {row["document_id"]: row for row in archive.db.query("select * from parses where record is not null")}
        docs = [d for d in archive.db.documents() if d["id"] in stored]
        progress = Progress("verify: parsing again", total=len(docs))
        for doc in docs:
            progress.advance()
            _check_one(archive, doc, stored[doc["id"]], report)
        progress.finish()
    finally:
        archive.db.close()


def _check_one(archive: ReadOnlyArchive, doc: dict, parse: dict, report: VerifyReport) -> None:
    files = archive.db.document_files(doc["id"])
    doc = {**doc, "page_sha256": _page_sha(archive, doc["detail_url"])}
    missing = missing_inputs(archive, doc, files)
    if missing:
        report.add("not parsed again", doc["id"], "archived inputs missing: " + ", ".join(missing), corrupt=False)
        return
    extracted, context = extract_document(archive, doc, files)
    try:
        fresh = json.loads(json.dumps(parse_disclosure(extracted, context), ensure_ascii=False, default=str))
    except Exception as exc:  # a parser bug: reported for this document, the others go on
        report.add("not parsed again", doc["id"], f"the parser failed: {type(exc).__name__}: {exc}"[:300])
        return
    try:
        old = json.loads(parse["record"])
    except ValueError:
        old = {}
    differences = record_differences(old, fresh)
    if not differences:
        report.reparsed = (report.reparsed or 0) + 1  # None until check_parses starts counting
        return
    cause, corrupt = _cause(doc, files, parse)
    report.add("parse differs from a new parse", doc["id"], f"{cause}: {'; '.join(differences)}"[:DETAIL_LIMIT],
               corrupt=corrupt)


def record_differences(old: dict, new: dict) -> list[str]:
    """Department, each figure, and the flags, stored against parsed again (old -> new)."""
    found = []
    if old.get("department") != new.get("department"):
        found.append(f"department {old.get('department')!r} -> {new.get('department')!r}")
    before, after = old.get("figures") or {}, new.get("figures") or {}
    for key in sorted(before.keys() | after.keys()):
        if before.get(key) != after.get(key):
            found.append(f"{key} {before.get(key) or '(absent)'} -> {after.get(key) or '(absent)'}")
    flags_before, flags_after = _flag_set(old), _flag_set(new)
    if flags_before != flags_after:
        lost = sorted(f"{t}:{k}" for t, k, _ in flags_before - flags_after)
        gained = sorted(f"{t}:{k}" for t, k, _ in flags_after - flags_before)
        found.append("flags" + (f" only stored: {', '.join(lost)}" if lost else "")
                     + (f" only in the new parse: {', '.join(gained)}" if gained else ""))
    return found


def _flag_set(record: dict) -> set[tuple[str, str, str]]:
    return {(f.get("type") or "", f.get("key") or "", json.dumps(f, sort_keys=True, ensure_ascii=False))
            for f in record.get("flags") or []}


def _cause(doc: dict, files: list[dict], parse: dict) -> tuple[str, bool]:
    """Why a stored parse differs, and whether that is damage (True) or only staleness."""
    if parse["parser_version"] != PARSER_VERSION:
        return (f"parser version changed (stored {parse['parser_version']}, now {PARSER_VERSION}; "
                "`budgets reparse --stale-only` brings it up to date)"), False
    if parse["input_fingerprint"] != input_fingerprint(doc, files):
        return "its archived files changed since it was parsed (`budgets reparse --stale-only`)", False
    if parse["checksum"] is not None and record_checksum(parse["record"]) != parse["checksum"]:
        return "the stored record was altered after it was written (its checksum no longer matches)", True
    return ("same parser version and files, different result: the stored record was altered together with its "
            "checksum, or the parse is not reproducible; `budgets reparse` writes the new one"), True
