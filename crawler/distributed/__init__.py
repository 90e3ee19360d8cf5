"""One crawl on several machines: workers share a frontier on Redis, one writer fills the archive.

    budgets worker --redis URL --blobs DIR     # any number: fetch, store blobs, hand items on
    budgets ingest --redis URL --data DIR      # exactly one: archive.db, WARC, parse, index
    budgets crawl --portals F --redis URL      # seeds the frontier, waits for the crawl's end

The frontier and its duplicate filter are scrapy-redis's (a sorted set of pickled requests,
a set of request fingerprints). What scrapy-redis leaves out, and this package adds:

- `frontier`: leases. A popped request is moved, atomically, into its worker's in-flight
  hash and leaves it only when everything its callback produced is handed on; the
  in-flight requests of a worker whose heartbeat lapsed (`kill -9`) go back to the queue.
- `session`: the archive's answers for a worker. Blobs go straight to the shared store
  (idempotent by hash); the state of every URL (sha256, validators, crawl) lives in a Redis
  hash, so a replayed request is answered from the blob store, not fetched again.
- `politeness`: per-host leases across workers (at most N requests to a host at once, and
  the host's delay between two starts), with Retry-After honoured for every worker.
- `handoff`: pages and documents go to the ingest queue in the same Redis transaction that
  ends their request's lease: nothing is lost or handed on twice.
- `ingest`: the single writer; replays the items through the same `ArchiveWriter` as a
  local crawl, exactly once (message ids), and ends the crawl's run when the frontier is empty.
"""
