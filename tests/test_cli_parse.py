"""`budgets parse` on files downloaded by hand, and `budgets reparse` over an archive offline."""
from __future__ import annotations

import json
from urllib.parse import unquote

from archive.export import RECORD_FIELDS
from tests.crawlrun import FAST, budgets, export_records
from tests.docgen import cache
from tests.portals import build_portals, serve_portals
from tests.realgold import REAL


def test_parse_json_prints_one_contract_record(tmp_path):
    docx, xls = cache.seed_docx()[0], cache.seed_xls()[0]
    out = budgets("parse", str(docx), str(xls), "--json", data=tmp_path).stdout
    (line,) = out.splitlines()
    assert "\\u" not in line and "通道县政务服务中心" in line  # Chinese written as is
    record = json.loads(line)
    assert list(record) == list(RECORD_FIELDS)
    assert record["department"] == "通道县政务服务中心" and record["fiscal_year"] == 2020
    assert record["kind"] == "budget" and record["units_in_source"] == "元"
    assert record["region"]["admin_code"] == "431230"
    assert record["figures"]["income_total"] == "2602664.00"
    assert {f["format"] for f in record["files"]} == {"docx", "xls"}
    assert all(f["url"].startswith("file://") and len(f["sha256"]) == 64 for f in record["files"])
    assert any(f["type"] == "malformed_number" and f["key"] == "operating_expenses" for f in record["flags"])


def test_parse_records_a_broken_file_and_goes_on(tmp_path):
    broken = tmp_path / "表格.pdf"
    broken.write_bytes(b"<html><body>not a pdf</body></html>")
    docx = cache.seed_docx()[0]
    proc = budgets("parse", str(docx), str(broken), "--json", data=tmp_path)
    record = json.loads(proc.stdout)
    files = {unquote(f["url"].rsplit("/", 1)[-1]): f for f in record["files"]}
    assert files[docx.name]["format"] == "docx" and "error" not in files[docx.name]
    assert files[broken.name]["format"] == "html"  # sniffed from the bytes, not the name
    assert record["department"] == "通道县政务服务中心"
    human = budgets("parse", str(docx), data=tmp_path).stdout
    assert "Figures (yuan):" in human and "通道县政务服务中心" in human


def test_reparse_offline_gives_the_same_records(tmp_path):
    data = tmp_path / "data"
    with serve_portals(build_portals()) as servers:
        starts = [u for s in servers for u in s.manifest().start_urls]
        budgets("crawl", *starts, *FAST, data=data)
    before = export_records(data)
    out = budgets("reparse", data=data).stdout  # the portals are gone: nothing can be fetched
    assert f"Parsed {len(before)} documents" in out
    assert export_records(data) == before
    assert "Parsed 0 documents" in budgets("reparse", "--stale-only", data=data).stdout


def test_parse_shows_each_flag_with_its_chinese_label_and_sentence(tmp_path):
    docx, xls = cache.seed_docx()[0], cache.seed_xls()[0]
    human = budgets("parse", str(docx), str(xls), data=tmp_path).stdout
    flags = human.split("Flags:")[1]
    assert "malformed_number 数字无法识读 operating_expenses" in flags
    assert "数字印刷有误（如“260..27”），无法确定其值。" in flags


def test_parse_json_says_which_pages_of_a_long_pdf_were_not_read(tmp_path):
    many = cache.bad_inputs()["many_pages"]
    record = json.loads(budgets("parse", str(many), "--json", data=tmp_path).stdout)
    (f,) = record["files"]
    assert f["format"] == "pdf"
    assert f["error"] == "read in part: PDF has 2000 pages; only the first 300 were read"
    assert "page 300 of the appendix" in record["text"] and "page 301 " not in record["text"]


def test_parse_json_names_a_decompression_bomb(tmp_path):
    from tests.docgen.badgen import flate_bomb_pdf

    bomb = tmp_path / "2021年部门预算.pdf"
    flate_bomb_pdf(bomb)
    record = json.loads(budgets("parse", str(bomb), "--json", data=tmp_path, timeout=600).stdout)
    (f,) = record["files"]
    assert "decompression bomb" in f["error"] and "memory limit" in f["error"], f["error"]
    assert "no text or tables found" not in f["error"]


def test_parse_explain_says_for_every_key_where_it_was_read_or_why_not(tmp_path):
    doc = REAL / "shenzhen-xfj-2026-budget.pdf"
    out = budgets("parse", str(doc), "--explain", data=tmp_path).stdout
    assert out.splitlines()[0].startswith("深圳市信访局 · 2026 · budget")
    assert "✓ 收支总表" in out and "· 未识别" in out  # tables recognised and not, with their titles
    three_public = out.split("three_public_total")[1].split("three_public_overseas")[0]
    assert "= 55800.00" in three_public and "three_public_parts" not in three_public
    assert "“三公”四项之和 = “三公”经费合计" in three_public  # the identity it satisfies, in Chinese
    staff = out.split("staff_authorized")[1]
    assert "— no table it is printed in (staff) was recognised" in staff
    assert out.count("\n  ") >= 19  # every figure key has its line
    not_one = budgets("parse", str(REAL / "xiamen-scjgj-2024-notice-notdisclosure.pdf"), "--explain", data=tmp_path)
    assert not_one.stdout.startswith("Not a disclosure: ")
