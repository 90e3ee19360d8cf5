"""A crawl on several worker processes through a real Redis, with one ingest writer.

Each test runs real `budgets worker` / `budgets ingest` / `budgets crawl --redis` processes
against the imitation portals on loopback, and compares the archive they make with the
archive of a single-process `budgets crawl` of the same portals.
"""
from __future__ import annotations

import itertools
import json
import sqlite3
import subprocess
import sys
import threading
from collections import Counter
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
import redis

from tests.crawlrun import FAST, budgets, export_records
from tests.distributedrun import DistributedCrawl
from tests.portals import build_portals, serve_portals

WARCIO = str(Path(sys.executable).with_name("warcio"))
SCALE = 3  # generated disclosures per portal, beside the hand-made ones


@pytest.fixture(scope="module")
def portals():
    with serve_portals(build_portals(scale=SCALE)) as servers:
        yield servers


@pytest.fixture(scope="module")
def reference(portals, tmp_path_factory):
    """The single-process crawl every distributed crawl must match."""
    data = tmp_path_factory.mktemp("single")
    for s in portals:
        s.reset()
    budgets("crawl", *_starts(portals), *FAST, data=data)
    return {"data": data, "view": archive_view(data), "requests": _requests(portals)}


def _starts(servers) -> list[str]:
    return [u for s in servers for u in s.manifest().start_urls]


def _requests(servers) -> Counter:
    return Counter(f"{r.method} {s.base_url}{r.target}" for s in servers for r in s.log.records())


def archive_view(data: Path) -> dict:
    """What an archive holds, without what depends on timing (order of discovery, clocks, run ids)."""
    db = sqlite3.connect(data / "archive.db")
    records = {}
    for r in export_records(data):
        pages = frozenset([r["detail_url"], *r["duplicate_urls"]])
        records[pages] = {
            "files": sorted(f["sha256"] for f in r["files"]),
            **{k: r[k] for k in ("department", "region", "fiscal_year", "kind", "units_in_source", "figures",
                                 "ocr", "published_date")},
            "flags": sorted((f["type"], f.get("key") or "") for f in r["flags"]),
        }
    return {
        "records": records,
        "pages": set(db.execute("select url, sha256, title from pages")),
        "decisions": set(db.execute("select url, is_disclosure, reason, kind, fiscal_year, department from decisions")),
        "urls": set(db.execute("select url, sha256, status, role from urls")),
        "blobs": {sha for (sha,) in db.execute("select sha256 from blobs")},
        "offsite": {u for (u,) in db.execute("select url from offsite_links")},
        "parsed": db.execute("select count(*) from parses").fetchone()[0],
    }


def assert_same_archive(got: dict, want: dict) -> None:
    assert got["records"].keys() == want["records"].keys()
    for pages, record in want["records"].items():
        assert got["records"][pages] == record, sorted(pages)
    for part in ("pages", "decisions", "urls", "blobs", "offsite"):
        assert got[part] == want[part], (part, got[part] ^ want[part])
    assert got["parsed"] == want["parsed"] == len(want["records"])


def assert_archive_intact(data: Path) -> None:
    assert budgets("verify", data=data, check=False).returncode == 0, budgets("verify", data=data, check=False).stdout
    for warc in sorted((data / "warc").glob("*.warc.gz")):
        assert subprocess.run([WARCIO, "check", str(warc)], capture_output=True).returncode == 0, warc


@pytest.fixture(scope="module")
def meili(start_meili):
    url, key, stop = start_meili()
    yield {"MEILI_URL": url, "MEILI_MASTER_KEY": key}
    stop()


@pytest.fixture(scope="module")
def two_workers(portals, reference, redis_url, meili, tmp_path_factory):
    redis.Redis.from_url(redis_url).flushdb()
    data = tmp_path_factory.mktemp("distributed")
    for s in portals:
        s.reset()
    run = DistributedCrawl(redis_url, data, tmp_path_factory.mktemp("logs"))
    try:
        run.start_ingest(env=meili)  # the writer indexes into Meilisearch
        run.start_worker()
        run.start_worker()
        seeded = run.seed(*_starts(portals), "--delay", "0")
        summary = run.wait_finished()
        run.wait_exit()
    finally:
        run.stop()
    return {"data": data, "run": run, "seeded": seeded, "summary": summary, "requests": _requests(portals)}


def test_two_workers_make_the_single_process_archive(two_workers, reference, meili, monkeypatch):
    assert_same_archive(archive_view(two_workers["data"]), reference["view"])
    for name, value in meili.items():  # its index is in Meilisearch (the writer's): verify checks that one
        monkeypatch.setenv(name, value)
    assert_archive_intact(two_workers["data"])


def test_no_url_fetched_twice_across_workers(two_workers, reference, portals):
    requests = two_workers["requests"]
    assert set(requests) == set(reference["requests"])
    twice = {u: n for u, n in requests.items() if n > 1}
    retry = {f"GET {p.base_url}{p.manifest().retry_once_url[len(p.base_url):]}" for p in portals}
    assert set(twice) == retry and set(twice.values()) == {2}, twice  # only the 503 answered once, then retried
    db = sqlite3.connect(two_workers["data"] / "archive.db")
    # every request the portals saw is one fetch row, written once by the ingest writer
    assert db.execute("select count(*) from fetches where status is not null").fetchone()[0] == sum(requests.values())


def test_both_workers_fetched_and_the_run_is_summarised(two_workers):
    db = sqlite3.connect(two_workers["data"] / "archive.db")
    per_worker = dict(db.execute("select worker, count(*) from fetches where status is not null group by worker"))
    assert len(per_worker) == 2 and all(n >= 5 for n in per_worker.values()), per_worker
    summary = two_workers["summary"]
    status, stats = db.execute("select status, stats from runs where id = ?", [summary["run_id"]]).fetchone()
    assert status == "finished"
    stats = json.loads(stats)
    assert stats["budgets/fetched"] == sum(per_worker.values())
    assert sum(summary["disclosures_per_portal"].values()) == summary["documents"]["new"] == \
        len(archive_view(two_workers["data"])["records"])
    logs = two_workers["run"].tail_logs(lines=10_000)
    assert "Deprecat" not in logs and "Traceback" not in logs, logs


def test_the_writer_parses_and_indexes_into_meilisearch(two_workers, reference, meili, monkeypatch):
    query = ["search", "三公经费", "--json", "--limit", "100"]
    want = budgets(*query, data=reference["data"]).stdout.splitlines()  # the embedded index of the local crawl
    for name, value in meili.items():
        monkeypatch.setenv(name, value)
    got = budgets(*query, data=two_workers["data"]).stdout.splitlines()
    assert len(got) == len(want) > 0
    assert {json.loads(h)["title"] for h in got} == {json.loads(h)["title"] for h in want}


def test_parse_workers_parse_for_the_writer(portals, reference, redis_url, tmp_path):
    """`ingest --parse-workers` hands every new document to a `budgets parse-worker` as it is
    written and ends the crawl once their records are in: the same archive, parsed elsewhere."""
    redis.Redis.from_url(redis_url).flushdb()
    for s in portals:
        s.reset()
    data = tmp_path / "data"
    run = DistributedCrawl(redis_url, data, tmp_path / "logs")
    try:
        run.start_ingest("--parse-workers", "--jobs", "1")
        run.start_worker()
        parser = run.start_parse_worker("--jobs", "2")
        run.seed(*_starts(portals), "--delay", "0")
        run.wait_finished()
        run.wait_exit()
    finally:
        run.stop()
    view = archive_view(data)
    assert_same_archive(view, reference["view"])
    log = next(p for p in sorted((tmp_path / "logs").glob("*parse-worker.log")))
    assert f"Parsed {len(view['records'])} documents" in log.read_text(), log.read_text()
    assert parser.returncode == 0
    assert not redis.Redis.from_url(redis_url).exists("budgets:parse:pending", "budgets:parse:jobs")


def test_host_limits_hold_across_workers(redis_url, tmp_path):
    """Two workers that each allow a host 4 requests at once still send it no more than its limit."""
    redis.Redis.from_url(redis_url).flushdb()
    portals = build_portals(scale=SCALE)
    for p in portals:
        p.latency = 0.05  # answers take a while, so requests pile up unless something stops them
    with serve_portals(portals) as servers:
        trs, hanweb = servers
        registry = tmp_path / "portals.toml"
        registry.write_text(
            f'[[portal]]\nname = "trs"\nstart_urls = {json.dumps(trs.manifest().start_urls)}\nconcurrency = 2\n'
            f'[[portal]]\nname = "hanweb"\nstart_urls = {json.dumps(hanweb.manifest().start_urls)}\n'
            'concurrency = 1\ndelay = 0.2\nprovince = "湖南省"\ncounty = "通道侗族自治县"\nadmin_code = "431230"\n',
            encoding="utf-8")
        run = DistributedCrawl(redis_url, tmp_path / "data", tmp_path / "logs")
        try:
            run.start_ingest("--no-process")
            run.start_worker("-s", "CONCURRENT_REQUESTS_PER_DOMAIN=4")
            run.start_worker("-s", "CONCURRENT_REQUESTS_PER_DOMAIN=4")
            crawl = run.crawl("--portals", str(registry))  # waits for the end, prints the summary
        finally:
            run.stop()
        assert crawl.stdout.startswith("Crawl 1: 2 start pages queued") and "Disclosures per portal:" in crawl.stdout
        per_portal = run.summary()["disclosures_per_portal"]
        db = sqlite3.connect(tmp_path / "data" / "archive.db")
        hints = {portal: json.loads(hint) for portal, hint in db.execute("select portal, region_hint from documents")}
        assert hints[hanweb.base_url.removeprefix("http://")]["admin_code"] == "431230"  # the registry's region
        assert not any(hints[trs.base_url.removeprefix("http://")].values())
        assert set(per_portal) == {trs.base_url.removeprefix("http://"), hanweb.base_url.removeprefix("http://")}
        assert trs.log.max_active == 2  # reached, never passed
        assert hanweb.log.max_active == 1
        starts = sorted(r.arrived for r in hanweb.log.records())
        assert len(starts) > 20
        gaps = [b - a for a, b in itertools.pairwise(starts)]
        # the host's delay, kept between workers too: leases start 0.2 s apart; arrivals at the
        # server jitter by the time from lease to connection, never anywhere near back-to-back
        assert sum(gaps) / len(gaps) >= 0.19 and min(gaps) >= 0.1, sorted(gaps)[:5]


def test_worker_killed_mid_crawl_loses_and_repeats_nothing(portals, reference, redis_url, tmp_path):
    redis.Redis.from_url(redis_url).flushdb()
    for s in portals:
        s.reset()
    run = DistributedCrawl(redis_url, tmp_path / "data", tmp_path / "logs")
    try:
        run.start_ingest()
        victim = run.start_worker()
        run.start_worker()
        run.seed(*_starts(portals), "--delay", "0")
        run.wait_until(lambda: run.stats().get("budgets/fetched", 0) >= 60, what="60 fetches")
        run.kill(victim)
        run.start_worker()  # a replacement joins; the killed worker's leases return to the queue
        run.wait_finished()
    finally:
        run.stop()
    data = tmp_path / "data"
    assert_same_archive(archive_view(data), reference["view"])
    assert_archive_intact(data)
    db = sqlite3.connect(data / "archive.db")
    repeated = db.execute("select url, count(*) from fetches where sha256 is not null and status < 400 "
                          "group by url having count(*) > 1").fetchall()
    assert repeated == []  # nothing archived before the kill was fetched again
    requests = _requests(portals)
    extra = sum(requests.values()) - sum(reference["requests"].values())
    assert 0 <= extra <= 16, extra  # at most what the victim had on the wire when it died


def test_ingest_killed_mid_crawl_writes_everything_once(portals, reference, redis_url, tmp_path):
    redis.Redis.from_url(redis_url).flushdb()
    for s in portals:
        s.reset()
    run = DistributedCrawl(redis_url, tmp_path / "data", tmp_path / "logs")
    data = tmp_path / "data"
    try:
        writer = run.start_ingest()
        run.start_worker()
        run.start_worker()
        run.seed(*_starts(portals), "--delay", "0")

        def some_written() -> bool:
            try:
                db = sqlite3.connect(f"file:{data / 'archive.db'}?mode=ro", uri=True)
                return db.execute("select count(*) from fetches").fetchone()[0] >= 40
            except sqlite3.Error:
                return False

        run.wait_until(some_written, what="40 fetches written")
        run.kill(writer)
        run.start_ingest()
        run.wait_finished()
    finally:
        run.stop()
    assert_same_archive(archive_view(data), reference["view"])
    assert_archive_intact(data)
    db = sqlite3.connect(data / "archive.db")
    requests = _requests(portals)
    assert db.execute("select count(*) from fetches where status is not null").fetchone()[0] == sum(requests.values())


def test_a_second_crawl_waits_for_the_first(portals, fresh_redis, tmp_path):
    run = DistributedCrawl(fresh_redis, tmp_path / "data", tmp_path / "logs")
    run.seed(*_starts(portals))  # nobody works on it yet
    status = json.loads(budgets("status", "--redis", fresh_redis, "--json", data=tmp_path / "data").stdout)
    assert {k: status[k] for k in ("crawl", "state", "queued", "in_flight", "live_workers", "items")} == \
        {"crawl": 1, "state": "running", "queued": 2, "in_flight": 0, "live_workers": [], "items": 1}
    assert "2 queued, 0 in flight" in budgets("status", "--redis", fresh_redis, data=tmp_path / "data").stdout
    again = budgets("crawl", *_starts(portals), "--redis", fresh_redis, "--no-wait", data=tmp_path / "data",
                    check=False)
    assert again.returncode != 0 and "is still running" in again.stderr and "--abandon" in again.stderr
    budgets("crawl", *_starts(portals), "--redis", fresh_redis, "--no-wait", "--abandon", data=tmp_path / "data")
    assert run.server.hget("budgets:crawl", "id") == b"2"


def _fetch_message(i: int, crawl: int = 1) -> bytes:
    row = {"url": f"http://127.0.0.1:9/p{i}.html", "final_url": f"http://127.0.0.1:9/p{i}.html", "method": "GET",
           "status": 200, "headers": "{}", "sha256": f"{i:064x}", "bytes": 1, "role": "page",
           "fetched_at": "2026-01-01T00:00:00.000000Z"}
    return json.dumps({"id": f"m{i}", "kind": "fetch", "crawl": crawl, "worker": "w", "row": row,
                       "blob_path": f"blobs/{i}"}).encode()


def _store_bodies(data: Path, n: int) -> None:
    """The bodies the fetch messages below name, as a worker would have stored them."""
    from archive.blobs import BlobStore

    store = BlobStore(data / "blobs")
    for i in range(n):
        path = store.path(f"{i:064x}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")


def test_ingest_applies_a_batch_taken_again_exactly_once(fresh_redis, tmp_path):
    """A writer killed after its commit but before letting the batch go finds it again on restart."""
    from budgets.ingest import Ingest
    from crawler.distributed.keys import Keys

    server = redis.Redis.from_url(fresh_redis)
    keys = Keys()
    start = json.dumps({"id": "s", "kind": "crawl_start", "crawl": 1, "start_urls": ["http://127.0.0.1:9/"]})
    server.rpush(keys.items, start, *[_fetch_message(i) for i in range(10)])
    _store_bodies(tmp_path, 12)
    first = Ingest(server, keys, tmp_path)
    first.open()
    batch = first.take()
    assert len(batch) == 11 and server.llen(keys.items_processing) == 11
    first.apply(batch)
    first.close()
    server.rpush(keys.items_processing, *batch)  # as if killed between commit and clearing the list

    again = Ingest(server, keys, tmp_path)
    again.open()  # re-applies the processing list, skipping what was committed
    db = again.archive.db.db
    assert db.execute("select count(*) from fetches").fetchone()[0] == 10
    assert db.execute("select count(*) from runs").fetchone()[0] == 1
    assert server.llen(keys.items_processing) == 0
    # a batch that was taken but not committed is applied in full
    server.rpush(keys.items_processing, _fetch_message(10), _fetch_message(11))
    again.close()
    third = Ingest(server, keys, tmp_path)
    third.open()
    assert third.archive.db.db.execute("select count(*) from fetches").fetchone()[0] == 12
    third.close()


def test_a_message_that_cannot_be_written_is_set_aside(fresh_redis, tmp_path):
    from budgets.ingest import Ingest
    from crawler.distributed.keys import Keys

    server = redis.Redis.from_url(fresh_redis)
    keys = Keys()
    bad = json.dumps({"id": "bad", "kind": "no-such-kind", "crawl": 1})
    _store_bodies(tmp_path, 3)
    # message 5 names a body that is not in this writer's store (a worker writing elsewhere)
    server.rpush(keys.items, _fetch_message(1), bad, _fetch_message(5), _fetch_message(2))
    writer = Ingest(server, keys, tmp_path)
    writer.open()
    writer.apply(writer.take())
    assert writer.archive.db.db.execute("select count(*) from fetches").fetchone()[0] == 2
    failed = [json.loads(m) for m in server.lrange(keys.items_failed, 0, -1)]
    assert [json.loads(f["message"])["id"] for f in failed] == ["bad", "m5"]
    assert "no-such-kind" in failed[0]["error"] and "same store" in failed[1]["error"]
    writer.close()


def test_dead_workers_requests_go_back_to_the_queue(fresh_redis):
    from crawler.distributed import frontier
    from crawler.distributed.keys import Keys

    server = redis.Redis.from_url(fresh_redis)
    keys = Keys()
    now = int(server.time()[0])
    server.sadd(keys.workers, "alive", "dead")
    server.set(keys.alive("alive"), "1", ex=60)
    server.hset(keys.inflight("alive"), mapping={"l1": f"-1\n{now}\nrequest-a".encode(),
                                                 "l0": f"-2\n{now - 7200}\nrequest-lost".encode()})
    server.hset(keys.inflight("dead"), mapping={"l2": f"-10\n{now}\nrequest-b".encode(),
                                                "l3": f"0\n{now}\nrequest\nwith newline".encode()})
    server.zadd(keys.host_leases("portal.example"), {"t-dead": 9e9, "t-alive": 9e9})
    server.sadd(keys.held("dead"), "portal.example\nt-dead")
    assert frontier.snapshot(server, keys) == {"queued": 0, "in_flight": 4, "items": 0, "ingesting": 0, "workers": 1}
    assert frontier.requeue_dead(server, keys) == 3
    assert server.zrange(keys.queue, 0, -1, withscores=True) == [
        (b"request-b", -10.0), (b"request-lost", -2.0), (b"request\nwith newline", 0.0)]
    assert server.smembers(keys.workers) == {b"alive"} and server.hkeys(keys.inflight("alive")) == [b"l1"]
    # the dead worker's hold on a host is freed at once, not when its lease would expire
    assert server.zrange(keys.host_leases("portal.example"), 0, -1) == [b"t-alive"]
    assert frontier.requeue_dead(server, keys) == 0  # the live worker keeps its current lease


def test_search_server_down_at_the_end_still_ends_the_crawl(fresh_redis, tmp_path):
    with serve_portals(build_portals()) as servers:
        run = DistributedCrawl(fresh_redis, tmp_path / "data", tmp_path / "logs",
                               expected_errors=("parsing or indexing failed: cannot open the index",))
        try:
            run.start_ingest(env={"MEILI_URL": "http://127.0.0.1:9", "MEILI_MASTER_KEY": "k"})
            run.start_worker()
            crawl = run.crawl(*_starts(servers), "--delay", "0")
        finally:
            run.stop()
    assert "Parsing or indexing failed" in crawl.stdout and "budgets reparse" in crawl.stdout
    records = export_records(tmp_path / "data")  # everything archived all the same
    assert len(records) == sum(len(s.manifest().disclosures) for s in servers)


def test_a_second_distributed_crawl_is_incremental_and_runs_the_saved_searches(fresh_redis, tmp_path):
    """The same long-running workers and writer take a second crawl of the same portals:
    unchanged pages and files cost a 304 or nothing, the new disclosure is found, and the
    saved search pushes it."""
    from tests.test_monitoring import Hook

    class Received(Hook):
        received: ClassVar[list[dict]] = []  # this test's own, not test_monitoring's

    hook = ThreadingHTTPServer(("127.0.0.1", 0), Received)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    data = tmp_path / "data"
    run = DistributedCrawl(fresh_redis, data, tmp_path / "logs")
    try:
        with serve_portals(build_portals()) as servers:
            _trs, hanweb = servers
            run.start_ingest("--idle-exit", "120")
            workers = [run.start_worker("--idle-exit", "120") for _ in range(2)]
            run.crawl(*_starts(servers), "--delay", "0")
            first = sum(len(s.log.records()) for s in servers)
            budgets("alert", "add", "部门预算", "--county", "通道侗族自治县", "--notify",
                    f"json://127.0.0.1:{hook.server_address[1]}/hook", data=data)
            added = hanweb.add_disclosure()
            for s in servers:
                s.reset()
            second = run.crawl(*_starts(servers), "--delay", "0")
            requests = [r for s in servers for r in s.log.records()]
            assert all(w.poll() is None for w in [*workers, run.ingest])  # the same processes took both crawls
    finally:
        run.stop()
        hook.shutdown()
    assert "Saved search 1 “部门预算” county=通道侗族自治县: 1 new" in second.stdout, second.stdout
    (message,) = Received.received
    assert added.title in message["message"]
    assert added.detail_url in {r["detail_url"] for r in export_records(data)}
    # the second pass re-reads list pages (most answer 304) and the new article with its files
    assert len(requests) < first * 0.5, (len(requests), first)
    assert sum(r.status == 304 for r in requests) > 10
    assert "1 new" in second.stdout and "This run: 1 new" in second.stdout


def test_messages_set_aside_can_be_written_once_their_cause_is_fixed(fresh_redis, tmp_path):
    from budgets.ingest import Ingest
    from crawler.distributed.keys import Keys

    server = redis.Redis.from_url(fresh_redis)
    keys = Keys()
    server.rpush(keys.items, _fetch_message(1), _fetch_message(2))
    writer = Ingest(server, keys, tmp_path)
    writer.open()
    writer.apply(writer.take())  # no bodies in the store yet: both set aside
    assert server.llen(keys.items_failed) == 2
    _store_bodies(tmp_path, 3)  # the shared store is mounted where it should be
    assert writer.retry_failed() == 2 and server.llen(keys.items_failed) == 0
    writer.apply(writer.take())
    assert writer.archive.db.db.execute("select count(*) from fetches").fetchone()[0] == 2
    writer.close()
