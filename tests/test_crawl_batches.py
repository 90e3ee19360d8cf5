"""kill -9 while a crawl holds a batch of writes: what was committed is whole, the rest is fetched again.

A local crawl commits its writes twice a second (crawler/batching.py); here the interval is
made long so the kill surely lands with responses fetched, their blobs staged and their rows
held but not committed.
"""
from __future__ import annotations

import signal
import sqlite3
import time
from pathlib import Path

from archive.blobs import BlobStore
from tests.crawlrun import budgets, export_records, start_budgets
from tests.portals import build_portals, serve_portals

SLOW_BATCHES = ["--delay", "0.05", "--concurrency", "1", "-s", "AUTOTHROTTLE_ENABLED=False",
                "-s", "DOWNLOAD_DELAY_JITTER=0", "-s", "BUDGETS_WARC_EVERY=7", "-s", "BUDGETS_COMMIT_EVERY=2"]


def _committed(db_path: Path) -> set[str]:
    try:
        with sqlite3.connect(db_path, timeout=5) as db:
            return {u for (u,) in db.execute("select url from urls")}
    except sqlite3.OperationalError:
        return set()


def _staged(data: Path) -> list[Path]:
    return list((data / "blobs").glob("??/??/.tmp-*"))


def test_kill_9_inside_a_batch_loses_only_what_was_not_committed(tmp_path):
    data = tmp_path / "data"
    with serve_portals(build_portals()) as servers:
        starts = [u for s in servers for u in s.manifest().start_urls]
        proc = start_budgets("crawl", *starts, *SLOW_BATCHES, data=data)
        deadline = time.monotonic() + 120
        # past the first held batch's commit, with the next one's blobs staged
        while len(_committed(data / "archive.db")) < 25 or not _staged(data):
            assert proc.poll() is None, "the crawl ended before it could be killed"
            assert time.monotonic() < deadline, "the crawl made no progress"
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait()

        committed = _committed(data / "archive.db")
        answered = {s.base_url + r.target for s in servers for r in s.log.records()
                    if r.method == "GET" and r.status == 200}
        held = answered - committed  # fetched, but killed before their batch was committed
        assert held, "the kill did not land inside a batch"
        with sqlite3.connect(data / "archive.db") as db:
            shas = {sha for (sha,) in db.execute("select sha256 from fetches where sha256 is not null")}
        blobs = BlobStore(data / "blobs")
        assert all(blobs.verify(sha) for sha in shas), "a committed fetch names a blob that is not whole"
        for s in servers:
            s.log.clear()

        budgets("crawl", *starts, *SLOW_BATCHES, data=data)
        again = {s.base_url + r.target for s in servers for r in s.log.records() if r.method == "GET"}
        manifests = [s.manifest() for s in servers]

    assert not again & committed, f"committed before the kill, fetched again: {sorted(again & committed)[:5]}"
    assert held <= again, f"held when killed, never fetched again: {sorted(held - again)[:5]}"
    assert not _staged(data)
    records = export_records(data)
    expected = {frozenset({d.detail_url, *d.duplicate_urls}) for m in manifests for d in m.disclosures}
    assert {frozenset({r["detail_url"], *r["duplicate_urls"]}) for r in records} == expected
    with sqlite3.connect(data / "archive.db") as db:
        assert not db.execute("select url from fetches where status between 200 and 299 and method = 'GET' "
                              "group by url having count(*) > 1").fetchall()
        assert not db.execute("select 1 from fetches where sha256 is not null and warc_file is null").fetchall()
    assert "Archive intact." in budgets("verify", data=data).stdout
