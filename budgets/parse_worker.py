"""`budgets parse-worker`: parse the documents a distributed crawl's writer hands out.

Runs on any machine that mounts the shared blob store (the crawl workers' `--blobs`), `jobs`
documents at a time, each in its own isolated worker process (`budgets.parse_pool`, the same
limits per file as `budgets reparse`). It takes a job by moving it into its in-flight list
and keeps a heartbeat; a result goes back to the writer in the same Redis transaction that
ends the job, so a worker killed at any point loses nothing (its jobs go back in line when
its heartbeat lapses) and the writer saves each result once (see `budgets.parse_queue`).
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from archive.blobs import BlobStore
from budgets.parse_job import DocumentJob
from budgets.parse_pool import JOBS_WAITING_PER_THREAD, ParsePool
from budgets.parse_queue import decode_job, encode_result
from crawler.distributed.keys import Keys
from parsers.version import PARSER_VERSION

logger = logging.getLogger(__name__)


class ParserMismatch(RuntimeError):
    """The writer asks for records of another parser version than this worker runs."""


class ParseWorker:
    def __init__(self, server, keys: Keys, blobs: BlobStore, jobs: int, worker_id: str,
                 heartbeat_ttl: float, idle_exit: float = 0.0) -> None:
        self.server = server
        self.keys = keys
        self.blobs = blobs
        self.jobs = jobs
        self.worker_id = worker_id
        self.heartbeat_ttl = heartbeat_ttl
        self.idle_exit = idle_exit
        self.parsed = 0
        self._held: dict[int, bytes] = {}  # id(job) -> the job as taken (to end it in Redis)
        self._stop_beating = threading.Event()

    @property
    def _inflight(self) -> str:
        return self.keys.parse_inflight(self.worker_id)

    def _beat(self) -> None:
        self.server.set(self.keys.parse_alive(self.worker_id), "1", px=int(self.heartbeat_ttl * 1000))

    def _beating(self) -> None:
        while not self._stop_beating.wait(max(0.2, self.heartbeat_ttl / 3)):
            try:
                self._beat()
            except Exception as exc:  # Redis gone for a moment: the next beat tries again
                logger.warning("heartbeat failed: %s", exc)

    def _crawl_running(self) -> bool:
        """While a crawl runs, more documents may come: an idle worker waits for them."""
        return self.server.hget(self.keys.crawl, "state") == b"running"

    def _take(self, pool: ParsePool, wait: float) -> bool:
        """Take one job (waiting up to `wait` s for one) and start it; False when there was none."""
        if wait:
            raw = self.server.blmove(self.keys.parse_jobs, self._inflight, wait, "LEFT", "RIGHT")
        else:
            raw = self.server.lmove(self.keys.parse_jobs, self._inflight, "LEFT", "RIGHT")
        if raw is None:
            return False
        version, job = decode_job(raw)
        if version != PARSER_VERSION:
            pipe = self.server.pipeline(transaction=True)
            pipe.lrem(self._inflight, 1, raw)
            pipe.lpush(self.keys.parse_jobs, raw)
            pipe.execute()
            raise ParserMismatch(f"the writer asks for parser {version}; this worker runs {PARSER_VERSION}: "
                                 "run the same version of budgets on both")
        self._held[id(job)] = raw
        pool.submit(job)
        return True

    def _finish(self, job: DocumentJob, record: str) -> None:
        pipe = self.server.pipeline(transaction=True)
        pipe.rpush(self.keys.parse_results, record)
        pipe.lrem(self._inflight, 1, self._held.pop(id(job)))
        pipe.execute()
        self.parsed += 1

    def run(self, should_stop: Callable[[], bool] = lambda: False) -> int:
        """Parse jobs until stopped (or, with `idle_exit`, until no crawl has run and no job has
        waited for that many seconds); returns how many were parsed."""
        self.server.sadd(self.keys.parse_workers, self.worker_id)
        self._beat()
        beat = threading.Thread(target=self._beating, name="heartbeat", daemon=True)
        beat.start()
        try:
            with ParsePool(self.blobs, self.jobs) as pool:
                idle_since: float | None = None
                while not should_stop():
                    while len(self._held) < JOBS_WAITING_PER_THREAD * pool.threads and self._take(pool, 0):
                        pass
                    if not self._held:
                        if self._take(pool, 1.0):
                            idle_since = None
                            continue
                        idle_since = None if self._crawl_running() else idle_since or time.monotonic()
                        if self.idle_exit and idle_since and time.monotonic() - idle_since >= self.idle_exit:
                            break
                        continue
                    idle_since = None
                    result = pool.next_result(timeout=0.5)
                    if result is not None:
                        self._finish(result.job, encode_result(result, self.worker_id))
                        logger.info("parsed %s (%d so far)", result.job.doc_id, self.parsed)
        finally:
            self._stop_beating.set()
            beat.join()
            # jobs still held (stopped mid-way) go back in line now rather than when the heartbeat lapses
            while self.server.lmove(self._inflight, self.keys.parse_jobs, "RIGHT", "LEFT"):
                pass
            self.server.srem(self.keys.parse_workers, self.worker_id)
            self.server.delete(self.keys.parse_alive(self.worker_id))
        return self.parsed
