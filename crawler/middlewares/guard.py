"""Keep the crawl on its start hosts and away from internal networks.

Scrapy has no private-address guard: a public portal that links or redirects to
127.0.0.1, 10.x or 169.254.169.254 would otherwise be fetched. Off-host requests
(links and redirects) are refused and recorded; private, loopback and link-local
targets are refused unless the crawl itself started on such an address (or, with
BUDGETS_ALLOW_PRIVATE, only for the hosts it lists).
"""
from __future__ import annotations

import logging
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from twisted.internet.threads import deferToThread
from scrapy.utils.defer import maybe_deferred_to_future

from crawler.session import CrawlSession, is_private_address
from crawler.session_interface import Session

logger = logging.getLogger(__name__)


class HostGuardMiddleware:
    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self._private: dict[str, bool] = {}

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def _is_private(self, host: str) -> bool:
        if host not in self._private:
            # name resolution blocks; keep it off the reactor thread
            self._private[host] = await maybe_deferred_to_future(deferToThread(is_private_address, host))
        return self._private[host]

    async def process_request(self, request: Request):
        session = CrawlSession.of(self.crawler)
        redirected = bool(request.meta.get("redirect_urls"))
        what = "redirect" if redirected else "request"
        if not session.allows(request.url):
            self._refuse(session, request, f"{what} off the crawl's hosts refused")
        if session.excluded(request.url):
            self._refuse(session, request, f"{what} excluded by the portal registry")
        host = urlsplit(request.url).hostname or ""
        if not session.private_allowed(request.url) and await self._is_private(host):
            self._refuse(session, request, f"{what} to a private, loopback or link-local address refused")
        return None

    def _refuse(self, session: Session, request: Request, reason: str) -> None:
        session.record_failure(request, f"refused: {reason}")
        self.crawler.stats.inc_value("budgets/refused")
        logger.info("%s: %s", reason, request.url)
        raise IgnoreRequest(reason)
