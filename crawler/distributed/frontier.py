"""The shared frontier: scrapy-redis's priority queue and duplicate filter, with leases.

scrapy-redis pops a request and forgets it: a worker killed with the request in hand loses
it, and the duplicate filter keeps it from ever being queued again. Here a pop moves the
request into the worker's in-flight hash in the same Redis script; it leaves that hash when
the request's outcome is handed on (`handoff`), when the request is replaced by its
redirect or retry (the push of the replacement ends the old lease in the same
transaction), or when the duplicate filter drops that replacement. The in-flight requests
of a worker whose heartbeat expired are put back on the queue by whoever notices first.

Scripts build some key names from the prefix, so this needs a single Redis server, not a cluster.
"""
from __future__ import annotations

import uuid

from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler

from crawler.distributed.keys import Keys

LEASE = "budgets_lease"

# in-flight values are "score\ntaken-at (Redis clock, s)\npickled request"
_POP = """
local item = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #item == 0 then return false end
local t = redis.call('TIME')
redis.call('ZREM', KEYS[1], item[1])
redis.call('HSET', KEYS[2], ARGV[1], item[2] .. '\\n' .. t[1] .. '\\n' .. item[1])
return item[1]
"""

# Put back the in-flight requests of every registered worker whose heartbeat has expired, and
# free the host leases it held (see politeness.py). A live worker's lease older than ARGV[2]
# seconds is put back too: its hand-off was lost (Redis unreachable at that moment), and a
# replay is harmless (answered from the blob store, written idempotently).
_REQUEUE_DEAD = """
local now = tonumber(redis.call('TIME')[1])
local moved = 0
local function requeue(inflight, lease, v)
  local a = string.find(v, '\\n', 1, true)
  local b = string.find(v, '\\n', a + 1, true)
  redis.call('ZADD', KEYS[2], string.sub(v, 1, a - 1), string.sub(v, b + 1))
  redis.call('HDEL', inflight, lease)
  moved = moved + 1
  return tonumber(string.sub(v, a + 1, b - 1))
end
for _, w in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local inflight = ARGV[1] .. ':inflight:' .. w
  local entries = redis.call('HGETALL', inflight)
  if redis.call('EXISTS', ARGV[1] .. ':worker:' .. w) == 0 then
    local held = ARGV[1] .. ':held:' .. w
    for _, v in ipairs(redis.call('SMEMBERS', held)) do
      local nl = string.find(v, '\\n', 1, true)
      redis.call('ZREM', ARGV[1] .. ':host:' .. string.sub(v, 1, nl - 1) .. ':leases', string.sub(v, nl + 1))
    end
    redis.call('DEL', held)
    for i = 1, #entries, 2 do requeue(inflight, entries[i], entries[i + 1]) end
    redis.call('SREM', KEYS[1], w)
  else
    for i = 1, #entries, 2 do
      local v = entries[i + 1]
      local a = string.find(v, '\\n', 1, true)
      local b = string.find(v, '\\n', a + 1, true)
      if now - tonumber(string.sub(v, a + 1, b - 1)) > tonumber(ARGV[2]) then
        requeue(inflight, entries[i], v)
      end
    end
  end
end
return moved
"""

# one consistent view: queued, in flight (all registered workers), items waiting, items being
# ingested, workers alive
_SNAPSHOT = """
local inflight, alive = 0, 0
for _, w in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  inflight = inflight + redis.call('HLEN', ARGV[1] .. ':inflight:' .. w)
  alive = alive + redis.call('EXISTS', ARGV[1] .. ':worker:' .. w)
end
return {redis.call('ZCARD', KEYS[2]), inflight, redis.call('LLEN', KEYS[3]), redis.call('LLEN', KEYS[4]), alive}
"""


# a request in hand longer than this has lost its hand-off (no download, with its retries, lasts this long)
STALE_LEASE_SECONDS = 3600


def requeue_dead(server, keys: Keys, stale_after: float = STALE_LEASE_SECONDS) -> int:
    """Put the in-flight requests of dead workers (and stale leases) back on the queue; return how many."""
    return int(server.eval(_REQUEUE_DEAD, 2, keys.workers, keys.queue, keys.prefix, stale_after))


def requeue_own(server, keys: Keys, worker: str) -> int:
    """A worker closing cleanly puts back what it still holds (nothing, after a normal end)."""
    server.delete(keys.alive(worker))
    return requeue_dead(server, keys)


def snapshot(server, keys: Keys) -> dict[str, int]:
    queued, inflight, items, ingesting, alive = server.eval(
        _SNAPSHOT, 4, keys.workers, keys.queue, keys.items, keys.items_processing, keys.prefix)
    return {"queued": int(queued), "in_flight": int(inflight), "items": int(items),
            "ingesting": int(ingesting), "workers": int(alive)}


def ack(pipe, keys: Keys, worker: str, request) -> None:
    """End `request`'s lease inside the caller's transaction `pipe` (no lease: nothing to do)."""
    lease = request.meta.get(LEASE)
    if lease:
        pipe.hdel(keys.inflight(worker), lease)


class LeasedQueue(PriorityQueue):
    """scrapy-redis's priority queue whose pops are leases held by this worker."""

    def __init__(self, server, spider, key, serializer=None) -> None:
        super().__init__(server, spider, key, serializer)
        from crawler.sessions import redis_session_of

        session = redis_session_of(spider.crawler)
        self.keys: Keys = session.keys
        self.worker: str = session.worker_id
        self._pop = server.register_script(_POP)

    def push(self, request) -> None:
        lease = request.meta.pop(LEASE, None)
        request.meta.pop("budgets_started", None)  # timing starts again where it is fetched
        pipe = self.server.pipeline(transaction=True)
        pipe.execute_command("ZADD", self.key, -request.priority, self._encode_request(request))
        if lease:  # a redirect or retry replaces the request it came from
            pipe.hdel(self.keys.inflight(self.worker), lease)
        pipe.execute()

    def pop(self, timeout=0):
        lease = uuid.uuid4().hex
        data = self._pop(keys=[self.key, self.keys.inflight(self.worker)], args=[lease])
        if not data:
            return None
        request = self._decode_request(data)
        request.meta[LEASE] = lease
        return request


class FrontierScheduler(Scheduler):
    """scrapy-redis's scheduler; a replacement request the duplicate filter drops ends its lease."""

    def enqueue_request(self, request) -> bool:
        lease = request.meta.get(LEASE)
        queued = super().enqueue_request(request)
        if not queued and lease:
            self.server.hdel(self.queue.keys.inflight(self.queue.worker), lease)
        return queued
