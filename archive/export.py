"""The contract's disclosure record, built from the archive (docs/record.md, "The disclosure record").

Crawl facts (pages, files, article metadata) come from the archive tables; what the
parsers read (figures, flags, region, unit...) comes from the latest parse. Records are
yielded one at a time, through one cursor and selected with the search command's filters,
so exports stream in constant memory. Flat tables: `export_tabular`; files and their
`datapackage.json`: `export_run` and `datapackage`.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import IO

from archive.db import ArchiveDB
from archive.parse_status import parse_status
from index.base import Filters, flatten

RECORD_FIELDS = (
    "id", "detail_url", "duplicate_urls", "attachment_urls", "title", "department", "region",
    "fiscal_year", "kind", "units_in_source", "published_date", "page_metadata", "figures",
    "figure_sources", "flags", "ocr", "files", "text", "parse_status", "is_disclosure", "not_disclosure_reason",
    "figure_confidence", "figure_gaps", "tables",
)
# fields the parsers own; the crawl's own reading (from the article page) is the fallback
PARSED_FIELDS = ("department", "region", "fiscal_year", "kind", "units_in_source", "figures",
                 "figure_sources", "flags", "ocr", "text", "is_disclosure", "not_disclosure_reason",
                 "figure_confidence", "figure_gaps", "tables")
REGION_FIELDS = ("province", "city", "county", "admin_code")
EMPTY_REGION = dict.fromkeys(REGION_FIELDS)


def build_record(db: ArchiveDB, doc: dict) -> dict:
    pages = db.document_pages(doc["id"])
    files = db.document_files(doc["id"])
    parse = db.parse_of(doc["id"])
    parsed = json.loads(parse["record"]) if parse and parse["record"] else {}
    formats = {f.get("sha256"): f.get("format") for f in parsed.get("files", [])}
    page_metadata = json.loads(doc["page_metadata"] or "{}")
    record = {
        "id": doc["id"],
        "detail_url": doc["detail_url"],
        "duplicate_urls": [p["url"] for p in pages if p["role"] == "duplicate"],
        "attachment_urls": [f["url"] for f in files],
        "title": doc["title"],
        "department": doc["department"],
        "region": dict(EMPTY_REGION),
        "fiscal_year": doc["fiscal_year"],
        "kind": doc["kind"],
        "units_in_source": None,
        "published_date": doc["published_date"] or page_metadata.get("publish_date"),
        "page_metadata": page_metadata,
        "figures": {},
        "figure_sources": {},
        "flags": [],
        "ocr": False,
        "files": [{"url": f["url"], "sha256": f["sha256"], "content_type": f["content_type"],
                   "bytes": f["bytes"], "format": formats.get(f["sha256"]),
                   **({"error": f["error"]} if f["error"] else {})} for f in files],
        "text": doc["text"] or "",
        "parse_status": parse_status(db, doc, files, parse),
        "is_disclosure": True,  # the crawl found it a disclosure; the parse may find otherwise
        "not_disclosure_reason": None,
        "figure_confidence": {},
        "figure_gaps": {},
        "tables": [],
    }
    hint = json.loads(doc.get("region_hint") or "{}")
    if hint:
        record["region"] = {**EMPTY_REGION, **hint}
    for key in PARSED_FIELDS:
        if parsed.get(key) not in (None, "", {}, []):
            record[key] = parsed[key]
    if parsed.get("is_disclosure") is False:  # its own text says it is not: no crawl guesses either
        record.update(department=parsed.get("department"), fiscal_year=None, kind=None)
    return record


def _selection(filters: Filters | None, since: str | None) -> tuple[str, list]:
    """FROM/WHERE for the documents an export reads.

    The filters are applied in SQL as a superset (a record's region, year and kind come from
    its parse, else from the crawl's reading), so few records are built in vain; `matches`
    then decides on the record itself.
    """
    where: list[str] = []
    params: list = []
    if since is not None:
        where.append("d.first_seen >= ?")
        params.append(since)
    if filters is not None:
        for name, value in filters.equals().items():
            path = f"$.region.{name}" if name in REGION_FIELDS else f"$.{name}"
            crawl = (f"json_extract(iif(json_valid(d.region_hint), d.region_hint, null), '$.{name}')"
                     if name in REGION_FIELDS else f"d.{name}")
            where.append(f"(json_extract(p.record, '{path}') = ? OR {crawl} = ?)")  # names from Filters' own fields
            params += [value, value]
        years = filters.year_range()
        if years:
            where.append("(json_extract(p.record, '$.fiscal_year') BETWEEN ? AND ? OR d.fiscal_year BETWEEN ? AND ?)")
            params += [*years, *years]
    sql = "from documents d"
    if filters is not None and (filters.equals() or filters.year_range()):
        # JSON that is not (never written so, but an archive is user data) reads as null, not an error
        sql += (" left join (select document_id, iif(json_valid(record), record, null) as record from parses) p"
                " on p.document_id = d.id")
    return sql + (" where " + " and ".join(where) if where else ""), params


def iter_documents(db: ArchiveDB, filters: Filters | None = None, since: str | None = None) -> Iterator[dict]:
    """Documents in export order through one cursor, narrowed by the filters and `since` (YYYY-MM-DD:
    first seen in the archive that day or later)."""
    sql, params = _selection(filters, since)
    yield from db.db.query(f"select d.* {sql} order by d.first_seen, d.id", params)


def count_documents(db: ArchiveDB, filters: Filters | None = None, since: str | None = None) -> int:
    """How many documents `iter_documents` will go through (for progress and ETA)."""
    sql, params = _selection(filters, since)
    return db.db.execute(f"select count(*) {sql}", params).fetchone()[0]


def matches(record: dict, filters: Filters) -> bool:
    """The search command's filters, applied to a record the way the index applies them."""
    flat = flatten(record)
    if any(flat[name] != value for name, value in filters.equals().items()):
        return False
    years = filters.year_range()
    return years is None or (flat["fiscal_year"] is not None and years[0] <= flat["fiscal_year"] <= years[1])


def iter_records(db: ArchiveDB, filters: Filters | None = None, since: str | None = None,
                 on_document: Callable[[], None] | None = None, parsed_only: bool = False) -> Iterator[dict]:
    """Records one at a time, filtered; `on_document` is called per document read (progress);
    `parsed_only` leaves out those whose parse_status is not `parsed`."""
    for doc in iter_documents(db, filters, since):
        record = build_record(db, doc)
        if on_document:
            on_document()
        if parsed_only and record["parse_status"] != "parsed":
            continue
        if filters is None or matches(record, filters):
            yield record


def write_jsonl(records: Iterable[dict], out: IO[str]) -> int:
    n = 0
    for record in records:
        out.write(json.dumps({k: record[k] for k in RECORD_FIELDS}, ensure_ascii=False) + "\n")
        n += 1
    return n
