"""A file that was never fetched is not a version: an attachment that failed (an outage, a full
disk) and is fetched on a later pass completes the disclosure's version, it does not revise it."""
from __future__ import annotations

import sqlite3

from tests.crawlrun import FAST, budgets
from tests.faultservers import ROBOTS, FaultServer, file, page, status

TITLE = "株洲市审计局2021年部门预算"
ARTICLE = (f'<html><head><meta charset="utf-8"><title>{TITLE}</title></head><body><h1>{TITLE}</h1>'
           f'<div class="TRS_Editor"><p>现将{TITLE}公开如下。</p><p>附件：<a href="/files/a.pdf">2021年部门预算说明.pdf</a> '
           f'<a href="/files/b.xls">2021年部门预算表.xls</a></p></div></body></html>')
BODY = b"%PDF-1.4\n" + b"b" * 5000


def test_a_file_fetched_after_a_failure_completes_the_version(tmp_path):
    data = tmp_path / "data"
    routes = {"/robots.txt": file(ROBOTS, "text/plain"), "/": page('<html><body><a href="/art/1.html">部门预算</a></body></html>'),
              "/art/1.html": page(ARTICLE), "/files/a.pdf": file(b"%PDF-1.4\n" + b"a" * 5000, "application/pdf"),
              "/files/b.xls": status(503, b"busy")}
    crawl = ["-s", "RETRY_TIMES=0", "-s", "BUDGETS_REVALIDATE_AFTER=0", "--no-process"]
    with FaultServer("127.0.0.7", routes) as server:
        first = budgets("crawl", server.base_url + "/", *FAST, *crawl, data=data, check=False)  # logs the 503
        assert first.returncode == 0 and "This run: 1 new, 0 revised" in first.stdout
        server.routes["/files/b.xls"] = file(BODY, "application/vnd.ms-excel")  # the portal is back, unchanged
        second = budgets("crawl", server.base_url + "/", *FAST, *crawl, data=data)
    assert "0 revised" in second.stdout, second.stdout
    with sqlite3.connect(data / "archive.db") as db:
        versions = db.execute("select version, files from document_versions").fetchall()
        files = dict(db.execute("select url, sha256 from document_files"))
    assert len(versions) == 1 and all(files.values())
    assert all(f'"{sha}"' in versions[0][1] for sha in files.values())  # the version lists what it holds now
