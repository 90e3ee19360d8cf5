"""Hosts set aside for the rest of a run, and the requests to them refused.

A portal that answers 429 or 503 with `Retry-After: 999999` would otherwise hold its requests
(and a crawl's end) for as long as it asks. `RetryAfterMiddleware` sets such a host aside with
its reason; this middleware, closest to the downloader (after the archive has answered what
it holds and after the host's concurrency slot), refuses every later request to it and records
the refusal, so the URLs stay unarchived and a later pass asks for them again.
"""
from __future__ import annotations

import logging

from scrapy import Request
from scrapy.exceptions import IgnoreRequest

from crawler.hosts import host_key
from crawler.sessions import session_of

logger = logging.getLogger(__name__)


class SetAsideHosts:
    """The hosts one crawl process has set aside, with why (host:port -> reason)."""

    def __init__(self) -> None:
        self.reasons: dict[str, str] = {}

    @classmethod
    def of(cls, crawler) -> SetAsideHosts:
        hosts = getattr(crawler, "_budgets_set_aside", None)
        if hosts is None:
            hosts = crawler._budgets_set_aside = cls()
        return hosts

    def add(self, url: str, reason: str) -> None:
        host = host_key(url)
        if host not in self.reasons:
            logger.warning("host %s set aside for this run: %s", host, reason)
            self.reasons[host] = reason

    def reason(self, url: str) -> str | None:
        return self.reasons.get(host_key(url))


class SetAsideMiddleware:
    def __init__(self, crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request: Request):
        reason = SetAsideHosts.of(self.crawler).reason(request.url)
        if reason is None:
            return None
        session_of(self.crawler).record_failure(request, f"host set aside: {reason}")
        self.crawler.stats.inc_value("budgets/set_aside")
        raise IgnoreRequest(f"host set aside: {reason}")
