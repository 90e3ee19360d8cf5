"""One document's parse as a job: what to read, and the steps its worker process runs.

The writer builds a `DocumentJob` from archive.db (names and sha256s, never bytes, so jobs
waiting in line hold no document's files); whoever runs it reads the blobs and has one
isolated worker (`parsers.isolation`) read each file, then extract the record, under the
same time and memory limits. The record depends on the job's inputs alone, so it is the
same whichever worker, and however many, parse it.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace
from functools import partial

from archive.blobs import BlobStore
from archive.parse_status import DOCUMENT_ERROR
from charsets import decode_html
from crawler.discovery.article import parse_article
from parsers.disclosure import parse_disclosure
from parsers.isolation import Failure, IsolatedReader
from parsers.model import Context, ExtractedFile
from parsers.readers import read_file

logger = logging.getLogger(__name__)


@dataclass
class DocumentJob:
    doc_id: str
    fingerprint: str  # the document's version (document_versions.fingerprint)
    input_fingerprint: str  # what the parse is made from (archive.parse_status.input_fingerprint)
    page_sha256: str | None  # the article page, when its bytes are archived
    files: list[tuple[str, str]]  # (name the file was served under, sha256), in the document's order
    context: Context  # without article_html: read with the files


@dataclass
class DocumentResult:
    job: DocumentJob
    record: str  # the record as stored (JSON)
    errors: dict[str, str]  # per file name, or DOCUMENT_ERROR when the extraction failed


def article_body(page_html: bytes, url: str) -> bytes:
    """The article's own content (without the portal's navigation and footer) as a UTF-8 HTML page."""
    html, _ = decode_html(page_html, None)
    body = parse_article(html, url).body_html
    if not body:
        return page_html
    return f'<html><head><meta charset="utf-8"></head><body>{body}</body></html>'.encode()


def read_article(name: str, page_html: bytes, url: str) -> ExtractedFile:
    """Worker step: the article page read as a file (its body only)."""
    return read_file(name, article_body(page_html, url))


def files_field(extracted: list[ExtractedFile]) -> list[dict]:
    return [{"sha256": f.sha256, "format": f.format, "error": f.error} for f in extracted]


def record_json(extracted: list[ExtractedFile], context: Context) -> str:
    """Worker step: the record extracted from the read files, as stored."""
    record = parse_disclosure(extracted, context)
    record["files"] = files_field(extracted)
    return json.dumps(record, ensure_ascii=False, default=str)


def read_inputs(reader: IsolatedReader, blobs: BlobStore, job: DocumentJob) -> tuple[list[ExtractedFile], Context]:
    """The job's page and files read in `reader`'s worker, and its context with the page."""
    page = blobs.get(job.page_sha256) if job.page_sha256 and blobs.exists(job.page_sha256) else None
    extracted: list[ExtractedFile] = []
    if page is not None:
        extracted.append(reader.read("article.html", page, reader=partial(read_article, url=job.context.detail_url or "")))
    for name, sha in job.files:
        if not blobs.exists(sha):
            continue
        result = reader.read(name, blobs.get(sha))
        result.sha256 = sha
        extracted.append(result)
    return extracted, replace(job.context, article_html=page)


def run_job(reader: IsolatedReader, blobs: BlobStore, job: DocumentJob) -> DocumentResult:
    """Read and extract one document in `reader`'s worker; an extraction that fails (a parser bug,
    a limit) gives a record with only the files, and the reason under DOCUMENT_ERROR."""
    extracted, context = read_inputs(reader, blobs, job)
    outcome = reader.call(record_json, (extracted, context))
    if isinstance(outcome, Failure):
        if not reader.stopped:  # a parse being stopped (Ctrl-C) saves nothing: no error to report
            logger.error("parsing document %s failed: %s", job.doc_id, outcome.trace or outcome.reason)
        record = json.dumps({"files": files_field(extracted)}, ensure_ascii=False)
        return DocumentResult(job, record, {DOCUMENT_ERROR: outcome.reason})
    return DocumentResult(job, outcome, {f.name: f.error for f in extracted if f.error})
