"""A crawl killed with kill -9 and started again continues: nothing lost, duplicated or re-downloaded."""
from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.crawlrun import budgets, export_records, start_budgets
from tests.portals import build_portals, serve_portals

WARCIO = str(Path(sys.executable).with_name("warcio"))
# slow enough that the kill lands mid-crawl
SLOW = ["--delay", "0.1", "--concurrency", "1", "-s", "AUTOTHROTTLE_ENABLED=False",
        "-s", "DOWNLOAD_DELAY_JITTER=0", "-s", "BUDGETS_WARC_EVERY=7"]


def _archived_count(db_path: Path) -> int:
    if not db_path.exists():
        return 0
    try:
        with sqlite3.connect(db_path, timeout=5) as db:
            return db.execute("select count(*) from fetches where sha256 is not null").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def _pages(record: dict) -> frozenset[str]:
    return frozenset({record["detail_url"], *record["duplicate_urls"]})


def test_kill_9_then_resume(tmp_path):
    data = tmp_path / "data"
    with serve_portals(build_portals()) as servers:
        starts = [u for s in servers for u in s.manifest().start_urls]
        proc = start_budgets("crawl", *starts, *SLOW, data=data)
        deadline = time.monotonic() + 120
        while _archived_count(data / "archive.db") < 25:
            assert proc.poll() is None, "the crawl ended before it could be killed"
            assert time.monotonic() < deadline, "the crawl made no progress"
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait()

        db = sqlite3.connect(data / "archive.db")
        archived_before = {u for (u,) in db.execute("select url from urls")}
        db.close()
        first_pass = [set(s.log.targets()) for s in servers]
        for s in servers:
            s.log.clear()

        budgets("crawl", *starts, *SLOW, data=data)
        second_pass = [{s.base_url + t for t in s.log.targets()} for s in servers]
        manifests = [s.manifest() for s in servers]

    # nothing archived before the kill was downloaded again
    again = set().union(*second_pass) & archived_before
    assert not again, f"re-downloaded after resume: {sorted(again)[:5]}"
    assert any(first_pass) and any(second_pass)

    # nothing lost: every disclosure is there, once
    records = export_records(data)
    expected = {frozenset({d.detail_url, *d.duplicate_urls}) for m in manifests for d in m.disclosures}
    assert {_pages(r) for r in records} == expected
    assert len(records) == len(expected)

    # nothing duplicated: one successful fetch per URL, one WARC record per fetch
    db = sqlite3.connect(data / "archive.db")
    dupes = db.execute("select url, count(*) from fetches where status between 200 and 299 "
                       "group by url having count(*) > 1").fetchall()
    assert not dupes
    runs = db.execute("select status, resumed_from from runs order by id").fetchall()
    assert runs[0][0] == "interrupted" and runs[1] == ("finished", 1)
    with_body = db.execute("select count(*) from fetches where sha256 is not null").fetchone()[0]
    unwritten = db.execute("select count(*) from fetches where sha256 is not null and warc_file is null").fetchone()[0]
    assert unwritten == 0
    files = sorted((data / "warc").glob("*.warc.gz"))
    check = subprocess.run([WARCIO, "check", "-v", *map(str, files)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.count("> response") + check.stdout.count("> revisit") == with_body
    assert not list((data / "warc").glob("*.tmp"))
