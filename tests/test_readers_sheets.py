"""Spreadsheets from the seeds: the county's 22-sheet .xls and the city's .xlsx."""
from __future__ import annotations

import pytest

from parsers.readers import read_file
from parsers.readers.sheets import format_number
from tests.docgen import cache


@pytest.fixture(scope="module")
def xls():
    path, plans = cache.seed_xls()
    return read_file(path.name, path.read_bytes()), plans


def test_every_sheet_is_one_table_with_its_cells(xls):
    result, plans = xls
    assert result.error is None and result.format == "xls"
    assert len(plans) == 22
    assert [t.where.sheet for t in result.tables] == [p.sheet for p in plans]
    for table, plan in zip(result.tables, plans):
        assert table.rows == plan.rows, plan.sheet
        assert table.title == plan.title, plan.sheet
        assert table.unit == plan.unit, plan.sheet


def test_numbers_show_as_formatted_and_merged_headings_repeat(xls):
    result, _ = xls
    summary = result.tables[0]
    assert summary.title == "收支预算总表" and summary.unit == "元"
    assert summary.rows[0] == ["收支预算总表"] * len(summary.rows[0])
    assert ["本年支出合计", "2,602,664.00", "本年支出合计", "2602664.00", "本年支出合计", "3394264.00"] in summary.rows
    three = next(t for t in result.tables if t.where.sheet == "三公经费表")
    assert three.rows[-1][:4] == ["702701", "政务中心本级", "59,400.00", "59,400.00"]


def test_page_footer_noise_is_dropped(xls):
    result, _ = xls
    assert not any("&P" in c for t in result.tables for r in t.rows for c in r)


def test_row_offsets_name_sheet_rows(xls):
    import xlrd

    result, _ = xls
    book = xlrd.open_workbook(str(cache.seed_xls()[0]))
    for table in result.tables:
        sheet = book.sheet_by_name(table.where.sheet)
        for k, row in enumerate(table.rows):
            first = next((j for j, c in enumerate(row) if c), None)
            if first is not None and row[first] and not row[first].replace(",", "").replace(".", "").isdigit():
                sheet_row = table.row_offset + k  # 1-based
                assert str(sheet.cell_value(sheet_row - 1, first + _left(sheet))).strip() == row[first]


def _left(sheet) -> int:
    """Empty columns left of the table (the reader drops them, and page footers)."""
    values = [(j, str(c)) for r in range(sheet.nrows) for j, c in enumerate(sheet.row_values(r))]
    return min(j for j, c in values if c.strip() and "&P" not in c)


def test_xlsx_sheets_titles_units_and_merges():
    path, plans = cache.seed_xlsx()
    result = read_file(path.name, path.read_bytes())
    assert result.error is None and result.format == "xlsx"
    assert [t.where.sheet for t in result.tables] == [p.sheet for p in plans]
    for table, plan in zip(result.tables, plans):
        assert table.rows == plan.rows, plan.sheet
        assert (table.title, table.unit) == (plan.title, plan.unit) == (plan.title, "万元")
    three = next(t for t in result.tables if t.title == "一般公共预算拨款“三公”经费预算表")
    assert ["合计", "356.99", "86.39", "200.2", "91", "109.2", "70.4"] in three.rows


@pytest.mark.parametrize(
    ("value", "fmt", "shown"),
    [
        (2602664.0, "#,##0.00", "2,602,664.00"),
        (2602664.0, "0.00", "2602664.00"),
        (5845.98, "General", "5845.98"),
        (91.0, "General", "91"),
        (0.125, "0.00%", "12.50%"),
        (2.675, "0.00", "2.68"),  # half up on the decimal as typed, not the binary float
        (5845.979999999999, "General", "5845.98"),  # a formula's float noise, as Excel shows it
        (123456789012.34, "General", "123456789012.34"),
        (1e-7, "General", "0.0000001"),
    ],
)
def test_format_number(value, fmt, shown):
    assert format_number(value, fmt) == shown


def test_hidden_sheets_are_left_out_and_said_so(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "收支总表"
    book.active.append(["合计", "5,845.98"])
    draft = book.create_sheet("草稿")
    draft.append(["合计", "9,999.99"])
    draft.sheet_state = "hidden"
    path = tmp_path / "hidden.xlsx"
    book.save(path)
    result = read_file(path.name, path.read_bytes())
    assert [t.where.sheet for t in result.tables] == ["收支总表"]
    assert result.warnings == ["sheet '草稿' is hidden and was not read"]


def test_hidden_xls_sheet_is_left_out(tmp_path):
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    book.add_sheet("收支总表").write(0, 0, "合计")
    draft = book.add_sheet("草稿")
    draft.write(0, 0, "旧数据")
    draft.visibility = 1
    path = tmp_path / "hidden.xls"
    book.save(str(path))
    result = read_file(path.name, path.read_bytes())
    assert [t.where.sheet for t in result.tables] == ["收支总表"]
    assert result.warnings == ["sheet '草稿' is hidden and was not read"]
