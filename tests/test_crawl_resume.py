"""A crawl killed with kill -9 and started again continues: nothing lost, duplicated or re-downloaded."""
from __future__ import annotations

import json
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


DOWNFILE = "/module/download/downfile.jsp"
NAME = "株洲市审计局2021年部门预算公开"  # served only in Content-Disposition, as raw UTF-8 bytes


def _article(title: str, attachments: dict[str, str]) -> str:
    links = " ".join(f'<a href="{href}">{text}</a>' for href, text in attachments.items())
    return (f'<html><head><meta charset="utf-8"><title>{title}</title></head><body><h1>{title}</h1>'
            f'<div class="TRS_Editor"><p>现将{title}公开如下。</p><p>附件：{links}</p></div></body></html>')


def _fetched(data: Path, url: str) -> bool:
    try:
        with sqlite3.connect(data / "archive.db", timeout=5) as db:
            return db.execute("select count(*) from fetches where url = ? and sha256 is not null", [url]).fetchone()[0] > 0
    except sqlite3.OperationalError:
        return False


def test_a_file_name_answered_from_the_archive_is_read_as_when_fetched(tmp_path):
    """Killed just after a downfile.jsp download was logged, the resumed run answers it from the
    archive: its Chinese Content-Disposition name must come out as the live fetch reads it."""
    import threading
    import urllib.request

    from tests.faultservers import ROBOTS, FaultServer, file, page

    with serve_portals(build_portals()[:1]) as (portal,):
        source = next(a for d in portal.manifest().disclosures for a in d.attachments if a.format == "xls")
        with urllib.request.urlopen(source.url) as r:
            body = r.read()
    name = f"{NAME}.xls"
    released = threading.Event()

    def held(h, q) -> None:  # the article's other file answers only once the test lets it
        released.wait(100)
        h.send(200, b"%PDF-1.4\n" + b"held" * 1000, "application/pdf")

    download = f"{DOWNFILE}?classid=0&id=7"
    raw_name = f'attachment; filename="{name}"'.encode().decode("latin-1")  # sent as raw UTF-8
    routes = {"/robots.txt": file(ROBOTS, "text/plain"),
              "/": page('<html><body><a href="/art/1.html">部门预算</a></body></html>'),
              "/art/1.html": page(_article(NAME, {download: "附件1", "/files/held.pdf": "附件2"})),
              DOWNFILE: file(body, "application/octet-stream", {"Content-Disposition": raw_name}),
              "/files/held.pdf": held}
    data = tmp_path / "data"
    with FaultServer("127.0.0.3", routes) as server:
        start = server.base_url + "/"
        proc = start_budgets("crawl", start, "--delay", "0", "-s", "AUTOTHROTTLE_ENABLED=False", data=data)
        deadline = time.monotonic() + 120
        while not _fetched(data, server.base_url + download):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the download was never archived"
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        released.set()
        budgets("crawl", start, "--delay", "0", "-s", "AUTOTHROTTLE_ENABLED=False", data=data)
        assert len(server.hits(DOWNFILE)) == 1  # answered from the archive on resume

    with sqlite3.connect(data / "archive.db") as db:
        names = dict(db.execute("select url, filename from document_files"))
    assert names[server.base_url + download] == name
    (record,) = export_records(data)
    sources = json.dumps([record["figure_sources"], record["flags"]], ensure_ascii=False)
    assert record["figures"] and name in sources, sources[:500]
    assert "é" not in sources and "\ufffd" not in sources

    # an archive resumed before the fix holds the mis-decoded name: a reparse reads the name again
    garbled = name.encode("utf-8").decode("latin-1")
    with sqlite3.connect(data / "archive.db") as db:
        db.execute("update document_files set filename = ?", [garbled])
    budgets("reparse", data=data)
    (record,) = export_records(data)
    sources = json.dumps([record["figure_sources"], record["flags"]], ensure_ascii=False)
    assert name in sources and garbled not in sources


def test_resume_does_not_ask_again_for_what_failed_for_good(tmp_path):
    """A 404 and a page robots.txt forbids, met before the kill, are not asked for again on resume."""
    import threading

    from tests.faultservers import FaultServer, file, page, status

    released = threading.Event()

    def held(h, q) -> None:  # keeps the first run busy until it is killed
        released.wait(100)
        h.send(200, "<html><body><p>工作动态</p></body></html>".encode())

    routes = {"/robots.txt": file(b"User-agent: *\nDisallow: /private/\n", "text/plain"),
              "/": page('<html><body><a href="/gone.html">通知</a> <a href="/private/x.html">内部</a> '
                        '<a href="/held.html">动态</a></body></html>'),
              "/gone.html": status(404, b"not found"), "/held.html": held}
    data = tmp_path / "data"
    with FaultServer("127.0.0.3", routes) as server:
        start = server.base_url + "/"
        args = ("crawl", start, "--delay", "0", "-s", "AUTOTHROTTLE_ENABLED=False", "--no-process")
        proc = start_budgets(*args, data=data)
        deadline = time.monotonic() + 120
        while not (server.hits("/held.html") and _failed(data, server.base_url + "/private/x.html")
                   and _answered(data, server.base_url + "/gone.html")):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the first run never got that far"
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        released.set()
        first = len(server.hits())
        budgets(*args, data=data)
        again = [path for path, _ in server.hits()[first:]]
    # only what the killed run had not finished: not the 404, nor robots.txt (answered from the
    # archive, so the forbidden page is refused again without a request)
    assert again == ["/held.html"], again
    with sqlite3.connect(data / "archive.db") as db:
        gone = db.execute("select run_id, status from fetches where url = ?", [server.base_url + "/gone.html"]
                          ).fetchall()
    assert gone == [(1, 404)]


def _failed(data: Path, url: str) -> bool:
    try:
        with sqlite3.connect(data / "archive.db", timeout=5) as db:
            return db.execute("select count(*) from fetches where url = ? and error is not null", [url]).fetchone()[0] > 0
    except sqlite3.OperationalError:
        return False


def _answered(data: Path, url: str) -> bool:
    try:
        with sqlite3.connect(data / "archive.db", timeout=5) as db:
            return db.execute("select count(*) from fetches where url = ? and status is not null", [url]).fetchone()[0] > 0
    except sqlite3.OperationalError:
        return False
