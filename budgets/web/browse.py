"""browse.db: the archive's records flattened into tables Datasette can facet and export.

Records live as JSON in `parses.record`; Datasette facets and CSV want columns. This file
(in the data directory, beside archive.db, whose schema stays untouched) holds one row per
disclosure with every figure in its own column, plus long tables of figures with their
sources, flags and files. Amounts are stored as numbers, so tables sort them as numbers (the
page formats them; a value a double cannot hold exactly, beyond 15 digits, is left empty
rather than rounded). It is rebuilt whenever the archive's documents or parses changed since
it was made: into a temporary file, then copied over the served file in one SQLite
transaction, so a running `budgets serve` reads the new tables on its next request.
"""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import tempfile
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from pathlib import Path

import sqlite_utils

from archive.export import build_record
from archive.readonly import ReadOnlyArchiveDB, connect_ro
from budgets.web.labels import figure_label, is_headcount
from parsers.catalogue import FIGURE_KEYS
from parsers.flag_types import flag_label, flag_sentence

BROWSE_NAME = "browse.db"
FORMAT = "browse-2"  # change when the tables below change, so old files are rebuilt
DISCLOSURE_COLUMNS = ("id", "title", "department", "province", "city", "county", "admin_code",
                      "fiscal_year", "kind", "units_in_source", "published_date", "detail_url",
                      "n_flags", "ocr", *FIGURE_KEYS)
AMOUNT_COLUMNS = tuple(k for k in FIGURE_KEYS if not is_headcount(k))


def archive_state(archive_path: Path) -> str:
    """A digest of what browse.db is made from: documents and parses, counted and dated."""
    conn = connect_ro(archive_path)
    try:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM documents), (SELECT max(last_seen) FROM documents), "
            "(SELECT count(*) FROM parses), (SELECT max(parsed_at) FROM parses)").fetchone()
    finally:
        conn.close()
    return hashlib.sha256(json.dumps([FORMAT, *row]).encode()).hexdigest()


def browse_state(path: Path) -> str | None:
    if not path.is_file():
        return None
    try:
        conn = connect_ro(path)
        try:
            row = conn.execute("SELECT value FROM _meta WHERE key = 'state'").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        return None
    return row[0] if row else None


def ensure_browse_db(archive_path: Path, target: Path) -> bool:
    """Make `target` current for the archive; returns whether it had to be (re)built."""
    state = archive_state(archive_path)
    if browse_state(target) == state:
        return False
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".browse-", suffix=".db")
    os.close(fd)
    try:
        db = sqlite_utils.Database(tmp)
        db.execute("PRAGMA synchronous = OFF")  # a half-written file is never renamed into place
        _create(db)
        archive = ReadOnlyArchiveDB(archive_path)
        try:
            for doc in archive.documents():
                names = {f["url"]: f["filename"] for f in archive.document_files(doc["id"])}
                _add(db, build_record(archive, doc), names)
        finally:
            archive.db.conn.close()
        db.table("_meta").insert({"key": "state", "value": state}, pk="key")
        db.conn.commit()
        _install(db.conn, target)
        db.conn.close()
    finally:
        Path(tmp).unlink(missing_ok=True)
    return True


def _install(built: sqlite3.Connection, target: Path) -> None:
    """Put the built tables in place: a new file is renamed in; a served one is overwritten in
    one transaction (SQLite's backup), so its open readers see the old tables or the new."""
    served = sqlite3.connect(target, timeout=60) if target.is_file() else None
    if served is not None:
        try:
            built.backup(served)
            return
        except sqlite3.DatabaseError:  # not a database (damaged): replaced whole below
            pass
        finally:
            served.close()
    fd, fresh = tempfile.mkstemp(dir=target.parent, prefix=".browse-", suffix=".db")
    os.close(fd)
    copy = sqlite3.connect(fresh)
    try:
        built.backup(copy)
    finally:
        copy.close()
    os.replace(fresh, target)


def refresh_if_served(data_dir: Path) -> None:
    """After a crawl, reparse or ingest: bring browse.db up to date if `budgets serve` made one."""
    target = Path(data_dir) / BROWSE_NAME
    if target.is_file():
        ensure_browse_db(Path(data_dir) / "archive.db", target)


def amount_number(value) -> float | None:
    """A yuan amount as the number browse.db stores: exact, or None when a double cannot hold it."""
    try:
        exact = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    if not exact.is_finite():
        return None
    number = float(exact)
    return number if Decimal(f"{number:.2f}") == exact else None


def _figure_value(key: str, value):
    return amount_number(value) if key in AMOUNT_COLUMNS else value


def _create(db: sqlite_utils.Database) -> None:
    columns: dict[str, type] = dict.fromkeys(DISCLOSURE_COLUMNS, str)
    columns.update(fiscal_year=int, n_flags=int, ocr=int, staff_authorized=int, staff_actual=int,
                   **dict.fromkeys(AMOUNT_COLUMNS, float))
    db.table("disclosures").create(columns, pk="id")
    # value: yuan for amounts, persons for headcounts; NUMERIC keeps each a number of its kind
    db.execute("CREATE TABLE figures (document_id TEXT, key TEXT, label TEXT, value NUMERIC, file TEXT, "
               "page INTEGER, sheet TEXT, table_title TEXT, [row] TEXT, [column] TEXT, paragraph INTEGER, "
               "text TEXT, PRIMARY KEY (document_id, key))")
    db.table("flags").create({"document_id": str, "position": int, "type": str, "type_label": str, "type_note": str,
                        "key": str, "label": str, "severity": str, "detail": str, "readings": str},
                       pk=("document_id", "position"))
    db.table("files").create({"document_id": str, "position": int, "url": str, "filename": str, "sha256": str,
                        "content_type": str, "bytes": int, "format": str, "error": str},
                       pk=("document_id", "position"))
    for table, cols in (("disclosures", ["province"]), ("disclosures", ["fiscal_year"]),
                        ("disclosures", ["kind"]), ("figures", ["key"]), ("flags", ["type"]),
                        ("files", ["sha256"])):
        db.table(table).create_index(cols)


def _add(db: sqlite_utils.Database, record: dict, filenames: dict[str, str]) -> None:
    """One record's rows; `filenames` are the attachments' names by URL, as the crawl saw them."""
    doc_id = record["id"]
    region = record.get("region") or {}
    figures = record.get("figures") or {}
    row = {"id": doc_id, **{k: region.get(k) for k in ("province", "city", "county", "admin_code")},
           **{k: record.get(k) for k in ("title", "department", "fiscal_year", "kind", "units_in_source",
                                         "published_date", "detail_url")},
           "n_flags": len(record.get("flags") or []), "ocr": int(bool(record.get("ocr"))),
           **{k: _figure_value(k, figures.get(k)) for k in FIGURE_KEYS}}
    db.table("disclosures").insert(row)
    db.table("figures").insert_all(_figure_rows(record))
    db.table("flags").insert_all(
        {"document_id": doc_id, "position": i, "type": f.get("type"), "type_label": flag_label(f.get("type")),
         "type_note": flag_sentence(f.get("type")) or None, "key": f.get("key"),
         "label": figure_label(f.get("key")) or None, "severity": f.get("severity"),
         "detail": f.get("detail"), "readings": json.dumps(f.get("readings") or [], ensure_ascii=False)}
        for i, f in enumerate(record.get("flags") or []))
    db.table("files").insert_all(
        {"document_id": doc_id, "position": i, "url": f["url"], "filename": filenames.get(f["url"]),
         "sha256": f.get("sha256"), "content_type": f.get("content_type"), "bytes": f.get("bytes"),
         "format": f.get("format"), "error": f.get("error")}
        for i, f in enumerate(record.get("files") or []))


def _figure_rows(record: dict) -> Iterable[dict]:
    sources = record.get("figure_sources") or {}
    for key, value in (record.get("figures") or {}).items():
        source = sources.get(key) or {}
        where = source.get("where") or {}
        yield {"document_id": record["id"], "key": key, "label": figure_label(key), "value": _figure_value(key, value),
               "file": where.get("file"), "page": where.get("page"), "sheet": where.get("sheet"),
               "table_title": where.get("table"), "row": where.get("row"), "column": where.get("column"),
               "paragraph": where.get("paragraph"), "text": source.get("text")}

