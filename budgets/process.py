"""Archive → parsers → index: parse what is new or stale, then bring the index up to date.

Runs after every crawl and as `budgets reparse`. A document is parsed again only when its
inputs (the sha256 of its page and files) or the parser version changed, so a pass over an
unchanged archive parses nothing. Each file is read in a worker process with time and
memory limits (`parsers.isolation`); a file that fails is recorded in the parse's errors
and the document is still parsed from the rest.
"""
from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from archive import Archive
from archive.parse_status import DOCUMENT_ERROR, input_fingerprint
from budgets.progress import Progress
from crawler.discovery.article import parse_article
from crawler.discovery.disposition import filename_from_headers
from crawler.discovery.encoding import decode_html
from index.sync import converge, index_records, rebuild
from parsers.disclosure import parse_disclosure
from parsers.isolation import read_file_isolated
from parsers.model import Context, ExtractedFile
from parsers.version import PARSER_VERSION

logger = logging.getLogger(__name__)


@dataclass
class ProcessReport:
    parsed: int = 0
    unchanged: int = 0
    file_errors: dict[str, str] = field(default_factory=dict)
    indexed: int = 0


def _page_sha(archive: Archive, url: str) -> str | None:
    state = archive.db.url_state(url)
    return state["sha256"] if state else None


def _file_name(archive: Archive, f: dict) -> str:
    """The name a file was served under, read from its archived fetch as the crawl reads it: an
    archive resumed before that was fixed holds a mis-decoded name (mojibake) in document_files."""
    row = archive.db.db.execute("select headers from fetches where url = ? and sha256 = ? and headers is not null "
                                "order by id desc limit 1", [f["url"], f["sha256"]]).fetchone()
    served = filename_from_headers(json.loads(row[0]), f["url"]) if row else None
    return served or f["filename"] or f["url"].rsplit("/", 1)[-1] or f["sha256"][:12]


def article_body(page_html: bytes, url: str) -> bytes:
    """The article's own content (without the portal's navigation and footer) as a UTF-8 HTML page."""
    html, _ = decode_html(page_html, None)
    body = parse_article(html, url).body_html
    if not body:
        return page_html
    return f'<html><head><meta charset="utf-8"></head><body>{body}</body></html>'.encode("utf-8")


def extract_document(archive: Archive, doc: dict, files: list[dict]) -> tuple[list[ExtractedFile], Context]:
    """Read a document's archived page and files into ExtractedFiles (isolated, one worker per file)."""
    page_metadata = json.loads(doc["page_metadata"] or "{}")
    page_sha = _page_sha(archive, doc["detail_url"])
    page_html = archive.blobs.get(page_sha) if page_sha and archive.blobs.exists(page_sha) else None
    context = Context(title=doc["title"], detail_url=doc["detail_url"], article_html=page_html,
                      article_text=doc["text"], published_date=doc["published_date"],
                      page_metadata=page_metadata, region_hint=json.loads(doc.get("region_hint") or "{}"))
    extracted: list[ExtractedFile] = []
    if page_html is not None:
        extracted.append(read_file_isolated("article.html", article_body(page_html, doc["detail_url"])))
    for f in files:
        if not f["sha256"] or not archive.blobs.exists(f["sha256"]):
            continue
        result = read_file_isolated(_file_name(archive, f), archive.blobs.get(f["sha256"]))
        result.sha256 = f["sha256"]
        extracted.append(result)
    return extracted, context


def missing_inputs(archive: Archive, doc: dict, files: list[dict]) -> dict[str, str]:
    """The document's archived page and files whose bytes are not in the blob store, with why."""
    named = [("article.html", doc.get("page_sha256")), *((f["url"], f["sha256"]) for f in files)]
    return {name: f"archived bytes {sha} are missing from blobs/ (`budgets verify --repair` restores them)"
            for name, sha in named if sha and not archive.blobs.exists(sha)}


def parse_documents(archive: Archive, force: bool = False, only: set[str] | None = None) -> ProcessReport:
    """Parse every document whose inputs or parser changed."""
    report = ProcessReport()
    docs = [d for d in archive.db.documents() if only is None or d["id"] in only]
    progress = Progress("parse: documents", total=len(docs))
    for doc in docs:
        progress.advance()
        files = archive.db.document_files(doc["id"])
        doc = {**doc, "page_sha256": _page_sha(archive, doc["detail_url"])}
        fingerprint = input_fingerprint(doc, files)
        previous = archive.db.parse_of(doc["id"])
        if not force and previous and previous["input_fingerprint"] == fingerprint:
            report.unchanged += 1
            continue
        missing = missing_inputs(archive, doc, files)
        if missing:  # parsing without them would drop their figures: keep the last parse, redo it later
            archive.db.keep_stale_parse(doc["id"], json.dumps(missing, ensure_ascii=False))
            report.file_errors.update({f"{doc['id']}:{k}": v for k, v in missing.items()})
            continue
        extracted, context = extract_document(archive, doc, files)
        try:
            record = parse_disclosure(extracted, context)
            errors = {f.name: f.error for f in extracted if f.error}
        except Exception as exc:  # a parser bug must not stop the other documents
            logger.exception("parsing document %s failed", doc["id"])
            record = {}
            errors = {DOCUMENT_ERROR: f"{type(exc).__name__}: {exc}"[:300]}
        record["files"] = [{"sha256": f.sha256, "format": f.format, "error": f.error} for f in extracted]
        record_json = json.dumps(record, ensure_ascii=False, default=str)
        archive.db.save_parse({"document_id": doc["id"], "parser_version": PARSER_VERSION, "record": record_json,
                               "errors": json.dumps(errors, ensure_ascii=False), "input_fingerprint": fingerprint})
        archive.db.save_version_record(doc["id"], doc["fingerprint"], record_json)
        report.parsed += 1
        report.file_errors.update({f"{doc['id']}:{k}": v for k, v in errors.items()})
    progress.finish()
    return report


def index_documents(archive: Archive, backend, ids: list[str] | None = None) -> int:
    """Upsert the export records of `ids` (all documents when None) into a search backend."""
    progress = Progress("index: disclosures")
    n = index_records(archive.db, backend, None if ids is None else set(ids), progress.advance)
    progress.finish()
    return n


def converge_index(archive: Archive, backend) -> int:
    """Bring the index to what the archive holds (see index.sync); returns how many were indexed."""
    progress = Progress("index: disclosures")
    n = converge(archive.db, backend, progress.advance)
    progress.finish()
    return n


def rebuild_index(archive: Archive, backend) -> int:
    """A whole new index from the archive, built aside and swapped in (see index.sync)."""
    progress = Progress("index: disclosures")
    n = rebuild(archive.db, backend, progress.advance)
    progress.finish()
    return n


def process(data_dir: Path, backend=None, force: bool = False) -> ProcessReport:
    archive = Archive(data_dir)
    try:
        report = parse_documents(archive, force=force)
        if backend is not None:
            # not only what was parsed now: also what a killed run parsed and never indexed
            report.indexed = converge_index(archive, backend)
        return report
    finally:
        archive.close()


def parse_local_files(paths: list[Path], explain: bool = False) -> dict:
    """The contract's record for files a researcher downloaded by hand (no archive, no network);
    with `explain`, also the readings the parser set aside (key `explanation`)."""
    from archive.export import EMPTY_REGION, RECORD_FIELDS

    extracted = []
    files = []
    for path in paths:
        data = path.read_bytes()
        result = read_file_isolated(path.name, data)
        result.sha256 = hashlib.sha256(data).hexdigest()
        extracted.append(result)
        files.append({"url": path.resolve().as_uri(), "sha256": result.sha256, "content_type": None,
                      "bytes": len(data), "format": result.format,
                      **({"error": result.problem} if result.problem else {})})
    # no article title: a file name is the downloader's guess, never evidence of what the file is
    parsed = parse_disclosure(extracted, Context())
    record = {
        "id": hashlib.sha256("".join(sorted(f["sha256"] for f in files)).encode()).hexdigest()[:20],
        "detail_url": None, "duplicate_urls": [], "attachment_urls": [f["url"] for f in files],
        "title": None, "department": None, "region": dict(EMPTY_REGION), "fiscal_year": None, "kind": None,
        "units_in_source": None, "published_date": None, "page_metadata": {}, "figures": {},
        "figure_sources": {}, "flags": [], "ocr": False, "files": files, "text": "", "parse_status": "parsed",
        "is_disclosure": False, "not_disclosure_reason": None, "figure_confidence": {}, "figure_gaps": {}, "tables": [],
    }
    record.update({k: v for k, v in parsed.items() if k in RECORD_FIELDS and k != "files" and v is not None})
    out = {k: record[k] for k in RECORD_FIELDS}
    if explain:
        out["explanation"] = parsed.get("explanation", {})
    return out
