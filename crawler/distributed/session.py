"""The archive as a distributed worker sees it: blobs on the shared store, the rest via Redis.

The methods of `crawler.session_interface.Session`, which the spider and middlewares call. A
worker never opens archive.db: what it fetched goes to the ingest writer as messages, and
what the archive knows of each URL (sha256, validators, role, and which crawl last fetched
it) is kept in a Redis hash the workers update as they fetch, so that any worker answers a
URL already fetched in this crawl from the blob store instead of fetching it again.
"""
from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from archive.blobs import BlobStore
from archive.db import first_header, now_iso
from crawler import settings as defaults
from crawler.distributed import frontier
from crawler.distributed.keys import Keys, connect, new_worker_id
from crawler.failures import failure_row, first_failure_report
from crawler.hosts import PrivateRule, host_key
from crawler.items import AttachmentResult, DocumentItem, PageGoneItem, PageItem
from crawler.resume import plan_from_state

logger = logging.getLogger(__name__)


@dataclass
class CrawlConfig:
    """What `budgets crawl --redis` decided for the crawl: its portals and their rules."""

    crawl_id: int = 0
    start_urls: list[str] = field(default_factory=list)
    regions: dict[str, dict] = field(default_factory=dict)
    exclude: dict[str, list[str]] = field(default_factory=dict)
    slots: dict[str, dict] = field(default_factory=dict)  # hostname -> delay, concurrency
    delay: float = defaults.DOWNLOAD_DELAY
    concurrency: int = defaults.CONCURRENT_REQUESTS_PER_DOMAIN
    allow_private: str = defaults.BUDGETS_ALLOW_PRIVATE
    revalidate_after: float = defaults.BUDGETS_REVALIDATE_AFTER

    @classmethod
    def from_json(cls, crawl_id: int, text: str) -> CrawlConfig:
        return cls(crawl_id=crawl_id, **json.loads(text))

    def to_json(self) -> str:
        data = asdict(self)
        data.pop("crawl_id")
        return json.dumps(data, ensure_ascii=False)

    def host_limits(self, hostname: str) -> tuple[int, float]:
        """(concurrent requests, seconds between two starts) for one host, across all workers."""
        slot = self.slots.get(hostname, {})
        return int(slot.get("concurrency", self.concurrency)), float(slot.get("delay", self.delay))


def crawl_fields(server, keys: Keys) -> dict[str, str]:
    """The current crawl's hash (id, state, config, run_id, summary, report) as text."""
    return {k.decode(): v.decode() for k, v in server.hgetall(keys.crawl).items()}


def crawl_stats(server, keys: Keys, crawl_id: int) -> dict[str, int]:
    """A crawl's counters, summed over its workers."""
    return {k.decode(): int(v) for k, v in server.hgetall(keys.stats(crawl_id)).items()}


def current_crawl(server, keys: Keys) -> CrawlConfig:
    crawl_id, config = server.hmget(keys.crawl, "id", "config")
    if not crawl_id or not config:
        return CrawlConfig()
    return CrawlConfig.from_json(int(crawl_id), config.decode("utf-8"))


# The headers an archived response is rebuilt with (its type, its file name); the full headers
# are in the archive's fetch log. Keeping only these halves the Redis memory of a URL state.
STATE_HEADERS = ("content-type", "content-disposition")


def lean_headers(headers_json: str | None) -> str:
    headers = json.loads(headers_json or "{}")
    return json.dumps({k: v for k, v in headers.items() if k.lower() in STATE_HEADERS}, ensure_ascii=False)


def item_message(item) -> dict:
    """A spider item as an ingest message body."""
    kind = {PageItem: "page", DocumentItem: "document", PageGoneItem: "gone"}[type(item)]
    return {"kind": kind, "item": asdict(item)}


class RedisSession:
    CONFIG_TTL = 1.0  # seconds a worker trusts its copy of the crawl's config

    def __init__(self, server, keys: Keys, blobs: BlobStore, worker_id: str,
                 heartbeat_ttl: float = defaults.BUDGETS_WORKER_TTL, claim_ttl: float = 900.0) -> None:
        self.server = server
        self.keys = keys
        self.blobs = blobs
        self.worker_id = worker_id
        self.heartbeat_ttl = heartbeat_ttl
        self.claim_ttl = claim_ttl
        self._config = CrawlConfig()
        self._config_checked = 0.0
        self._private = PrivateRule([], "never")
        self._allowed_hosts: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler) -> RedisSession:
        s = crawler.settings
        worker = s.get("BUDGETS_WORKER_ID") or new_worker_id()
        return cls(connect(s.get("BUDGETS_REDIS_URL")), Keys(s.get("BUDGETS_REDIS_PREFIX")),
                   BlobStore(Path(s.get("BUDGETS_BLOBS"))), worker, s.getfloat("BUDGETS_WORKER_TTL"),
                   s.getfloat("DOWNLOAD_TIMEOUT") * (s.getint("RETRY_TIMES") + 1) + 60)

    # -- the crawl's rules ----------------------------------------------------------------
    @property
    def config(self) -> CrawlConfig:
        """The current crawl's config, re-read when `budgets crawl --redis` starts another crawl."""
        now = time.monotonic()
        if now - self._config_checked > self.CONFIG_TTL:
            self._config_checked = now
            crawl_id = self.server.hget(self.keys.crawl, "id")
            if crawl_id and int(crawl_id) != self._config.crawl_id:
                self._config = current_crawl(self.server, self.keys)
                # the seeder made "auto" definite: no worker looks the start hosts up
                self._private = PrivateRule(self._config.start_urls, self._config.allow_private)
                self._allowed_hosts = {host_key(u) for u in self._config.start_urls}
        return self._config

    def allows(self, url: str) -> bool:
        self.config  # noqa: B018 - refreshes the hosts with the config
        return host_key(url) in self._allowed_hosts

    def excluded(self, url: str) -> bool:
        path = urlsplit(url).path or "/"
        return any(path.startswith(prefix) for prefix in self.config.exclude.get(host_key(url), ()))

    @property
    def private(self) -> PrivateRule:
        self.config  # noqa: B018 - refreshes the rule with the config
        return self._private

    def private_allowed(self, url: str) -> bool:
        return self.private.url(url)

    # -- the archive's answers --------------------------------------------------------------
    def _state(self, url: str) -> dict | None:
        raw = self.server.hget(self.keys.state, url)
        return json.loads(raw) if raw else None

    def plan(self, url: str) -> tuple[str, dict | None]:
        state = self._state(url)
        replayed = bool(state and state.get("crawl") == self.config.crawl_id)
        return plan_from_state(state, self.blobs.exists, replayed, self.config.revalidate_after)

    def blob(self, sha256: str) -> bytes:
        return self.blobs.get(sha256)

    def article_complete(self, url: str) -> bool:
        """Not known without archive.db: the article is read again (its files come from the blob store)."""
        return False

    # -- what the archive is told ---------------------------------------------------------------
    def _message(self, kind: str, **body) -> bytes:
        return json.dumps({"id": uuid.uuid4().hex, "kind": kind, "crawl": self.config.crawl_id,
                           "worker": self.worker_id, **body}, ensure_ascii=False).encode("utf-8")

    def _count(self, pipe, name: str, n: int = 1) -> None:
        pipe.hincrby(self.keys.stats(self.config.crawl_id), name, n)

    def served(self, url: str) -> None:
        pipe = self.server.pipeline(transaction=True)
        pipe.rpush(self.keys.items, self._message("touch", url=url, at=now_iso()))
        self._count(pipe, "budgets/served_from_archive")
        pipe.execute()

    def not_modified(self, row: dict) -> None:
        row = {"fetched_at": now_iso(), **row}
        state = self._state(row["url"]) or {}
        state.update(last_checked=row["fetched_at"], last_seen=row["fetched_at"], crawl=self.config.crawl_id)
        pipe = self.server.pipeline(transaction=True)
        pipe.rpush(self.keys.items, self._message("revalidated", row=row))
        pipe.hset(self.keys.state, row["url"], json.dumps(state, ensure_ascii=False))
        self._count(pipe, "budgets/not_modified")
        pipe.execute()

    def store_fetch(self, row: dict, body: bytes) -> str:
        sha = self.blobs.put(body)
        row = {"fetched_at": now_iso(), **row, "sha256": sha, "bytes": len(body)}
        pipe = self.server.pipeline(transaction=True)
        pipe.rpush(self.keys.items, self._message("fetch", row=row, blob_path=self.blobs.relpath(sha)))
        if 200 <= (row.get("status") or 0) < 300 and row.get("method", "GET") == "GET":
            headers = json.loads(row.get("headers") or "{}")
            pipe.hset(self.keys.state, row["url"], json.dumps({
                "final_url": row.get("final_url"), "status": row["status"], "sha256": sha,
                "headers": lean_headers(row.get("headers")), "etag": first_header(headers, "etag"),
                "last_modified": first_header(headers, "last-modified"),
                "role": row.get("role"),
                "last_seen": row["fetched_at"], "last_checked": row["fetched_at"],
                "crawl": self.config.crawl_id}, ensure_ascii=False))
        self._count(pipe, "budgets/fetched")
        self._count(pipe, "budgets/bytes", len(body))
        pipe.execute()
        return sha

    def record_failure(self, request, error: str) -> None:
        if not first_failure_report(request):
            return
        self.server.rpush(self.keys.items, self._message("failure", row={"fetched_at": now_iso(),
                                                                         **failure_row(request, error)}))

    def hand_off(self, request, items: list) -> None:
        """Send a request's items to the ingest writer and end its lease, in one transaction."""
        pipe = self.server.pipeline(transaction=True)
        for item in items:
            pipe.rpush(self.keys.items, self._message(**item_message(item)))
            if isinstance(item, PageItem):
                state = self._state(item.url)
                if state is not None:  # what the page turned out to be decides how it is re-checked
                    state["role"] = item.role
                    pipe.hset(self.keys.state, item.url, json.dumps(state, ensure_ascii=False))
        frontier.ack(pipe, self.keys, self.worker_id, request)
        pipe.execute()

    def request_done(self, request) -> None:
        self.hand_off(request, [])

    # -- attachments shared between workers --------------------------------------------------------
    async def attachment_claim(self, url: str) -> AttachmentResult | None:
        """Another worker's result for `url` in this crawl, waiting while one fetches it; None when
        this worker is to fetch it (no result yet, and the claim is now this worker's)."""
        results = self.keys.attachments(self.config.crawl_id)
        claim = self.keys.claim(url)
        while True:
            raw = self.server.hget(results, url)
            if raw:
                return AttachmentResult(**json.loads(raw))
            if self.server.set(claim, self.worker_id, nx=True, ex=int(self.claim_ttl)):
                return None
            holder = self.server.get(claim)
            if holder and not self.server.exists(self.keys.alive(holder.decode())):
                self.server.delete(claim)  # its worker died: take the fetch over
                continue
            await asyncio.sleep(0.2)

    def attachment_done(self, url: str, result: AttachmentResult) -> None:
        pipe = self.server.pipeline(transaction=True)
        pipe.hset(self.keys.attachments(self.config.crawl_id), url, json.dumps(asdict(result), ensure_ascii=False))
        pipe.delete(self.keys.claim(url))
        pipe.execute()
