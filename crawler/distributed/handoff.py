"""Hand a response's items to the ingest writer in the transaction that ends its lease.

The outermost spider middleware of a worker (lowest order, so it sees the final output):
requests are scheduled as they come (the shared duplicate filter makes scheduling them
again harmless), items are held until the callback is done and then pushed to the ingest
queue together with the end of the request's lease. A worker killed before that point
leaves the lease behind; the request is replayed, its body answered from the blob store.
Scrapy's item pipelines are not used by workers: the writer runs the archive pipeline's logic.
"""
from __future__ import annotations

from collections.abc import AsyncIterator

from scrapy import Request

from crawler.sessions import redis_session_of


class ItemHandoffMiddleware:
    def __init__(self, crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def process_spider_output(self, response, result: AsyncIterator, spider=None):
        items = []
        try:
            async for obj in result:
                if isinstance(obj, Request):
                    self.crawler.engine.crawl(obj)
                else:
                    items.append(obj)
        finally:
            redis_session_of(self.crawler).hand_off(response.request, items)
        return
        yield  # an async generator that yields nothing: everything is handled here
