"""A host that asks for a very long pause is set aside, not waited for; SIGINT and SIGTERM stop a
crawl promptly, leaving a run the next `budgets crawl` resumes. Real processes and loopback servers."""
from __future__ import annotations

import signal
import sqlite3
import time
from pathlib import Path

import pytest

from tests.crawlrun import FAST, assert_clean_log, budgets, export_records, start_budgets
from tests.faultservers import ROBOTS, FaultServer, file, page
from tests.portals import build_portals, serve_portals

BUSY_PAGES = ["/a.html", "/b.html", "/c.html"]
BUSY_HOME = page("<html><body>" + "".join(f'<a href="{p}">部门预算</a>' for p in BUSY_PAGES) + "</body></html>")


def _busy(seconds: int):
    """429 with `Retry-After: seconds`."""
    return lambda h, q: h.send(429, b"<p>busy</p>", headers={"Retry-After": str(seconds)})


def _db(data: Path) -> sqlite3.Connection:
    return sqlite3.connect(data / "archive.db")


def _disclosure_pages(servers) -> set[frozenset[str]]:
    return {frozenset({d.detail_url, *d.duplicate_urls}) for s in servers for d in s.manifest().disclosures}


def test_a_host_asking_for_a_long_pause_is_set_aside_and_asked_again_later(tmp_path):
    data = tmp_path / "data"
    busy = FaultServer("127.0.0.3", {"/robots.txt": file(ROBOTS, "text/plain"), "/": BUSY_HOME},
                       fallback=_busy(999999))
    with serve_portals(build_portals()[:1]) as (healthy,), busy:
        starts = [*healthy.manifest().start_urls, busy.base_url + "/"]
        # one request per host at a time: the first 429 sets the host aside before the next goes out
        out = budgets("crawl", *starts, *FAST, "--concurrency", "1", "--no-process", data=data, timeout=120)
        (asked,) = [p for p in BUSY_PAGES if busy.hits(p)]  # the other pages were not asked for in this run
        assert len(busy.hits(asked)) == 1
        with _db(data) as db:
            errors = dict(db.execute("select url, error from fetches where url like ? and error is not null",
                                     [busy.base_url + "/%.html"]))
            pages = {u for (u,) in db.execute("select url from document_pages")}
        assert set(errors) == {busy.base_url + p for p in BUSY_PAGES}
        assert all(e.startswith("host set aside: HTTP 429 with Retry-After 999999 s, more than "
                                "BUDGETS_MAX_RETRY_AFTER (300 s)") for e in errors.values()), errors
        assert "host set aside" in out.stdout  # in the summary's errors
        assert {u for d in _disclosure_pages([healthy]) for u in d} <= pages  # the others finished

        busy.fallback = page("<html><body><p>工作动态</p></body></html>")  # the host answers again
        budgets("crawl", *starts, *FAST, "--concurrency", "1", "--no-process", data=data, timeout=120)
        assert {p: len(busy.hits(p)) for p in BUSY_PAGES} == {p: 1 + (p == asked) for p in BUSY_PAGES}
        with _db(data) as db:
            fetched = {u for (u,) in db.execute("select url from urls where status = 200 and url like ?",
                                               [busy.base_url + "/%.html"])}
        assert fetched == {busy.base_url + p for p in BUSY_PAGES}  # a later pass asked for them again


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_stops_the_crawl_promptly_and_the_next_run_resumes_it(tmp_path, sig):
    data = tmp_path / "data"
    # a pause within BUDGETS_MAX_RETRY_AFTER: the crawl waits for it, and a signal must not
    waiting = FaultServer("127.0.0.3", {"/robots.txt": file(ROBOTS, "text/plain"), "/": BUSY_HOME},
                          fallback=_busy(200), lifetime=300)
    with serve_portals(build_portals()) as servers, waiting:
        starts = [*(u for s in servers for u in s.manifest().start_urls), waiting.base_url + "/"]
        proc = start_budgets("crawl", *starts, *FAST, data=data)
        deadline = time.monotonic() + 120
        while not any(waiting.hits(p) for p in BUSY_PAGES):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the crawl never reached the waiting host"
            time.sleep(0.05)
        time.sleep(0.5)  # the crawl is now waiting out the Retry-After pause
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=30)  # a bound, not a measurement: the pause is 200 s
        assert proc.returncode == 1 and "the crawl was stopped before its end" in err, (out, err)
        assert_clean_log(err, ("the crawl was stopped before its end",))
        with _db(data) as db:
            assert db.execute("select status from runs").fetchall() == [("stopped",)]
            archived_before = {u for (u,) in db.execute("select url from urls where sha256 is not null")}
        for s in servers:
            s.log.clear()

        waiting.fallback = page("<html><body><p>工作动态</p></body></html>")
        budgets("crawl", *starts, *FAST, data=data)  # resumes, and finishes the work
        again = {s.base_url + t for s in servers for t in s.log.targets()} & archived_before
        manifests_pages = _disclosure_pages(servers)

    assert not again, f"fetched again after the resume: {sorted(again)[:5]}"
    with _db(data) as db:
        assert db.execute("select status, resumed_from from runs order by id").fetchall() == \
            [("interrupted", None), ("finished", 1)]
        fetched = {u for (u,) in db.execute("select url from urls where status = 200 and url like ?",
                                           [waiting.base_url + "/%.html"])}
    assert fetched == {waiting.base_url + p for p in BUSY_PAGES}
    records = export_records(data)
    assert {frozenset({r["detail_url"], *r["duplicate_urls"]}) for r in records} == manifests_pages
