"""Fetch one archived URL again, for `budgets verify --repair`, by the crawl's own rules.

The archive never touches the network: a repair that needs a lost body back asks this
(passed in as `archive.verify`'s `refetch`), which keeps to the hosts of the run that
fetched the URL first and to the crawl's user agent, timeout and size limit.
"""
from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Callable

from crawler import settings
from crawler.hosts import run_host_rule


def http_get(url: str, allowed: Callable[[str], bool]) -> bytes | None:
    """GET `url` once if `allowed(url)`, redirects not followed, body refused beyond the crawl's size limit."""
    if not allowed(url):
        return None

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(url, headers={"User-Agent": settings.USER_AGENT, "Accept-Encoding": "identity"})
    try:
        with opener.open(request, timeout=settings.DOWNLOAD_TIMEOUT) as response:
            if response.status != 200:
                return None
            body = response.read(settings.DOWNLOAD_MAXSIZE + 1)
    except (OSError, urllib.error.URLError, ValueError):
        return None
    return body if len(body) <= settings.DOWNLOAD_MAXSIZE else None


def refetch(url: str, start_urls: list[str]) -> bytes | None:
    """`url`'s body now, if the run that started from `start_urls` could fetch it; else None."""
    return http_get(url, run_host_rule(start_urls))
