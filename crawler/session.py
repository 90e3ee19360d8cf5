"""The archive as one crawl process sees it: the run, its hosts, and the resume rule.

One `CrawlSession` per Scrapy crawler, shared by the spider, middlewares and pipeline.
"""
from __future__ import annotations

import ipaddress
import socket
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

from archive import Archive

# Roles of archived URLs that a later pass answers from the archive while they are fresh
# (checked less than BUDGETS_REVALIDATE_AFTER seconds ago): article pages and attachments
# rarely change. List and start pages, and stale stable ones, are asked for again with a
# conditional request (If-None-Match / If-Modified-Since); a 304 costs no body.
STABLE_ROLES = {"article", "attachment"}


def host_key(url: str) -> str:
    """Host and effective port: `127.0.0.1:8080`, `www.example.gov.cn:80`."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{(parts.hostname or '').lower()}:{port}"


def is_private_address(host: str) -> bool:
    """True when `host` is, or resolves to, a private, loopback, link-local or reserved address."""
    try:
        addrs = {ipaddress.ip_address(host)}
    except ValueError:
        try:
            infos = socket.getaddrinfo(host, None)
        except OSError:
            return False
        addrs = {ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos}
    return any(a.is_private or a.is_loopback or a.is_link_local or a.is_reserved or a.is_multicast
               or a.is_unspecified for a in addrs)


class CrawlSession:
    def __init__(self, data_dir: Path, start_urls: list[str], warc_every: int = 200,
                 revalidate_after: float = 7 * 86400) -> None:
        self.archive = Archive(data_dir)
        self.archive.recover()
        self.db = self.archive.db
        self.start_urls = list(start_urls)
        self.run_id, self.resumed_from = self.db.start_run(self.start_urls)
        self.allowed_hosts = {host_key(u) for u in self.start_urls}
        self.private_ok = any(is_private_address(urlsplit(u).hostname or "") for u in self.start_urls)
        self.warc_every = warc_every
        self.revalidate_after = revalidate_after
        self._since_checkpoint = 0
        self.served_from_archive = 0
        self.closed = False

    @classmethod
    def of(cls, crawler) -> "CrawlSession":
        """The crawler's session, created on first use from its settings and spider arguments."""
        session = getattr(crawler, "_budgets_session", None)
        if session is None:
            spider = crawler.spider
            session = cls(Path(crawler.settings.get("BUDGETS_DATA")), list(spider.start_urls),
                          crawler.settings.getint("BUDGETS_WARC_EVERY", 200),
                          crawler.settings.getfloat("BUDGETS_REVALIDATE_AFTER", 7 * 86400))
            crawler._budgets_session = session
        return session

    def plan(self, url: str) -> tuple[str, dict | None]:
        """How to get `url`: ("serve", state) from the archive, ("revalidate", state) with a
        conditional request, or ("fetch", None) when the archive does not have it."""
        state = self.db.url_state(url)
        if not state or not state["sha256"] or not self.archive.blobs.exists(state["sha256"]):
            return "fetch", None
        resumed = self.resumed_from is not None and state["last_run_id"] is not None \
            and state["last_run_id"] >= self.resumed_from
        if resumed or (state["role"] in STABLE_ROLES and self._age(state) < self.revalidate_after):
            return "serve", state
        return "revalidate", state

    @staticmethod
    def _age(state: dict) -> float:
        checked = state.get("last_checked") or state.get("last_seen")
        if not checked:
            return float("inf")
        when = datetime.strptime(checked, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
        return (datetime.now(timezone.utc) - when).total_seconds()

    def fetched(self) -> None:
        """Count a network fetch; write a WARC checkpoint every `warc_every` fetches."""
        self._since_checkpoint += 1
        if self._since_checkpoint >= self.warc_every:
            self.archive.warc.checkpoint()
            self._since_checkpoint = 0

    def close(self, stats: dict) -> None:
        if self.closed:
            return
        self.archive.warc.checkpoint()
        self.db.finish_run(self.run_id, stats)
        self.closed = True
