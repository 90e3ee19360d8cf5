"""`budgets crawl --redis`: start a crawl on the shared frontier and follow it to its end.

Seeding opens a new crawl: a new id, its config (portals, regions, exclusions, per-host
limits) for the workers, an empty duplicate filter, a `crawl_start` message for the ingest
writer, then the start pages on the queue. The crawl ends when the ingest writer has written
everything the workers found (see `budgets.ingest`); the writer leaves the summary here.
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable

from scrapy import Request

from crawler.distributed import frontier
from crawler.distributed.keys import Keys, live_members
from crawler.distributed.session import CrawlConfig, crawl_fields, crawl_stats
from crawler.distributed.worker import quiet_scrapy_redis


class CrawlInProgress(RuntimeError):
    """The shared frontier still holds another crawl's work."""


def crawl_in_progress(server, keys: Keys) -> str | None:
    """Why a new crawl cannot start now, or None."""
    crawl = crawl_fields(server, keys)
    if crawl.get("state") not in ("seeding", "running"):
        return None
    frontier.requeue_dead(server, keys)
    state = frontier.snapshot(server, keys)
    if not (state["queued"] or state["in_flight"]):
        return None  # nothing left to fetch; the writer ends that crawl's run when it reaches the new one
    return (f"crawl {crawl['id']} is still running: {state['queued']} requests queued, "
            f"{state['in_flight']} in flight, {state['items'] + state['ingesting']} items for the writer, "
            f"{state['workers']} workers alive")


def abandon_crawl(server, keys: Keys) -> None:
    """Drop the current crawl's frontier; the ingest writer ends its run with what it has."""
    pipe = server.pipeline(transaction=True)
    pipe.delete(keys.queue, keys.dupefilter)
    for worker in server.smembers(keys.workers):
        pipe.delete(keys.inflight(worker.decode()))
    pipe.execute()


def seed_crawl(server, keys: Keys, config: CrawlConfig) -> int:
    """Open a crawl with `config` and queue its start pages; return its id."""
    from scrapy_redis.dupefilter import RFPDupeFilter
    from scrapy_redis.queue import PriorityQueue

    from crawler.spiders.portal import PortalWorkerSpider

    quiet_scrapy_redis()
    busy = crawl_in_progress(server, keys)
    if busy:
        raise CrawlInProgress(busy)
    previous = server.hget(keys.crawl, "id")
    crawl_id = int(server.incr(keys.crawl_ids))
    config.crawl_id = crawl_id
    pipe = server.pipeline(transaction=True)
    pipe.delete(keys.dupefilter, keys.crawl)
    if previous:
        pipe.delete(keys.attachments(int(previous)))
    pipe.hset(keys.crawl, mapping={"id": crawl_id, "state": "seeding", "config": config.to_json(),
                                   "started": time.time()})
    pipe.rpush(keys.items, json.dumps({"id": f"crawl-start-{crawl_id}", "kind": "crawl_start", "crawl": crawl_id,
                                       "start_urls": config.start_urls}, ensure_ascii=False))
    pipe.execute()

    spider = PortalWorkerSpider()  # names the callbacks in the queued requests
    queue = PriorityQueue(server, spider, keys.queue)
    seen = RFPDupeFilter(server, keys.dupefilter)
    for url in config.start_urls:
        request = Request(url, callback=spider.parse_page, errback=spider.request_failed, meta={"role": "start"})
        if not seen.request_seen(request):
            queue.push(request)
    server.hset(keys.crawl, "state", "running")
    return crawl_id


def wait_for_crawl(server, keys: Keys, crawl_id: int, show: Callable[[dict], None], poll: float = 1.0) -> dict:
    """Block until the writer has ended crawl `crawl_id`; `show` gets the frontier's state each poll."""
    while True:
        crawl = crawl_fields(server, keys)
        if crawl.get("id") != str(crawl_id):
            raise CrawlInProgress(f"crawl {crawl_id} was replaced by crawl {crawl.get('id')}")
        if crawl.get("state") == "finished":
            return {"run_id": int(crawl["run_id"]), "report": crawl.get("report", ""),
                    "summary": json.loads(crawl["summary"])}
        frontier.requeue_dead(server, keys)
        show(frontier.snapshot(server, keys))
        time.sleep(poll)


def crawl_status(server, keys: Keys) -> dict:
    """The current crawl and its frontier, workers and writer, as `budgets status` shows them."""
    frontier.requeue_dead(server, keys)
    crawl = crawl_fields(server, keys)
    status: dict = {"crawl": int(crawl["id"]) if crawl.get("id") else None, "state": crawl.get("state"),
                    "started": float(crawl["started"]) if crawl.get("started") else None,
                    **frontier.snapshot(server, keys), "failed_items": server.llen(keys.items_failed),
                    "live_workers": live_members(server, keys.workers, keys.alive)}
    status["parse"] = {"queued": server.llen(keys.parse_jobs), "pending": server.hlen(keys.parse_pending),
                       "live_workers": live_members(server, keys.parse_workers, keys.parse_alive)}
    if status["crawl"]:
        status["stats"] = crawl_stats(server, keys, status["crawl"])
    if crawl.get("state") == "finished":
        status["run_id"] = int(crawl["run_id"])
    return status
