"""Scrapy's RobotsTxtMiddleware, with robots.txt applied to every request that waited for it.

While a host's robots.txt downloads, Scrapy 2.19 keeps a Deferred for it, and each further
request to that host awaits that one Deferred. On the asyncio reactor awaiting it goes through
Twisted's `Deferred.asFuture`, which consumes the result: the first waiter gets the parser,
every later one gets None, which Scrapy reads as "no robots.txt" and lets through unchecked.
So a crawl starting with several requests to one host (a distributed worker taking many from
the frontier at once) fetched pages robots.txt forbids, now and then. Here each waiter waits on
a Deferred of its own, fired by the shared one without consuming it, then reads the parser (or
None, when robots.txt could not be fetched) that Scrapy stored for the host.
"""
from __future__ import annotations

from scrapy import Request
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware as ScrapyRobotsTxtMiddleware
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred


class RobotsTxtMiddleware(ScrapyRobotsTxtMiddleware):
    async def robot_parser(self, request: Request):
        netloc = urlparse_cached(request).netloc
        pending = self._parsers.get(netloc)
        if not isinstance(pending, Deferred):
            return await super().robot_parser(request)
        mine: Deferred = Deferred()

        def pass_on(result):
            mine.callback(None)
            return result  # left for the next waiter

        pending.addBoth(pass_on)
        await maybe_deferred_to_future(mine)
        return self._parsers[netloc]  # set by Scrapy before it fired the shared Deferred
