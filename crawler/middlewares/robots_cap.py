"""robots.txt read up to BUDGETS_MAX_ROBOTSTXT bytes, as Google reads only its first 500 KiB.

An 83 MB robots.txt once took 1.65 GB of memory to parse. The download of a robots.txt stops
once more than the cap has arrived (Scrapy's `bytes_received` signal; `StopDownload(fail=False)`
keeps what came, so the rules in the first part are obeyed: a failed robots.txt download would
make Scrapy allow everything). The body is cut to its whole lines within the cap after
decompression and before it is archived and parsed, and the cut is recorded in the fetch log.
Rules past the cap are not seen, as with Google.

Only the robots.txt request Scrapy's RobotsTxtMiddleware makes is touched, and only when it is
over the cap: a robots.txt answered from the archive (a distributed worker answers one another
worker fetched) is left as it is unless it is itself over the cap.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from scrapy import Request, signals
from scrapy.exceptions import StopDownload
from scrapy.http import Response

from crawler.sessions import session_of

RECEIVED = "budgets_robots_bytes"


def is_robots_txt(request: Request) -> bool:
    """The robots.txt request Scrapy's RobotsTxtMiddleware makes (it alone skips the robots check)."""
    return bool(request.meta.get("dont_obey_robotstxt")) and urlsplit(request.url).path == "/robots.txt"


def cut_to_lines(body: bytes, limit: int) -> bytes:
    """The whole lines of `body` within its first `limit` bytes: a rule cut mid-line
    (`Allow: /se` of `Allow: /search/x`) would say something its author did not write."""
    head = body[:limit]
    end = max(head.rfind(b"\n"), head.rfind(b"\r"))
    return head[:end + 1] if end >= 0 else b""


class RobotsTxtCapMiddleware:
    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.limit = crawler.settings.getint("BUDGETS_MAX_ROBOTSTXT")

    @classmethod
    def from_crawler(cls, crawler):
        middleware = cls(crawler)
        crawler.signals.connect(middleware.bytes_received, signal=signals.bytes_received)
        return middleware

    def bytes_received(self, data: bytes, request: Request, spider=None) -> None:
        if not is_robots_txt(request):
            return
        request.meta[RECEIVED] = request.meta.get(RECEIVED, 0) + len(data)
        if request.meta[RECEIVED] > self.limit:
            raise StopDownload(fail=False)

    def process_response(self, request: Request, response: Response):
        if not is_robots_txt(request) or len(response.body) <= self.limit:
            return response
        session_of(self.crawler).record_failure(
            request, f"robots.txt larger than BUDGETS_MAX_ROBOTSTXT ({self.limit} bytes): only the lines "
                     f"in its first {self.limit} bytes were read")
        self.crawler.stats.inc_value("budgets/robots_txt_capped")
        return response.replace(body=cut_to_lines(response.body, self.limit))
