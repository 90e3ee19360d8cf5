"""A crawl worker: the portal spider on the shared frontier, for as long as there is work.

`run_worker` starts Scrapy with scrapy-redis's scheduler (leased queue, shared duplicate
filter), the per-host lease middleware and the hand-off middleware; `WorkerLifecycle`
keeps the worker's heartbeat, puts back the requests of dead workers, and keeps the spider
open while the frontier is empty (or closes it after `BUDGETS_IDLE_EXIT` seconds of a
globally empty frontier, for batch jobs and tests).
"""
from __future__ import annotations

import logging
import time
import warnings
from pathlib import Path

from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy.settings import Settings
from twisted.internet import task

from crawler import settings as defaults
from crawler.distributed import frontier
from crawler.distributed.keys import Keys
from crawler.sessions import session_of

logger = logging.getLogger(__name__)

# An idle worker asks the frontier for work this often (Scrapy's engine checks every 5 s).
IDLE_POLL_SECONDS = 0.5


class WorkerLifecycle:
    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.idle_exit = crawler.settings.getfloat("BUDGETS_IDLE_EXIT")
        self._idle_since: float | None = None
        self._beat: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler):
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    @property
    def session(self):
        return session_of(self.crawler)

    def spider_opened(self, spider) -> None:
        s = self.session
        s.server.sadd(s.keys.workers, s.worker_id)
        self.heartbeat()
        self._beat = task.LoopingCall(self.heartbeat)
        self._beat.start(max(0.5, s.heartbeat_ttl / 3), now=False)
        logger.info("worker %s on %s", s.worker_id, s.keys.prefix)

    def heartbeat(self) -> None:
        """Say this worker lives; give the requests of workers that stopped saying so back to the queue."""
        s = self.session
        try:
            s.server.set(s.keys.alive(s.worker_id), "1", px=int(s.heartbeat_ttl * 1000))
            moved = frontier.requeue_dead(s.server, s.keys)
        except Exception as exc:  # Redis away for a moment: the next beat tries again
            logger.error("heartbeat failed: %s", exc)
            return
        if moved:
            logger.warning("put %d requests of stopped workers back on the frontier", moved)

    def spider_idle(self, spider) -> None:
        if self.idle_exit:
            state = frontier.snapshot(self.session.server, self.session.keys)
            if state["queued"] == 0 and state["in_flight"] == 0:
                now = time.monotonic()
                self._idle_since = self._idle_since or now
                if now - self._idle_since >= self.idle_exit:
                    return  # let the spider close
            else:
                self._idle_since = None
        raise DontCloseSpider

    def spider_closed(self, spider, reason) -> None:
        if self._beat is not None and self._beat.running:
            self._beat.stop()
        s = self.session
        moved = frontier.requeue_own(s.server, s.keys, s.worker_id)
        if moved:
            logger.warning("put %d unfinished requests back on the frontier (%s)", moved, reason)


def worker_settings(redis_url: str, blobs: Path, prefix: str = defaults.BUDGETS_REDIS_PREFIX,
                    idle_exit: float = defaults.BUDGETS_IDLE_EXIT, overrides: dict | None = None) -> Settings:
    """The project's settings with the worker's session, the shared frontier, leases and hand-off switched on."""
    keys = Keys(prefix)
    settings = defaults.crawl_settings(Path(blobs).parent, overrides)
    updates = {
        "BUDGETS_SESSION_CLASS": "crawler.distributed.session.RedisSession",
        "BUDGETS_REDIS_URL": redis_url, "BUDGETS_REDIS_PREFIX": prefix, "BUDGETS_BLOBS": str(blobs),
        "BUDGETS_IDLE_EXIT": idle_exit,
        "REDIS_URL": redis_url,
        "SCHEDULER": "crawler.distributed.frontier.FrontierScheduler",
        "SCHEDULER_QUEUE_CLASS": "crawler.distributed.frontier.LeasedQueue",
        "SCHEDULER_QUEUE_KEY": keys.queue,
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_DUPEFILTER_KEY": keys.dupefilter,
        "SCHEDULER_PERSIST": True,
        "ITEM_PIPELINES": {},
        "SPIDER_MIDDLEWARES": {**settings.getdict("SPIDER_MIDDLEWARES"),
                               "crawler.distributed.handoff.ItemHandoffMiddleware": 10},
        "DOWNLOADER_MIDDLEWARES": {**settings.getdict("DOWNLOADER_MIDDLEWARES"),
                                   "crawler.middlewares.host_limit.HostLimitMiddleware": None,
                                   "crawler.distributed.politeness.HostLeaseMiddleware": 950},
        "EXTENSIONS": {**settings.getdict("EXTENSIONS"), "crawler.distributed.worker.WorkerLifecycle": 100},
        # the per-host delay is kept across workers by the host leases, not by each worker's slots
        "DOWNLOAD_DELAY": 0,
    }
    for name, value in updates.items():
        if name not in (overrides or {}):
            settings.set(name, value, priority="cmdline")
    return settings


def quiet_scrapy_redis() -> None:
    """scrapy-redis 0.9 calls Scrapy APIs that Scrapy 2.19 deprecates; they work, and the
    warnings say nothing a user can act on."""
    warnings.filterwarnings("ignore", module=r"scrapy_redis(\.|$)")
    warnings.filterwarnings("ignore", message=r".*scrapy_redis.*")


def run_worker(redis_url: str, blobs: Path, prefix: str = defaults.BUDGETS_REDIS_PREFIX,
               idle_exit: float = defaults.BUDGETS_IDLE_EXIT, overrides: dict | None = None) -> None:
    """Crawl from the shared frontier until stopped (or idle for `idle_exit` seconds)."""
    from scrapy.core.engine import ExecutionEngine
    from scrapy.crawler import CrawlerProcess

    from crawler.spiders.portal import PortalWorkerSpider

    quiet_scrapy_redis()
    ExecutionEngine._SLOT_HEARTBEAT_INTERVAL = IDLE_POLL_SECONDS
    process = CrawlerProcess(worker_settings(redis_url, blobs, prefix, idle_exit, overrides))
    process.crawl(PortalWorkerSpider)
    process.start()
