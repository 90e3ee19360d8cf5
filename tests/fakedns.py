"""A name server that changes its answer: DNS is outside this machine, so the tests play it.

`rebind.invalid` fails to resolve through the system (the `.invalid` top-level domain never
exists), which the host guard reads as "not a private address"; Scrapy's own lookup, through
this resolver, then answers 127.0.0.1, as a rebinding name server would on its second answer.
"""
from __future__ import annotations

from scrapy.resolver import CachingThreadedResolver
from twisted.internet import defer

from crawler.resolver import GuardedResolver

REBINDING_NAME = "rebind.invalid"


class _RebindingNameServer(CachingThreadedResolver):
    def getHostByName(self, name, timeout=()):
        if name == REBINDING_NAME:
            return defer.succeed("127.0.0.1")
        return super().getHostByName(name, timeout)


class RebindingResolver(GuardedResolver, _RebindingNameServer):
    """The project's resolver over the rebinding name server."""


class UnguardedRebindingResolver(_RebindingNameServer):
    """Scrapy's resolver over the rebinding name server: what the crawl would do without the check."""
