"""`budgets serve` in a real headless browser (Debian's chromium driven by Playwright).

The archive comes from a real crawl of the imitation portals; a person's path is walked:
search, narrow by a facet, open a disclosure, read its figures and sources, download CSV.
Screenshots go to /tmp for a person to look at.
"""
from __future__ import annotations

import csv
import io
import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.crawlrun import BUDGETS, FAST, REPO, budgets, export_records
from tests.portals import build_portals, serve_portals

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS = Path("/tmp")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    assert CHROMIUM.exists(), "needs Debian's chromium (make test installs it: apt-get install chromium)"
    data = tmp_path_factory.mktemp("browser-data")
    with serve_portals(build_portals()) as servers:
        starts = [u for s in servers for u in s.manifest().start_urls]
        budgets("crawl", *starts, *FAST, data=data)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("MEILI_URL", None)
    proc = subprocess.Popen([*BUDGETS, "serve", "--port", "0", "--data", str(data)], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    line = proc.stderr.readline()
    found = re.search(r"(http://127\.0\.0\.1:\d+)/", line)
    if not found:
        proc.kill()
        raise AssertionError(f"budgets serve did not start: {line}{proc.stderr.read()}")
    yield {"url": found.group(1), "records": export_records(data)}
    proc.terminate()
    proc.wait(timeout=30)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=str(CHROMIUM), headless=True,
            args=ARGS, accept_downloads=True, viewport={"width": 1280, "height": 900}, locale="zh-CN")
        yield context
        context.close()


def test_search_facet_document_and_csv(server, browser, tmp_path):
    page = browser.new_page()
    page.goto(server["url"] + "/")
    page.fill("input[name=q]", "三公经费")
    page.press("input[name=q]", "Enter")
    page.wait_for_url(re.compile(r"/-/search\?q="))
    hits = page.locator(".budgets-hit")
    assert hits.count() > 1
    assert page.locator(".budgets-hit mark").count() > 0
    total = hits.count()
    page.screenshot(path=str(SHOTS / "budgets-serve-search.png"), full_page=True)

    page.locator('.budgets-facet[data-facet="kind"] a', has_text="部门决算").first.click()
    page.wait_for_url(re.compile(r"kind=final_account"))
    metas = page.locator(".budgets-hit .meta").all_inner_texts()
    assert metas and len(metas) < total
    assert all(m.endswith("部门决算") for m in metas)

    title = page.locator(".budgets-hit a.title").first.inner_text()
    page.locator(".budgets-hit a.title").first.click()
    page.wait_for_url(re.compile(r"/-/doc/"))
    assert page.locator("h1").inner_text() == title
    rows = page.locator("table.budgets-figures tbody tr")
    assert rows.count() > 0
    amounts = [t for t in page.locator("table.budgets-figures td.num").all_inner_texts() if t.endswith("元")]
    assert amounts and all(re.fullmatch(r"-?[\d,]+\.\d\d 元", a) for a in amounts)
    sources = page.locator("table.budgets-figures td.where").all_inner_texts()
    assert all(s.strip() for s in sources)
    assert page.locator("table.budgets-figures td.where a[href^='/-/file/']").count() > 0
    page.screenshot(path=str(SHOTS / "budgets-serve-document.png"), full_page=True)

    with page.expect_download() as info:
        page.locator("a.budgets-csv").click()
    saved = tmp_path / info.value.suggested_filename
    info.value.save_as(saved)
    raw = saved.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(rows) == page.locator("table.budgets-figures tbody tr").count()
    assert all(r["unit"] in ("元", "人") and r["label"] for r in rows)

    with page.expect_download() as original:
        page.locator(".budgets-files a").first.click()
    assert original.value.suggested_filename.endswith((".pdf", ".xls", ".xlsx", ".doc", ".docx", ".wps", ".et"))


def test_table_facets_and_excel_csv(server, browser):
    page = browser.new_page()
    page.goto(server["url"] + "/browse/disclosures")
    assert page.locator("table.rows-and-columns tbody tr").count() == len(server["records"])
    page.locator('.facet-info[data-column="kind"] a', has_text="budget").first.click()
    page.wait_for_url(re.compile(r"kind=budget"))
    kinds = page.locator("table.rows-and-columns td.col-kind").all_inner_texts()
    assert kinds and set(kinds) == {"budget"}
    page.screenshot(path=str(SHOTS / "budgets-serve-table.png"), full_page=False)
    csv_url = page.url.replace("/browse/disclosures?", "/browse/disclosures.csv?_dl=1&")
    body = page.request.get(csv_url).body()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert len(rows) == len(kinds) == sum(r["kind"] == "budget" for r in server["records"])
    assert all(r["kind"] == "budget" and r["department"] for r in rows)
