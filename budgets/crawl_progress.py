"""A Scrapy extension that shows the crawl's progress (responses, rate) while `budgets crawl` runs."""
from __future__ import annotations

from scrapy import signals

from budgets.progress import Progress


class CrawlProgress:
    def __init__(self) -> None:
        self.progress = Progress("crawl: responses")

    @classmethod
    def from_crawler(cls, crawler):
        ext = cls()
        crawler.signals.connect(ext.response_received, signal=signals.response_received)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def response_received(self, response, request, spider) -> None:
        self.progress.advance()

    def spider_closed(self, spider) -> None:
        self.progress.finish()
