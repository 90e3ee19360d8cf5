"""Check the address a connection really goes to, not an earlier lookup of its name.

The host guard middleware refuses private, loopback and link-local targets before a request
is sent, with a clear reason; but it resolves the name itself, and Scrapy resolves it again
to connect. A name that answers a public address to the first lookup and 127.0.0.1 to the
second (DNS rebinding) would slip through. This resolver, installed as Scrapy's
TWISTED_DNS_RESOLVER, checks every answer a connection is made with: a private answer for a
name the crawl may not reach privately fails the lookup, and the request fails with it.
"""
from __future__ import annotations

import logging

from scrapy.resolver import CachingThreadedResolver
from twisted.internet.error import DNSLookupError

from crawler.addresses import is_private_address
from crawler.sessions import session_of

logger = logging.getLogger(__name__)


class GuardedResolver(CachingThreadedResolver):
    process: object = None  # the CrawlerProcess, set by from_crawler

    @classmethod
    def from_crawler(cls, crawler, reactor):
        resolver = super().from_crawler(crawler, reactor)
        resolver.process = crawler  # Scrapy hands the CrawlerProcess here: one resolver per reactor
        return resolver

    def getHostByName(self, name, timeout=()):
        d = super().getHostByName(name, timeout)
        d.addCallback(self._refuse_private, name)
        return d

    def _refuse_private(self, address: str, name: str) -> str:
        if is_private_address(address) and not all(self._allows(crawler, name) for crawler in self._crawlers()):
            # Twisted reports any failed lookup as "no results" to the request: say why here
            reason = f"refused: {name} resolved to {address}, a private, loopback or link-local address"
            logger.error(reason)
            raise DNSLookupError(reason)
        return address

    def _crawlers(self) -> list:
        return [c for c in getattr(self.process, "crawlers", ()) if getattr(c, "spider", None) is not None]

    @staticmethod
    def _allows(crawler, name: str) -> bool:
        return session_of(crawler).private.hostname(name)
