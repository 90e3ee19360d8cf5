"""Names of everything a distributed crawl keeps in Redis, and the connection to it."""
from __future__ import annotations

import hashlib
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import redis

from crawler import settings as defaults


def connect(url: str) -> redis.Redis:
    """A client for `url` that fails fast with a clear error when Redis is not there."""
    client = redis.Redis.from_url(url, socket_connect_timeout=10, socket_timeout=60, health_check_interval=30)
    try:
        client.ping()
    except redis.RedisError as exc:
        raise ConnectionError(f"cannot reach Redis at {url}: {exc}") from exc
    return client


def live_members(server, members: str, alive: Callable[[str], str]) -> list[str]:
    """The workers registered in the set `members` whose heartbeat key `alive(id)` still exists."""
    return sorted(w.decode() for w in server.smembers(members) if server.exists(alive(w.decode())))


def new_worker_id() -> str:
    """A worker's name: its machine, and a random part so several workers may share one."""
    return f"{socket.gethostname()}-{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class Keys:
    """All keys share one prefix, so several projects can share a Redis database."""

    prefix: str = defaults.BUDGETS_REDIS_PREFIX

    @property
    def queue(self) -> str:
        """Sorted set of pickled requests (scrapy-redis PriorityQueue), score = -priority."""
        return f"{self.prefix}:requests"

    @property
    def dupefilter(self) -> str:
        """Set of request fingerprints seen in the current crawl (scrapy-redis RFPDupeFilter)."""
        return f"{self.prefix}:dupefilter"

    @property
    def workers(self) -> str:
        """Set of worker ids that may hold leases."""
        return f"{self.prefix}:workers"

    def alive(self, worker: str) -> str:
        """A worker's heartbeat: exists while the worker lives (expires after its TTL)."""
        return f"{self.prefix}:worker:{worker}"

    def inflight(self, worker: str) -> str:
        """Hash lease id -> "score\\npickled request" of the requests a worker has popped."""
        return f"{self.prefix}:inflight:{worker}"

    @property
    def crawl(self) -> str:
        """Hash: id, state (seeding, running, finished), config (JSON), run_id, summary."""
        return f"{self.prefix}:crawl"

    @property
    def crawl_ids(self) -> str:
        return f"{self.prefix}:crawl:ids"

    def stats(self, crawl_id: int) -> str:
        """Hash of counters of one crawl, summed over its workers."""
        return f"{self.prefix}:stats:{crawl_id}"

    @property
    def state(self) -> str:
        """Hash URL -> JSON of what the archive knows of it (sha256, validators, role, crawl)."""
        return f"{self.prefix}:state"

    def attachments(self, crawl_id: int) -> str:
        """Hash attachment URL -> JSON result, shared by the workers of one crawl."""
        return f"{self.prefix}:attachments:{crawl_id}"

    def claim(self, url: str) -> str:
        """Who is fetching an attachment right now (worker id, with a TTL)."""
        return f"{self.prefix}:claim:{hashlib.sha1(url.encode('utf-8')).hexdigest()}"

    def host_leases(self, host: str) -> str:
        """Sorted set of lease tokens on one host, scored by their expiry."""
        return f"{self.prefix}:host:{host}:leases"

    def held(self, worker: str) -> str:
        """Set of "host\ntoken" host leases a worker holds, freed at once if the worker dies."""
        return f"{self.prefix}:held:{worker}"

    def host_next(self, host: str) -> str:
        """Earliest time (Redis clock, seconds) the next request may start on one host."""
        return f"{self.prefix}:host:{host}:next"

    @property
    def items(self) -> str:
        """List of JSON messages for the ingest writer."""
        return f"{self.prefix}:items"

    @property
    def items_processing(self) -> str:
        """Messages the ingest writer has taken and not yet committed."""
        return f"{self.prefix}:items:processing"

    @property
    def items_failed(self) -> str:
        """Messages the ingest writer could not apply, with the error."""
        return f"{self.prefix}:items:failed"

    @property
    def parse_jobs(self) -> str:
        """List of JSON parse jobs the writer hands to `budgets parse-worker` processes."""
        return f"{self.prefix}:parse:jobs"

    @property
    def parse_pending(self) -> str:
        """Hash document id -> input fingerprint of the jobs handed out and not yet saved."""
        return f"{self.prefix}:parse:pending"

    @property
    def parse_results(self) -> str:
        """List of JSON parse results for the writer."""
        return f"{self.prefix}:parse:results"

    @property
    def parse_results_processing(self) -> str:
        """Results the writer has taken and not yet saved."""
        return f"{self.prefix}:parse:results:processing"

    @property
    def parse_workers(self) -> str:
        """Set of parse worker ids that may hold jobs."""
        return f"{self.prefix}:parse:workers"

    def parse_alive(self, worker: str) -> str:
        """A parse worker's heartbeat: exists while it lives (expires after its TTL)."""
        return f"{self.prefix}:parse:worker:{worker}"

    def parse_inflight(self, worker: str) -> str:
        """List of the jobs (as taken) a parse worker holds."""
        return f"{self.prefix}:parse:inflight:{worker}"
