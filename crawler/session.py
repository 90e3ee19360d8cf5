"""The archive as one crawl process sees it: the run, its hosts, what it already holds.

One session per Scrapy crawler (made by `crawler.sessions` when BUDGETS_SESSION_CLASS names
this class, the default), shared by the spider, middlewares and pipeline. The spider
and middlewares use only the methods of `crawler.session_interface.Session` (`allows`, `plan`,
`store_fetch`, ...), which a distributed worker's `crawler.distributed.session.RedisSession`
provides too: there the archive is reached through Redis and a single ingest writer instead
of archive.db. Only the local pipeline uses the rest (`db`, `run_id`, `close`).
"""
from __future__ import annotations

import logging
import sqlite3
from pathlib import Path
from urllib.parse import urlsplit

from archive import Archive
from crawler import settings as defaults
from crawler.failures import failure_row, first_failure_report
from crawler.hosts import PrivateRule, host_key
from crawler.resume import plan_from_state
from crawler.sessions import session_of

logger = logging.getLogger(__name__)


class CrawlSession:
    def __init__(self, data_dir: Path, start_urls: list[str], warc_every: int = defaults.BUDGETS_WARC_EVERY,
                 revalidate_after: float = defaults.BUDGETS_REVALIDATE_AFTER,
                 allow_private: str = defaults.BUDGETS_ALLOW_PRIVATE,
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
    def from_crawler(cls, crawler) -> CrawlSession:
        """A local crawl's session, from its settings and spider arguments (see crawler.sessions)."""
        settings = crawler.settings
        return cls(Path(settings.get("BUDGETS_DATA")), list(crawler.spider.start_urls),
                   settings.getint("BUDGETS_WARC_EVERY"), settings.getfloat("BUDGETS_REVALIDATE_AFTER"),
                   settings.get("BUDGETS_ALLOW_PRIVATE"), settings.getdict("BUDGETS_EXCLUDE"))

    @classmethod
    def local(cls, crawler) -> CrawlSession:
        """The session of a local crawl, for the parts only it has (the archive pipeline)."""
        session = session_of(crawler)
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
        replayed = bool(state and self.resumed_from is not None and state["last_run_id"] is not None
                        and state["last_run_id"] >= self.resumed_from)
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
