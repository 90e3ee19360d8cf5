"""The contract's disclosure record, built from the archive (CONTRACT.md, "The disclosure record").

Crawl facts (pages, files, article metadata) come from the archive tables; what the
parsers read (figures, flags, region, unit...) comes from the latest parse. Records are
yielded one at a time so exports stream in constant memory.
"""
from __future__ import annotations

import json
from typing import IO, Iterator

from archive.db import ArchiveDB

RECORD_FIELDS = (
    "id", "detail_url", "duplicate_urls", "attachment_urls", "title", "department", "region",
    "fiscal_year", "kind", "units_in_source", "published_date", "page_metadata", "figures",
    "figure_sources", "flags", "ocr", "files", "text",
)
# fields the parsers own; the crawl's own reading (from the article page) is the fallback
PARSED_FIELDS = ("department", "region", "fiscal_year", "kind", "units_in_source", "figures",
                 "figure_sources", "flags", "ocr", "text")
EMPTY_REGION = {"province": None, "city": None, "county": None, "admin_code": None}


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
    }
    hint = json.loads(doc.get("region_hint") or "{}")
    if hint:
        record["region"] = {**EMPTY_REGION, **hint}
    for key in PARSED_FIELDS:
        if parsed.get(key) not in (None, "", {}, []):
            record[key] = parsed[key]
    return record


def iter_records(db: ArchiveDB) -> Iterator[dict]:
    for doc in db.documents():
        yield build_record(db, doc)


def write_jsonl(records: Iterator[dict], out: IO[str]) -> int:
    n = 0
    for record in records:
        out.write(json.dumps({k: record[k] for k in RECORD_FIELDS}, ensure_ascii=False) + "\n")
        n += 1
    return n
