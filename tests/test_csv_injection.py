"""CSV formula injection: titles crawled from a page that start like a spreadsheet formula are
written inert (a leading single quote) in every CSV export; numbers, negative ones too, stay numbers."""
from __future__ import annotations

import csv
import io
from decimal import Decimal

from archive.export_tabular import TABLES, csv_text
from tests.crawlrun import FAST, budgets
from tests.faultservers import ROBOTS, FaultServer, file, page

HOSTILE = ["=cmd|' /C calc'!A0株洲市审计局2021年部门预算", "+SUM(1,1)株洲市财政局2021年部门预算",
           "-2+3+cmd|' /C calc'!A0株洲市教育局2021年部门预算", "@SUM(1,1)株洲市民政局2021年部门预算"]


def _article(n: int, title: str) -> str:
    return (f'<html><head><meta charset="utf-8"><title>{title}</title></head><body><h1>{title}</h1>'
            f'<div class="TRS_Editor"><p>现将{title}公开如下。</p>'
            f'<p>附件：<a href="/files/{n}.pdf">2021年部门预算公开{n}.pdf</a></p></div></body></html>')


def test_formula_titles_are_inert_in_csv_exports(tmp_path):
    links = " ".join(f'<a href="/art/{n}.html">部门预算{n}</a>' for n in range(len(HOSTILE)))
    routes = {"/robots.txt": file(ROBOTS, "text/plain"), "/": page(f"<html><body>{links}</body></html>"),
              **{f"/art/{n}.html": page(_article(n, t)) for n, t in enumerate(HOSTILE)},
              **{f"/files/{n}.pdf": file(b"%PDF-1.4\n" + str(n).encode() * 999, "application/pdf")
                 for n in range(len(HOSTILE))}}
    data = tmp_path / "data"
    with FaultServer("127.0.0.6", routes) as server:
        budgets("crawl", server.base_url + "/", *FAST, data=data)
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
