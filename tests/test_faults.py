"""The crawl survives faulty and hostile servers: it records what failed, retries within limits,
finishes everything else, archives nothing corrupt (`budgets verify` passes) and exits 0."""
from __future__ import annotations

import gzip
import hashlib
import json
import random
import sqlite3
import subprocess
from datetime import date
from pathlib import Path

import pytest

from tests.crawlrun import FAST, REPO, budgets
from tests.faultservers import (
    ROBOTS,
    FaultServer,
    calendar,
    drip,
    endless_body,
    endless_index,
    file,
    page,
    redirect,
    reset_mid_body,
    short_body,
    status,
)
from tests.portals import build_portals, serve_portals

RETRY_TIMES = 2
DEPTH_LIMIT = 8  # crawler/settings.py
REDIRECT_MAX_TIMES = 10  # crawler/settings.py
MAXSIZE = 5_000_000
FAULTY = [*FAST, "-s", "DOWNLOAD_TIMEOUT=3", "-s", f"RETRY_TIMES={RETRY_TIMES}", "-s", "RETRY_BACKOFF_BASE=0.2",
          "-s", f"DOWNLOAD_MAXSIZE={MAXSIZE}", "--no-process"]


def _article(title: str, attachments: dict[str, str]) -> str:
    links = " ".join(f'<a href="{href}">{text}</a>' for href, text in attachments.items())
    return (f'<html><head><meta charset="utf-8"><title>{title}</title></head><body><h1>{title}</h1>'
            f'<div class="TRS_Editor"><p>现将{title}公开如下。</p><p>附件：{links}</p></div></body></html>')


AUDIT = "株洲市审计局2021年部门预算"
FAULTY_FILES = {"/files/reset.pdf": "2021年部门预算说明.pdf", "/files/short.xls": "2021年部门预算表.xls",
                "/files/drip.pdf": "2021年部门预算附表.pdf", "/files/loop.pdf": "2021年部门预算补充.pdf",
                "/files/bomb.pdf": "2021年部门预算图表.pdf",
                "/files/endless.pdf": "2021年部门预算说明附件.pdf", "/files/ok.pdf": "2021年部门预算公开.pdf"}
HOME = """<html><head><meta charset="utf-8"><title>株洲市审计局</title></head><body>
<a href="/art/audit.html">部门预算</a> <a href="/cal">日程</a> <a href="/archive/index.html">工作动态</a>
<a href="/loop/a">专题</a> <a href="/news/reset.html">新闻</a> <a href="/news/short.html">通知</a></body></html>"""


def _db(data: Path) -> sqlite3.Connection:
    return sqlite3.connect(data / "archive.db")


@pytest.fixture(scope="module")
def faulty_crawl(tmp_path_factory):
    """The healthy TRS portal crawled beside a faulty portal, a 500 storm and a host that does not resolve."""
    data = tmp_path_factory.mktemp("faults")
    faulty = FaultServer("127.0.0.3", {
        "/robots.txt": file(ROBOTS, "text/plain"),
        "/": page(HOME),
        "/art/audit.html": page(_article(AUDIT, FAULTY_FILES)),
        "/files/ok.pdf": file(b"%PDF-1.4\n" + b"ok" * 5000, "application/pdf"),
        "/files/reset.pdf": reset_mid_body(total=100_000, sent=20_000),
        "/files/short.xls": short_body(declared=50_000, actual=10_000),
        "/files/drip.pdf": drip(),
        # a few kB on the wire, more than DOWNLOAD_MAXSIZE once decompressed
        "/files/bomb.pdf": file(gzip.compress(b"\0" * (MAXSIZE + 1)), "application/pdf", {"Content-Encoding": "gzip"}),
        "/files/endless.pdf": endless_body(),  # no Content-Length, never ends
        "/files/loop.pdf": redirect("/files/loop2.pdf"),
        "/files/loop2.pdf": redirect("/files/loop.pdf"),
        "/loop/a": redirect("/loop/b"),
        "/loop/b": redirect("/loop/a"),
        "/news/reset.html": reset_mid_body(total=30_000, sent=5_000),
        "/news/short.html": short_body(declared=9_000, actual=1_000, ctype="text/html"),
        "/cal": calendar(date(2020, 1, 1)),
    }, prefixes={"/archive/": endless_index})
    storm = FaultServer("127.0.0.4", {}, fallback=status(500, b"<h1>500</h1>"))
    with serve_portals(build_portals()[:1]) as (healthy,), faulty, storm:
        manifest = healthy.manifest()
        starts = [*manifest.start_urls, faulty.base_url + "/", storm.base_url + "/", "http://nonexistent.invalid/"]
        # Scrapy's robots.txt middleware logs an error for a host it cannot reach
        out = budgets("crawl", *starts, *FAULTY, data=data, timeout=120,
                      expected_errors=("Error downloading <GET http://nonexistent.invalid/>: DNS lookup failed",))
        yield {"data": data, "manifest": manifest, "faulty": faulty, "storm": storm, "stdout": out.stdout}


def test_healthy_portal_fully_crawled(faulty_crawl):
    with _db(faulty_crawl["data"]) as db:
        pages = {u for (u,) in db.execute("select url from document_pages")}
        files = dict(db.execute("select url, sha256 from document_files"))
    for d in faulty_crawl["manifest"].disclosures:
        assert {d.detail_url, *d.duplicate_urls} <= pages, d.title
        assert all(files[u] for u in d.attachment_urls), d.title


def test_broken_downloads_recorded_and_retried_within_limits(faulty_crawl):
    faulty, data = faulty_crawl["faulty"], faulty_crawl["data"]
    with _db(data) as db:
        files = {url.removeprefix(faulty.base_url): (sha, error) for url, sha, error in db.execute(
            "select url, sha256, error from document_files where url like ?", [faulty.base_url + "/files/%"])}
        errors = db.execute("select url, error from fetches where url like ? and error is not null",
                            [faulty.base_url + "/%"]).fetchall()
    assert files["/files/ok.pdf"][0] and files["/files/ok.pdf"][1] is None
    for path in ("/files/reset.pdf", "/files/short.xls", "/files/drip.pdf", "/news/reset.html", "/news/short.html"):
        assert len(faulty.hits(path)) == 1 + RETRY_TIMES, path
        recorded = [e for u, e in errors if u == faulty.base_url + path]
        assert len(recorded) == 1 + RETRY_TIMES, (path, recorded)
        if path.startswith("/files/"):
            assert files[path][0] is None and files[path][1], path
    reasons = {u.removeprefix(faulty.base_url): e for u, e in errors}
    assert "couldn't get a complete response" in reasons["/files/short.xls"]
    assert "exceeded DOWNLOAD_MAXSIZE" in reasons["/files/bomb.pdf"] and files["/files/bomb.pdf"][0] is None
    assert len(faulty.hits("/files/bomb.pdf")) == 1  # a refusal is not retried
    too_big = f"body larger than DOWNLOAD_MAXSIZE ({MAXSIZE} bytes)"
    assert too_big in reasons["/files/endless.pdf"] and too_big in files["/files/endless.pdf"][1]
    assert len(faulty.hits("/files/endless.pdf")) == 1
    assert "TimeoutError" in reasons["/files/drip.pdf"] or "timeout" in reasons["/files/drip.pdf"].lower()


def test_endless_pagers_and_redirect_loops_are_bounded(faulty_crawl):
    faulty = faulty_crawl["faulty"]
    assert 2 <= len(faulty.hits("/cal")) <= DEPTH_LIMIT
    archive = [h for h in faulty.hits() if h[0].startswith("/archive/")]
    assert 2 <= len(archive) <= DEPTH_LIMIT
    # a page loop ends when it comes back to a URL already asked for; an attachment (asked for
    # even when seen before) at the redirect limit
    assert len(faulty.hits("/loop/a") + faulty.hits("/loop/b")) == 2
    assert len(faulty.hits("/files/loop.pdf") + faulty.hits("/files/loop2.pdf")) == REDIRECT_MAX_TIMES + 1
    with _db(faulty_crawl["data"]) as db:
        (page_loop,) = db.execute("select error from fetches where url = ?", [faulty.base_url + "/loop/a"]).fetchone()
        (file_loop,) = db.execute("select error from fetches where url = ?", [faulty.base_url + "/files/loop.pdf"]
                                  ).fetchone()
        (file_error,) = db.execute("select error from document_files where url = ?",
                                   [faulty.base_url + "/files/loop.pdf"]).fetchone()
    assert "redirect to a URL already requested" in page_loop
    assert "max redirections reached" in file_loop and "max redirections reached" in file_error


def test_500_storm_and_dns_failure_recorded(faulty_crawl):
    storm = faulty_crawl["storm"]
    with _db(faulty_crawl["data"]) as db:
        statuses = [s for (s,) in db.execute("select status from fetches where url like ?", [storm.base_url + "/%"])]
        (dns,) = db.execute("select group_concat(error, ' | ') from fetches where url like 'http://nonexistent.invalid/%'"
                            ).fetchone()
    assert statuses and set(statuses) == {500}
    assert len(storm.hits()) == len(statuses) <= 2 * (1 + RETRY_TIMES)  # robots.txt and the start page
    assert dns and "DNS lookup failed" in dns


def test_archive_verifies_after_faults(faulty_crawl):
    out = budgets("verify", data=faulty_crawl["data"])
    assert "Archive intact." in out.stdout


# -- a disk that fills up mid-crawl -----------------------------------------------------

def _mount_tmpfs(where: Path, size: str) -> None:
    where.mkdir()
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {proc.stderr.decode().strip()}")


def test_disk_full_mid_crawl(tmp_path):
    rng = random.Random(7)  # incompressible bodies, so the WARC needs as much room as the blobs
    bodies = {f"/files/{i}.pdf": b"%PDF-1.4\n" + rng.randbytes(600_000) for i in range(4)}
    files = {path: f"2021年部门预算附件{i}.pdf" for i, path in enumerate(bodies)}
    routes = {"/robots.txt": file(ROBOTS, "text/plain"),
              "/": page('<html><body><a href="/art/1.html">部门预算</a></body></html>'),
              "/art/1.html": page(_article(AUDIT, files)),
              **{path: file(body, "application/pdf") for path, body in bodies.items()}}
    mnt = tmp_path / "small"
    _mount_tmpfs(mnt, "1500k")
    data = mnt / "data"
    try:
        with FaultServer("127.0.0.5", routes) as server:
            start = server.base_url + "/"
            out = budgets("crawl", start, *FAULTY, data=data, timeout=120,  # fails the test unless it exits 0
                          expected_errors=("No space left on device",))
            assert "WARC checkpoint failed: " in out.stdout and "No space left" in out.stdout
            with _db(data) as db:
                stored = db.execute("select url, sha256, error from document_files").fetchall()
                full = db.execute("select count(*) from fetches where error like '%No space left%'").fetchone()[0]
                (status, stats) = db.execute("select status, stats from runs").fetchone()
                pending = db.execute("select count(*) from fetches where sha256 is not null and warc_file is null"
                                     ).fetchone()[0]
            assert len(stored) == 4
            kept = [sha for _, sha, _ in stored if sha]
            assert kept and len(kept) < 4  # some fitted, the rest did not
            assert full >= 1 and all("No space left" in e for _, sha, e in stored if not sha)
            # the final WARC checkpoint did not fit either: the run still ends, saying so
            assert status == "finished" and "No space left" in json.loads(stats)["budgets/warc_checkpoint_error"]
            assert pending > 0 and not list((data / "warc").iterdir())
            assert "Archive intact." in budgets("verify", data=data).stdout

            # room again: the next crawl fetches what was missing; nothing archived before is lost
            subprocess.run(["mount", "-o", "remount,size=8m", str(mnt)], check=True)
            budgets("crawl", start, *FAULTY, data=data, timeout=120)
            with _db(data) as db:
                after = dict(db.execute("select url, sha256 from document_files"))
                pending = db.execute("select count(*) from fetches where sha256 is not null and warc_file is null"
                                     ).fetchone()[0]
            assert all(after.values()) and set(kept) <= set(after.values())
            assert {server.base_url + p: hashlib.sha256(b).hexdigest() for p, b in bodies.items()} == after
            assert pending == 0
            assert "Archive intact." in budgets("verify", data=data).stdout
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


# -- hostile links, redirects and names ---------------------------------------------------

# downfile.jsp?id=N: the real name is only in Content-Disposition, as on Hanweb portals
NAMES = {
    "1": 'attachment; filename="../../../../../tmp/budgets_evil_1.pdf"',
    "2": 'attachment; filename="/etc/budgets_evil_2.xls"',
    "3": "attachment; filename*=UTF-8''..%2F..%2Fbudgets_evil%00_3.pdf",
    "4": 'attachment; filename="CON.pdf"',
    "5": 'attachment; filename="..\\..\\budgets_evil_5.docx"',
}
DOWNLOAD = "/module/download/downfile.jsp"


def _download(h, q) -> None:
    n = q["id"][0]
    h.send(200, b"%PDF-1.4\n" + n.encode() * 1000, "application/octet-stream", {"Content-Disposition": NAMES[n]})


@pytest.fixture(scope="module")
def hostile_crawl(tmp_path_factory):
    """A portal on 127.0.0.1 crawled as if public: only its own host:port may be a private address."""
    data = tmp_path_factory.mktemp("hostile")
    routes = {"/robots.txt": file(ROBOTS, "text/plain"), "/secret": page("<p>internal</p>"),
              "/art/names.html": page(_article(AUDIT, {f"{DOWNLOAD}?id={n}&filename=file{n}.pdf": f"附件{n}"
                                                       for n in NAMES})),
              DOWNLOAD: _download}
    with FaultServer("127.0.0.1", routes) as server:
        port = server.port
        targets = {"meta": "http://169.254.169.254/latest/meta-data/", "ten": "http://10.0.0.1/admin",
                   "v6": f"http://[::1]:{port}/secret", "localhost": f"http://localhost:{port}/secret/2",
                   "decimal": f"http://2130706433:{port}/secret", "cgnat": "http://100.64.0.1/"}
        server.routes.update({f"/r/{k}": redirect(v) for k, v in targets.items()})
        direct = [t for k, t in targets.items() if k != "localhost"] + [f"http://localhost:{port}/secret"]
        links = [*direct, *(f"/r/{k}" for k in targets),
                 "/art/names.html"]
        server.routes["/"] = page("<html><body>" + "".join(f'<a href="{u}">链接</a>' for u in links) + "</body></html>")
        starts = [server.base_url + "/", f"http://localhost:{port}/"]
        budgets("crawl", *starts, *FAST, "-s", f"BUDGETS_ALLOW_PRIVATE=127.0.0.1:{port}", data=data, timeout=120)
        yield {"data": data, "server": server, "targets": targets, "port": port}


def test_private_targets_refused_and_recorded(hostile_crawl):
    server, targets = hostile_crawl["server"], hostile_crawl["targets"]
    assert server.hits("/art/names.html")  # the public-looking portal itself was crawled
    assert not server.hits("/secret") and not server.hits("/secret/2")
    assert {h for _, h in server.hits()} == {f"127.0.0.1:{hostile_crawl['port']}"}
    base = server.base_url
    with _db(hostile_crawl["data"]) as db:
        refused = {(u, f): e for u, f, e in db.execute("select url, final_url, error from fetches "
                                                        "where error like 'refused:%'")}
        offsite = {u.rstrip("/") for (u,) in db.execute("select url from offsite_links")}
    for name, target in targets.items():
        error = refused.get((f"{base}/r/{name}", target))
        assert error and error.startswith("refused: redirect"), (name, refused)
        if name == "localhost":  # a start host, but its name resolves to loopback
            assert "private" in error
    # a start host whose name resolves to loopback is refused as private, linked or started from
    localhost = f"http://localhost:{hostile_crawl['port']}"
    assert "request to a private" in refused[(localhost + "/", localhost + "/")]
    assert "request to a private" in refused[(localhost + "/secret", localhost + "/secret")]
    # the other addresses, linked directly, are recorded as off-host links, never requested
    assert {t.rstrip("/") for k, t in targets.items() if k != "localhost"} <= offsite


def test_hostile_attachment_names_are_only_metadata(hostile_crawl):
    data = hostile_crawl["data"]
    with _db(data) as db:
        names = dict(db.execute("select url, filename from document_files"))
    assert len(names) == len(NAMES)
    for url, name in names.items():
        assert name and not any(c in name for c in "/\\\x00") and not name.startswith(".."), (url, name)
        assert name.split(".")[0].upper() not in {"CON", "NUL", "PRN", "AUX"}
    assert names[f"{hostile_crawl['server'].base_url}{DOWNLOAD}?id=1&filename=file1.pdf"] == "budgets_evil_1.pdf"
    for leaked in (Path("/tmp/budgets_evil_1.pdf"), Path("/etc/budgets_evil_2.xls"), REPO / "budgets_evil_5.docx",
                   REPO.parent / "budgets_evil_5.docx", data.parent / "budgets_evil_1.pdf"):
        assert not leaked.exists()
    for path in data.rglob("*"):
        rel = path.relative_to(data).as_posix()
        # the data directory's own files, the writer lock among them (archive/lock.py)
        assert "evil" not in rel and (path.is_dir() or rel == ".lock"
                                      or rel.startswith(("blobs/", "warc/", "archive.db", "search.db"))), rel
    assert "Archive intact." in budgets("verify", data=data).stdout


def test_loopback_written_otherwise_is_never_the_crawls_own_host(tmp_path):
    """Scrapy reads 2130706433, 0x7f.1, 127.1 and 127.0.0.1. as 127.0.0.1, the host this crawl may reach:
    links, pagers, redirects and meta refreshes that write it so are recorded and refused, never fetched."""
    with FaultServer("127.0.0.1", {"/robots.txt": file(b"", "text/plain"), "/secret": page("<p>internal</p>")}) as server:
        port = server.port
        forms = {"int": f"http://2130706433:{port}/secret", "hex": f"http://0x7f.1:{port}/secret",
                 "short": f"http://127.1:{port}/secret", "dot": f"http://127.0.0.1.:{port}/secret"}
        server.routes.update({f"/r/{k}": redirect(v) for k, v in forms.items()})
        server.routes["/m"] = page(f'<html><head><meta http-equiv="refresh" content="0; url={forms["hex"]}">'
                                   '</head><body></body></html>')
        links = [*forms.values(), *(f"/r/{k}" for k in forms), "/m", f"http://0x7f.1:{port}/list?page=2"]
        server.routes["/"] = page("<html><body>" + "".join(f'<a href="{u}">下一页</a>' for u in links) + "</body></html>")
        budgets("crawl", server.base_url + "/", *FAST, "--no-process", "-s", f"BUDGETS_ALLOW_PRIVATE=127.0.0.1:{port}",
                data=tmp_path, timeout=120)
        assert server.hits("/m") and not server.hits("/secret") and not server.hits("/list")
    with _db(tmp_path) as db:
        refused = {(u, f): e for u, f, e in db.execute("select url, final_url, error from fetches where error like 'refused:%'")}
        offsite = {u for (u,) in db.execute("select url from offsite_links")}
    for name, target in forms.items():
        assert "written in an unusual form" in refused[(f"{server.base_url}/r/{name}", target)]
    assert "written in an unusual form" in refused[(f"{server.base_url}/m", forms["hex"])]
    assert set(forms.values()) <= offsite


@pytest.mark.parametrize("resolver, guarded", [("RebindingResolver", True), ("UnguardedRebindingResolver", False)])
def test_a_name_rebound_to_loopback_is_refused_at_connection_time(tmp_path, resolver, guarded):
    """The guard's lookup sees no private address; the connection's lookup is checked again."""
    from tests.fakedns import REBINDING_NAME

    with FaultServer("127.0.0.1", {"/": page("<p>portal</p>"), "/robots.txt": file(b"", "text/plain")}) as server:
        rebound = f"http://{REBINDING_NAME}:{server.port}/"
        crawl = budgets("crawl", server.base_url + "/", rebound, *FAST, "--no-process",
                        "-s", f"BUDGETS_ALLOW_PRIVATE=127.0.0.1:{server.port}",
                        "-s", f"TWISTED_DNS_RESOLVER=tests.fakedns.{resolver}", data=tmp_path, timeout=120,
                        expected_errors=(f"refused: {REBINDING_NAME} resolved to 127.0.0.1",))
        hosts = {h for _, h in server.hits()}
    with _db(tmp_path) as db:
        errors = [e for (e,) in db.execute("select error from fetches where url = ?", [rebound])]
    if guarded:
        assert hosts == {f"127.0.0.1:{server.port}"}  # nothing reached the server under the rebound name
        assert errors and all("DNS lookup failed" in e for e in errors), errors  # recorded as a failed fetch
        assert f"refused: {REBINDING_NAME} resolved to 127.0.0.1, a private" in crawl.stderr  # and why
    else:  # the same crawl without the check reaches loopback: the test can tell the difference
        assert f"{REBINDING_NAME}:{server.port}" in hosts


def test_a_crawl_that_archives_nothing_at_all_exits_non_zero(tmp_path):
    from tests.services import free_port

    out = budgets("crawl", "http://nonexistent.invalid/", f"http://127.0.0.1:{free_port()}/", *FAULTY,
                  data=tmp_path, timeout=120, check=False)
    assert out.returncode == 1 and "nothing at all could be archived" in out.stderr, (out.stdout, out.stderr)
    assert "DNS lookup failed" in out.stdout and "Connection" in out.stdout  # the summary says why
