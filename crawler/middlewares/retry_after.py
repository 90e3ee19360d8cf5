"""Retries that honour `Retry-After` and back off exponentially.

Scrapy's RetryMiddleware retries 429/503 at once. Portals that ask for a pause get it:
the retry waits max(Retry-After, base * 2**attempt) seconds (capped), without holding
the host's download slot, so other hosts and other requests go on meanwhile. A host that
asks for more than BUDGETS_MAX_RETRY_AFTER seconds is not waited for: it is set aside for
the rest of the run (`crawler.middlewares.set_aside`). A crawl that is stopping (SIGINT,
SIGTERM) stops waiting at once: the request is left for the resumed run.
"""
from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from scrapy import Request
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.task import deferLater

from crawler.middlewares.set_aside import SetAsideHosts
from crawler.sessions import session_of

# how often a pause checks whether the crawl is stopping
STOP_CHECK_SECONDS = 0.5

logger = logging.getLogger(__name__)


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds asked for by a `Retry-After` header (delta-seconds or HTTP-date), None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class RetryAfterMiddleware(RetryMiddleware):
    def __init__(self, settings) -> None:
        super().__init__(settings)
        self.max_wait = settings.getfloat("RETRY_AFTER_MAX_SECONDS")
        self.base = settings.getfloat("RETRY_BACKOFF_BASE")
        self.longest_pause = settings.getfloat("BUDGETS_MAX_RETRY_AFTER")

    # Scrapy awaits a coroutine process_response; RetryMiddleware's own is a plain method
    async def process_response(self, request: Request, response: Response):  # type: ignore[override]
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        asked = retry_after_seconds((response.headers.get("Retry-After") or b"").decode("latin-1"))
        if asked is not None and asked > self.longest_pause:
            reason = (f"HTTP {response.status} with Retry-After {asked:.0f} s, more than BUDGETS_MAX_RETRY_AFTER "
                      f"({self.longest_pause:.0f} s); its URLs are asked for again on a later pass")
            SetAsideHosts.of(self.crawler).add(request.url, reason)
            session_of(self.crawler).record_failure(request, f"host set aside: {reason}")
            return response
        retry = self._retry(request, f"HTTP {response.status}")
        if retry is None:
            return response
        attempt = retry.meta.get("retry_times", 1)
        wait = min(self.max_wait, max(asked or 0.0, self.base * 2 ** (attempt - 1)))
        logger.info("HTTP %s for %s: retrying in %.1fs (Retry-After: %s)", response.status, request.url, wait, asked)
        if not await self._pause(wait):
            logger.info("crawl stopping: %s not retried in this run", request.url)
            return response
        return retry

    async def _pause(self, seconds: float) -> bool:
        """Wait `seconds`; False as soon as the crawl is stopping (the wait would hold its shutdown)."""
        from twisted.internet import reactor  # the running reactor, installed by Scrapy

        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            if not self.crawler.engine.running:
                return False
            await maybe_deferred_to_future(deferLater(reactor, min(left, STOP_CHECK_SECONDS), lambda: None))
        return True
