"""The portal spider: walk a government portal's columns, find disclosures, fetch their files.

    scrapy crawl portal -a start_urls=http://www.example.gov.cn/,http://county.example.gov.cn/index.html

Every page on the start hosts is followed (list pages, script-written pagers, Hanweb
datastore records); each article page is judged by `crawler.detection`; a disclosure's
attachments are fetched once each, and when all have answered the disclosure goes to the
archive pipeline as one `DocumentItem`. Off-host links are recorded, never followed.
"""
from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import scrapy
from scrapy import FormRequest, Request, signals
from scrapy.http import Response
from twisted.python.failure import Failure

from charsets import decode_html
from crawler.detection import classify
from crawler.discovery.article import parse_article
from crawler.discovery.disposition import filename_from_headers
from crawler.discovery.hanweb import (
    JpageSource,
    dataproxy_requests,
    extract_datastore_links,
    find_jpage_sources,
    parse_dataproxy,
)
from crawler.discovery.links import Link, extract_links
from crawler.discovery.pagers import extract_pager_urls
from crawler.failures import error_text
from crawler.hosts import host_key
from crawler.items import AttachmentResult, DocumentItem, PageGoneItem, PageItem
from crawler.session_interface import Session
from crawler.sessions import session_of

if TYPE_CHECKING:
    from crawler.distributed.session import RedisSession

logger = logging.getLogger(__name__)
# trafilatura warns (and logs errors for an empty page) for every page whose body it cannot
# isolate; parse_article has its own fallback
logging.getLogger("trafilatura").setLevel(logging.CRITICAL)

# decisions that do not show a page is an article rather than a column or home page
UNSURE_ARTICLE_REASONS = {"no_budget_terms", "list_page", "index_page"}
HTML_TYPES = (b"text/html", b"application/xhtml", b"text/xml", b"application/xml")
# column and link words that lead to disclosures get fetched first
FOCUS_WORDS = ("预算", "决算", "财政", "预决算", "信息公开", "xxgk", "czyjs", "yjs", "czzj")


def split_urls(value: str | list[str] | None) -> list[str]:
    if not value:
        return []
    if isinstance(value, str):
        value = value.replace("\n", ",").split(",")
    return [u.strip() for u in value if u.strip()]


def looks_like_html(response: Response) -> bool:
    ctype = (response.headers.get("Content-Type") or b"").lower()
    if any(t in ctype for t in HTML_TYPES):
        return True
    head = response.body[:512].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html", b"<?xml")) or b"<head" in head


def header_charset(response: Response) -> str | None:
    ctype = (response.headers.get("Content-Type") or b"").decode("latin-1")
    for part in ctype.split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            return value.strip().strip("\"'")
    return None


def requested_url(response: Response) -> str:
    """The URL the spider asked for, before redirects: what the archive and a resume know it by."""
    return (response.meta.get("redirect_urls") or [_request_of(response).url])[0]


def _request_of(response: Response) -> Request:
    """The request a response answers (every response that reaches the spider has one)."""
    assert response.request is not None
    return response.request


class PortalSpider(scrapy.Spider):
    name = "portal"
    needs_start_urls = True

    def __init__(self, start_urls: str | list[str] | None = None, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.start_urls = split_urls(start_urls)
        if self.needs_start_urls and not self.start_urls:
            raise ValueError("give at least one start URL: -a start_urls=URL[,URL...]")
        self._results: dict[str, AttachmentResult] = {}
        self._fetching: dict[str, asyncio.Future] = {}
        self._pages_asked: set[str] = set()  # pages this process has asked for (BUDGETS_MAX_PAGES)
        self._page_cap_recorded = False

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.request_dropped, signal=signals.request_dropped)
        return spider

    def request_dropped(self, request: Request, spider) -> None:
        """A redirect to a URL this run already asked for (a redirect loop, most often) is dropped by
        the duplicate filter without an error; log it, so the loop shows in `fetches`."""
        if request.meta.get("redirect_urls"):
            self.session.record_failure(request, "redirect to a URL already requested in this run: not fetched again")

    @property
    def session(self) -> Session:
        return session_of(self.crawler)

    async def start(self):
        for url in self.start_urls:
            yield Request(url, callback=self.parse_page, errback=self.request_failed, meta={"role": "start"})

    # -- pages ------------------------------------------------------------------
    async def parse_page(self, response: Response):
        if response.status in (404, 410):
            yield PageGoneItem(url=requested_url(response), status=response.status)
            return
        if response.status >= 400 or not looks_like_html(response):
            return
        if "fresh" in response.flags and self.session.article_complete(requested_url(response)):
            # an article handled in an earlier pass and unchanged since, with all its files:
            # its decision, document and files are in the archive as they were
            return
        html, encoding = decode_html(response.body, header_charset(response))
        links = extract_links(html, response.url, encoding) + extract_datastore_links(html, response.url, encoding)
        links = self._capped(response, links)
        article = parse_article(html, response.url)
        host = host_key(response.url)
        offsite = sorted({link.url for link in links if not self.session.allows(link.url)})
        attachments = self._unique([link for link in links if link.is_attachment and self.session.allows(link.url)])

        role = "list" if article.is_list_page or not article.title else "article"
        if role == "article":
            d = classify(title=article.title, text=article.text or "",
                         attachment_names=[a.text or a.url.rsplit("/", 1)[-1] for a in attachments],
                         link_titles=[link.text for link in links if not link.is_attachment])
            decision = {"is_disclosure": int(d.is_disclosure), "reason": d.reason, "detail": d.detail,
                        "kind": d.kind, "fiscal_year": d.fiscal_year, "department": d.department}
        else:
            decision = {"is_disclosure": 0, "reason": "list_page",
                        "detail": f"list or column page with {len(links)} links"}
        if response.meta.get("role") == "start" or decision["reason"] in UNSURE_ARTICLE_REASONS:
            # may be a home or column page taken for an article: re-read it on every pass
            role = "list"
        yield PageItem(url=requested_url(response), host=host, role=role, sha256=response.meta.get("sha256"),
                       encoding=encoding, title=article.title, published_date=article.published_date,
                       page_metadata=article.page_metadata, text=article.text, decision=decision,
                       offsite_links=offsite)

        for url in extract_pager_urls(html, response.url, encoding=encoding):
            if self.session.allows(url) and self._may_ask(url, response):
                yield Request(url, callback=self.parse_page, errback=self.request_failed, meta={"role": "list"})
        for source in find_jpage_sources(html, response.url):
            for request in self._dataproxy_requests(source, None):
                yield request
        for request in self._follow(links, response):
            yield request

        if decision["is_disclosure"]:
            yield await self._document(response, host, article, decision, attachments)

    def _capped(self, response: Response, links: list[Link]) -> list[Link]:
        """The page's first BUDGETS_MAX_LINKS_PER_PAGE links; a cut is recorded against the page."""
        limit = self.settings.getint("BUDGETS_MAX_LINKS_PER_PAGE")
        if len(links) <= limit:
            return links
        self.session.record_failure(response.request, f"links capped: the page has {len(links)} links, only the "
                                                       f"first {limit} (BUDGETS_MAX_LINKS_PER_PAGE) were followed")
        self.crawler.stats.inc_value("budgets/links_capped")
        return links[:limit]

    def _may_ask(self, url: str, response: Response) -> bool:
        """Whether a page may still be asked for under BUDGETS_MAX_PAGES; the first refusal is recorded."""
        if url in self._pages_asked:
            return True  # the duplicate filter drops it, or it is asked for again on purpose
        limit = self.settings.getint("BUDGETS_MAX_PAGES")
        if len(self._pages_asked) < limit:
            self._pages_asked.add(url)
            return True
        if not self._page_cap_recorded:
            self._page_cap_recorded = True
            self.session.record_failure(response.request, f"pages capped: this crawl asked for {limit} pages "
                                                           "(BUDGETS_MAX_PAGES); links from here on are not followed")
        self.crawler.stats.inc_value("budgets/pages_capped")
        return False

    def _follow(self, links: list[Link], response: Response):
        for link in links:
            if link.is_attachment or not self.session.allows(link.url) or not self._may_ask(link.url, response):
                continue
            focus = any(w in (link.text or "") or w in link.url for w in FOCUS_WORDS)
            yield Request(link.url, callback=self.parse_page, errback=self.request_failed, meta={"role": "page"},
                          priority=1 if focus else 0)

    def _dataproxy_requests(self, source: JpageSource, total_record: int | None):
        """Hanweb jpage lists: POST the column's parameters to its dataproxy for the records not on the page."""
        for req in dataproxy_requests(source, total_record=total_record):
            if not self.session.allows(req.url):
                continue
            yield FormRequest(req.url, formdata=req.formdata, method=req.method, callback=self.parse_dataproxy,
                              errback=self.request_failed,
                              meta={"role": "list", "jpage_source": source, "no_archive_serve": True,
                                    "jpage_total_known": total_record is not None})

    def parse_dataproxy(self, response: Response):
        if response.status >= 400:
            return
        xml, encoding = decode_html(response.body, header_charset(response))
        page = parse_dataproxy(xml, response.url, encoding)
        yield from self._follow(page.links, response)
        if not response.meta["jpage_total_known"] and page.total_record is not None:
            yield from self._dataproxy_requests(response.meta["jpage_source"], page.total_record)

    @staticmethod
    def _unique(links: list[Link]) -> list[Link]:
        seen: dict[str, Link] = {}
        for link in links:
            seen.setdefault(link.url, link)
        return list(seen.values())

    # -- documents and attachments ------------------------------------------------
    async def _document(self, response: Response, host: str, article, decision: dict,
                        attachments: list[Link]) -> DocumentItem:
        """The disclosure with its attachments fetched (each once per crawl, however many pages link it).

        The files are fetched here, inside the article's callback, so a disclosure is handed on
        whole with the page that found it: a crawl killed at any moment, or a distributed worker
        killed mid-article, replays the article and loses no half-assembled document.
        """
        files = await asyncio.gather(*(self._attachment(link) for link in attachments))
        return DocumentItem(page_url=requested_url(response), portal=host, title=article.title,
                            published_date=article.published_date, page_metadata=article.page_metadata,
                            text=article.text, kind=decision["kind"], fiscal_year=decision["fiscal_year"],
                            department=decision["department"], files=list(files),
                            page_sha256=response.meta.get("sha256"))

    async def _attachment(self, link: Link) -> AttachmentResult:
        if link.url in self._results:
            return self._results[link.url]
        task = self._fetching.get(link.url)
        if task is None:
            task = self._fetching[link.url] = asyncio.ensure_future(self._fetch_attachment(link))
        result = await task
        self._results[link.url] = result
        self._fetching.pop(link.url, None)
        return result

    async def _fetch_attachment(self, link: Link) -> AttachmentResult:
        """Fetch an attachment through the downloader (and its middlewares), trying its other
        spellings on 404; the result is shared with other crawl processes, if any."""
        shared = await self.session.attachment_claim(link.url)
        if shared is not None:
            return shared
        result = AttachmentResult(url=link.url, error="not fetched")
        try:
            urls = [link.url, *link.fallback_urls]
            for i, url in enumerate(urls):
                request = Request(url, dont_filter=True, priority=10, meta={"role": "attachment"})
                try:
                    response = await self.crawler.engine.download_async(request)
                except Exception as exc:  # refused, timed out, cut short, too big: recorded, not fatal
                    reason = error_text(exc)[:300]
                    self.session.record_failure(request, reason)
                    result = AttachmentResult(url=url, error=reason)
                    break
                if response.status == 404 and i + 1 < len(urls):
                    continue
                result = self._attachment_result(response)
                break
        finally:
            self.session.attachment_done(link.url, result)
        return result

    @staticmethod
    def _attachment_result(response: Response) -> AttachmentResult:
        url = _request_of(response).url
        if response.status >= 400:
            return AttachmentResult(url=url, error=f"HTTP {response.status}")
        return AttachmentResult(
            url=url, sha256=response.meta.get("sha256"),
            content_type=(response.headers.get("Content-Type") or b"").decode("latin-1") or None,
            bytes=len(response.body), filename=filename_from_headers(response.headers, url))

    def request_failed(self, failure: Failure) -> None:
        """Log a failure no middleware logged (see `crawler.session.CrawlSession.record_failure`)."""
        request = failure.request  # type: ignore[attr-defined]
        assert failure.value is not None  # a Failure always holds its exception
        self.session.record_failure(request, error_text(failure.value))
        self.session.request_done(request)


class PortalWorkerSpider(PortalSpider):
    """The portal spider as a distributed worker runs it: its requests come from the shared
    frontier (`budgets crawl --redis` seeds the start pages), one crawl after another."""

    name = "portal-worker"
    needs_start_urls = False

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._crawl_id = 0

    async def start(self):
        return
        yield

    @property
    def worker_session(self) -> RedisSession:
        """The worker's session, for what only it has (the current crawl's config)."""
        return session_of(self.crawler)  # type: ignore[return-value]

    async def _attachment(self, link: Link) -> AttachmentResult:
        crawl_id = self.worker_session.config.crawl_id
        if crawl_id != self._crawl_id:  # a new crawl fetches every file again (conditionally)
            self._results.clear()
            self._crawl_id = crawl_id
        return await super()._attachment(link)
