"""Whether a disclosure's record holds what the current parsers make of its current files.

An export taken while a crawl is still parsing, or after a parse failed or an input went
missing, must say so: rows with no figures are otherwise read as "the document states no
figures". The record's `parse_status` is one of PARSE_STATUSES:

- `parsed`: parsed by this parser version from the files the archive now holds;
- `not_parsed`: not parsed yet (crawled with --no-process, or processing still running);
- `failed`: the parse raised, or an input was missing and there was no earlier parse to keep;
- `stale`: the figures are from an earlier parse (older parser, files changed or missing since).
"""
from __future__ import annotations

import hashlib
import json

from archive.db import ArchiveDB
from parsers.version import PARSER_VERSION

PARSE_STATUSES = ("parsed", "not_parsed", "failed", "stale")
DOCUMENT_ERROR = "(document)"  # the errors key of a parse that raised


def input_fingerprint(doc: dict, files: list[dict]) -> str:
    """What a parse was made from: parser version, the document's files and its page (`page_sha256`)."""
    basis = [PARSER_VERSION, doc.get("fingerprint") or "", *[f["sha256"] or f["url"] for f in files]]
    page = doc.get("page_sha256") or ""
    return hashlib.sha256("\n".join([*basis, page]).encode()).hexdigest()


def parse_status(db: ArchiveDB, doc: dict, files: list[dict], parse: dict | None) -> str:
    if parse is None:
        return "not_parsed"
    errors = json.loads(parse["errors"] or "{}")
    if not parse["record"] or DOCUMENT_ERROR in errors:
        return "failed"
    page = db.url_state(doc["detail_url"])
    current = input_fingerprint({**doc, "page_sha256": page["sha256"] if page else None}, files)
    return "parsed" if parse["input_fingerprint"] == current else "stale"
