"""Keep the crawl on its start hosts and away from internal networks.

Scrapy has no private-address guard: a public portal that links or redirects to
127.0.0.1, 10.x or 169.254.169.254 would otherwise be fetched. Off-host requests
(links and redirects) are refused and recorded; private, loopback and link-local
targets are refused unless the crawl itself started on such an address (or, with
BUDGETS_ALLOW_PRIVATE, only for the hosts it lists).

Scrapy rewrites a host written as an address in another form (`2130706433`, `0x7f.1`, `127.1`,
`127.0.0.1.`) to plain dotted decimal before any middleware sees the request, so a redirect to
such a spelling of the crawl's own loopback host would pass for that host.
`RedirectGuardMiddleware` and `RefreshGuardMiddleware` read the Location header and the meta
refresh as the server wrote them, and refuse and records such a redirect before Scrapy follows it (links are kept as
written by `crawler.discovery.links`, and so stay off the crawl's hosts).
"""
from __future__ import annotations

import logging
import re
from urllib.parse import urljoin, urlsplit

from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Response
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.response import get_meta_refresh
from twisted.internet.threads import deferToThread

from crawler.addresses import is_private_address, unusual_address
from crawler.failures import REFUSED_TARGET
from crawler.session_interface import Session
from crawler.sessions import session_of

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
        session = session_of(self.crawler)
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


REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# the URL of a meta refresh as written: content="0; url=..." (quoted or not)
_REFRESH_URL = re.compile(r"""http-equiv\s*=\s*["']?refresh["']?[^>]*?content\s*=\s*(["'])[^"']*?url\s*=\s*["']?([^"'>\s]+)"""
                          r"""|content\s*=\s*(["'])[^"']*?url\s*=\s*["']?([^"'>\s]+)[^>]*?http-equiv\s*=\s*["']?refresh""",
                          re.I)


class RedirectGuardMiddleware:
    """Refuses a redirect whose Location host is an address written in an unusual form, before
    Scrapy rewrites it: ordered after RedirectMiddleware (600), so it sees the response first."""

    def __init__(self, crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def written_target(self, request: Request, response: Response) -> str | None:
        """The redirect's target as the response wrote it, joined to the request's URL."""
        if request.meta.get("dont_redirect") or response.status not in REDIRECT_STATUSES \
                or "Location" not in response.headers:
            return None
        return urljoin(request.url, (response.headers["Location"] or b"").decode("latin-1").strip())

    def process_response(self, request: Request, response: Response):
        target = self.written_target(request, response)
        if target is None or not unusual_address(urlsplit(target).hostname or ""):
            return response
        reason = f"redirect to {urlsplit(target).hostname}, an address written in an unusual form, refused"
        request.meta[REFUSED_TARGET] = target
        session_of(self.crawler).record_failure(request, f"refused: {reason}")
        self.crawler.stats.inc_value("budgets/refused")
        logger.info("%s: %s -> %s", reason, request.url, target)
        raise IgnoreRequest(reason)


class RefreshGuardMiddleware(RedirectGuardMiddleware):
    """The same for a meta refresh: ordered between MetaRefreshMiddleware (580) and decompression
    (590), so it reads the page as MetaRefreshMiddleware will."""

    def written_target(self, request: Request, response: Response) -> str | None:
        settings = self.crawler.settings
        if request.meta.get("dont_redirect") or not isinstance(response, HtmlResponse) \
                or not settings.getbool("METAREFRESH_ENABLED"):
            return None
        interval, url = get_meta_refresh(response, ignore_tags=settings.getlist("METAREFRESH_IGNORE_TAGS"))
        if not url or interval >= settings.getfloat("METAREFRESH_MAXDELAY"):
            return None
        match = _REFRESH_URL.search(response.text)
        return urljoin(request.url, match.group(2) or match.group(4)) if match else None
