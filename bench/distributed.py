"""Distributed crawl throughput and Redis memory: 1 and 2 workers against one process.

    .venv/bin/python bench/distributed.py [--scale N] [--queue-sample N]

Serves the imitation portals grown to at least 5,000 articles and 5,000 attachments on
loopback (127.0.0.1 and 127.0.0.2) and, one after the other in this run, crawls them with
`--no-process` (archive, WARC, detection; no parsing):

- single process: `budgets crawl START... --no-process` with bench/crawl.py's FAST settings;
- 1 worker + `budgets ingest`, then 2 workers + ingest, through a Redis started here
  (tests.services.start_redis), seeded with `budgets crawl --redis --no-wait --delay 0
  --concurrency 8` (the per-host limit across workers) and timed from seeding to the crawl's
  "finished" state. Each run gets a fresh data dir, a flushed Redis and reset portal servers.

Prints responses (the portal servers' request logs and the archive's fetch rows), pages/s,
peak RSS, the scaling ratio (2 workers / 1 worker) and distributed / single; then Redis
memory per queued request, per duplicate-filter fingerprint and per URL-state entry, both
from N synthetic entries encoded as the workers encode them (INFO memory before/after) and
from what run (c) left in Redis (MEMORY USAGE). No timed assertions: it reports numbers.

Mind that the machine's cores are shared by the portal servers (this process), the workers,
the ingest writer and Redis: on 2 cores, 2 workers cannot scale to 2x.
"""
from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import redis  # noqa: E402

from bench.crawl import FAST, run  # noqa: E402
from bench.portal_processes import Served  # noqa: E402
from tests.distributedrun import WORKER_FAST, DistributedCrawl  # noqa: E402
from tests.portals import build_portals, serve_portals  # noqa: E402
from tests.services import start_redis  # noqa: E402

# each worker: bench/crawl.py's FAST (WORKER_FAST has autothrottle off, no jitter, a short heartbeat)
WORKER_SETTINGS = [*WORKER_FAST, "-s", "DOWNLOAD_DELAY=0", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8",
                   "-s", "LOG_LEVEL=WARNING"]
# the crawl: per-host limits across all workers, as FAST gives the single process
SEED_SETTINGS = ["--delay", "0", "--concurrency", "8"]


class PeakRss:
    """Samples the RSS high-water mark (VmHWM) and CPU time of some processes until they exit."""

    def __init__(self, procs: dict[str, subprocess.Popen]) -> None:
        self.procs = procs
        self.peak_kb = dict.fromkeys(procs, 0)
        self.cpu_s = dict.fromkeys(procs, 0.0)  # user + system, at the last sample
        # the same of each child process (the isolated parse workers), by pid, at its last sample
        self.children_cpu: dict[str, dict[int, float]] = {name: {} for name in procs}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.is_set():
            children = _children_by_parent()
            for name, proc in self.procs.items():
                if proc.poll() is not None:
                    continue
                try:
                    for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
                        if line.startswith("VmHWM:"):
                            self.peak_kb[name] = max(self.peak_kb[name], int(line.split()[1]))
                    self.cpu_s[name] = _cpu_seconds(proc.pid)
                except (FileNotFoundError, ProcessLookupError):
                    pass
                for child in children.get(proc.pid, []):
                    with contextlib.suppress(FileNotFoundError, ProcessLookupError):
                        self.children_cpu[name][child] = _cpu_seconds(child)
            if all(p.poll() is not None for p in self.procs.values()):
                return
            self._stop.wait(0.1)

    def stop(self) -> tuple[dict[str, float], dict[str, float]]:
        """(peak RSS MB, CPU seconds) per process."""
        self._stop.set()
        self._thread.join()
        return {name: kb / 1024 for name, kb in self.peak_kb.items()}, dict(self.cpu_s)

    def children(self, name: str) -> float:
        """CPU seconds of a process's children (as last seen alive)."""
        return sum(self.children_cpu[name].values())


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children_by_parent() -> dict[int, list[int]]:
    """Every process's children, from one pass over /proc."""
    found: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            found.setdefault(int(stat.read_text().rsplit(")", 1)[1].split()[1]), []).append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return found


class QueueWatch:
    """Follows the frontier during a crawl: the largest queue seen, and some real queued requests."""

    def __init__(self, server: redis.Redis, key: str, keep: int = 2000) -> None:
        self.server = server
        self.key = key
        self.keep = keep
        self.max_queued = 0
        self.samples: dict[Any, None] = {}  # queued members, as redis answers them
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._stop.wait(1.0):
            try:
                self.max_queued = max(self.max_queued, self.server.zcard(self.key))
                if len(self.samples) < self.keep:
                    for member in self.server.zrandmember(self.key, 100) or []:
                        self.samples[member] = None
            except redis.RedisError:
                pass

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def archive_counts(data: Path) -> dict[str, int]:
    with sqlite3.connect(data / "archive.db") as db:
        one = lambda sql: db.execute(sql).fetchone()[0]  # noqa: E731
        return {
            "fetches": one("select count(*) from fetches"),
            "bodies": one("select count(*) from fetches where sha256 is not null"),
            "attachments": one("select count(*) from fetches where role = 'attachment'"),
            "documents": one("select count(*) from documents"),
        }


def server_requests(servers) -> int:
    return sum(len(s.log.records()) for s in servers)


def max_active(servers) -> str:
    """The most requests each portal was working on at one time (from arrival to answer ready,
    so the sending of answers does not count), per portal; the per-host limit is 8."""
    peaks = []
    for s in servers:
        events = sorted([(r.arrived, 1) for r in s.log.records()] + [(r.time, -1) for r in s.log.records()],
                        key=lambda e: (e[0], e[1]))  # an answer ready at t frees its place before one arriving at t
        active = peak = 0
        for _, step in events:
            active += step
            peak = max(peak, active)
        peaks.append(peak)
    return "/".join(map(str, peaks))


def reset(servers) -> None:
    for s in servers:
        s.reset()


def single_run(servers, starts: list[str], data: Path) -> dict:
    reset(servers)
    in_process = Served(starts, pids=[], rendered_bytes=0, render_seconds=0.0)  # the portals serve from here
    measured = run([sys.executable, "-m", "budgets.cli", "crawl", *starts, "--no-process",
                    "--data", str(data), *FAST], in_process)
    seconds, rss = measured.wall, measured.rss_mb
    return {"name": "single process", "seconds": seconds, "requests": server_requests(servers),
            "max_active": max_active(servers),
            **archive_counts(data), "rss_worker": rss, "rss_ingest": None}


def distributed_run(servers, starts: list[str], redis_url: str, data: Path, logs: Path, workers: int,
                    watch_queue: bool = False, parse: str = "none", parse_workers: int = 0, jobs: int = 1) -> dict:
    """One distributed crawl. `parse`: "none" (--no-process), "writer" (the writer parses with
    `jobs`) or "workers" (`parse_workers` × `budgets parse-worker --jobs jobs`, writer --parse-workers)."""
    server = redis.Redis.from_url(redis_url)
    server.flushdb()
    reset(servers)
    crawl = DistributedCrawl(redis_url, data, logs)
    watch = None
    try:
        ingest = crawl.start_ingest(*{"none": ["--no-process"], "writer": ["--jobs", str(jobs)],
                                      "workers": ["--parse-workers", "--jobs", str(jobs)]}[parse])
        for _ in range(workers):
            crawl.start_worker(*WORKER_SETTINGS)
        parsers = [crawl.start_parse_worker("--jobs", str(jobs)) for _ in range(parse_workers)]
        # count from when every process is up, as a team's long-running workers would be
        crawl.wait_until(lambda: server.scard("budgets:workers") >= workers and (data / "archive.db").exists(),
                         120, "the workers and the writer to start")
        rss = PeakRss({**{f"worker{i}": w for i, w in enumerate(crawl.workers) if w not in parsers}, "ingest": ingest,
                       **{f"parser{i}": w for i, w in enumerate(parsers)}})
        if watch_queue:
            watch = QueueWatch(server, "budgets:requests")
        started = time.perf_counter()
        crawl.seed(*starts, *SEED_SETTINGS)
        summary = crawl.wait_finished(timeout=1800)
        seconds = time.perf_counter() - started
        if watch is not None:
            watch.stop()
        requests = server_requests(servers)
        active = max_active(servers)
        stats = crawl.stats()
        crawl.wait_exit(timeout=120)  # --idle-exit: they leave by themselves
        peaks, cpu = rss.stop()
    finally:
        if watch is not None:
            watch.stop()
        crawl.stop()
    failed = server.llen("budgets:items:failed")
    name = f"{workers} worker{'s' if workers > 1 else ''}" + {
        "none": "", "writer": ", writer parses", "workers": f", {parse_workers} parse worker(s)"}[parse]
    return {"name": name, "seconds": seconds, "requests": requests,
            "max_active": active,
            **archive_counts(data), "rss_worker": peaks["worker0"], "rss_ingest": peaks["ingest"],
            "cpu_workers": sum(v for k, v in cpu.items() if k.startswith("worker")), "cpu_ingest": cpu["ingest"],
            "cpu_parsers": sum(v + rss.children(k) for k, v in cpu.items() if k.startswith("parser")),
            "cpu_ingest_children": rss.children("ingest"),
            "stats": stats, "summary": summary, "failed_messages": failed, "watch": watch}


def parse_runs(redis_url: str, scale: int) -> list[dict]:
    """1 worker with parsing: the writer parses (all cores), then the writer hands documents to
    one parse worker (all cores) and only saves their records."""
    cores = os.cpu_count() or 1
    runs = []
    with tempfile.TemporaryDirectory(prefix="bench-parse-workers-") as tmp_name, \
            serve_portals(build_portals(scale=scale)) as servers:
        tmp = Path(tmp_name)
        starts = [u for s in servers for u in s.manifest().start_urls]
        for parse, parsers in (("writer", 0), ("workers", 1)):
            runs.append(distributed_run(servers, starts, redis_url, tmp / parse, tmp / f"{parse}-logs", 1,
                                        parse=parse, parse_workers=parsers, jobs=cores))
            print(f"  {runs[-1]['name']}: {runs[-1]['seconds']:.1f} s", flush=True)
    return runs


def print_parse_runs(runs: list[dict]) -> None:
    print(f"{'run (with parsing)':<34}{'requests':>10}{'documents':>11}{'seconds':>9}{'responses/s':>13}"
          f"{'docs/s':>8}{'writer CPU ms/doc':>19}{'writer parse CPU s':>20}{'parse workers CPU s':>21}")
    for r in runs:
        # the writer's parsing runs in its isolated worker processes, children of the writer
        print(f"{r['name']:<34}{r['requests']:>10}{r['documents']:>11}{r['seconds']:>9.1f}"
              f"{r['requests'] / r['seconds']:>13.1f}{r['documents'] / r['seconds']:>8.2f}"
              f"{1000 * r['cpu_ingest'] / max(1, r['documents']):>19.1f}{r['cpu_ingest_children']:>20.1f}"
              f"{r['cpu_parsers']:>21.1f}")
    print("  (seconds: seeding to the crawl's 'finished' state, records saved and indexed; writer CPU: the ingest "
          "process itself; writer parse CPU: its isolated parse processes; parse workers CPU: theirs and their "
          "isolated parse processes)")
    print()


# -- Redis memory ------------------------------------------------------------------------------

def used_memory(server: redis.Redis) -> int:
    return int(server.info("memory")["used_memory"])


def key_memory(server: redis.Redis, key: str) -> int:
    """MEMORY USAGE of one key, all of it sampled (0 for a key that is not there)."""
    return server.memory_usage(key, samples=0) or 0


def synthetic_urls(n: int, bases: list[str]) -> list[str]:
    """Article URLs shaped like the portals' (TRS t2020MMDD_NNNNNNN.html, Hanweb art_CCCC_NNNN.html)."""
    rnd = random.Random(1)
    urls = []
    for i in range(n):
        base = bases[i % len(bases)]
        y, m, d = rnd.choice((2019, 2020, 2021, 2022)), rnd.randint(1, 12), rnd.randint(1, 28)
        if i % 2 == 0:
            column = rnd.choice(("bmys", "bmjs"))
            urls.append(f"{base}/zwgk/czyjs/{column}/{y}{m:02d}/t{y}{m:02d}{d:02d}_{1_400_000 + i}.html")
        else:
            urls.append(f"{base}/art/{y}/{m}/{d}/art_{rnd.choice((1234, 1235, 1240))}_{5000 + i}.html")
    return urls


def synthetic_state(url: str, i: int) -> str:
    """A URL state as `RedisSession.store_fetch` writes it (then `hand_off` sets the page's role)."""
    from crawler.distributed.session import lean_headers

    sha = hashlib.sha256(url.encode()).hexdigest()
    fetched = f"2026-11-25T06:{(i // 60) % 60:02d}:{i % 60:02d}.{i % 1000000:06d}+00:00"
    lm = "Thu, 01 Sep 2022 00:00:00 GMT"
    etag = f'"{sha[:16]}"'
    headers = lean_headers(json.dumps({
        "Content-Type": ["text/html; charset=utf-8"], "Etag": [etag], "Last-Modified": [lm],
        "Content-Length": [str(8000 + i % 5000)], "Server": ["BaseHTTP/0.6 Python/3.12"],
        "Date": ["Wed, 25 Nov 2026 06:40:00 GMT"]}))
    return json.dumps({"final_url": url, "status": 200, "sha256": sha, "headers": headers, "etag": etag,
                       "last_modified": lm, "role": "article", "last_seen": fetched, "last_checked": fetched,
                       "crawl": 1}, ensure_ascii=False)


def measure_synthetic(server: redis.Redis, n: int, bases: list[str]) -> dict[str, float]:
    """Bytes of Redis memory per queued request, dupefilter fingerprint and URL state, from N of each."""
    from scrapy import Request
    from scrapy_redis.queue import PriorityQueue

    from crawler.distributed.keys import Keys
    from crawler.distributed.worker import quiet_scrapy_redis
    from crawler.spiders.portal import PortalWorkerSpider

    quiet_scrapy_redis()
    keys = Keys()
    urls = synthetic_urls(n, bases)
    spider = PortalWorkerSpider()
    queue = PriorityQueue(server, spider, keys.queue)
    out: dict[str, float] = {}

    server.flushdb()
    before = used_memory(server)
    encoded = 0
    for i, url in enumerate(urls):
        # as PortalSpider._follow yields it, after the spider middlewares: RefererMiddleware's
        # Referer (the list page), DepthMiddleware's depth and priority (DEPTH_PRIORITY=1)
        depth = 2 + i % 5
        referer = url.rsplit("/", 2)[0] + f"/index_{i % 50}.html"
        request = Request(url, callback=spider.parse_page, errback=spider.request_failed,
                          headers={"Referer": referer}, meta={"role": "page", "depth": depth},
                          priority=(i % 2) - depth)
        queue.push(request)
        if i < 200:
            encoded += len(queue._encode_request(request))
    out["queue"] = (used_memory(server) - before) / n
    out["queue_usage"] = key_memory(server, keys.queue) / n
    out["queue_encoded"] = encoded / min(n, 200)

    server.flushdb()
    before = used_memory(server)
    pipe = server.pipeline(transaction=False)
    for i, url in enumerate(urls):  # scrapy-redis RFPDupeFilter: SADD of a 40-hex sha1 fingerprint
        pipe.sadd(keys.dupefilter, hashlib.sha1(url.encode()).hexdigest())
        if i % 1000 == 999:
            pipe.execute()
    pipe.execute()
    out["dupefilter"] = (used_memory(server) - before) / n
    out["dupefilter_usage"] = key_memory(server, keys.dupefilter) / n

    server.flushdb()
    before = used_memory(server)
    length = 0
    for i, url in enumerate(urls):
        state = synthetic_state(url, i)
        length += len(state.encode())
        pipe.hset(keys.state, url, state)
        if i % 1000 == 999:
            pipe.execute()
    pipe.execute()
    out["state"] = (used_memory(server) - before) / n
    out["state_usage"] = key_memory(server, keys.state) / n
    out["state_json"] = length / n
    server.flushdb()
    return out


def measure_real(server: redis.Redis, watch: QueueWatch | None) -> dict[str, float]:
    """What the last distributed crawl left in Redis (URL states, dupefilter) and the real queued
    requests seen during it, pushed again into an empty queue."""
    from crawler.distributed.keys import Keys

    keys = Keys()
    out: dict[str, float] = {}
    out["states"] = server.hlen(keys.state)
    if out["states"]:
        out["state_usage"] = key_memory(server, keys.state) / out["states"]
        values = [v for _, v in server.hscan_iter(keys.state, count=1000)]
        out["state_json"] = sum(len(v) for v in values) / len(values)
    out["fingerprints"] = server.scard(keys.dupefilter)
    if out["fingerprints"]:
        out["dupefilter_usage"] = key_memory(server, keys.dupefilter) / out["fingerprints"]
    if watch is not None and watch.samples:
        members = list(watch.samples)
        out["queue_max"] = watch.max_queued
        out["queue_samples"] = len(members)
        out["queue_encoded"] = sum(len(m) for m in members) / len(members)
        scratch = "bench:real-requests"
        server.delete(scratch)
        before = used_memory(server)
        server.zadd(scratch, {m: -i % 7 for i, m in enumerate(members)})
        out["queue"] = (used_memory(server) - before) / len(members)
        out["queue_usage"] = key_memory(server, scratch) / len(members)
        server.delete(scratch)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=int, default=2500, help="generated articles per portal (2 portals)")
    ap.add_argument("--parse-scale", type=int, default=0,
                    help="also crawl portals of this scale with parsing: the writer parsing, then parse workers")
    ap.add_argument("--queue-sample", type=int, default=20000,
                    help="synthetic requests, fingerprints and URL states pushed to measure Redis memory")
    args = ap.parse_args()

    redis_url, stop_redis = start_redis()
    server = redis.Redis.from_url(redis_url)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-distributed-") as tmp_name, \
                serve_portals(build_portals(scale=args.scale)) as servers:
            tmp = Path(tmp_name)
            starts = [u for s in servers for u in s.manifest().start_urls]
            print(f"portals: {', '.join(starts)} (scale {args.scale}); redis {redis_url}", flush=True)
            runs = []
            runs.append(single_run(servers, starts, tmp / "single"))
            print(f"  single process: {runs[-1]['seconds']:.1f} s", flush=True)
            for n in (1, 2):
                runs.append(distributed_run(servers, starts, redis_url, tmp / f"w{n}", tmp / f"w{n}-logs", n,
                                            watch_queue=(n == 2)))
                print(f"  {runs[-1]['name']}: {runs[-1]['seconds']:.1f} s", flush=True)
            real = measure_real(server, runs[-1]["watch"])
            bases = [s.base_url for s in servers]
            synthetic = measure_synthetic(server, args.queue_sample, bases)
        parsing = parse_runs(redis_url, args.parse_scale) if args.parse_scale else []
    finally:
        stop_redis()

    single, one, two = runs
    for r in runs:
        r["rate"] = r["requests"] / r["seconds"]
    print()
    print(f"archive (single process): {single['bodies']} responses with bodies, {single['attachments']} "
          f"attachment fetches, {single['documents']} disclosures")
    for r in (one, two):
        s = r["stats"]
        print(f"{r['name']}: worker stats fetched={s.get('budgets/fetched', 0)} "
              f"served_from_archive={s.get('budgets/served_from_archive', 0)} "
              f"not_modified={s.get('budgets/not_modified', 0)}; "
              f"{r['failed_messages']} messages the writer could not apply")
        mismatch = [k for k in ("bodies", "attachments", "documents") if r[k] != single[k]]
        if mismatch:
            print("  differs from the single-process archive: "
                  + ", ".join(f"{k} {r[k]} vs {single[k]}" for k in mismatch))
    print()
    rss = lambda v: "-" if v is None else f"{v:.0f}"  # noqa: E731
    print(f"{'run':<16}{'requests':>10}{'fetch rows':>12}{'seconds':>10}{'pages/s':>10}"
          f"{'RSS worker MB':>15}{'RSS ingest MB':>15}{'max/host':>10}")
    for r in runs:
        print(f"{r['name']:<16}{r['requests']:>10}{r['fetches']:>12}{r['seconds']:>10.1f}{r['rate']:>10.1f}"
              f"{rss(r['rss_worker']):>15}{rss(r['rss_ingest']):>15}{r['max_active']:>10}")
    for r in runs:
        if "cpu_workers" in r:
            print(f"{r['name']}: CPU per response, all workers {1000 * r['cpu_workers'] / r['requests']:.1f} ms, "
                  f"ingest writer {1000 * r['cpu_ingest'] / r['requests']:.1f} ms")
    print(f"scaling (2 workers / 1 worker pages/s): {two['rate'] / one['rate']:.2f}   "
          f"distributed / single (1 worker / single pages/s): {one['rate'] / single['rate']:.2f}   "
          f"(2 workers / single: {two['rate'] / single['rate']:.2f})")
    print("  (seconds: single = process start to exit; distributed = seeding to the crawl's 'finished' state, "
          "workers and writer already running; requests = the portal servers' logs; "
          "max/host = most requests a portal was answering at once, arrival to answer ready, "
          "127.0.0.1/127.0.0.2, limit 8)")
    print()
    if parsing:
        print_parse_runs(parsing)
    n = args.queue_sample
    print(f"Redis memory, bytes per entry   {'INFO used_memory':>18}{'MEMORY USAGE':>14}{'payload':>9}")
    print(f"queued request ({n} synthetic)  {synthetic['queue']:>15.0f}{synthetic['queue_usage']:>14.0f}"
          f"{synthetic['queue_encoded']:>9.0f}")
    if "queue" in real:
        print(f"queued request ({real['queue_samples']:.0f} real, run c) {real['queue']:>13.0f}"
              f"{real['queue_usage']:>14.0f}{real['queue_encoded']:>9.0f}   "
              f"(largest queue seen in run c: {real['queue_max']:.0f})")
    print(f"dupefilter fingerprint ({n})  {synthetic['dupefilter']:>16.0f}{synthetic['dupefilter_usage']:>14.0f}"
          f"{40:>9}")
    if real.get("fingerprints"):
        print(f"dupefilter ({real['fingerprints']:.0f} left by run c) {'':>13}{real['dupefilter_usage']:>14.0f}"
              f"{40:>9}")
    print(f"URL state ({n} synthetic)       {synthetic['state']:>15.0f}{synthetic['state_usage']:>14.0f}"
          f"{synthetic['state_json']:>9.0f}")
    if real.get("states"):
        print(f"URL state ({real['states']:.0f} left by run c)  {'':>13}{real['state_usage']:>14.0f}"
              f"{real['state_json']:>9.0f}")
    print("  (payload: bytes of the pickled request / fingerprint / state JSON; MEMORY USAGE ... SAMPLES 0 "
          "of the key / entries; state key is the URL, not counted in payload)")


if __name__ == "__main__":
    main()
