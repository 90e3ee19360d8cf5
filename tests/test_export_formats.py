"""`budgets export` in every format, on an archive written with ArchiveDB's own methods.

The records are chosen to catch what exports get wrong: an admin code with a leading zero,
an amount a float cannot hold, a record with no parse, a duplicate page, filters on every field.
"""
from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from archive.db import ArchiveDB
from archive.export import RECORD_FIELDS, count_documents, iter_documents, iter_records
from archive.export_run import run_export
from archive.export_tabular import FIGURE_COLUMNS, TABLES, WIDE_COLUMNS, table_rows, write_parquet
from budgets.progress import Progress
from index.base import Filters
from parsers.catalogue import AMOUNT_KEYS, FIGURE_KEYS, HEADCOUNT_KEYS
from tests.crawlrun import budgets

FRICTIONLESS = str(Path(sys.executable).with_name("frictionless"))
ZHUZHOU = {"province": "湖南省", "city": "株洲市", "county": None, "admin_code": "430200"}
TONGDAO = {"province": "湖南省", "city": "怀化市", "county": "通道侗族自治县", "admin_code": "431230"}
LEADING_ZERO = {"province": "测试省", "city": "测试市", "county": "测试县", "admin_code": "012345"}


def _where(table: str, row: str, n: int) -> dict:
    return {"file": "2003181530002.xls", "sheet": "收支总表", "table": table, "row": row, "column": "本年预算",
            "row_number": n}


DOCS: list[dict[str, Any]] = [
    # the crawl knew no region: the parse's region is the record's
    dict(id="a0000000000000000001", year=2020, kind="budget", region=ZHUZHOU, hint={},
         first_seen="2026-01-05T10:00:00.000000Z",
         units="万元", dup=True,
         figures={"income_total": "58459800.00", "expenditure_basic": "54072800.00", "staff_authorized": 97},
         sources={"income_total": {"where": _where("部门收支总表", "本年收入合计", 25), "text": "5,845.98"},
                  "expenditure_basic": {"where": {"file": "shuoming.pdf", "page": 3, "paragraph": 12},
                                        "text": "基本支出 5407.28 万元"},
                  "staff_authorized": {"where": {"file": "article.html", "paragraph": 40}, "text": "编制人数 97 人"}},
         flags=[{"type": "rounding", "key": "income_total", "severity": "info", "detail": "x", "readings": []},
                {"type": "parts_do_not_sum", "key": "income_total", "severity": "error", "detail": "y",
                 "readings": []}]),
    # the crawl read year and kind wrongly from the article page; the parse corrects them
    dict(id="b0000000000000000002", year=2019, kind="final_account", region=LEADING_ZERO, crawl_year=2021,
         crawl_kind="budget",
         first_seen="2026-02-01T08:00:00.000000Z", units="元", dup=False,
         figures={"income_total": "12345678901234567.89", "three_public_reception": "0.10", "staff_actual": 5},
         sources={}, flags=[]),
    dict(id="c0000000000000000003", year=2018, kind="budget", region=TONGDAO, first_seen="2026-03-01T00:00:00.000000Z",
         units=None, dup=False, figures=None, sources={}, flags=[]),  # never parsed
]


def _build(path: Path) -> Path:
    db = ArchiveDB(path / "archive.db")
    for spec in DOCS:
        url = f"http://127.0.0.1:8000/art/{spec['id']}.html"
        doc = {"id": spec["id"], "detail_url": url, "title": f"{spec['region']['city']}{spec['year']}年部门预算",
               "kind": spec.get("crawl_kind", spec["kind"]), "fiscal_year": spec.get("crawl_year", spec["year"]),
               "department": "某某局",
               "published_date": f"{spec['year']}-03-18" if spec["figures"] else None,
               "page_metadata": json.dumps({"index_no": f"{spec['id'][:4]}/2020-00021", "publisher": "某某局"},
                                           ensure_ascii=False),
               "text": "部门预算公开", "fingerprint": spec["id"], "region_hint": json.dumps(spec.get("hint", spec["region"]), ensure_ascii=False)}
        files = [{"url": f"http://127.0.0.1:8000/attach/{spec['id']}-{n}.xls", "sha256": f"{n}" * 64,
                  "content_type": "application/vnd.ms-excel", "bytes": 1000 + n, "filename": f"{n}.xls"} for n in (1, 2)]
        db.save_document(doc, files, url, "article")
        if spec["dup"]:
            db.save_document(doc, [], f"http://127.0.0.2:9000/art/{spec['id']}.html", "duplicate")
        with db.tx() as conn:
            conn.execute("update documents set first_seen = ? where id = ?", [spec["first_seen"], spec["id"]])
        if spec["figures"] is not None:
            parsed = {"department": "某某局", "region": spec["region"], "fiscal_year": spec["year"], "kind": spec["kind"],
                      "units_in_source": spec["units"], "figures": spec["figures"], "figure_sources": spec["sources"],
                      "flags": spec["flags"], "ocr": False, "text": "部门预算公开 说明",
                      "files": [{"sha256": f["sha256"], "format": "xls"} for f in files]}
            db.save_parse({"document_id": spec["id"], "parser_version": "t", "record": json.dumps(parsed, ensure_ascii=False),
                           "errors": "{}", "input_fingerprint": spec["id"]})
    db.close()
    return path


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    return _build(tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="module")
def records(data) -> list[dict]:
    db = ArchiveDB(data / "archive.db")
    try:
        return list(iter_records(db))
    finally:
        db.close()


def _export(data: Path, out: Path, *args: str) -> Path:
    budgets("export", *args, "--output", str(out), data=data)
    return out


def _csv_rows(path: Path, encoding: str = "utf-8") -> list[dict]:
    with path.open(encoding=encoding, newline="") as f:
        return list(csv.DictReader(f))


def test_jsonl_is_the_contract_record_in_order(data, records, tmp_path):
    out = _export(data, tmp_path / "d.jsonl", "--format", "jsonl")
    lines = out.read_text(encoding="utf-8").splitlines()
    assert "株洲市" in lines[0] and "\\u" not in out.read_text(encoding="utf-8")
    parsed = [json.loads(line) for line in lines]
    assert [list(r) for r in parsed] == [list(RECORD_FIELDS)] * len(DOCS)
    assert parsed == [{k: r[k] for k in RECORD_FIELDS} for r in records]
    assert [r["id"] for r in parsed] == [d["id"] for d in DOCS]


def test_csv_wide_round_trip(data, records, tmp_path):
    rows = _csv_rows(_export(data, tmp_path / "d.csv", "--format", "csv"))
    with (tmp_path / "d.csv").open(encoding="utf-8", newline="") as f:
        assert next(csv.reader(f)) == [c.name for c in WIDE_COLUMNS]
    assert set(FIGURE_KEYS) <= {c.name for c in WIDE_COLUMNS}
    assert [r["id"] for r in rows] == [r["id"] for r in records]
    for row, record in zip(rows, records):
        figures = record["figures"]
        assert {k: row[k] for k in FIGURE_KEYS} == {k: str(figures[k]) if k in figures else "" for k in FIGURE_KEYS}
        assert row["admin_code"] == record["region"]["admin_code"]
        assert row["fiscal_year"] == str(record["fiscal_year"])
        assert row["duplicate_urls"].split() == record["duplicate_urls"]
        assert row["attachment_urls"].split() == record["attachment_urls"]
        assert row["published_date"] == (record["published_date"] or "")
        assert int(row["flag_count"]) == len(record["flags"])
    first = rows[0]
    assert first["income_total"] == "58459800.00" and first["staff_authorized"] == "97"
    assert first["flag_types"] == "parts_do_not_sum rounding" and first["flag_error_count"] == "1"
    assert first["ocr"] == "false" and first["page_publisher"] == "某某局" and first["units_in_source"] == "万元"
    assert rows[1]["admin_code"] == "012345"


def test_parquet_wide_round_trip_with_exact_decimals(data, records, tmp_path):
    table = pq.read_table(_export(data, tmp_path / "d.parquet", "--format", "parquet"))
    schema = table.schema
    assert all(schema.field(k).type == pa.decimal128(20, 2) for k in AMOUNT_KEYS)
    assert all(schema.field(k).type == pa.int64() for k in HEADCOUNT_KEYS)
    assert schema.field("admin_code").type == pa.string() and schema.field("fiscal_year").type == pa.int64()
    assert schema.field("duplicate_urls").type == pa.list_(pa.string())
    rows = table.to_pylist()
    assert [r["id"] for r in rows] == [r["id"] for r in records]
    for row, record in zip(rows, records):
        for key in AMOUNT_KEYS:
            want = record["figures"].get(key)
            assert row[key] == (Decimal(want) if want is not None else None)
        assert [row[k] for k in HEADCOUNT_KEYS] == [record["figures"].get(k) for k in HEADCOUNT_KEYS]
        assert row["duplicate_urls"] == record["duplicate_urls"]
        assert row["admin_code"] == record["region"]["admin_code"]
    big = rows[1]["income_total"]
    assert str(big) == "12345678901234567.89" and float(big) != big  # a float could not hold it
    assert rows[1]["admin_code"] == "012345"
    assert str(rows[0]["published_date"]) == "2020-03-18" and rows[2]["published_date"] is None


@pytest.mark.parametrize("fmt", ["csv", "parquet", "jsonl"])
def test_figures_table_one_row_per_figure_with_source(data, records, tmp_path, fmt):
    out = _export(data, tmp_path / f"f.{fmt}", "--format", fmt, "--table", "figures")
    if fmt == "csv":
        rows = _csv_rows(out)
    elif fmt == "parquet":
        rows = pq.read_table(out).to_pylist()
    else:
        rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    expected = [(r["id"], k, v) for r in records for k, v in r["figures"].items()]
    assert [(r["id"], r["key"]) for r in rows] == [(i, k) for i, k, _ in expected]
    for row, (_, key, value) in zip(rows, expected):
        assert Decimal(str(row["value"])) == Decimal(str(value))
        assert row["unit"] == ("人" if key in HEADCOUNT_KEYS else "元")
    by_key = {(r["id"], r["key"]): r for r in rows}
    table_row = by_key[("a0000000000000000001", "income_total")]
    assert table_row["text"] == "5,845.98" and table_row["table"] == "部门收支总表" and table_row["units_in_source"] == "万元"
    assert str(table_row["row_number"]) == "25" and table_row["sheet"] == "收支总表"
    pdf_row = by_key[("a0000000000000000001", "expenditure_basic")]
    assert str(pdf_row["page"]) == "3" and str(pdf_row["paragraph"]) == "12" and pdf_row["file"] == "shuoming.pdf"
    assert str(by_key[("b0000000000000000002", "income_total")]["value"]) == "12345678901234567.89"
    if fmt == "parquet":
        assert pq.read_schema(out).field("value").type == pa.decimal128(20, 2)
        assert [c.name for c in FIGURE_COLUMNS] == pq.read_schema(out).names


def test_excel_csv_starts_with_bom_and_plain_csv_does_not(data, tmp_path):
    excel = _export(data, tmp_path / "excel.csv", "--format", "csv", "--excel")
    plain = _export(data, tmp_path / "plain.csv", "--format", "csv")
    assert excel.read_bytes().startswith(b"\xef\xbb\xbfid,")
    assert plain.read_bytes().startswith(b"id,")
    assert _csv_rows(excel, "utf-8-sig") == _csv_rows(plain)
    assert budgets("export", "--format", "jsonl", "--excel", data=data, check=False).returncode != 0


@pytest.mark.parametrize("args, expected", [
    (["--province", "湖南省"], {"a", "c"}),
    (["--city", "株洲市"], {"a"}),
    (["--county", "测试县"], {"b"}),
    (["--admin-code", "012345"], {"b"}),
    (["--admin-code", "12345"], set()),
    (["--year", "2020"], {"a"}),
    (["--year", "2018-2019"], {"b", "c"}),
    (["--kind", "budget"], {"a", "c"}),
    (["--since", "2026-02-01"], {"b", "c"}),
    (["--since", "2026-02-02", "--kind", "budget"], {"c"}),
    (["--department", "某某局", "--year", "2019-2020"], {"a", "b"}),
    (["--department", "其他局"], set()),
])
def test_filters_select_the_right_disclosures(data, args, expected):
    for fmt in ("jsonl", "csv"):
        out = budgets("export", "--format", fmt, *args, data=data).stdout
        ids = ([json.loads(line)["id"] for line in out.splitlines()] if fmt == "jsonl"
               else [r["id"] for r in csv.DictReader(io.StringIO(out))])
        assert {i[0] for i in ids} == expected


@pytest.mark.parametrize("filters, since", [
    (Filters(city="株洲市"), None), (Filters(kind="budget"), None), (Filters(year=(2019, 2019)), None),
    (Filters(admin_code="012345", kind="final_account"), "2026-01-01"), (None, "2026-02-01"), (None, None),
])
def test_progress_total_counts_the_documents_read(data, filters, since):
    db = ArchiveDB(data / "archive.db")
    try:
        read = list(iter_documents(db, filters, since))
        kept = list(iter_records(db, filters, since))
        assert count_documents(db, filters, since) == len(read) >= len(kept)
        assert {r["id"] for r in kept} <= {d["id"] for d in read}
    finally:
        db.close()


def test_stdout_export_equals_file_export_and_writes_no_package(data, tmp_path):
    repo = Path(__file__).resolve().parent.parent
    for fmt in ("csv", "parquet"):
        out = _export(data, tmp_path / f"d.{fmt}", "--format", fmt)
        proc = subprocess.run([sys.executable, "-m", "budgets.cli", "export", "--format", fmt, "--data", str(data)],
                              capture_output=True, cwd=repo)
        assert proc.returncode == 0 and not (data / "datapackage.json").exists()
        if fmt == "csv":
            assert proc.stdout == out.read_bytes()
        else:
            assert pq.read_table(io.BytesIO(proc.stdout)).equals(pq.read_table(out))


def test_datapackage_validates_with_frictionless_and_describes_types(data, tmp_path):
    for args in (["--format", "jsonl"], ["--format", "csv"], ["--format", "parquet"],
                 ["--format", "csv", "--table", "figures"], ["--format", "jsonl", "--table", "figures"]):
        name = ("figures" if "figures" in args else "disclosures") + "." + args[1]
        _export(data, tmp_path / name, *args, "--year", "2018-2020")
    _export(data, tmp_path / "excel.csv", "--format", "csv", "--excel")
    package_path = tmp_path / "datapackage.json"
    proc = subprocess.run([FRICTIONLESS, "validate", str(package_path)], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    package = json.loads(package_path.read_text(encoding="utf-8"))
    assert sorted(r["path"] for r in package["resources"]) == sorted(
        ["disclosures.jsonl", "disclosures.csv", "disclosures.parquet", "figures.csv", "figures.jsonl", "excel.csv"])
    assert "docs/record.md" in package["description"]  # the record's description travels with the data
    assert package["licenses"] and package["sources"] == [
        {"title": "Government portal http://127.0.0.1:8000/", "path": "http://127.0.0.1:8000/"}]
    wide = next(r for r in package["resources"] if r["path"] == "disclosures.csv")
    fields = {f["name"]: f for f in wide["schema"]["fields"]}
    assert fields["admin_code"]["type"] == "string" and fields["admin_code"]["constraints"]["pattern"] == "[0-9]{6}"
    assert fields["fiscal_year"]["type"] == "integer" and fields["staff_actual"]["type"] == "integer"
    assert fields["income_total"]["type"] == "number" and fields["income_total"]["bareNumber"] is True
    assert "万元" in fields["income_total"]["description"] and "fiscal_year 2018-2020" in wide["description"]
    assert next(r for r in package["resources"] if r["path"] == "excel.csv")["encoding"] == "utf-8-sig"
    # the validation reads the data: a cell that is not a number makes it fail
    text = (tmp_path / "figures.csv").read_text(encoding="utf-8").replace("58459800.00", "5845.98万", 1)
    (tmp_path / "figures.csv").write_text(text, encoding="utf-8", newline="")
    figures = next(r for r in package["resources"] if r["path"] == "figures.csv")
    figures.pop("hash"), figures.pop("bytes")
    package_path.write_text(json.dumps(package, ensure_ascii=False), encoding="utf-8")
    proc = subprocess.run([FRICTIONLESS, "validate", str(package_path)], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode != 0 and "type-error" in proc.stdout


def test_export_does_not_import_frictionless(data, tmp_path):
    db = ArchiveDB(data / "archive.db")
    try:
        result = run_export(db, "csv", output=tmp_path / "x.csv")
    finally:
        db.close()
    assert result.rows == len(DOCS) and result.package == tmp_path / "datapackage.json"
    assert "frictionless" not in sys.modules


def test_parquet_is_written_in_row_groups(records, tmp_path):
    spec = TABLES["disclosures"]
    n = write_parquet(spec, table_rows(spec, records), str(tmp_path / "g.parquet"), row_group=2)
    meta = pq.ParquetFile(tmp_path / "g.parquet").metadata
    assert n == len(DOCS) and meta.num_rows == len(DOCS) and meta.num_row_groups == 2


class _Stream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_progress_live_line_on_a_terminal_and_log_lines_otherwise():
    for tty in (True, False):
        stream, clock = _Stream(tty), _Clock()
        progress = Progress("export", total=100, stream=stream, clock=clock)
        for _ in range(50):
            clock.now += 0.5
            progress.advance()
        progress.finish()
        out = stream.getvalue()
        if tty:
            assert out.startswith("\r") and out.endswith("\n") and out.count("\n") == 1
            assert "export: 50/100 (50%) 2/s, ETA 0:25" in out
        else:
            assert "\r" not in out and out.count("\n") == 2  # one line per 10 s of 25 s
            assert out.splitlines()[0] == "export: 20/100 (20%) 2/s, ETA 0:40"


def test_cli_progress_is_plain_when_not_a_terminal(data, tmp_path):
    proc = budgets("export", "--format", "csv", "--output", str(tmp_path / "p.csv"), data=data)
    assert "\r" not in proc.stderr and f"{len(DOCS)} rows written to" in proc.stderr
