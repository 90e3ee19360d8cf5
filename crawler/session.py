"""The archive as one crawl process sees it: the run, its hosts, and the resume rule.

One session per Scrapy crawler, shared by the spider, middlewares and pipeline. The spider
and middlewares use only the methods of `crawler.session_interface.Session` (`allows`, `plan`,
`store_fetch`, ...), which a distributed worker's `crawler.distributed.session.RedisSession`
provides too: there the archive is reached through Redis and a single ingest writer instead
of archive.db. Only the local pipeline uses the rest (`db`, `run_id`, `close`).
"""
from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

from archive import Archive
from crawler.addresses import is_private_address
from crawler.session_interface import Session

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


def error_text(exc: BaseException) -> str:
    """`Type: message`, with the class's own description when the message is empty (Scrapy's
    ResponseDataLossError, raised for a body cut short, carries none)."""
    message = str(exc) or (type(exc).__doc__ or "").strip().split("\n")[0]
    return f"{type(exc).__name__}: {message}"


class PrivateRule:
    """Which requests may go to a private, loopback or link-local address (BUDGETS_ALLOW_PRIVATE).

    "auto": all of them when a start URL is itself private (an intranet or loopback portal),
    none otherwise (`resolve_auto` says which); "all"; "never": none; else a comma-separated
    list of host:port that may, and no other (so a portal on loopback can be crawled as if it
    were public, e.g. in tests).
    """

    def __init__(self, start_urls: list[str], allow: str = "auto") -> None:
        allow = self.resolve_auto(start_urls, allow)
        self.everything = allow == "all"
        self.hosts = set() if allow in ("all", "never") else {h.strip() for h in allow.split(",") if h.strip()}

    @staticmethod
    def resolve_auto(start_urls: list[str], allow: str) -> str:
        """"auto" made definite ("all" or "never") by looking the start hosts up; others as given."""
        allow = (allow or "auto").strip().lower()
        if allow != "auto":
            return allow
        return "all" if any(is_private_address(urlsplit(u).hostname or "") for u in start_urls) else "never"

    def url(self, url: str) -> bool:
        return self.everything or host_key(url) in self.hosts

    def hostname(self, name: str) -> bool:
        """For a name being resolved (the port is not known there): any listed port will do."""
        return self.everything or any(h.rsplit(":", 1)[0] == name.lower() for h in self.hosts)


def private_rule(start_urls: list[str], allow: str = "auto") -> Callable[[str], bool]:
    """`PrivateRule(...).url`: may this request URL go to a private address."""
    return PrivateRule(start_urls, allow).url


def state_age(state: dict) -> float:
    """Seconds since the archive last checked a URL with its server."""
    checked = state.get("last_checked") or state.get("last_seen")
    if not checked:
        return float("inf")
    when = datetime.strptime(checked, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
    return (datetime.now(timezone.utc) - when).total_seconds()


def plan_from_state(state: dict | None, blob_exists: Callable[[str], bool], replayed: bool,
                    revalidate_after: float) -> tuple[str, dict | None]:
    """How to get a URL the archive knows as `state`: ("resume", state) when this crawl already
    fetched it (`replayed`), ("fresh", state) for a stable page or file checked recently, both
    answered from the archive; ("revalidate", state) with a conditional request; ("fetch", None)
    when the archive does not have it."""
    if not state or not state["sha256"] or not blob_exists(state["sha256"]):
        return "fetch", None
    if replayed:
        return "resume", state
    if state["role"] in STABLE_ROLES and state_age(state) < revalidate_after:
        return "fresh", state
    return "revalidate", state


def first_failure_report(request) -> bool:
    """True the first time a failure of this request (this attempt) is reported; marks it."""
    if request.meta.get("budgets_failure_logged") == id(request):
        return False
    request.meta["budgets_failure_logged"] = id(request)
    return True


# meta key: the target of a redirect refused before Scrapy rewrote it, as the response wrote it
REFUSED_TARGET = "budgets_refused_target"


def failure_row(request, error: str) -> dict:
    """The fetches row of a failed request."""
    origin = (request.meta.get("redirect_urls") or [None])[0]
    # a refused redirect names its target as the Location header wrote it (crawler.middlewares.guard)
    final = request.meta.get(REFUSED_TARGET) or request.url
    return {"url": origin or request.url, "final_url": final, "method": request.method,
            "error": error[:500], "role": request.meta.get("role")}


class CrawlSession:
    def __init__(self, data_dir: Path, start_urls: list[str], warc_every: int = 200,
                 revalidate_after: float = 7 * 86400, allow_private: str = "auto",
                 exclude: dict[str, list[str]] | None = None) -> None:
        self.archive = Archive(data_dir)
        self.archive.recover()
        self.db = self.archive.db
        self.blobs = self.archive.blobs
        self.start_urls = list(start_urls)
        self.run_id, self.resumed_from = self.db.start_run(self.start_urls)
        self.allowed_hosts = {host_key(u) for u in self.start_urls}
        self.private = PrivateRule(self.start_urls, allow_private)
        self.private_allowed = self.private.url
        self.exclude = exclude or {}
        self.warc_every = warc_every
        self.revalidate_after = revalidate_after
        self._since_checkpoint = 0
        self.closed = False

    @classmethod
    def of(cls, crawler) -> Session:
        """The crawler's session, created on first use from its settings and spider arguments:
        a `RedisSession` for a distributed worker (BUDGETS_REDIS_URL set), else a local one."""
        session = getattr(crawler, "_budgets_session", None)
        if session is None:
            settings = crawler.settings
            if settings.get("BUDGETS_REDIS_URL"):
                from crawler.distributed.session import RedisSession

                session = RedisSession.from_crawler(crawler)
            else:
                session = cls(Path(settings.get("BUDGETS_DATA")), list(crawler.spider.start_urls),
                              settings.getint("BUDGETS_WARC_EVERY", 200),
                              settings.getfloat("BUDGETS_REVALIDATE_AFTER", 7 * 86400),
                              settings.get("BUDGETS_ALLOW_PRIVATE", "auto"),
                              settings.getdict("BUDGETS_EXCLUDE"))
            if not isinstance(session, Session):
                raise TypeError(f"{type(session).__name__} lacks part of crawler.session_interface.Session")
            crawler._budgets_session = session
        return session

    @classmethod
    def local(cls, crawler) -> "CrawlSession":
        """The session of a local crawl, for the parts only it has (the archive pipeline)."""
        session = cls.of(crawler)
        if not isinstance(session, CrawlSession):
            raise TypeError(f"a local crawl's session is wanted here, not a {type(session).__name__}")
        return session

    # -- what the crawl may fetch -------------------------------------------------
    def allows(self, url: str) -> bool:
        """`url` is on one of the crawl's hosts."""
        return host_key(url) in self.allowed_hosts

    def excluded(self, url: str) -> bool:
        """The portal registry excludes `url`'s path on its host."""
        path = urlsplit(url).path or "/"
        return any(path.startswith(prefix) for prefix in self.exclude.get(host_key(url), ()))

    def plan(self, url: str) -> tuple[str, dict | None]:
        """How to get `url`: see `plan_from_state`. "resume" re-plays what a killed run
        archived but may not have finished handling."""
        state = self.db.url_state(url)
        replayed = bool(state) and self.resumed_from is not None and state["last_run_id"] is not None \
            and state["last_run_id"] >= self.resumed_from
        if not state and self.resumed_from is not None:
            # a 404 or 410 the interrupted run already had is its answer, not a reason to ask again
            gone = self.db.gone_since(url, self.resumed_from)
            if gone and self.blobs.exists(gone["sha256"]):
                return "resume", gone
        return plan_from_state(state, self.blobs.exists, replayed, self.revalidate_after)

    # -- what the archive is told ------------------------------------------------------
    def served(self, url: str) -> None:
        """`url` was answered from the archive in this run."""
        self.db.touch_url(url, self.run_id)

    def blob(self, sha256: str) -> bytes:
        return self.blobs.get(sha256)

    def not_modified(self, row: dict) -> None:
        """A 304: the archived body is still current."""
        self.db.revalidated({"run_id": self.run_id, **row})

    def store_fetch(self, row: dict, body: bytes) -> str:
        """Keep a fetched body and log its fetch; return the body's sha256."""
        sha = self.blobs.put(body)
        self.db.record_fetch({"run_id": self.run_id, **row, "sha256": sha, "bytes": len(body)},
                             self.blobs.relpath(sha))
        self.fetched()
        return sha

    def article_complete(self, url: str) -> bool:
        return self.db.article_complete(url)

    async def attachment_claim(self, url: str):
        """Another crawl process's result for attachment `url`, or None: fetch it here.
        One process has no other, so always None."""
        return None

    def attachment_done(self, url: str, result) -> None:
        """The result of fetching attachment `url`; nothing to share in one process."""

    def request_done(self, request) -> None:
        """A request ended in its errback; in one process the pipeline has all there is."""

    def record_failure(self, request, error: str) -> None:
        """Log a request that failed, once per attempt.

        Middlewares log each failed attempt as it happens; a failure raised while a response
        is processed (a redirect loop, a decompression bomb, a full disk) reaches only the
        request's errback, which logs it here too; the mark keeps an attempt from being logged twice.
        """
        if not first_failure_report(request):
            return
        try:
            self.db.record_fetch({"run_id": self.run_id, **failure_row(request, error)})
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

    def close(self, stats: dict, stopped: bool = False) -> None:
        """End the run; one `stopped` before its end (SIGINT, SIGTERM) is resumed by the next."""
        if self.closed:
            return
        error = self._checkpoint()
        if error:
            stats = {**stats, "budgets/warc_checkpoint_error": error}
        self.db.finish_run(self.run_id, stats, "stopped" if stopped else "finished")
        self.closed = True
