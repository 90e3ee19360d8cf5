"""One writer per data directory: a second crawl, reparse, index or verify --repair started while
a crawl runs stops at once and names the running one; readers keep working; kill -9 of the
holder frees the directory."""
from __future__ import annotations

import signal
import sqlite3
import time
from pathlib import Path

from tests.crawlrun import FAST, budgets, start_budgets
from tests.portals import build_portals, serve_portals

SLOW = ["--delay", "0.2", "--concurrency", "1", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY_JITTER=0",
        "--no-process"]


def _fetched(data: Path) -> int:
    try:
        with sqlite3.connect(data / "archive.db", timeout=5) as db:
            return db.execute("select count(*) from fetches").fetchone()[0]
    except sqlite3.OperationalError:  # not created yet
        return 0


def test_second_writer_is_refused_while_readers_work(tmp_path):
    data = tmp_path / "data"
    with serve_portals(build_portals()[:1]) as servers:
        start = servers[0].manifest().start_urls
        budgets("crawl", *start, *FAST, data=data)  # an archive and an index to read while crawling again
        # every page revalidated a second apart: a crawl that runs long enough to be overlapped
        first = start_budgets("crawl", *start, *SLOW, "--delay", "1", "-s", "BUDGETS_REVALIDATE_AFTER=0", data=data)
        try:
            before = _fetched(data)
            while _fetched(data) < before + 3:
                assert first.poll() is None, "the first crawl ended before the second started"
                time.sleep(0.05)
            for args in (["crawl", *start, *SLOW], ["reparse"], ["index"], ["verify", "--repair"]):
                assert first.poll() is None, "the first crawl ended before all were tried"
                second = budgets(*args, data=data, check=False)
                assert second.returncode == 1, args
                assert f"pid {first.pid} (`budgets crawl {start[0]}" in second.stderr, second.stderr
                assert "Traceback" not in second.stderr
            assert "disclosures match" in budgets("search", "预算", data=data).stdout
            assert budgets("export", "--format", "csv", data=data).stdout.count("\n") > 1
        finally:
            first.wait(timeout=300)
        assert first.returncode == 0, first.stderr
    with sqlite3.connect(data / "archive.db") as db:
        statuses = [s for (s,) in db.execute("select status from runs order by id")]
        twice = db.execute("select url, count(*) from fetches where run_id = 2 and method = 'GET' "
                           "group by url having count(*) > 1").fetchall()
    assert statuses == ["finished", "finished"]  # the refused crawl opened no run, marked none interrupted
    assert twice == []


def test_a_killed_writer_frees_the_directory(tmp_path):
    data = tmp_path / "data"
    with serve_portals(build_portals()[:1]) as servers:
        start = servers[0].manifest().start_urls
        proc = start_budgets("crawl", *start, *SLOW, data=data)
        while _fetched(data) < 3:
            assert proc.poll() is None, "the crawl ended before it could be killed"
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert (data / ".lock").exists()  # the file stays; the kernel dropped the lock with its holder
        budgets("crawl", *start, *FAST, "--no-process", data=data)
    assert "Archive intact." in budgets("verify", "--repair", data=data).stdout
