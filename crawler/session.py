"""The archive as one crawl process sees it: the run, its hosts, and the resume rule.

One `CrawlSession` per Scrapy crawler, shared by the spider, middlewares and pipeline.
"""
from __future__ import annotations

import ipaddress
import logging
import socket
import sqlite3
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

from archive import Archive

# Roles of archived URLs that a later pass answers from the archive while they are fresh
# (checked less than BUDGETS_REVALIDATE_AFTER seconds ago): article pages and attachments
# rarely change. List and start pages, and stale stable ones, are asked for again with a
# conditional request (If-None-Match / If-Modified-Since); a 304 costs no body.
STABLE_ROLES = {"article", "attachment"}

logger = logging.getLogger(__name__)


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
    # `not is_global` adds what the named classes miss, e.g. carrier-grade NAT 100.64.0.0/10
    return any(a.is_private or a.is_loopback or a.is_link_local or a.is_reserved or a.is_multicast
               or a.is_unspecified or not a.is_global for a in addrs)


def error_text(exc: BaseException) -> str:
    """`Type: message`, with the class's own description when the message is empty (Scrapy's
    ResponseDataLossError, raised for a body cut short, carries none)."""
    message = str(exc) or (type(exc).__doc__ or "").strip().split("\n")[0]
    return f"{type(exc).__name__}: {message}"


def private_rule(start_urls: list[str], allow: str = "auto") -> Callable[[str], bool]:
    """Which request URLs may go to a private, loopback or link-local address (BUDGETS_ALLOW_PRIVATE).

    "auto": all of them when a start URL is itself private (an intranet or loopback portal),
    none otherwise; "never": none; else a comma-separated list of host:port that may, and no
    other (so a portal on loopback can be crawled as if it were public, e.g. in tests).
    """
    allow = (allow or "auto").strip().lower()
    if allow == "auto":
        ok = any(is_private_address(urlsplit(u).hostname or "") for u in start_urls)
        return lambda url: ok
    hosts = set() if allow == "never" else {h.strip() for h in allow.split(",") if h.strip()}
    return lambda url: host_key(url) in hosts


class CrawlSession:
    def __init__(self, data_dir: Path, start_urls: list[str], warc_every: int = 200,
                 revalidate_after: float = 7 * 86400, allow_private: str = "auto") -> None:
        self.archive = Archive(data_dir)
        self.archive.recover()
        self.db = self.archive.db
        self.start_urls = list(start_urls)
        self.run_id, self.resumed_from = self.db.start_run(self.start_urls)
        self.allowed_hosts = {host_key(u) for u in self.start_urls}
        self.private_allowed = private_rule(self.start_urls, allow_private)
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
                          crawler.settings.getfloat("BUDGETS_REVALIDATE_AFTER", 7 * 86400),
                          crawler.settings.get("BUDGETS_ALLOW_PRIVATE", "auto"))
            crawler._budgets_session = session
        return session

    def plan(self, url: str) -> tuple[str, dict | None]:
        """How to get `url`: ("resume", state) or ("fresh", state) from the archive,
        ("revalidate", state) with a conditional request, or ("fetch", None) when the archive
        does not have it. "resume" re-plays what a killed run archived but may not have
        finished handling; "fresh" is a stable page or file handled in an earlier pass."""
        state = self.db.url_state(url)
        if not state or not state["sha256"] or not self.archive.blobs.exists(state["sha256"]):
            return "fetch", None
        if self.resumed_from is not None and state["last_run_id"] is not None \
                and state["last_run_id"] >= self.resumed_from:
            return "resume", state
        if state["role"] in STABLE_ROLES and self._age(state) < self.revalidate_after:
            return "fresh", state
        return "revalidate", state

    @staticmethod
    def _age(state: dict) -> float:
        checked = state.get("last_checked") or state.get("last_seen")
        if not checked:
            return float("inf")
        when = datetime.strptime(checked, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
        return (datetime.now(timezone.utc) - when).total_seconds()

    def record_failure(self, request, error: str) -> None:
        """Log a request that failed, once per attempt.

        Middlewares log each failed attempt as it happens; a failure raised while a response
        is processed (a redirect loop, a decompression bomb, a full disk) reaches only the
        request's errback, which logs it here too; the mark keeps an attempt from being logged twice.
        """
        if request.meta.get("budgets_failure_logged") == id(request):
            return
        request.meta["budgets_failure_logged"] = id(request)
        origin = (request.meta.get("redirect_urls") or [None])[0]
        try:
            self.db.record_fetch({"run_id": self.run_id, "url": origin or request.url, "final_url": request.url,
                                  "method": request.method, "error": error[:500], "role": request.meta.get("role")})
        except (sqlite3.Error, OSError) as exc:  # a full disk: say so, and let the crawl go on
            logger.error("could not log the failure of %s (%s): %s", request.url, error, exc)

    def fetched(self) -> None:
        """Count a network fetch; write a WARC checkpoint every `warc_every` fetches."""
        self._since_checkpoint += 1
        if self._since_checkpoint >= self.warc_every:
            self._checkpoint()
            self._since_checkpoint = 0

    def _checkpoint(self) -> str | None:
        """Write pending WARC records; on a write error (a full disk) say why and go on.

        The bodies are safe in the blob store and their fetches stay marked unwritten, so the
        next checkpoint (later in this crawl, the next crawl, or `budgets verify --repair`)
        writes them; failing the response or the run here would lose what was archived.
        """
        try:
            self.archive.warc.checkpoint()
        except OSError as exc:
            logger.error("WARC checkpoint failed, records left for the next one: %s", exc)
            return f"{type(exc).__name__}: {exc}"
        return None

    def close(self, stats: dict) -> None:
        if self.closed:
            return
        error = self._checkpoint()
        if error:
            stats = {**stats, "budgets/warc_checkpoint_error": error}
        self.db.finish_run(self.run_id, stats)
        self.closed = True
