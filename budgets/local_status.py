"""`budgets status` without --redis: what the local archive holds and what needs doing.

Runs (the last few, with what they fetched and what failed), documents (active, withdrawn,
by kind), what is stale (never parsed, or parsed from other inputs or by another parser
version: `budgets reparse --stale-only` catches up) and what failed (fetch errors of the
last run, files that could not be read), all read from archive.db alone.
"""
from __future__ import annotations

import json

from archive.db import ArchiveDB

RECENT_RUNS = 5


def _runs(db: ArchiveDB) -> list[dict]:
    runs = []
    for row in db.query("select id, started_at, finished_at, status from runs order by id desc limit ?",
                        [RECENT_RUNS]):
        counts = db.db.execute(
            "select count(*), sum(sha256 is not null), sum(error is not null or status >= 400) from fetches "
            "where run_id = ?", [row["id"]]).fetchone()
        runs.append({**row, "requests": counts[0], "fetched": counts[1] or 0, "failed": counts[2] or 0})
    return runs


def _stale(db: ArchiveDB) -> dict[str, int]:
    """Documents `reparse --stale-only` would parse, by why."""
    from budgets.process import input_fingerprint

    out = {"never_parsed": 0, "inputs_or_parser_changed": 0}
    for doc in db.documents():
        parse = db.parse_of(doc["id"])
        if parse is None:
            out["never_parsed"] += 1
            continue
        state = db.url_state(doc["detail_url"])
        current = input_fingerprint({**doc, "page_sha256": state["sha256"] if state else None},
                                    db.document_files(doc["id"]))
        out["inputs_or_parser_changed"] += parse["input_fingerprint"] != current
    return out


def _failed(db: ArchiveDB, last_run: int | None) -> dict:
    errors: dict[str, int] = {}
    if last_run is not None:
        for row in db.query("select error, status from fetches where run_id = ? and (error is not null or "
                            "status >= 400)", [last_run]):
            kind = f"HTTP {row['status']}" if row["status"] else row["error"]
            errors[kind] = errors.get(kind, 0) + 1
    unreadable = 0
    for row in db.query("select errors from parses where errors is not null and errors not in ('', '{}')"):
        try:
            unreadable += len(json.loads(row["errors"]))
        except ValueError:
            unreadable += 1
    attachments = db.db.execute("select count(*) from document_files where error is not null").fetchone()[0]
    return {"last_run_errors": errors, "files_unreadable": unreadable, "attachments_not_fetched": attachments}


def archive_status(db: ArchiveDB) -> dict:
    """The archive's state as one JSON-ready object."""
    runs = _runs(db)
    documents = {r["status"]: r["n"] for r in db.query(
        "select status, count(*) as n from documents group by status order by status")}
    kinds = {r["kind"] or "unknown": r["n"] for r in db.query(
        "select kind, count(*) as n from documents where status = 'active' group by kind order by kind")}
    return {"runs": runs, "documents": documents, "kinds": kinds,
            "parsed": db.db.execute("select count(*) from parses").fetchone()[0],
            "stale": _stale(db), "failed": _failed(db, runs[0]["id"] if runs else None)}


def format_status(st: dict) -> str:
    lines = ["Runs (latest first):"]
    lines += [f"  run {r['id']}: {r['status']}, started {r['started_at']}"
              + (f", finished {r['finished_at']}" if r["finished_at"] else "")
              + f"; {r['requests']} requests, {r['fetched']} fetched, {r['failed']} failed" for r in st["runs"]]
    if not st["runs"]:
        lines.append("  (none)")
    docs = st["documents"]
    lines.append(f"Documents: {sum(docs.values())} ("
                 + ", ".join(f"{n} {status}" for status, n in docs.items()) + ")" if docs else "Documents: 0")
    if st["kinds"]:
        lines.append("  active by kind: " + ", ".join(f"{kind} {n}" for kind, n in st["kinds"].items()))
    stale = st["stale"]
    lines.append(f"Parsed: {st['parsed']}; stale: {stale['never_parsed']} never parsed, "
                 f"{stale['inputs_or_parser_changed']} with changed files or an older parser"
                 + (" (`budgets reparse --stale-only` catches up)" if any(stale.values()) else ""))
    failed = st["failed"]
    lines.append(f"Failed: {failed['files_unreadable']} files could not be read, "
                 f"{failed['attachments_not_fetched']} attachments could not be fetched")
    if failed["last_run_errors"]:
        lines.append("  errors in the last run:")
        lines += [f"    {kind}  ×{n}" for kind, n in sorted(failed["last_run_errors"].items())]
    return "\n".join(lines)
