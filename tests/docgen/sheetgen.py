"""Workbooks made from the seeds: the county's 22-sheet .xls (xlwt) and a city .xlsx.

Amounts are written as numbers with the number format that prints them as in the seed
(2,602,664.00 is 2602664 with #,##0.00), codes such as 003 or 702701 as text; header
cells and title rows are merged as the budget system exports them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import openpyxl
import xlwt

from . import seeds
from .pdfgen import printable_tables

NUMBER_RE = re.compile(r"-?[\d,]+\.\d+")


@dataclass
class SheetPlan:
    """One generated sheet and what a reader must return for it."""

    sheet: str
    title: str | None
    unit: str | None
    rows: list[list[str]]  # as the reader returns them: merges repeated, footers dropped, trimmed


def number_format(text: str) -> str | None:
    """The Excel format that prints `text` (None if it is not an amount)."""
    if not NUMBER_RE.fullmatch(text):
        return None
    decimals = len(text.split(".")[1])
    return ("#,##0." if "," in text else "0.") + "0" * decimals


def _title_spans(rows: list[list[str]]) -> list[tuple[int, int, int]]:
    """Title rows (one text in the first rows) are merged across the table's width."""
    width = len(rows[0])
    spans = []
    for i, row in enumerate(rows[:3]):
        filled = [j for j, c in enumerate(row) if c]
        if len(filled) == 1 and filled[0] == 0 and width > 1 and seeds._is_title(row[0]):
            spans.append((i, 0, width - 1))
    return spans


def _plan_rows(rows: list[list[str]], spans) -> list[list[str]]:
    """The rows a reader returns: spans expanded, page footers blank, empty edges dropped."""
    expanded = seeds.expand_spans(rows, spans)
    expanded = [["" if c == seeds.FOOTER else c for c in r] for r in expanded]
    while expanded and not any(expanded[-1]):
        expanded.pop()
    while expanded and not any(expanded[0]):
        expanded.pop(0)
    return seeds.trim_columns(expanded)


def _county_layout(table: seeds.SeedTable) -> tuple[list[list[str]], list[tuple[int, int, int]]]:
    rows = [list(r) for r in table.rows]
    titles = _title_spans(rows)
    title_rows = {i for i, _, _ in titles}
    return rows, titles + [s for s in seeds.header_spans(rows) if s[0] not in title_rows]


def seed_xls(path: Path) -> list[SheetPlan]:
    """The county seed's tables as a 22-sheet .xls, one seed sheet per worksheet."""
    book = xlwt.Workbook(encoding="utf-8")
    plans = []
    styles: dict[str | None, xlwt.XFStyle] = {}
    for table in seeds.county().tables:
        assert table.sheet is not None  # each of the county's tables is a sheet
        rows, spans = _county_layout(table)
        sheet = book.add_sheet(table.sheet)
        covered = {(i, j) for i, a, b in spans for j in range(a, b + 1)}
        for i, a, b in spans:
            sheet.write_merge(i, i, a, b, rows[i][a])
        for i, row in enumerate(rows):
            for j, text in enumerate(row):
                if (i, j) in covered or not text:
                    continue
                fmt = number_format(text)
                if fmt not in styles:
                    styles[fmt] = xlwt.easyxf(num_format_str=fmt or "General")
                value = float(Decimal(text.replace(",", ""))) if fmt else text
                sheet.write(i, j, value, styles[fmt])
        plans.append(SheetPlan(table.sheet, table.title, table.unit, _plan_rows(rows, spans)))
    book.save(str(path))
    return plans


def seed_xlsx(path: Path) -> list[SheetPlan]:
    """The city seed's tables as an .xlsx: per sheet a merged title row, a unit row, the table.

    calamine does not read number formats, so the plan's amounts are the plain numbers.
    """
    book = openpyxl.Workbook()
    book.remove(book.worksheets[0])  # a new workbook comes with one empty sheet
    plans = []
    for n, table in enumerate(printable_tables(seeds.city()), start=1):
        body = [list(r) for r in table.rows]
        width = len(body[0])
        rows = [[table.title] + [""] * (width - 1), ["单位名称：株洲市人民政府办公室"] + [""] * (width - 2) + [f"单位：{table.unit}"]]
        rows += body
        spans = [(0, 0, width - 1)] + [(i + 2, a, b) for i, a, b in seeds.header_spans(body)]
        sheet = book.create_sheet(f"表{n}")
        for i, row in enumerate(rows, start=1):
            for j, text in enumerate(row, start=1):
                fmt = number_format(text.replace(" ", "")) if text else None
                if fmt:
                    cell = sheet.cell(i, j, float(Decimal(text.replace(",", "").replace(" ", ""))))
                    cell.number_format = fmt
                elif text:
                    sheet.cell(i, j, text)
        for i, a, b in spans:
            sheet.merge_cells(start_row=i + 1, start_column=a + 1, end_row=i + 1, end_column=b + 1)
        expected = [[_plain(c) for c in r] for r in seeds.expand_spans(rows, spans)]
        plans.append(SheetPlan(f"表{n}", table.title, table.unit, expected))
    book.save(path)
    return plans


def _plain(text: str) -> str:
    """An amount as calamine gives it back without its format: 5,845.98 -> 5845.98, 438.70 -> 438.7."""
    if not number_format(text.replace(" ", "")):
        return text
    value = float(Decimal(text.replace(",", "").replace(" ", "")))
    return str(int(value)) if value.is_integer() else repr(value)


def big_xlsx(path: Path, rows: int = 100_000) -> None:
    """A sheet of `rows` rows, for the per-sheet row cap."""
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("明细")
    sheet.append(["科目编码", "科目名称", "金额"])
    for n in range(rows):
        sheet.append([f"{n:06d}", "一般公共服务支出", n + 0.5])
    book.save(path)
