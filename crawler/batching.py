"""A local crawl's archive writes committed in batches, twice a second, not one by one.

Per response a crawl wrote a blob (with its own fsync) and committed several transactions
(fetch, page, decision, document, URL role). Here, once the crawl's session exists, its
blobs are staged (fsynced by a background thread meanwhile) and its writes held in one
transaction; every `BUDGETS_COMMIT_EVERY` seconds the staged blobs, once their fsyncs are
done, are renamed, then the transaction is committed (see
`archive.db.ArchiveDB.hold_commits`, `archive.blobs.BlobStore.sync_staged`). A crawl killed
with kill -9 loses only the responses since the last commit, whole: no row of them and no
blob under its real name is left, the resumed run fetches them again, and everything
committed names blobs already durable. WARC checkpoints and the end of the run commit first.
"""
from __future__ import annotations

import logging
import sqlite3

from twisted.internet import task

from crawler import settings as defaults
from crawler.session import CrawlSession
from crawler.sessions import built_session

logger = logging.getLogger(__name__)

class BatchedCommits:
    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.session: CrawlSession | None = None
        self._loop = task.LoopingCall(self.tick)

    def start(self) -> None:
        every = self.crawler.settings.getfloat("BUDGETS_COMMIT_EVERY", defaults.BUDGETS_COMMIT_EVERY)
        self._loop.start(every, now=False)

    def tick(self) -> None:
        """Hold the session's writes once it exists; after that, commit what each interval held."""
        if self.session is None:
            session = built_session(self.crawler)
            if isinstance(session, CrawlSession) and not session.closed:
                self.session = session
                session.blobs.staging = True
                session.db.hold_commits(session.blobs.sync_staged)
            return
        try:
            self.session.db.flush()
        except (sqlite3.Error, OSError) as exc:  # a full disk: the writes stay held, the next tick tries again
            logger.error("could not commit the last %.1f s of the crawl, trying again: %s", self._loop.interval, exc)

    def stop(self) -> None:
        """Commit what is held and go back to committing each write (the run's end is written so)."""
        if self._loop.running:
            self._loop.stop()
        if self.session is not None:
            self.session.db.release_commits()
            self.session.blobs.stop_staging()
