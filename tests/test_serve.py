"""`budgets serve`: the Datasette app over a small archive built through the archive's own API.

The archive holds hostile input on purpose (HTML in titles and text, a file name and a
content type that try header injection), and the tests send hostile queries and paths.
"""
from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import json
import os
import re
import sqlite3
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from archive import Archive
from budgets.process import index_documents
from budgets.web.app import make_app
from budgets.web.browse import BROWSE_NAME, ensure_browse_db
from budgets.web.labels import FIGURE_LABELS
from index import open_backend
from parsers.catalogue import FIGURE_KEYS

REPO = Path(__file__).resolve().parent.parent
PDF = b"%PDF-1.4\n% a stand-in for the archived PDF\n"
XLS = b"\xd0\xcf\x11\xe0 a stand-in for the archived sheet"
HOSTILE_NAME = '../../etc/passwd"\r\nSet-Cookie: x=1;.xls'
XSS = '<img src=x onerror="alert(1)">'
BUDGET_ID = "a1b2c3d4e5f6a7b8c9d0"
FINAL_ID = "0f1e2d3c4b5a69788796"


def _record(*, department, region, year, kind, text, figures, sources, flags) -> dict:
    return {"department": department, "region": region, "fiscal_year": year, "kind": kind,
            "units_in_source": "万元", "figures": figures, "figure_sources": sources, "flags": flags,
            "ocr": False, "text": text, "parser_version": "test", "errors": {}}


def _add(archive: Archive, doc_id: str, title: str, record: dict, files: list[tuple[str, bytes, str, str]]) -> None:
    rows = []
    for url, body, content_type, filename in files:
        sha = archive.blobs.put(body)
        rows.append({"url": url, "sha256": sha, "content_type": content_type, "bytes": len(body),
                     "filename": filename, "error": None})
    page = f"http://127.0.0.1:9/art/{doc_id}.html"
    archive.db.save_document(
        {"id": doc_id, "detail_url": page, "title": title, "kind": record["kind"],
         "fiscal_year": record["fiscal_year"], "department": record["department"],
         "published_date": f"{record['fiscal_year']}-03-01", "page_metadata": json.dumps({"index_no": "430200-01"}),
         "text": record["text"], "fingerprint": doc_id, "portal": "127.0.0.1", "region_hint": "{}"},
        rows, page, "detail")
    archive.db.save_parse({"document_id": doc_id, "parser_version": "test",
                           "record": json.dumps(record, ensure_ascii=False), "errors": "{}",
                           "input_fingerprint": doc_id})


def build_archive(data: Path) -> None:
    archive = Archive(data)
    sheet = "株洲市财政局2021年部门预算表.xls"
    _add(archive, BUDGET_ID, "株洲市财政局2021年部门预算", _record(
        department="株洲市财政局", region={"province": "湖南省", "city": "株洲市", "county": None, "admin_code": "430200"},
        year=2021, kind="budget", text="2021年“三公”经费预算5845.98万元，比上年减少。",
        figures={"three_public_total": "58459800.00", "staff_actual": 12},
        sources={"three_public_total": {"where": {"file": sheet, "sheet": "表7", "table": "“三公”经费支出预算表",
                                                  "row": "合计", "column": "预算数"}, "text": "5,845.98"},
                 "staff_actual": {"where": {"file": "株洲市财政局2021年部门预算.pdf", "page": 1, "paragraph": 4},
                                  "text": "实有人数12人"}},
        flags=[{"type": "text_table_mismatch", "key": "three_public_total", "severity": "error",
                "readings": [{"value": "58459800.00", "where": {"file": sheet, "sheet": "表7"}, "text": "5,845.98"},
                             {"value": "58460000.00", "where": {"file": "株洲市财政局2021年部门预算.pdf", "page": 2},
                              "text": "5846万元"}],
                "detail": "the 说明 says 58460000.00, the tables 58459800.00"}]),
        [("http://127.0.0.1:9/f/1.pdf", PDF, "application/pdf", "株洲市财政局2021年部门预算.pdf"),
         ("http://127.0.0.1:9/f/2.xls", XLS, "application/vnd.ms-excel", sheet)])
    _add(archive, FINAL_ID, f"{XSS}通道县2020年部门决算", _record(
        department="通道侗族自治县财政局",
        region={"province": "湖南省", "city": "怀化市", "county": "通道侗族自治县", "admin_code": "431230"},
        year=2020, kind="final_account", text=f"<script>alert('x')</script> 三公经费决算数6.88万元 {XSS}",
        figures={"three_public_total": "68800.00"},
        sources={"three_public_total": {"where": {"file": HOSTILE_NAME, "page": 2, "paragraph": 7},
                                        "text": f"三公经费决算数6.88万元{XSS}"}},
        flags=[]),
        [("http://127.0.0.1:9/f/evil", b"<html><script>alert(1)</script></html>",
          "text/html\r\nX-Injected: 1", HOSTILE_NAME)])
    backend = open_backend(data)
    try:
        index_documents(archive, backend)
    finally:
        backend.close()
    archive.close()


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("serve")
    build_archive(path)
    return path


@pytest.fixture(scope="module")
def site(data):
    backend = open_backend(data)
    ds = make_app(data, backend)
    yield ds
    backend.close()


def get(ds, path: str) -> httpx.Response:
    return asyncio.run(ds.client.get(path, follow_redirects=True))


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_labels_cover_every_figure_key():
    assert set(FIGURE_LABELS) == set(FIGURE_KEYS)


def test_search_segments_chinese_and_shows_facets(site):
    r = get(site, "/-/search?q=三公经费")
    assert r.status_code == 200
    assert f'href="/-/doc/{BUDGET_ID}"' in r.text and f'href="/-/doc/{FINAL_ID}"' in r.text
    assert "<mark>" in r.text
    for value in ("湖南省", "株洲市", "怀化市", "2021", "2020", "部门预算", "部门决算"):
        assert f">{value}</a>" in r.text
    narrowed = get(site, "/-/search?q=三公经费&kind=budget")
    assert f"/-/doc/{BUDGET_ID}" in narrowed.text and f"/-/doc/{FINAL_ID}" not in narrowed.text
    by_place = get(site, "/-/search?q=三公经费&county=通道侗族自治县")
    assert f"/-/doc/{FINAL_ID}" in by_place.text and f"/-/doc/{BUDGET_ID}" not in by_place.text


def test_search_opens_as_a_table_with_facets_and_csv(site):
    page = get(site, "/-/search?q=三公经费&kind=final_account")
    link = re.search(r'class="budgets-table-link" href="([^"]+)"', page.text).group(1).replace("&amp;", "&")
    table = get(site, link)
    assert table.status_code == 200 and "matching" in table.text
    assert 'data-column="province"' in table.text
    rows = get(site, link.replace("/browse/disclosures?", "/browse/disclosures.json?_shape=array&")).json()
    assert [r["id"] for r in rows] == [FINAL_ID]
    both = get(site, "/browse/disclosures.csv?_q=三公经费")
    assert both.content.startswith(b"\xef\xbb\xbf")
    ids = {r["id"] for r in csv.DictReader(io.StringIO(both.content.decode("utf-8-sig")))}
    assert ids == {BUDGET_ID, FINAL_ID}
    none = get(site, "/browse/disclosures.json?_shape=array&_q=" + "没有这个词语")
    assert none.json() == []
    hostile = asyncio.run(site.client.get("/browse/disclosures", params={"_q": "') OR 1=1 -- <b>x</b>"}))
    assert hostile.status_code == 200 and "<b>x</b>" not in hostile.text


def test_home_page_lists_everything_newest_first(site):
    r = get(site, "/")
    assert r.status_code == 200
    assert r.text.index(f"/-/doc/{BUDGET_ID}") < r.text.index(f"/-/doc/{FINAL_ID}")


HOSTILE_QUERIES = [
    '"', '""', "*", "三公*", "NEAR(三公 经费)", "title:三公", "^三公", "{title}: x", "三公 OR 1=1",
    "'; DROP TABLE docs; --", "' UNION SELECT sql FROM sqlite_master --", "<script>alert(1)</script>",
    '"><svg onload=alert(1)>', "三公经费" * 500, "\u0000\u202e", "%00", "a" * 10000,
]


@pytest.mark.parametrize("query", HOSTILE_QUERIES)
def test_hostile_queries_are_text_not_code(site, data, query):
    before = _digest(data / "search.db")
    r = asyncio.run(site.client.get("/-/search", params={"q": query}))
    assert r.status_code == 200
    assert "<script>alert(1)" not in r.text and "<svg onload" not in r.text
    for leak in ("Traceback", "sqlite3", "OperationalError", "fts5", "syntax error"):
        assert leak not in r.text
    assert _digest(data / "search.db") == before


def test_html_in_queries_and_indexed_text_is_escaped(site):
    r = asyncio.run(site.client.get("/-/search", params={"q": "<script>alert(1)</script> 三公经费"}))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text
    hits = get(site, "/-/search?q=三公经费")
    assert XSS not in hits.text and "<script>alert('x')" not in hits.text
    assert "&lt;img src=x onerror=" in hits.text
    page = get(site, f"/-/doc/{FINAL_ID}")
    assert page.status_code == 200
    assert XSS not in page.text and "&lt;img src=x onerror=" in page.text


def test_document_page_shows_figures_in_yuan_with_sources_and_flags(site):
    r = get(site, f"/-/doc/{BUDGET_ID}")
    assert r.status_code == 200
    row = re.search(r'<tr data-key="three_public_total">(.*?)</tr>', r.text, re.S).group(1)
    assert "58,459,800.00 元" in row
    assert "株洲市财政局2021年部门预算表.xls" in row and "工作表 表7" in row
    assert "表 “三公”经费支出预算表" in row and "行 合计" in row and "列 预算数" in row
    assert "5,845.98" in row
    files = {m[1]: m[0] for m in re.findall(r'href="(/-/file/[0-9a-f]{64})">([^<]+)</a>', r.text)}
    assert files["株洲市财政局2021年部门预算.pdf"] == f"/-/file/{hashlib.sha256(PDF).hexdigest()}"
    assert 'href="/-/file/' + hashlib.sha256(XLS).hexdigest() in row  # the source's file is a link
    assert "12 人" in r.text
    assert "text_table_mismatch" in r.text and "the 说明 says 58460000.00" in r.text


def test_figures_csv_has_bom_and_exact_yuan(site):
    r = get(site, f"/-/doc/{BUDGET_ID}.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    three = next(row for row in rows if row["key"] == "three_public_total")
    assert (three["value"], three["unit"], three["sheet"], three["text"]) == ("58459800.00", "元", "表7", "5,845.98")


@pytest.mark.parametrize("path", ["/browse/disclosures.csv?_dl=1", "/browse/disclosures.csv?_stream=on&_size=max",
                                  "/browse/figures.csv"])
def test_datasette_csv_opens_in_excel(site, path):
    r = get(site, path)
    assert r.status_code == 200
    assert r.content.startswith(b"\xef\xbb\xbf") and not r.content[3:].startswith(b"\xef\xbb\xbf")
    if "content-length" in r.headers:
        assert int(r.headers["content-length"]) == len(r.content)
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    if "disclosures" in path:
        budget = next(row for row in rows if row["id"] == BUDGET_ID)
        assert budget["department"] == "株洲市财政局" and Decimal(budget["three_public_total"]) == Decimal("58459800.00")
        assert budget["staff_actual"] == "12"
    else:
        assert {"document_id", "key", "value", "text"} <= set(rows[0])


def test_disclosures_table_facets_and_links(site):
    r = get(site, "/browse/disclosures")
    assert r.status_code == 200
    for facet in ("province", "fiscal_year", "kind"):
        assert f'data-column="{facet}"' in r.text
    assert f'<a href="/-/doc/{BUDGET_ID}">株洲市财政局2021年部门预算</a>' in r.text
    assert "“三公”经费 (元, yuan)" in r.text  # the column's unit, from the metadata
    assert XSS not in r.text
    filtered = get(site, "/browse/disclosures.json?kind=final_account&_shape=array").json()
    assert [row["id"] for row in filtered] == [FINAL_ID]


def test_archived_file_download_is_safe(site):
    sha = hashlib.sha256(PDF).hexdigest()
    r = get(site, f"/-/file/{sha}")
    assert r.status_code == 200 and r.content == PDF
    assert r.headers["content-type"] == "application/pdf"
    disposition = r.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''%E6%A0%AA%E6%B4%B2%E5%B8%82" in disposition
    assert r.headers["x-content-type-options"] == "nosniff"

    evil = get(site, f"/-/file/{hashlib.sha256(b'<html><script>alert(1)</script></html>').hexdigest()}")
    assert evil.status_code == 200
    assert "x-injected" not in evil.headers and "set-cookie" not in evil.headers
    assert evil.headers["content-type"] == "application/octet-stream"  # the stored type was malformed
    assert evil.headers["content-disposition"].startswith("attachment;")
    assert "/" not in evil.headers["content-disposition"].split("filename=", 1)[1].split(";")[0]
    assert "sandbox" in evil.headers["content-security-policy"]


@pytest.mark.parametrize("path", [
    "/-/file/../../etc/passwd", "/-/file/..%2F..%2Fetc%2Fpasswd", "/-/file/" + "a" * 63,
    "/-/file/" + hashlib.sha256(PDF).hexdigest().upper(), "/-/file/" + "0" * 64,
    "/-/file/" + hashlib.sha256(PDF).hexdigest() + "/../x", "/-/doc/nope", "/-/doc/..%2Farchive",
    "/-/doc/" + BUDGET_ID + "%00",
])
def test_unknown_or_malformed_addresses_are_404(site, path):
    r = get(site, path)
    assert r.status_code == 404
    assert "Traceback" not in r.text and "root:" not in r.text


def test_blob_not_belonging_to_a_document_is_not_served(site, data):
    sha = Archive(data).blobs.put(b"some page body the crawl archived")
    assert get(site, f"/-/file/{sha}").status_code == 404


def test_nothing_is_written(site, data):
    before = _digest(data / "archive.db")
    for path in ("/archive?sql=delete+from+documents", "/archive?sql=PRAGMA+query_only%3D0%3B+delete+from+documents",
                 "/archive?sql=insert+into+runs+(status)+values+('x')", "/archive.db", "/browse.db"):
        r = get(site, path)
        assert r.status_code in (400, 403, 404) or "Statement must be a SELECT" in r.text, path
    post = asyncio.run(site.client.post("/archive/documents/-/insert", json={"row": {"id": "x"}}))
    assert post.status_code in (403, 404, 405)
    assert _digest(data / "archive.db") == before
    conn = sqlite3.connect(data / "archive.db")
    assert conn.execute("select count(*) from documents").fetchone()[0] >= 2


def test_internal_errors_show_no_details(data):
    backend = open_backend(data)
    ds = make_app(data, backend)
    backend.close()  # a real failure: the index connection is gone
    r = get(ds, "/-/search?q=三公经费")
    assert r.status_code == 500
    assert "Internal error" in r.text
    assert "closed" not in r.text.lower() and "Traceback" not in r.text


def test_browse_db_follows_the_archive(tmp_path):
    build_archive(tmp_path)
    target = tmp_path / BROWSE_NAME
    assert ensure_browse_db(tmp_path / "archive.db", target) is True
    assert ensure_browse_db(tmp_path / "archive.db", target) is False
    archive = Archive(tmp_path)
    _add(archive, "9" * 20, "株洲市教育局2022年部门预算", _record(
        department="株洲市教育局", region={"province": "湖南省", "city": "株洲市", "county": None, "admin_code": "430200"},
        year=2022, kind="budget", text="部门预算", figures={"income_total": "100.00"}, sources={}, flags=[]), [])
    archive.close()
    assert ensure_browse_db(tmp_path / "archive.db", target) is True
    conn = sqlite3.connect(target)
    assert conn.execute("select income_total from disclosures where id = ?", ["9" * 20]).fetchone() == (100.0,)


def test_cli_serves_on_loopback_by_default(data):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("MEILI_URL", None)
    proc = subprocess.Popen([sys.executable, "-m", "budgets.cli", "serve", "--port", "0", "--data", str(data)],
                            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stderr.readline()
        url = re.search(r"http://(\S+)/", line)
        assert url, line
        assert url.group(1).startswith("127.0.0.1:")
        r = httpx.get(f"http://{url.group(1)}/-/search", params={"q": "三公经费"}, timeout=30)
        assert r.status_code == 200 and f"/-/doc/{BUDGET_ID}" in r.text
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_cli_refuses_a_directory_without_an_archive(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "budgets.cli", "serve", "--data", str(tmp_path / "none")],
                          cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 2 and "no archive" in proc.stderr


def test_amounts_sort_as_numbers_and_read_with_separators(tmp_path):
    build_archive(tmp_path)
    archive = Archive(tmp_path)
    for n, amount in enumerate(("59400.00", "3569900.00", "123456789012.50")):
        _add(archive, f"{n}" * 20, f"株洲市第{n}局2022年部门预算", _record(
            department=f"株洲市第{n}局", region={"province": "湖南省", "city": "株洲市", "county": None,
                                               "admin_code": "430200"},
            year=2022, kind="budget", text="部门预算", figures={"income_total": amount}, sources={}, flags=[]), [])
    archive.close()
    backend = open_backend(tmp_path)
    try:
        ds = make_app(tmp_path, backend)
        rows = get(ds, "/browse/disclosures.json?_shape=array&_sort_desc=income_total&income_total__notblank=1").json()
        assert [Decimal(str(r["income_total"])) for r in rows] == [
            Decimal("123456789012.50"), Decimal("3569900.00"), Decimal("59400.00")]
        page = get(ds, "/browse/disclosures?_sort_desc=income_total")
        assert "123,456,789,012.50 元" in page.text and "3,569,900.00 元" in page.text
        assert page.text.index("3,569,900.00 元") < page.text.index("59,400.00 元")
        figures = get(ds, "/browse/figures?key=income_total&_sort_desc=value")
        assert figures.text.index("3,569,900.00 元") < figures.text.index("59,400.00 元")
    finally:
        backend.close()


def test_tables_follow_the_archive_while_serving(tmp_path):
    build_archive(tmp_path)
    backend = open_backend(tmp_path)
    try:
        ds = make_app(tmp_path, backend)
        assert len(get(ds, "/browse/disclosures.json?_shape=array").json()) == 2
        archive = Archive(tmp_path)
        _add(archive, "7" * 20, "株洲市审计局2022年部门预算", _record(
            department="株洲市审计局", region={"province": "湖南省", "city": "株洲市", "county": None,
                                            "admin_code": "430200"},
            year=2022, kind="budget", text="部门预算 三公经费", figures={"income_total": "100.00"}, sources={},
            flags=[]), [])
        index_documents(archive, backend)
        archive.close()
        assert f"/-/doc/{'7' * 20}" in get(ds, "/-/search?q=三公经费").text
        ids = {r["id"] for r in get(ds, "/browse/disclosures.json?_shape=array").json()}
        assert "7" * 20 in ids and len(ids) == 3  # the same running app, no restart
        assert get(ds, f"/browse/figures.json?_shape=array&document_id={'7' * 20}").json()[0]["value"] == 100
    finally:
        backend.close()


def test_web_filters_take_short_forms_and_list_ambiguous_candidates(site):
    short = get(site, "/-/search?q=三公经费&province=湖南&county=通道县&kind=决算")
    assert f"/-/doc/{FINAL_ID}" in short.text and f"/-/doc/{BUDGET_ID}" not in short.text
    department = get(site, "/-/search?q=三公经费&county=通道&department=财政局")
    assert f"/-/doc/{FINAL_ID}" in department.text and f"/-/doc/{BUDGET_ID}" not in department.text
    facet = get(site, "/-/search?q=三公经费")
    assert 'data-facet="department"' in facet.text and ">株洲市财政局</a>" in facet.text
    ambiguous = get(site, "/-/search?q=三公经费&department=财政局")
    assert ambiguous.status_code == 200 and "fits several" in ambiguous.text
    block = ambiguous.text.split('class="budgets-ambiguous"')[1].split("</div>")[0]
    links = re.findall(r'<li><a href="([^"]+)">([^<]+)</a></li>', block)
    assert {name for _, name in links} == {"株洲市财政局", "通道侗族自治县财政局"}
    chosen = get(site, {name: url for url, name in links}["株洲市财政局"].replace("&amp;", "&"))
    assert f"/-/doc/{BUDGET_ID}" in chosen.text and f"/-/doc/{FINAL_ID}" not in chosen.text


def test_table_column_filters_take_short_forms(site):
    """Datasette's own filters on the disclosures table resolve names as the search page does."""
    short = asyncio.run(site.client.get("/browse/disclosures.json?_shape=array&province=湖南&county=通道县&kind=决算"))
    assert short.status_code == 302
    assert "county=%E9%80%9A%E9%81%93%E4%BE%97%E6%97%8F%E8%87%AA%E6%B2%BB%E5%8E%BF" in short.headers["location"]
    rows = get(site, "/browse/disclosures.json?_shape=array&province=湖南&county=通道县&kind=决算").json()
    assert [row["id"] for row in rows] == [FINAL_ID]
    rows = get(site, "/browse/disclosures.json?_shape=array&department=株洲市财政&_sort=id").json()
    assert [row["id"] for row in rows] == [BUDGET_ID]
    ambiguous = asyncio.run(site.client.get("/browse/disclosures.json?_shape=array&department=财政局"))
    assert ambiguous.status_code == 200 and ambiguous.json() == []  # left as typed: Datasette's exact match


def test_flags_read_in_chinese_beside_their_type(site):
    page = get(site, f"/-/doc/{BUDGET_ID}")
    assert "说明与表格不符 <code>text_table_mismatch</code>" in page.text
    assert "说明文字中的数字与表格中的数字不一致。" in page.text and "错误 error" in page.text
    rows = get(site, f"/browse/flags.json?_shape=array&document_id={BUDGET_ID}").json()
    assert rows[0]["type_label"] == "说明与表格不符" and rows[0]["type_note"].startswith("说明文字")
