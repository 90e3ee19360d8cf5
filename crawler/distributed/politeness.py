"""Per-host politeness across workers: at most N requests to a host at once, D seconds apart.

Scrapy's download slots are per process; two workers would each allow a host its limit.
Here a request takes a lease on its host in Redis before it is downloaded and gives it back
when the response (or error) comes: the lease set holds at most the host's concurrency, and
a new lease starts no earlier than the host's delay after the previous one (times from the
Redis server's clock, so workers' clocks need not agree). The leases of a worker that dies
are freed with its requests (`frontier.requeue_dead`), and expire on their own in any case.
A 429 or 503 with Retry-After holds the host for every worker.
"""
from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.http import Response

from crawler.middlewares.retry_after import retry_after_seconds
from crawler.sessions import redis_session_of

HOST_LEASE = "budgets_host_lease"

# KEYS: leases zset, next-start key, the worker's held set. ARGV: limit, delay, ttl, token, host.
# Returns seconds to wait until the host's delay has passed, "-1" when its leases are all taken,
# "0" when the lease is granted.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return '-1' end
local nxt = tonumber(redis.call('GET', KEYS[2]) or '0')
if now < nxt then return tostring(nxt - now) end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[4])
redis.call('SADD', KEYS[3], ARGV[5] .. '\\n' .. ARGV[4])
redis.call('SET', KEYS[2], tostring(now + tonumber(ARGV[2])), 'EX', 86400)
return '0'
"""

# KEYS: leases zset, next-start key, the worker's held set. ARGV: token, seconds the host asked
# to be left alone, host.
_RELEASE = """
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('SREM', KEYS[3], ARGV[3] .. '\\n' .. ARGV[1])
local pause = tonumber(ARGV[2])
if pause > 0 then
  local t = redis.call('TIME')
  local until_ = tonumber(t[1]) + tonumber(t[2]) / 1000000 + pause
  if until_ > tonumber(redis.call('GET', KEYS[2]) or '0') then
    redis.call('SET', KEYS[2], tostring(until_), 'EX', 86400)
  end
end
return 0
"""


class HostLeaseMiddleware:
    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.ttl = crawler.settings.getfloat("DOWNLOAD_TIMEOUT") + 60.0
        self.max_pause = crawler.settings.getfloat("RETRY_AFTER_MAX_SECONDS")
        self._acquire: Callable[..., Any] | None = None  # the Lua scripts, registered on first use
        self._release: Callable[..., Any] | None = None

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def process_request(self, request: Request):
        session = redis_session_of(self.crawler)
        if self._acquire is None:
            self._acquire = session.server.register_script(_ACQUIRE)
            self._release = session.server.register_script(_RELEASE)
        host = urlsplit(request.url).hostname or ""
        limit, delay = session.config.host_limits(host)
        keys = [session.keys.host_leases(host), session.keys.host_next(host), session.keys.held(session.worker_id)]
        token = uuid.uuid4().hex
        full = 0  # times found full in a row: ask again soon, then less often (fast hosts free leases fast)
        while True:
            wait = float(self._acquire(keys=keys, args=[limit, delay, self.ttl, token, host]))
            if wait == 0:
                break
            if wait < 0:
                wait, full = min(0.005 * 2 ** full, 0.25), full + 1
            await asyncio.sleep(min(wait, 1.0))
        request.meta[HOST_LEASE] = (host, token)
        return None

    def _give_back(self, request: Request, pause: float = 0.0) -> None:
        lease = request.meta.pop(HOST_LEASE, None)
        if lease is None or self._release is None:  # no lease taken (taking one registers the scripts)
            return
        session = redis_session_of(self.crawler)
        host, token = lease
        self._release(keys=[session.keys.host_leases(host), session.keys.host_next(host),
                            session.keys.held(session.worker_id)],
                      args=[token, min(pause, self.max_pause), host])

    def process_response(self, request: Request, response: Response):
        pause = 0.0
        if response.status in (429, 503):
            pause = retry_after_seconds((response.headers.get("Retry-After") or b"").decode("latin-1")) or 0.0
        self._give_back(request, pause)
        return response

    def process_exception(self, request: Request, exception: Exception):
        self._give_back(request)
        return None
