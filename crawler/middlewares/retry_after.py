"""Retries that honour `Retry-After` and back off exponentially.

Scrapy's RetryMiddleware retries 429/503 at once. Portals that ask for a pause get it:
the retry waits max(Retry-After, base * 2**attempt) seconds (capped), without holding
the host's download slot, so other hosts and other requests go on meanwhile.
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from scrapy import Request
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.task import deferLater

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
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


class RetryAfterMiddleware(RetryMiddleware):
    def __init__(self, settings) -> None:
        super().__init__(settings)
        self.max_wait = settings.getfloat("RETRY_AFTER_MAX_SECONDS", 300.0)
        self.base = settings.getfloat("RETRY_BACKOFF_BASE", 1.0)

    async def process_response(self, request: Request, response: Response):
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        retry = self._retry(request, f"HTTP {response.status}")
        if retry is None:
            return response
        attempt = retry.meta.get("retry_times", 1)
        asked = retry_after_seconds(response.headers.get("Retry-After", b"").decode("latin-1"))
        wait = min(self.max_wait, max(asked or 0.0, self.base * 2 ** (attempt - 1)))
        logger.info("HTTP %s for %s: retrying in %.1fs (Retry-After: %s)", response.status, request.url, wait, asked)
        from twisted.internet import reactor  # the running reactor, installed by Scrapy

        await maybe_deferred_to_future(deferLater(reactor, wait, lambda: None))
        return retry
