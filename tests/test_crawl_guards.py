"""Safety and politeness against a small hostile portal: off-host redirects, oversize files, Retry-After."""
from __future__ import annotations

import hashlib
import sqlite3
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.crawlrun import FAST, budgets, export_records
from tests.portals import build_portals, serve_portals

ARTICLE = """<html><head><meta charset="utf-8"><title>株洲市统计局2020年部门预算</title></head><body>
<h1>株洲市统计局2020年部门预算</h1><div class="TRS_Editor"><p>现将株洲市统计局2020年部门预算公开如下。</p>
<p>附件：<a href="/files/big.pdf">2020年部门预算.pdf</a> <a href="/files/busy.xls">公开表.xls</a></p></div>
<p><a href="/go">更多</a></p></body></html>"""


class Hostile(BaseHTTPRequestHandler):
    log: list[tuple[str, float]]
    other_port: int
    busy_seen = False

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        import time

        self.log.append((self.path, time.monotonic()))
        if self.path == "/robots.txt":
            return self._send(200, b"User-agent: *\nAllow: /\n", "text/plain")
        if self.path == "/":
            return self._send(200, b'<html><body><a href="/art/1.html">a</a></body></html>', "text/html")
        if self.path == "/art/1.html":
            return self._send(200, ARTICLE.encode(), "text/html; charset=utf-8")
        if self.path == "/go":
            self.send_response(302)
            self.send_header("Location", f"http://127.0.0.9:{self.other_port}/secret")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        if self.path == "/files/big.pdf":
            return self._send(200, b"%PDF-1.4\n" + b"0" * 200_000, "application/pdf")
        if self.path == "/files/busy.xls":
            if not type(self).busy_seen:
                type(self).busy_seen = True
                self.send_response(503)
                self.send_header("Retry-After", "1")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return None
            return self._send(200, b"\xd0\xcf\x11\xe0 sheet", "application/vnd.ms-excel")
        return self._send(404, b"not found", "text/plain")

    def _send(self, status: int, body: bytes, ctype: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _serve(host: str, handler) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer((host, 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="module")
def hostile_crawl(tmp_path_factory):
    inner_log: list = []

    class Inner(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            inner_log.append(self.path)
            self.send_response(200)
            self.send_header("Content-Length", "6")
            self.end_headers()
            self.wfile.write(b"secret")

    inner = _serve("127.0.0.9", Inner)
    log: list[tuple[str, float]] = []
    handler = type("H", (Hostile,), {"log": log, "other_port": inner.server_address[1]})
    portal = _serve("127.0.0.1", handler)
    data = tmp_path_factory.mktemp("data")
    try:
        out = budgets("crawl", f"http://127.0.0.1:{portal.server_address[1]}/", *FAST,
                      "-s", "DOWNLOAD_MAXSIZE=100000", "--no-process", data=data)
    finally:
        portal.shutdown()
        inner.shutdown()
    return {"data": data, "log": log, "inner_log": inner_log, "stdout": out.stdout}


def test_redirect_off_host_is_refused_and_recorded(hostile_crawl):
    assert hostile_crawl["inner_log"] == []
    db = sqlite3.connect(hostile_crawl["data"] / "archive.db")
    (error,) = db.execute("select error from fetches where final_url like '%/secret'").fetchone()
    assert error.startswith("refused: redirect off the crawl's hosts")


def test_oversize_download_is_refused_and_recorded(hostile_crawl):
    (record,) = export_records(hostile_crawl["data"])
    big = next(f for f in record["files"] if f["url"].endswith("big.pdf"))
    assert big["sha256"] is None and "max size" in big["error"].lower()
    db = sqlite3.connect(hostile_crawl["data"] / "archive.db")
    (error,) = db.execute("select error from fetches where url like '%big.pdf'").fetchone()
    assert "larger than download max size" in error


def test_retry_after_is_honoured(hostile_crawl):
    times = [t for path, t in hostile_crawl["log"] if path == "/files/busy.xls"]
    assert len(times) == 2
    assert times[1] - times[0] >= 0.95  # the server asked for one second
    (record,) = export_records(hostile_crawl["data"])
    busy = next(f for f in record["files"] if f["url"].endswith("busy.xls"))
    assert busy["sha256"] and busy["bytes"] == 10


def test_registry_exclusions_are_refused_and_recorded(tmp_path):
    log: list[tuple[str, float]] = []
    handler = type("H2", (Hostile,), {"log": log, "other_port": 9})
    portal = _serve("127.0.0.1", handler)
    registry = tmp_path / "portals.toml"
    registry.write_text(f'[[portal]]\nname = "hostile"\nstart_urls = ["http://127.0.0.1:{portal.server_address[1]}/"]\n'
                        f'exclude = ["/files/"]\ndelay = 0\nconcurrency = 2\n', encoding="utf-8")
    try:
        budgets("crawl", "--portals", str(registry), *FAST, "--no-process", data=tmp_path / "data")
    finally:
        portal.shutdown()
    assert not [p for p, _ in log if p.startswith("/files/")]
    db = sqlite3.connect(tmp_path / "data" / "archive.db")
    errors = [e for (e,) in db.execute("select error from fetches where url like '%/files/%'")]
    assert errors and all("excluded by the portal registry" in e for e in errors)


def test_host_concurrency_limit_holds_without_a_delay(tmp_path):
    """With no delay, Scrapy's asyncio downloader would start all of a host's queued requests at once."""
    portals = build_portals(scale=3)
    for p in portals:
        p.latency = 0.05  # answers take a while, so requests pile up unless something stops them
    with serve_portals(portals) as servers:
        starts = [u for s in servers for u in s.manifest().start_urls]
        budgets("crawl", *starts, "--delay", "0", "--concurrency", "2", "-s", "AUTOTHROTTLE_ENABLED=False",
                "--no-process", data=tmp_path)
        assert [s.log.max_active for s in servers] == [2, 2]  # reached, never passed


def test_links_per_page_and_pages_per_crawl_are_capped_and_recorded(tmp_path):
    from tests.faultservers import ROBOTS, FaultServer, file, page

    huge = "".join(f'<li><a href="/p/{n}.html">第{n}条</a></li>' for n in range(100_000))

    def child(h, q) -> None:  # each page links three more, on another path
        n = h.path.rsplit("/", 1)[-1].split(".")[0]
        h.send(200, ("<html><body>" + "".join(f'<a href="/q/{n}-{k}.html">更多</a>' for k in range(3))
                     + "</body></html>").encode("utf-8"))

    routes = {"/robots.txt": file(ROBOTS, "text/plain"), "/": page('<a href="/huge.html">工作动态</a>'),
              "/huge.html": page(f"<html><body><ul>{huge}</ul></body></html>")}
    with FaultServer("127.0.0.3", routes, prefixes={"/p/": child, "/q/": page("<p>动态</p>")}) as server:
        budgets("crawl", server.base_url + "/", *FAST, "--no-process", "-s", "BUDGETS_MAX_LINKS_PER_PAGE=300",
                "-s", "BUDGETS_MAX_PAGES=400", data=tmp_path, timeout=300)
        paths = [p for p, _ in server.hits()]
    assert len([p for p in paths if p.startswith("/p/")]) == 300  # the first 300 links of the huge page
    assert len([p for p in paths if p.startswith(("/p/", "/q/", "/huge"))]) == 400  # 900 were linked
    with sqlite3.connect(tmp_path / "archive.db") as db:
        errors = dict(db.execute("select url, error from fetches where error like '%capped%'"))
    assert errors.pop(server.base_url + "/huge.html") == (
        "links capped: the page has 100000 links, only the first 300 (BUDGETS_MAX_LINKS_PER_PAGE) were followed")
    (pages_capped,) = errors.values()
    assert pages_capped == "pages capped: this crawl asked for 400 pages (BUDGETS_MAX_PAGES); links from here on are not followed"



# Runs a command and prints, last, the peak resident memory (KiB) of its process tree.
PEAK_RSS = ("import resource, subprocess, sys; code = subprocess.run(sys.argv[1:]).returncode; "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(code)")


def test_a_huge_robots_txt_is_read_up_to_its_cap_in_bounded_memory(tmp_path):
    """Issue 12: an 83 MB robots.txt took 1.65 GB to parse. It is read up to its first 500 KiB (as
    Google does): the rules there are obeyed, the rest is not seen, the cut is recorded."""
    import os
    import subprocess
    import sys

    from crawler.middlewares.robots_cap import cut_to_lines
    from tests.crawlrun import BUDGETS, REPO, assert_clean_log
    from tests.faultservers import FaultServer, file, page

    cap = 500 * 1024  # crawler/settings.py, as Google
    head = b"User-agent: *\nDisallow: /early/\n"
    head += b"# " + b"x" * (cap - 10 - len(head) - 3) + b"\n"
    robots = head + b"Disallow: /edge/page.html\n" + b"# padding\n" * 8_300_000 + b"Disallow: /late/\n"  # 83 MB
    assert len(head) == cap - 10  # the cap falls inside the /edge/ rule
    routes = {"/robots.txt": file(robots, "text/plain"),
              "/": page('<a href="/early/x.html">部门预算</a> <a href="/late/x.html">工作动态</a> '
                        '<a href="/edge/page.html">通知</a> <a href="/open.html">新闻</a>'),
              "/late/x.html": page("<p>动态</p>"), "/edge/page.html": page("<p>通知</p>"), "/open.html": page("<p>新闻</p>")}
    with FaultServer("127.0.0.3", routes) as server:
        proc = subprocess.run([sys.executable, "-c", PEAK_RSS, *BUDGETS, "crawl", server.base_url + "/", *FAST,
                               "--no-process", "--data", str(tmp_path)], cwd=REPO, capture_output=True, text=True,
                              env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=300)
        paths = {p for p, _ in server.hits()}
    assert proc.returncode == 0, (proc.stdout, proc.stderr)
    assert_clean_log(proc.stderr)
    peak_mb = int(proc.stdout.splitlines()[-1]) / 1024
    assert peak_mb < 600, peak_mb  # the whole file, parsed, took 1.65 GB
    assert "/early/x.html" not in paths  # a rule inside the cap is obeyed
    assert {"/late/x.html", "/edge/page.html", "/open.html"} <= paths  # past it, or cut by it, not seen
    with sqlite3.connect(tmp_path / "archive.db") as db:
        (error,) = db.execute("select error from fetches where url = ? and error is not null",
                              [server.base_url + "/robots.txt"]).fetchone()
        (size, sha) = db.execute("select bytes, sha256 from fetches where url = ? and sha256 is not null",
                                 [server.base_url + "/robots.txt"]).fetchone()
    assert error == (f"robots.txt larger than BUDGETS_MAX_ROBOTSTXT ({cap} bytes): only the lines in its first "
                     f"{cap} bytes were read")
    kept = cut_to_lines(robots, cap)
    assert size == len(kept) and sha == hashlib.sha256(kept).hexdigest()  # archived as it was read


def test_robots_txt_holds_for_every_request_that_waited_for_it(tmp_path):
    """Requests to a host that wait while its robots.txt downloads all get its rules: Scrapy 2.19
    awaits one shared Deferred, whose result only the first waiter gets (Twisted's asFuture leaves
    None to the next), and None means "no robots.txt": the others went out unchecked."""
    import time

    from tests.faultservers import FaultServer, page

    def slow_robots(h, q) -> None:
        time.sleep(1.5)  # every start request is waiting for it by now
        h.send(200, b"User-agent: *\nDisallow: /search/\n", "text/plain")

    with FaultServer("127.0.0.3", {"/robots.txt": slow_robots, "/": page("<p>首页</p>")},
                     prefixes={"/search/": page("<p>检索</p>")}) as server:
        starts = [server.base_url + "/", *(f"{server.base_url}/search/{n}.html" for n in range(6))]
        budgets("crawl", *starts, *FAST, "--no-process", data=tmp_path, timeout=120)
        paths = [p for p, _ in server.hits()]
    assert "/" in paths and not [p for p in paths if p.startswith("/search/")], paths
    with sqlite3.connect(tmp_path / "archive.db") as db:
        forbidden = db.execute("select count(*) from fetches where error like '%Forbidden by robots.txt%'").fetchone()[0]
    assert forbidden == 6
