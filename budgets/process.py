"""Archive → parsers → index: parse what is new or stale, then bring the index up to date.

Runs after every crawl, in the distributed crawl's writer and as `budgets reparse`. A
document is parsed again only when its inputs (the sha256 of its page and files) or the
parser version changed, so a pass over an unchanged archive parses nothing. Documents are
parsed on every core (`budgets.parse_pool`), each file in a worker process with time and
memory limits (`parsers.isolation`); a file that fails is recorded in the parse's errors and
the document is still parsed from the rest. This process alone writes archive.db, one
document per transaction as results come in: a run killed mid-way keeps what it saved and
the next parses the rest.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from archive import Archive
from archive.parse_status import input_fingerprint
from archive.readonly import ReadOnlyArchive
from budgets.parse_job import DocumentJob, DocumentResult, read_inputs
from budgets.parse_pool import ParsePool, default_jobs
from budgets.progress import Progress
from crawler.discovery.disposition import filename_from_headers
from index.sync import converge, index_records, rebuild
from parsers.disclosure import parse_disclosure
from parsers.isolation import read_file_isolated, shared_reader
from parsers.model import Context, ExtractedFile
from parsers.version import PARSER_VERSION


@dataclass
class ProcessReport:
    parsed: int = 0
    unchanged: int = 0
    file_errors: dict[str, str] = field(default_factory=dict)
    indexed: int = 0


# what reading a document's archived inputs needs: the database and the blob store, opened
# for writing or (`budgets verify --deep`) read-only
Readable = Archive | ReadOnlyArchive


def _page_sha(archive: Readable, url: str) -> str | None:
    state = archive.db.url_state(url)
    return state["sha256"] if state else None


def _file_name(archive: Readable, f: dict) -> str:
    """The name a file was served under, read from its archived fetch as the crawl reads it: an
    archive resumed before that was fixed holds a mis-decoded name (mojibake) in document_files."""
    row = archive.db.db.execute("select headers from fetches where url = ? and sha256 = ? and headers is not null "
                                "order by id desc limit 1", [f["url"], f["sha256"]]).fetchone()
    served = filename_from_headers(json.loads(row[0]), f["url"]) if row else None
    return served or f["filename"] or f["url"].rsplit("/", 1)[-1] or f["sha256"][:12]


def document_job(archive: Readable, doc: dict, files: list[dict], fingerprint: str) -> DocumentJob:
    """What parsing `doc` reads (`doc` with its `page_sha256`): the archived page and the files
    whose bytes are in the blob store, under the names they were served with."""
    context = Context(title=doc["title"], detail_url=doc["detail_url"], article_text=doc["text"],
                      published_date=doc["published_date"], page_metadata=json.loads(doc["page_metadata"] or "{}"),
                      region_hint=json.loads(doc.get("region_hint") or "{}"))
    page_sha = doc["page_sha256"] if doc["page_sha256"] and archive.blobs.exists(doc["page_sha256"]) else None
    inputs = [(_file_name(archive, f), f["sha256"]) for f in files if f["sha256"] and archive.blobs.exists(f["sha256"])]
    return DocumentJob(doc_id=doc["id"], fingerprint=doc["fingerprint"], input_fingerprint=fingerprint,
                       page_sha256=page_sha, files=inputs, context=context)


def extract_document(archive: Readable, doc: dict, files: list[dict]) -> tuple[list[ExtractedFile], Context]:
    """Read a document's archived page and files into ExtractedFiles, one file at a time in the
    process's shared worker (for callers that parse in-process, such as `verify --deep`)."""
    job = document_job(archive, _with_page(archive, doc), files, "")
    return read_inputs(shared_reader(), archive.blobs, job)


def missing_inputs(archive: Readable, doc: dict, files: list[dict]) -> dict[str, str]:
    """The document's archived page and files whose bytes are not in the blob store, with why."""
    named = [("article.html", doc.get("page_sha256")), *((f["url"], f["sha256"]) for f in files)]
    return {name: f"archived bytes {sha} are missing from blobs/ (`budgets verify --repair` restores them)"
            for name, sha in named if sha and not archive.blobs.exists(sha)}


def _with_page(archive: Readable, doc: dict) -> dict:
    return {**doc, "page_sha256": _page_sha(archive, doc["detail_url"])}


def current_fingerprint(archive: Readable, doc_id: str) -> str | None:
    """The input fingerprint of a document as archived now (None if it is gone)."""
    doc = archive.db.document(doc_id)
    return input_fingerprint(_with_page(archive, doc), archive.db.document_files(doc_id)) if doc else None


def stale_jobs(archive: Archive, docs: list[dict], force: bool, report: ProcessReport,
               progress: Progress | None = None) -> Iterator[DocumentJob]:
    """The documents to parse, as jobs; those unchanged or with an input missing are counted here."""
    for doc in docs:
        files = archive.db.document_files(doc["id"])
        doc = _with_page(archive, doc)
        fingerprint = input_fingerprint(doc, files)
        previous = archive.db.parse_of(doc["id"])
        if not force and previous and previous["input_fingerprint"] == fingerprint:
            report.unchanged += 1
            if progress:
                progress.advance()
            continue
        missing = missing_inputs(archive, doc, files)
        if missing:  # parsing without them would drop their figures: keep the last parse, redo it later
            archive.db.keep_stale_parse(doc["id"], json.dumps(missing, ensure_ascii=False))
            report.file_errors.update({f"{doc['id']}:{k}": v for k, v in missing.items()})
            if progress:
                progress.advance()
            continue
        yield document_job(archive, doc, files, fingerprint)


def save_result(archive: Archive, result: DocumentResult) -> None:
    """The parse and the document version's record in one transaction: a writer killed at any
    point has saved both or neither, so the document is parsed again exactly when it has to be."""
    job = result.job
    with archive.db.tx():
        archive.db.save_parse({"document_id": job.doc_id, "parser_version": PARSER_VERSION, "record": result.record,
                               "errors": json.dumps(result.errors, ensure_ascii=False),
                               "input_fingerprint": job.input_fingerprint})
        archive.db.save_version_record(job.doc_id, job.fingerprint, result.record)


def parse_documents(archive: Archive, force: bool = False, only: set[str] | None = None,
                    jobs: int | None = None) -> ProcessReport:
    """Parse every document whose inputs or parser changed, `jobs` at a time (default: every
    core), saving each result as it comes in."""
    report = ProcessReport()
    docs = [d for d in archive.db.documents() if only is None or d["id"] in only]
    progress = Progress("parse: documents", total=len(docs))
    with ParsePool(archive.blobs, jobs or default_jobs()) as pool:
        for result in pool.results(stale_jobs(archive, docs, force, report, progress)):
            save_result(archive, result)
            report.parsed += 1
            report.file_errors.update({f"{result.job.doc_id}:{k}": v for k, v in result.errors.items()})
            progress.advance()
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


def process(data_dir: Path, backend=None, force: bool = False, jobs: int | None = None) -> ProcessReport:
    archive = Archive(data_dir)
    try:
        report = parse_documents(archive, force=force, jobs=jobs)
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
        "id": hashlib.sha256("".join(sorted(f.sha256 for f in extracted)).encode()).hexdigest()[:20],
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
