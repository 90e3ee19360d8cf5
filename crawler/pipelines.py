"""Write what the spider found into the archive: pages, decisions, documents.

Documents are identified here: a page already known keeps its document; a page whose
files (or, for inline disclosures, whose text) match a known document's fingerprint is a
duplicate publication of it; anything else is a new document whose id derives from the
files' content (or text), so re-crawls, re-parses and crawls that meet its pages in another
order give it the same id.
"""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable

from scrapy import signals

from crawler.batching import BatchedCommits
from crawler.items import AttachmentResult, DocumentItem, PageGoneItem, PageItem
from crawler.session import CrawlSession
from crawler.sessions import built_session


def document_fingerprint(item: DocumentItem) -> str:
    """Same files (by content), or for a disclosure with no files the same text: the same disclosure."""
    hashes = sorted({f.sha256 for f in item.files if f.sha256})
    if hashes:
        basis = "files:" + ",".join(hashes)
    else:
        basis = "text:" + re.sub(r"\s+", "", item.text or "")
    return hashlib.sha256(basis.encode("utf-8")).hexdigest()


def document_id(fingerprint: str, page_url: str, taken: Callable[[str], bool]) -> str:
    """A new disclosure's id, from what it publishes (its fingerprint) rather than from the page it
    was first seen on, so crawls that meet its pages in another order give it the same id. Should
    that id be taken already (another disclosure once had these files), the page's URL is mixed in.
    Ids once assigned are never recomputed: a known page keeps its document (and older archives'
    ids, made from the first page's URL, stay as they are)."""
    doc_id = hashlib.sha256(f"disclosure:{fingerprint}".encode()).hexdigest()[:20]
    if taken(doc_id):
        doc_id = hashlib.sha256(f"disclosure:{fingerprint}:{page_url}".encode()).hexdigest()[:20]
    return doc_id


class ArchiveWriter:
    """Pages, decisions and documents into archive.db: for the pipeline of a local crawl and for
    the ingest writer of a distributed one, so both make the same archive."""

    def __init__(self, db, run_id: int, regions: dict[str, dict], count: Callable[[str], None]) -> None:
        self.db = db
        self.run_id = run_id
        self.regions = regions  # region metadata per portal host, from the portal registry
        self.count = count

    def write(self, item) -> None:
        if isinstance(item, PageItem):
            self.page(item)
        elif isinstance(item, DocumentItem):
            self.document(item)
        elif isinstance(item, PageGoneItem):
            outcome = self.db.page_gone(item.url)
            if outcome:
                self.count(f"budgets/documents/{outcome}")

    def page(self, item: PageItem) -> None:
        db = self.db
        db.save_page({"url": item.url, "host": item.host, "title": item.title,
                      "published_date": item.published_date,
                      "page_metadata": json.dumps(item.page_metadata, ensure_ascii=False),
                      "text": item.text, "sha256": item.sha256, "encoding": item.encoding})
        db.set_url_role(item.url, item.role)
        if item.decision is not None:
            db.save_decision({"url": item.url, "run_id": self.run_id, **item.decision})
        for link in item.offsite_links:
            db.save_offsite(link, item.url)

    def document(self, item: DocumentItem) -> str:
        """Write a document's item; returns the document's id."""
        db = self.db
        fingerprint = document_fingerprint(item)
        doc_id = db.document_for_url(item.page_url)
        role = "detail"
        if doc_id is None:
            doc_id = db.document_by_fingerprint(fingerprint)
            role = "duplicate" if doc_id else "detail"
        if doc_id is None:
            doc_id = document_id(fingerprint, item.page_url, db.document_exists)
        else:
            pages = db.document_pages(doc_id)
            role = next((p["role"] for p in pages if p["url"] == item.page_url), role)
        self._keep_archived_files(doc_id, item)
        fingerprint = document_fingerprint(item)
        doc = {"id": doc_id, "detail_url": item.page_url, "title": item.title, "kind": item.kind,
               "fiscal_year": item.fiscal_year, "department": item.department,
               "published_date": item.published_date,
               "page_metadata": json.dumps(item.page_metadata, ensure_ascii=False),
               "text": item.text, "fingerprint": fingerprint, "portal": item.portal,
               "region_hint": json.dumps(self.regions.get(item.portal) or {}, ensure_ascii=False)}
        outcome = db.save_document(doc, [f.as_row() for f in item.files], item.page_url, role)
        self.count(f"budgets/documents/{outcome}")
        return doc_id

    def _keep_archived_files(self, doc_id: str, item: DocumentItem) -> None:
        """A file that fails now but was archived before keeps its archived bytes: an outage is not a revision."""
        known = {f["url"]: f for f in self.db.document_files(doc_id) if f["sha256"]}
        item.files = [
            AttachmentResult(url=f.url, sha256=known[f.url]["sha256"], content_type=known[f.url]["content_type"],
                             bytes=known[f.url]["bytes"], filename=known[f.url]["filename"],
                             error=f"kept archived copy; now {f.error}")
            if f.error and f.url in known else f
            for f in item.files
        ]


class ArchivePipeline:
    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self._writer: ArchiveWriter | None = None
        self._batches = BatchedCommits(crawler)

    @classmethod
    def from_crawler(cls, crawler):
        pipeline = cls(crawler)
        crawler.signals.connect(pipeline.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def spider_opened(self, spider) -> None:
        self._batches.start()

    def process_item(self, item):
        if self._writer is None:
            session = CrawlSession.local(self.crawler)
            self._writer = ArchiveWriter(session.db, session.run_id,
                                         self.crawler.settings.getdict("BUDGETS_PORTAL_REGIONS"),
                                         self.crawler.stats.inc_value)
        self._writer.write(item)
        return item

    def spider_closed(self, spider, reason: str) -> None:
        """End the run; a crawl stopped by SIGINT or SIGTERM ("shutdown") is left to be resumed."""
        self._batches.stop()
        session = built_session(self.crawler)
        if isinstance(session, CrawlSession):
            session.close(self.crawler.stats.get_stats(), stopped=reason == "shutdown")
