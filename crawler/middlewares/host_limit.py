"""At most N requests to a host at once, however the downloader schedules them.

Scrapy 2.19 on the asyncio reactor starts every download queued in a host's slot at once
when the slot has no delay: the slot counts a download as in flight only once its task
runs, so with `DOWNLOAD_DELAY = 0` a host limited to 2 saw 8 or 9 requests at a time. This
middleware, closest to the downloader, holds each request until fewer than the host's
limit (its registry `concurrency`, else CONCURRENT_REQUESTS_PER_DOMAIN) are on the wire.
A distributed worker uses `crawler.distributed.politeness` instead, which limits all workers.
"""
from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.http import Response

HOLDS = "budgets_host_slot"


class HostLimitMiddleware:
    def __init__(self, crawler) -> None:
        settings = crawler.settings
        self.default = settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN")
        self.slots: dict = settings.getdict("DOWNLOAD_SLOTS")
        self._limits: dict[str, asyncio.Semaphore] = {}

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def _semaphore(self, host: str) -> asyncio.Semaphore:
        if host not in self._limits:
            self._limits[host] = asyncio.Semaphore(int(self.slots.get(host, {}).get("concurrency", self.default)))
        return self._limits[host]

    async def process_request(self, request: Request):
        host = urlsplit(request.url).hostname or ""
        await self._semaphore(host).acquire()
        request.meta[HOLDS] = host
        return None

    def _release(self, request: Request) -> None:
        host = request.meta.pop(HOLDS, None)
        if host is not None:
            self._semaphore(host).release()

    def process_response(self, request: Request, response: Response):
        self._release(request)
        return response

    def process_exception(self, request: Request, exception: Exception):
        self._release(request)
        return None
