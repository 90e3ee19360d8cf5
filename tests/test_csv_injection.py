"""CSV formula injection: titles crawled from a page that start like a spreadsheet formula are
written inert (a leading single quote) in every CSV export and every CSV the web page sends;
numbers, negative ones too, stay numbers."""
from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from archive.export_tabular import TABLES, csv_text
from tests.crawlrun import FAST, REPO, budgets
from tests.faultservers import ROBOTS, FaultServer, file, page

HOSTILE = ["=cmd|' /C calc'!A0株洲市审计局2021年部门预算", "+SUM(1,1)株洲市财政局2021年部门预算",
           "-2+3+cmd|' /C calc'!A0株洲市教育局2021年部门预算", "@SUM(1,1)株洲市民政局2021年部门预算"]


def _article(n: int, title: str) -> str:
    return (f'<html><head><meta charset="utf-8"><title>{title}</title></head><body><h1>{title}</h1>'
            f'<div class="TRS_Editor"><p>现将{title}公开如下。</p>'
            f'<p>附件：<a href="/files/{n}.pdf">2021年部门预算公开{n}.pdf</a></p></div></body></html>')


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    """A portal whose disclosures have formula-like titles, crawled."""
    links = " ".join(f'<a href="/art/{n}.html">部门预算{n}</a>' for n in range(len(HOSTILE)))
    routes = {"/robots.txt": file(ROBOTS, "text/plain"), "/": page(f"<html><body>{links}</body></html>"),
              **{f"/art/{n}.html": page(_article(n, t)) for n, t in enumerate(HOSTILE)},
              **{f"/files/{n}.pdf": file(b"%PDF-1.4\n" + str(n).encode() * 999, "application/pdf")
                 for n in range(len(HOSTILE))}}
    data = tmp_path_factory.mktemp("hostile") / "data"
    with FaultServer("127.0.0.6", routes) as server:
        budgets("crawl", server.base_url + "/", *FAST, data=data)
    return data


def test_formula_titles_are_inert_in_csv_exports(data, tmp_path):
    out = budgets("export", "--format", "csv", "--excel", data=data).stdout.removeprefix("\ufeff")
    titles = sorted(row["title"] for row in csv.DictReader(io.StringIO(out)))
    assert titles == sorted("'" + t for t in HOSTILE)
    target = tmp_path / "out.csv"
    budgets("export", "--format", "csv", "--output", str(target), data=data)
    cells = [c for row in csv.reader(io.StringIO(target.read_text(encoding="utf-8"))) for c in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r")]
    assert not [c for c in cells if c.startswith("-") and not c.lstrip("-").replace(".", "").isdigit()]


def test_amounts_stay_numbers():
    columns = {c.name: c for c in TABLES["disclosures"].columns}
    assert csv_text(columns["income_total"], Decimal("-58459800.00")) == "-58459800.00"
    assert csv_text(columns["staff_actual"], -3) == "-3"
    assert csv_text(columns["title"], "-58459800.00") == "'-58459800.00"  # text is text, whatever it looks like


def test_formula_titles_are_inert_in_the_web_pages_csv(data):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("MEILI_URL", None)
    proc = subprocess.Popen([sys.executable, "-m", "budgets.cli", "serve", "--port", "0", "--data", str(data)],
                            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stderr.readline()
        base = re.search(r"(http://\S+/)", line)
        assert base, line + proc.stderr.read()
        for path, params in (("browse/disclosures.csv", {}), ("browse/disclosures.csv", {"_stream": "on"}),
                             ("archive/documents.csv", {"_dl": "1"})):
            r = httpx.get(base.group(1) + path, params=params, timeout=60)
            assert r.status_code == 200 and r.content.startswith(b"\xef\xbb\xbf")  # the BOM still first
            rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
            assert sorted(row["title"] for row in rows) == sorted("'" + t for t in HOSTILE), path
            cells = [c for row in rows for c in row.values()]
            assert not [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r")]
        # a query's numbers stay numbers, negative ones too; its text does not start a formula
        sql = "select -3569900.5 as amount, -3 as staff, '-2+3+cmd|'' /C calc''!A0' as note, '=1+2' as other"
        r = httpx.get(base.group(1) + "browse.csv", params={"sql": sql}, timeout=60)
        assert r.status_code == 200, r.text
        (row,) = csv.DictReader(io.StringIO(r.content.decode("utf-8-sig")))
        assert row == {"amount": "-3569900.5", "staff": "-3", "note": "'-2+3+cmd|' /C calc'!A0", "other": "'=1+2"}
    finally:
        proc.terminate()
        proc.wait(timeout=30)
