"""Baseline for bench/crawl.py: a bare Scrapy spider that follows the same links and discards bodies.

It uses the same discovery functions as the portal spider (so both walk the same pages
and attachments) but archives, judges and records nothing.
"""
from __future__ import annotations

import json
from pathlib import Path

import scrapy

from charsets import decode_html
from crawler.discovery.article import parse_article
from crawler.discovery.hanweb import dataproxy_requests, extract_datastore_links, find_jpage_sources, parse_dataproxy
from crawler.discovery.links import extract_links
from crawler.discovery.pagers import extract_pager_urls
from crawler.hosts import host_key
from crawler.spiders.portal import header_charset, looks_like_html, split_urls


class BareSpider(scrapy.Spider):
    name = "bare"
    custom_settings = {  # noqa: RUF012 - Scrapy's own attribute, read off the class
        "TELNETCONSOLE_ENABLED": False, "ROBOTSTXT_OBEY": True, "COOKIES_ENABLED": False}

    def __init__(self, start_urls: str = "", stats_file: str = "", **kwargs) -> None:
        super().__init__(**kwargs)
        self.start_urls = split_urls(start_urls)
        self.hosts = {host_key(u) for u in self.start_urls}
        self.stats_file = stats_file

    def closed(self, reason: str) -> None:
        """Leave Scrapy's counters where bench/crawl.py reads them (it counts responses the same way for both)."""
        if self.stats_file:
            Path(self.stats_file).write_text(json.dumps(self.crawler.stats.get_stats(), default=str))

    def parse(self, response):
        if not looks_like_html(response):
            return
        html, enc = decode_html(response.body, header_charset(response))
        links = extract_links(html, response.url, enc) + extract_datastore_links(html, response.url, enc)
        article = parse_article(html, response.url)
        for url in extract_pager_urls(html, response.url, encoding=enc):
            if host_key(url) in self.hosts:
                yield scrapy.Request(url)
        for source in find_jpage_sources(html, response.url):
            yield from self._proxy(source, None)
        yield from self._follow(links, article.is_list_page)

    def _proxy(self, source, total):
        for req in dataproxy_requests(source, total_record=total):
            yield scrapy.FormRequest(req.url, formdata=req.formdata, method=req.method, callback=self.parse_proxy,
                                     meta={"source": source, "known": total is not None})

    def parse_proxy(self, response):
        xml, enc = decode_html(response.body, header_charset(response))
        page = parse_dataproxy(xml, response.url, enc)
        yield from self._follow(page.links, True)
        if not response.meta["known"] and page.total_record is not None:
            yield from self._proxy(response.meta["source"], page.total_record)

    def _follow(self, links, is_list_page: bool):
        for link in links:
            if host_key(link.url) not in self.hosts:
                continue
            if not link.is_attachment:
                yield scrapy.Request(link.url)
            elif not is_list_page:
                yield scrapy.Request(link.url, callback=self.discard)

    def discard(self, response):
        return None
