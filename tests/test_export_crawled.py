"""`budgets export` on a real crawl of the imitation portals: every format agrees with the records."""
from __future__ import annotations

import csv
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from parsers.catalogue import AMOUNT_KEYS, FIGURE_KEYS, HEADCOUNT_KEYS
from tests.crawlrun import FAST, budgets, export_records
from tests.portals import build_portals, serve_portals

FRICTIONLESS = str(Path(sys.executable).with_name("frictionless"))
EXPORTS = {"disclosures.jsonl": ["--format", "jsonl"], "disclosures.csv": ["--format", "csv"],
           "disclosures.parquet": ["--format", "parquet"], "figures.csv": ["--format", "csv", "--table", "figures"],
           "figures.parquet": ["--format", "parquet", "--table", "figures"]}


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    data, out = tmp_path_factory.mktemp("data"), tmp_path_factory.mktemp("out")
    with serve_portals(build_portals()) as servers:
        budgets("crawl", *[u for s in servers for u in s.manifest().start_urls], *FAST, data=data)
    for name, args in EXPORTS.items():
        budgets("export", *args, "--output", str(out / name), data=data)
    return {"data": data, "out": out, "records": export_records(data)}


def test_crawled_records_exported_alike_in_every_format(exported):
    out, records = exported["out"], exported["records"]
    assert len(records) >= 10
    assert [json.loads(line) for line in (out / "disclosures.jsonl").read_text(encoding="utf-8").splitlines()] == records
    with (out / "disclosures.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    table = pq.read_table(out / "disclosures.parquet").to_pylist()
    assert [r["id"] for r in rows] == [r["id"] for r in table] == [r["id"] for r in records]
    for record, row, prow in zip(records, rows, table):
        figures = record["figures"]
        assert {k: row[k] for k in FIGURE_KEYS} == {k: str(figures.get(k, "")) for k in FIGURE_KEYS}
        assert {k: prow[k] for k in AMOUNT_KEYS} == {k: Decimal(figures[k]) if k in figures else None for k in AMOUNT_KEYS}
        assert {k: prow[k] for k in HEADCOUNT_KEYS} == {k: figures.get(k) for k in HEADCOUNT_KEYS}
        assert prow["admin_code"] == record["region"]["admin_code"]
        assert row["admin_code"] == (record["region"]["admin_code"] or "")
        assert prow["flag_count"] == len(record["flags"]) and prow["fiscal_year"] == record["fiscal_year"]


def test_wan_yuan_converted_exactly(exported):
    """The 株洲 budget prints 5,845.98 万元: 58459800.00 yuan in every format, no float drift."""
    record = next(r for r in exported["records"] if r["department"] == "株洲市发展和改革委员会"
                  and r["fiscal_year"] == 2021)
    assert record["units_in_source"] == "万元" and record["figures"]["income_total"] == "58459800.00"
    figures = pq.read_table(exported["out"] / "figures.parquet").to_pylist()
    row = next(r for r in figures if r["id"] == record["id"] and r["key"] == "income_total")
    assert row["value"] == Decimal("58459800.00") and row["text"] == "5,845.98" and row["units_in_source"] == "万元"
    with (exported["out"] / "figures.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == sum(len(r["figures"]) for r in exported["records"]) == len(figures)
    assert any(r["id"] == record["id"] and r["key"] == "income_total" and r["value"] == "58459800.00" for r in rows)


def test_crawled_package_validates(exported):
    proc = subprocess.run([FRICTIONLESS, "validate", "datapackage.json"], capture_output=True, text=True,
                          cwd=exported["out"])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    package = json.loads((exported["out"] / "datapackage.json").read_text(encoding="utf-8"))
    assert sorted(r["path"] for r in package["resources"]) == sorted(EXPORTS)
    assert len(package["sources"]) == 2  # the two imitation portals
