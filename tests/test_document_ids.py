"""A disclosure published on two pages gets the same id whichever page a crawl meets first, and an
id once assigned never changes. Real crawls of a loopback portal into fresh archives."""
from __future__ import annotations

import sqlite3
import time
import urllib.request
from pathlib import Path

from tests.crawlrun import FAST, budgets
from tests.faultservers import ROBOTS, FaultServer, file, page
from tests.portals import build_portals, serve_portals

TITLE = "株洲市审计局2021年部门预算"


def _article(attachment: str) -> str:
    return (f'<html><head><meta charset="utf-8"><title>{TITLE}</title></head><body><h1>{TITLE}</h1>'
            f'<div class="TRS_Editor"><p>现将{TITLE}公开如下。</p>'
            f'<p>附件：<a href="{attachment}">{TITLE}.xls</a></p></div></body></html>')


def _has_document(data: Path) -> bool:
    try:
        with sqlite3.connect(data / "archive.db", timeout=5) as db:
            return db.execute("select count(*) from documents").fetchone()[0] > 0
    except sqlite3.OperationalError:
        return False


def _after_a_document(data: Path, html: str):
    """A page that answers only once the crawl has archived a document (from the other page)."""
    def route(h, q) -> None:
        deadline = time.monotonic() + 60
        while not _has_document(data) and time.monotonic() < deadline:
            time.sleep(0.05)
        h.send(200, html.encode("utf-8"))
    return route


def _crawl(data: Path, body: bytes, held: str) -> dict:
    """Crawl a portal publishing one disclosure on /a.html and /b.html (each linking its own copy
    of the file), with page `held` answering only after the other one made the document."""
    pages = {"/a.html": _article("/files/a.xls"), "/b.html": _article("/files/b.xls")}
    routes = {"/robots.txt": file(ROBOTS, "text/plain"),
              "/": page('<html><body><a href="/a.html">部门预算</a> <a href="/b.html">预算公开</a></body></html>'),
              "/files/a.xls": file(body, "application/vnd.ms-excel"),
              "/files/b.xls": file(body, "application/vnd.ms-excel"),
              **{path: page(html) for path, html in pages.items() if path != held},
              held: _after_a_document(data, pages[held])}
    with FaultServer("127.0.0.3", routes) as server:
        budgets("crawl", server.base_url + "/", *FAST, "--no-process", data=data, timeout=120)
        with sqlite3.connect(data / "archive.db") as db:
            (doc_id, detail), = db.execute("select id, detail_url from documents").fetchall()
            pages_of = {u.removeprefix(server.base_url): r for u, r in db.execute(
                "select url, role from document_pages where document_id = ?", [doc_id])}
        if held == "/a.html":  # crawled again: the id a document has is the id it keeps
            budgets("crawl", server.base_url + "/", *FAST, "--no-process", data=data, timeout=120)
            with sqlite3.connect(data / "archive.db") as db:
                assert db.execute("select id from documents").fetchall() == [(doc_id,)]
    return {"id": doc_id, "detail": detail.removeprefix(server.base_url), "pages": pages_of}


def test_a_disclosure_on_two_pages_gets_one_id_whichever_page_comes_first(tmp_path):
    with serve_portals(build_portals()[:1]) as (portal,):
        source = next(a for d in portal.manifest().disclosures for a in d.attachments if a.format == "xls")
        with urllib.request.urlopen(source.url) as r:
            body = r.read()
    b_first = _crawl(tmp_path / "one", body, held="/a.html")
    a_first = _crawl(tmp_path / "two", body, held="/b.html")
    assert b_first["detail"] == "/b.html" and a_first["detail"] == "/a.html"  # met in the other order
    assert b_first["pages"] == {"/b.html": "detail", "/a.html": "duplicate"}
    assert a_first["id"] == b_first["id"]
