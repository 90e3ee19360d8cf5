"""Locating the contract's figures: every reading of every key, in tables and in the 说明's sentences.

This module only reads; it never decides between readings (parsers/checks.py does). Each
reading carries its exact value in yuan (or a headcount), where it was read and the text as
printed, so a disagreement can be reported with both sides.

Tables are recognised by their titles and row/column labels (the common variants of the
standard 部门预算/决算 tables), economic lines also by their 经济分类 codes. Sentences are
read within the 说明's sections (收入预算, 支出预算, 机关运行经费, “三公”经费 …) so that an
amount is attributed to the figure its section is about.
"""
from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from parsers.catalogue import (
    CARRYOVER_FALLBACK,
    COUNT_BREAKDOWN,
    ECON_LINES,
    EXCLUDED_COLUMN,
    EXPENDITURE_OTHER,
    FIGURES,
    HEADCOUNT_KEYS,
    NONE_STATEMENTS,
    PART_TITLE,
    RULES,
    TABLE_KINDS,
    UNIT_NAME,
    VEHICLE,
    TableKind,
)
from parsers.metadata import UNIT_IN_ROW, table_unit
from parsers.model import ExtractedFile, Table
from parsers.numbers import Number, find_amounts, parse_number, to_yuan, tolerance


@dataclass(frozen=True)
class Reading:
    """One value of one key as read at one place."""

    key: str
    value: Decimal | int
    where: dict
    text: str
    source: str  # "table" or "text"
    origin: str  # which table (and side of it), or "text": readings of one origin are one witness
    tolerance: Decimal = Decimal(0)  # rounding a 万元 figure may carry, in yuan
    scope: str = "all"  # "basic" for 经济分类 lines of a 基本支出 table
    whole: Decimal | None = None  # the amount a sentence breaks down (…515,665.27万元，其中：一般公共预算收入…)


@dataclass(frozen=True)
class Malformed:
    """A number that could not be read one way only, where it was meant to give a figure."""

    key: str | None
    text: str  # the number as printed
    where: dict
    context: str = ""  # the sentence or cell around it
    ocr: bool = False  # read by OCR from a scan: the misreading is likely the OCR's, not the document's


# --- labels --------------------------------------------------------------------------------

_ENUM = re.compile(r"^(?:[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十\d]+[)）]|\d+[、.．](?!\d))")


# an enumerator whose 、 the text layer moved to the end of the label: 一 一般公共预算资金、
_ENUM_SPACED = re.compile(r"^\s*[一二三四五六七八九十]+\s+(?=\S)")
# punctuation left over at a label's end or in empty brackets: …资金、  …支出( )
_LEFTOVER = re.compile(r"[(（][)）]|[、，,:：]+$")


def norm(text: str) -> str:
    """A label as compared: NFKC, no spaces, no markup, no leading enumerator or 其中."""
    s = unicodedata.normalize("NFKC", text or "")
    s = re.sub(r"<[^>]+>", "", s)
    s = _ENUM_SPACED.sub("", s)
    s = re.sub(r"\s+", "", s)
    s = _ENUM.sub("", s)
    s = _LEFTOVER.sub("", s)
    return re.sub(r"^其中[:：]?", "", s)


def enumerated(text: str) -> bool:
    """Whether a label starts with an enumerator (一、 （一） 1.): a top-level line."""
    s = unicodedata.normalize("NFKC", text or "")
    return bool(_ENUM.match(re.sub(r"\s+", "", s)) or _ENUM_SPACED.match(s))


# --- tables --------------------------------------------------------------------------------

_TOTAL = re.compile(r"^(合计|总计|小计)$")
_CODE_HEAD = re.compile(r"编码|代码|科目(?!名称)|编号|行次|^类$|^款$|^项$")


@dataclass
class Row:
    cells: list[str]
    numbers: list[Number]
    where: dict
    row_number: int


@dataclass
class TableView:
    """A table ready for locating figures: unit known, headings resolved into column paths."""

    index: int
    title: str
    unit: str
    ocr: bool
    columns: list[str]  # each column's heading path, "基本支出/合计"
    kinds: list[str]  # per column: label, code or amount
    rows: list[Row]
    partial: bool = False  # one page of a table whose other pages could not be joined to it
    year: int | None = None  # the fiscal year: a column headed with another year is not this year's

    def excluded(self, col: int) -> bool:
        """Whether a column prints another year or a change (上年, 增减, 2025年预算数 in a 2026
        budget), never this year's figure."""
        path = self.columns[col]
        if EXCLUDED_COLUMN.search(path):
            return True
        years = {int(y) for y in _YEAR_IN_HEADING.findall(path)}
        return bool(self.year and years and self.year not in years)

    def heading(self, col: int) -> list[str]:
        """A column's heading path without a wrapper over every amount column (部门预算 over
        合计 | 一般公共预算拨款 | … | 上年结转): its top part is the heading of its own."""
        parts = self.columns[col].split("/")
        return parts[1:] if len(parts) > 1 and self._wrapped and not self.excluded(col) else parts

    @functools.cached_property
    def _wrapped(self) -> bool:
        """Whether one heading stands over every amount column."""
        return len({self.columns[i].split("/")[0] for i, k in enumerate(self.kinds) if k == "amount"}) == 1

    def label_of(self, row: Row) -> str:
        """A row's label: its label cells, joined."""
        parts: list[str] = []
        for i, k in enumerate(self.kinds):
            cell = row.cells[i].strip() if i < len(row.cells) else ""
            if k == "label" and cell and cell not in parts:  # merged cells repeat their text
                parts.append(cell)
        return " ".join(parts)

    def codes_of(self, row: Row) -> list[str]:
        return [row.cells[i].strip() if i < len(row.cells) else "" for i, k in enumerate(self.kinds) if k == "code"]

    def total_row(self) -> Row | None:
        """The 合计 row; a table of one unit's row only is its own total; else a first row
        without a code (the unit's name) whose amount is what its top-level coded rows add up to."""
        for row in self.rows:
            labels = [norm(row.cells[i]) for i, k in enumerate(self.kinds) if k != "amount" and i < len(row.cells)]
            if any(_TOTAL.match(lb) for lb in labels if lb):
                return row
        if len(self.rows) <= 1:
            return self.rows[0] if self.rows else None
        return self._unit_total()

    def _unit_total(self) -> Row | None:
        first = self.rows[0]
        coded = [(c, r) for r in self.rows[1:] if (c := next((x for x in self.codes_of(r) if x.isdigit()), ""))]
        amounts = [i for i, k in enumerate(self.kinds) if k == "amount" and first.numbers[i].status == "ok"]
        if any(c for c in self.codes_of(first)) or not coded or not amounts:
            return None
        top = min(len(c) for c, _ in coded)
        col = amounts[0]
        summed = sum((r.numbers[col].value or Decimal(0) for c, r in coded if len(c) == top and r.numbers[col].status == "ok"), Decimal(0))
        return first if summed == first.numbers[col].value else None


_YEAR_IN_HEADING = re.compile(r"((?:19|20)\d{2})年")


def _numbering_row(cells: list[str]) -> bool:
    """The `** ** 1 2 3` row under the headings that numbers the columns."""
    vals = [norm(c) for c in cells if c.strip()]
    return (len(vals) >= 2 and all(v == "**" or v.isdigit() for v in vals) and any(v == "**" for v in vals)) or (
        len(vals) >= 3 and all(v.isdigit() and len(v) <= 2 for v in vals)
    )


def _is_data(cells: list[str]) -> bool:
    return not _numbering_row(cells) and any(parse_number(c).status == "ok" for c in cells if c.strip())


def _paths(headers: list[list[str]], width: int) -> list[str]:
    """Each column's heading path; a heading spanning columns (printed once) covers its children."""
    grid = [[norm(r[i]) if i < len(r) else "" for i in range(width)] for r in headers if not _numbering_row(r)]
    for level in range(len(grid) - 1):
        row, below = grid[level], grid[level + 1]
        for i in range(1, width):
            if not row[i] and below[i] and row[i - 1]:
                row[i] = row[i - 1]
    out = []
    for i in range(width):
        parts: list[str] = []
        last_span: range | None = None
        for r in grid:
            if not r[i] or r[i] in parts or (parts and parts[-1].endswith(r[i])):
                continue
            span = _span(r, i)
            if last_span is not None and span.start <= last_span.start and last_span.stop <= span.stop and span != last_span:
                continue  # wider than the heading above it on every side: a merge run on past its column
            if parts and span == last_span and not parts[-1].endswith(_HEADING_ENDS):
                parts[-1] += r[i]  # one heading wrapped over two rows: 公务用车运 / 行维护费
            else:
                parts.append(r[i])
            last_span = span
        out.append("/".join(parts))
    return out


# how a whole heading ends (支出, 小计, 会议费 …); a piece ending otherwise is cut off mid-word
_HEADING_ENDS = tuple("计费额出入数称码类途目表金名)）")


def _span(row: list[str], i: int) -> range:
    """The columns a heading cell covers: the run of copies of its text around column i."""
    lo, hi = i, i
    while lo > 0 and row[lo - 1] == row[i]:
        lo -= 1
    while hi + 1 < len(row) and row[hi + 1] == row[i]:
        hi += 1
    return range(lo, hi + 1)


def _column_kinds(paths: list[str], body: list[list[str]], width: int) -> list[str]:
    kinds = []
    for i in range(width):
        cells = [r[i] for r in body if i < len(r) and r[i].strip()]
        parsed = [parse_number(c) for c in cells]
        text = sum(1 for p in parsed if p.status == "text")
        nums = sum(1 for p in parsed if p.status in ("ok", "malformed"))
        codes = [norm(c) for c in cells if not _TOTAL.match(norm(c))]
        integer_shaped = bool(codes) and all(re.fullmatch(r"\d+", c) for c in codes)
        # 经济/功能分类 codes: 3, 5 or 7 digits, the levels of one hierarchy
        classified = len(codes) >= 2 and all(len(c) in (3, 5, 7) for c in codes) and len({len(c) for c in codes}) > 1
        last = paths[i].split("/")[-1] if paths[i] else ""
        if text > nums and not integer_shaped:
            kinds.append("label")
        elif integer_shaped and "人数" not in paths[i] and (_CODE_HEAD.search(last) or _CODE_HEAD.search(paths[i]) or classified):
            kinds.append("code")
        elif text > nums:
            kinds.append("label")
        elif nums or not cells:
            kinds.append("amount")
        else:
            kinds.append("label")
    return kinds


_FORM_NUMBER = re.compile(r"^(公开)?\d*表?\d*表$|^附件\d*$|^表[\d一二三四五六七八九十]+")
_DATA_LINE = re.compile(r"^\d{3,7}\s+\S+\s+[\d,.]+")
_ISSUER = re.compile(r"^(部门|单位名称|部门名称|编制单位|预算单位)[:：]")


def _strip_top(table: Table) -> tuple[list[list[str]], str | None, str, int]:
    """Rows without the title, `部门：` and `单位：` lines a reader may have left in the table;
    the title found there when the reader's is only a form number (公开01表)."""
    rows = [list(r) for r in table.rows]
    unit = table_unit(table)
    title = table.title or table.where.sheet or ""
    if _DATA_LINE.match(title):  # a reader took the first row of a page for a title
        title = ""
    skipped = 0
    while rows:
        filled = list(dict.fromkeys(norm(c) for c in rows[0] if c.strip()))
        m = UNIT_IN_ROW.search(" ".join(rows[0]))
        if m:
            unit = unit or m.group(1)
        elif len(filled) == 1 and filled[0] == norm(title):
            pass  # the title row merged across the sheet, which the reader has already taken
        elif len(filled) == 1 and re.search(r"表(\(.*\))?$", filled[0]):
            if not title or _FORM_NUMBER.match(norm(title)):
                title = filled[0]
        elif not (filled and _ISSUER.match(filled[0]) and len(filled) <= 3) and filled:
            break
        rows.pop(0)
        skipped += 1
    return rows, unit, title, skipped


def build_views(files: list[ExtractedFile], default_unit: str | None, fiscal_year: int | None = None) -> list[TableView]:
    """Every table as a view; a table continuing the previous one (same headings) is joined to it."""
    views: list[TableView] = []
    prev_first: list[str] | None = None
    for f in files:
        for table in f.tables:
            rows, unit, title, skipped = _strip_top(table)
            if not rows:
                continue
            first_data = next((i for i, r in enumerate(rows) if _is_data(r)), len(rows))
            headers, body = rows[:first_data], rows[first_data:]
            # headings printed again at a page break are no data: a code column would read as amounts
            repeated = {tuple(norm(c) for c in r) for r in headers}
            body_rows = [(j, r) for j, r in enumerate(body) if tuple(norm(c) for c in r) not in repeated]
            width = max(len(r) for r in rows)
            first = [norm(c) for c in rows[0]]
            where = table.where.as_dict()
            # a table going on over a page: the same headings again, or none at all (rows at once)
            headless = bool(views) and not title and first_data == 0
            shift = _continuation_shift(views[-1], rows) if headless else None
            continues = bool(views) and (
                (prev_first == first and (not title or norm(title) == norm(views[-1].title)))
                or (headless and width == len(views[-1].columns))
                or shift is not None
            )
            if continues:
                view = views[-1]
                if shift:
                    body_rows = [(j, [""] * shift + r) for j, r in body_rows]
            else:
                paths = _paths(headers, width)
                if headless:  # its columns do not line up with the page before: keep apart, same table
                    views[-1].partial = True
                    title, unit = views[-1].title, unit or views[-1].unit
                view = TableView(
                    index=len(views),
                    year=fiscal_year,
                    title=title,
                    partial=headless,
                    unit=unit or default_unit or "元",
                    ocr=table.ocr,
                    columns=paths,
                    kinds=_column_kinds(paths, [r for _, r in body_rows], width),
                    rows=[],
                )
                views.append(view)
            for j, cells in body_rows:
                padded = cells + [""] * (len(view.columns) - len(cells))
                index = skipped + first_data + j
                page = next((pg for start, pg in reversed(table.continued) if index >= start), None)
                row_where = dict(where, page=page) if page else where
                view.rows.append(Row(padded, [parse_number(c) for c in padded], row_where, table.row_offset + index))
            prev_first = first
    return views


def _leading_blank(rows: list[list[str]]) -> int:
    width = max(len(r) for r in rows)
    return next((i for i in range(width) if any(i < len(r) and r[i].strip() for r in rows)), width)


def _continuation_shift(view: TableView, rows: list[list[str]]) -> int | None:
    """How many columns a page's headless table must be moved right to continue the table
    before it, where the reader drew an empty margin column on one page and not the other:
    every amount of the page must fall under an amount heading and every text under a label."""
    before = [r.cells for r in view.rows]
    shift = _leading_blank([*before, [c if view.columns[i] else "" for i, c in enumerate(view.columns)]]) - _leading_blank(rows)
    if shift <= 0 or max(len(r) for r in rows) + shift > len(view.columns):
        return None
    for r in rows:
        for j, cell in enumerate(r):
            if not cell.strip():
                continue
            amount = parse_number(cell).status == "ok"
            if amount != (view.kinds[j + shift] == "amount"):
                return None
    return shift


def _title_matches(kind: TableKind, title: str) -> bool:
    return bool(title) and bool(re.search(kind.title, title)) and not (kind.title_not and re.search(kind.title_not, title))


def _structure_matches(kind: TableKind, view: TableView) -> bool:
    """Whether the table prints the row labels and column headings only this kind prints."""
    if not kind.rows and not kind.heads:
        return False
    labels = [norm(view.label_of(r)) for r in view.rows]
    return all(any(re.search(rx, lb) for lb in labels) for rx in kind.rows) and all(
        any(re.search(rx, part) for path in view.columns for part in path.split("/")) for rx in kind.heads
    )


def table_kind(view: TableView) -> str:
    """Which standard table this is (`parsers.catalogue.TABLE_KINDS`): by its title, else by its
    structure, since titles vary, are printed over two lines or are lost."""
    title = norm(view.title)
    for kind in TABLE_KINDS:
        if _title_matches(kind, title):
            return kind.kind
    if PART_TITLE.search(title):  # a table of one source of money, whatever it holds
        return "other"
    for kind in TABLE_KINDS:
        if _structure_matches(kind, view):
            return kind.kind
    return "other"


def _where(view: TableView, row: Row, col: int) -> dict:
    w = dict(row.where)
    w.update({"table": view.title, "row": view.label_of(row) or " ".join(c for c in view.codes_of(row) if c),
              "column": view.columns[col], "row_number": row.row_number})
    return w


class Collector:
    """Gathers readings and malformed numbers as the locators find them."""

    def __init__(self) -> None:
        self.readings: list[Reading] = []
        self.malformed: list[Malformed] = []

    def cell(self, key: str, view: TableView, row: Row, col: int, origin: str, scope: str = "all", label: str | None = None) -> None:
        number = row.numbers[col]
        where = _where(view, row, col)
        if label is not None:
            where["row"] = label
        if number.status == "malformed":
            self.malformed.append(Malformed(key, number.text, where, ocr=view.ocr))
            return
        if number.status != "ok" or number.value is None:
            return
        if key in HEADCOUNT_KEYS:
            if number.value != number.value.to_integral_value():
                self.malformed.append(Malformed(key, number.text, where, ocr=view.ocr))
                return
            value: Decimal | int = int(number.value)
            tol = Decimal(0)
        else:
            value = to_yuan(number.value, view.unit)
            tol = tolerance(number, view.unit)
        self.readings.append(Reading(key, value, where, number.text, "table", origin, tol, scope))

    def blank(self, key: str, view: TableView, row: Row, col: int, origin: str) -> None:
        """A blank cell the table's own sum proves to be zero (see `_blank_parts`)."""
        self.readings.append(Reading(key, Decimal(0), _where(view, row, col), "", "table", origin))


def _value_col(view: TableView, label_col: int, kind: str) -> int | None:
    """The amount column a label column's values are in: this year's, not 上年 or 增减; the
    first that prints any number (a reader may leave empty columns between)."""
    candidates = []
    for i in range(label_col + 1, len(view.kinds)):
        if view.kinds[i] == "label":
            break
        if view.kinds[i] == "amount" and not view.excluded(i) and not (
            kind == "final_account" and "预算" in view.columns[i] and "决算" not in view.columns[i]
        ):
            candidates.append(i)
    filled = [i for i in candidates if any(r.numbers[i].status in ("ok", "malformed") for r in view.rows)]
    return filled[0] if filled else candidates[0] if candidates else None


# keys a 收支总表's 收入 side prints on a line of their own (the totals are found by position)
_SOURCE_KEYS = ("income_general_budget", "income_gov_fund", "income_carryover")


def _row_key(label: str, keys: tuple[str, ...] = _SOURCE_KEYS) -> str | None:
    """The income source a row label names (`RULES[key].rows`), a trailing 小计 allowed."""
    return next((k for k in keys for rx in RULES[k].rows if re.fullmatch(f"(?:{rx})(?:小计)?", label)), None)


_SUMMARY_TOTAL = re.compile(r"^(本年|当年)?(收入|支出)?(合计|总计|小计)$")
# enumeration levels of a 收支总表's lines: 一、 > （一） > 1、 > (1); unnumbered lines are top-level
_LEVELS = [re.compile(r"^[一二三四五六七八九十]+[、.．]"), re.compile(r"^[(（][一二三四五六七八九十]+[)）]"),
           re.compile(r"^\d+[、.．](?!\d)"), re.compile(r"^[(（]\d+[)）]")]


def _level(raw: str) -> int:
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", raw))
    return next((n + 1 for n, rx in enumerate(_LEVELS) if rx.match(text)), 0)


def _proven_blanks(view: TableView, lc: int, vc: int) -> set[int]:
    """Rows of a 收支总表 side whose blank amount its own sums prove zero: where the printed
    lines of one level add up to the line above them (or to 本年收入合计, and with the lines
    brought forward to 收入总计), the blank lines among them are zero. A cell blanked by a lost
    text layer breaks the sum and stays unread; a 其中 line is a part, never a sibling."""
    lines = [(i, r) for i, r in enumerate(view.rows)
             if norm(r.cells[lc]) and not re.sub(r"\s+", "", r.cells[lc]).startswith("其中")]
    totals = [n for n, (_, r) in enumerate(lines) if _SUMMARY_TOTAL.match(norm(r.cells[lc]))]
    if not totals:
        return set()
    groups: dict[int, list[int]] = {}  # parent line -> its member lines (positions in `lines`)
    stack: list[tuple[int, int]] = []  # (level, position) of the enclosing lines
    # the lines a total adds up: those above it, or below it where the table opens with its 合计
    top = totals[0] == 0
    parent = 0 if top else totals[0]
    span = range(1, totals[1] if len(totals) > 1 else len(lines)) if top else range(totals[0])
    numbered = any(_level(lines[n][1].cells[lc]) for n in span)
    for n in span:
        # an unnumbered line among numbered ones is a part of the line above it
        level = _level(lines[n][1].cells[lc]) or (len(_LEVELS) + 1 if numbered else 0)
        while stack and stack[-1][0] >= level:
            stack.pop()
        groups.setdefault(stack[-1][1] if stack else parent, []).append(n)
        stack.append((level, n))
    if len(totals) > 1 and not top:  # 本年收入合计 and the lines brought forward add up to 收入总计
        groups[totals[-1]] = [totals[0]] + [n for n in range(totals[0] + 1, totals[-1])
                                            if _level(lines[n][1].cells[lc]) == 0 and n not in totals]
    proven: set[int] = set()
    for parent, members in groups.items():
        numbers = [lines[n][1].numbers[vc] for n in members]
        total = lines[parent][1].numbers[vc]
        if total.status != "ok" or any(x.status not in ("ok", "blank") for x in numbers):
            continue
        if sum((x.value for x in numbers if x.value is not None), Decimal(0)) == total.value:
            proven |= {lines[n][0] for n, x in zip(members, numbers) if x.status == "blank"}
    return proven


def _summary(view: TableView, out: Collector, doc_kind: str, labels: list[dict], fiscal_only: bool) -> None:
    """收支总表: label columns each with their amount column; the 收入 side gives the income
    keys, the 支出 sides the expenditure keys. A total labelled for the other side is read by
    its position and noted in `labels`. A 财政拨款 summary gives only the appropriation lines."""
    label_cols = [i for i, k in enumerate(view.kinds) if k == "label"]
    for n, lc in enumerate(label_cols):
        path = view.columns[lc]
        side = "income" if "收入" in path else "expenditure" if "支出" in path else ("income" if n == 0 else "expenditure")
        vc = _value_col(view, lc, doc_kind)
        if vc is None:
            continue
        origin = f"table{view.index}:{lc}"
        other_found = economic_side = False
        other_rows: list[Row] = []
        totals: list[tuple[bool, Row, str]] = []  # (says 本年/当年, row, label as printed)
        carried = False  # past a 上年结转 line that prints an amount: what follows is its parts, or adds it in
        fallback: Row | None = None  # a 上年实户资金余额 line: the carry-over where 上年结转 prints nothing
        zero = _proven_blanks(view, lc, vc) if side == "income" else set()
        blank_carry: Row | None = None
        for i, row in enumerate(view.rows):
            raw = row.cells[lc]
            label = norm(raw)
            if not label:
                continue
            if side == "income":
                key = _row_key(label)
                if i in zero and key == "income_carryover":
                    blank_carry = None if fiscal_only else row
                elif i in zero and (key or (_row_key(label, ("income_other",)) and enumerated(raw))):
                    out.blank(key or "income_other", view, row, vc, origin)
                if key == "income_carryover":
                    # a 财政拨款 summary's carry-over is the appropriations' only, not the department's
                    if not fiscal_only:
                        out.cell(key, view, row, vc, origin, label=raw)
                    carried = carried or row.numbers[vc].value not in (None, Decimal(0))
                elif key and not carried:
                    out.cell(key, view, row, vc, origin, label=raw)
                if fiscal_only:
                    continue
                if re.fullmatch(CARRYOVER_FALLBACK, label):
                    fallback = row
                if _row_key(label, ("income_other",)) and enumerated(raw) and not other_found and not carried:
                    other_found = True
                    out.cell("income_other", view, row, vc, origin, label=raw)
                m = _SUMMARY_TOTAL.match(label)
                if m:
                    if m.group(2) == "支出":
                        labels.append({"view": view, "row": row, "col": lc, "value_col": vc, "expected": "收入", "printed": raw})
                    if m.group(3) != "总计" and (m.group(1) or not carried):
                        totals.append((bool(m.group(1)), row, raw))
            elif not fiscal_only:
                m = _SUMMARY_TOTAL.match(label)
                if m and m.group(3) != "总计":
                    if m.group(2) == "收入":
                        labels.append({"view": view, "row": row, "col": lc, "value_col": vc, "expected": "支出", "printed": raw})
                    totals.append((bool(m.group(1)), row, raw))
                elif m and m.group(2) == "收入":
                    labels.append({"view": view, "row": row, "col": lc, "value_col": vc, "expected": "支出", "printed": raw})
                elif key := _row_key(label, ("expenditure_basic", "expenditure_project")):
                    out.cell(key, view, row, vc, origin, label=raw)
                    economic_side = True
                elif re.fullmatch(r"其他支出|单位预留机动(经费?)?", label) and enumerated(raw):
                    other_rows.append(row)
        if fallback is not None and fallback.numbers[vc].value and not any(
                r.key == "income_carryover" and r.origin == origin and r.value for r in out.readings):
            out.cell("income_carryover", view, fallback, vc, origin, label=fallback.cells[lc])
        elif blank_carry is not None:
            out.blank("income_carryover", view, blank_carry, vc, origin)
        # this year's total: 本年/当年…合计 where printed, else the plain 合计 (which may add 上年结转)
        this_year = [t for t in totals if t[0]] or totals
        for _, row, raw in this_year[:1]:
            out.cell("income_total" if side == "income" else "expenditure_total", view, row, vc, origin, label=raw)
        if economic_side:
            # 其他支出 beside 基本/项目 is a third category; beside 一般公共服务支出 it is a function
            for row in other_rows:
                out.cell(EXPENDITURE_OTHER, view, row, vc, origin, label=row.cells[lc])


def _first_col(view: TableView, pattern: str, top: bool = False, last: bool = False, exclude: str | None = None) -> int | None:
    rx = re.compile(pattern)
    for i, path in enumerate(view.columns):
        if view.kinds[i] != "amount" or view.excluded(i):
            continue
        if exclude and re.search(exclude, path):
            continue
        parts = path.split("/")
        target = parts[0] if top else parts[-1] if last else path
        if rx.search(target):
            return i
    return None


# the top heading of each key's column in 支出总表 / 收入总表 (单位预留机动经 / 费: a heading wrapped over two rows)
_TOP = {
    "expenditure_total": r"^(总计|合计)$",
    "expenditure_basic": r"^基本支出",
    "expenditure_project": r"^项目支出",
    EXPENDITURE_OTHER: r"^(其他支出|单位预留机动)",
    "income_total": r"^(本年收入(合计)?|(总计|合计))$",
    "income_carryover": r"^(上年结转|年初结转)",
}
_SUBTOTAL = re.compile(r"(小计|合计|总计)$")


def _parent_col(view: TableView, top: str) -> int | None:
    """The column that prints the total of a heading: the heading's own column, or its 小计 /
    合计 child. A heading split into children with no total of its own (基本支出 over 人员支出
    and 公用支出) prints no total: a child is never its parent."""
    rx = re.compile(top)
    cols = [i for i in range(len(view.columns))
            if view.kinds[i] == "amount" and not view.excluded(i) and rx.search(view.heading(i)[0])]
    if len(cols) == 1:
        return cols[0]
    own = [i for i in cols if len(view.heading(i)) == 1 or _SUBTOTAL.search(view.heading(i)[1])]
    return own[0] if own else None


def _brought_forward(view: TableView, row: Row) -> bool:
    """Whether a column of money brought forward (上年结转, 上年实户资金余额 …) prints an amount
    in the row: the row's 合计 adds it in."""
    brought = [i for i, p in enumerate(view.columns) if view.kinds[i] == "amount" and re.search(r"结转|结余|资金余额", p)]
    return any(row.numbers[i].value not in (None, Decimal(0)) for i in brought)


def _income_columns(view: TableView, out: Collector) -> bool | None:
    """A 收入总表 with one column per source, read off its total row; None when its sources
    are rows instead. A source printed under 上年结转 is part of the carry-over, not this
    year's income; 合计 is this year's income only where no carry-over is added in."""
    general = RULES["income_general_budget"].columns[0]
    sources = [i for i, p in enumerate(view.columns)
               if view.kinds[i] == "amount" and any(re.search(general, part) for part in p.split("/"))]
    if not sources:
        return None
    row = view.total_row()
    if row is None:
        return False
    origin = f"table{view.index}"
    carry = _parent_col(view, _TOP["income_carryover"])
    carry_stated = _brought_forward(view, row)
    this_year = _parent_col(view, r"^本年收入")
    total = this_year if this_year is not None else None if carry_stated else _parent_col(view, _TOP["income_total"])
    if total is not None:
        out.cell("income_total", view, row, total, origin)
    if carry is None or row.numbers[carry].value is None:
        carry = _parent_col(view, CARRYOVER_FALLBACK) if carry is None or row.numbers[carry].status == "blank" else carry
    if carry is not None:
        out.cell("income_carryover", view, row, carry, origin)
    for key in ("income_general_budget", "income_gov_fund", "income_other"):
        rx = re.compile(RULES[key].columns[0])
        col = next((i for i, p in enumerate(view.columns)
                    if view.kinds[i] == "amount" and not view.excluded(i)
                    and not re.search(_TOP["income_carryover"], p.split("/")[0])
                    and any(rx.search(part) for part in p.split("/"))), None)
        if col is not None:
            out.cell(key, view, row, col, origin)
    return True


def _by_columns(view: TableView, out: Collector, specs: list[tuple[str, str, str]]) -> None:
    """Read keys off the total row, one column per key: spec is (key, pattern, where in the path)."""
    row = view.total_row()
    if row is None:
        return
    for key, pattern, part in specs:
        col = _first_col(view, pattern, top=part == "top", last=part == "last")
        if col is not None:
            out.cell(key, view, row, col, f"table{view.index}")


_THREE_PUBLIC_COLUMNS = ("three_public_overseas", "three_public_vehicle_purchase", "three_public_vehicle_operation",
                         "three_public_reception", "meeting_expenses", "training_expenses")


def _three_public(view: TableView, out: Collector, doc_kind: str) -> None:
    row = view.total_row()
    if row is None:
        return
    skip = "决算" if doc_kind == "budget" else None
    sangong = any("三公" in p for p in view.columns)
    # beside 会议费 and 培训费 the table's own 合计 is more than the 三公
    specs = [("three_public_total", RULES["three_public_total"].columns[0] if sangong else r"(^|/)(小计|合计|总计)$")]
    specs += [(k, RULES[k].columns[0]) for k in _THREE_PUBLIC_COLUMNS]
    specs.append((VEHICLE, r"公务用车购置及运行(维护)?费"))
    cols = [i for i, p in enumerate(view.columns) if view.kinds[i] == "amount"]
    if doc_kind == "final_account" and any("决算" in view.columns[i] for i in cols):
        skip = r"预算数"
    found = {}
    for key, pattern in specs:
        col = _first_col(view, pattern, exclude=skip)
        if col is not None:
            found[key] = col
            out.cell(key, view, row, col, f"table{view.index}")
    if not found:
        _three_public_rows(view, out, specs)
    for key in _blank_parts(row, found):
        out.blank(key, view, row, found[key], f"table{view.index}")


def _three_public_rows(view: TableView, out: Collector, specs: list[tuple[str, str]]) -> None:
    """A “三公” table with its items as rows (项目 | 预算数): each item's line, and its 合计
    for the 三公 total unless 会议费 or 培训费 lines are added in."""
    col = next((i for i, k in enumerate(view.kinds) if k == "amount" and not view.excluded(i)), None)
    if col is None:
        return
    origin = f"table{view.index}"
    labels = [(row, norm(view.label_of(row))) for row in view.rows]
    others = any(re.search(r"会议费|培训费", label) for _, label in labels)
    for row, label in labels:
        if _TOTAL.match(label):
            if not others:
                out.cell("three_public_total", view, row, col, origin)
            continue
        key = next((k for k, pattern in specs if k != "three_public_total" and re.search(pattern, label)), None)
        if key:
            out.cell(key, view, row, col, origin)


def _blank_parts(row: Row, cols: dict[str, int]) -> list[str]:
    """The 三公 items a table's row leaves blank where the printed items add up to its printed
    三公 total without them: the row's own sum proves them zero. A cell blanked by a lost text
    layer breaks the sum and stays unread."""
    vehicle = ["three_public_vehicle_purchase", "three_public_vehicle_operation"]
    members = ["three_public_overseas", "three_public_reception"]
    members += vehicle if all(k in cols for k in vehicle) else [VEHICLE]
    if "three_public_total" not in cols or not all(k in cols for k in members):
        return []
    numbers = {k: row.numbers[cols[k]] for k in [*members, "three_public_total"]}
    total = numbers.pop("three_public_total")
    blank = [k for k, n in numbers.items() if n.status == "blank"]
    printed = [n.value for n in numbers.values() if n.status == "ok" and n.value is not None]
    if total.status != "ok" or not blank or len(blank) + len(printed) != len(members):
        return []
    return blank if sum(printed, Decimal(0)) == total.value else []


_INLINE_CODE = re.compile(r"^[\[【(（]?(\d{3,7})[\]】)）]?\s*[-－—]?\s*(\S.*)$")


def _economic(view: TableView, out: Collector, scope: str | None = None) -> None:
    """经济分类 lines: by code or name in rows (with the first amount column), or by column
    headings. A 基本支出 (or 项目支出) table's line is only that part of the department's line."""
    scope = scope or ("basic" if re.search(r"基本支出|商品和服务|机关运行|公用经费|工资福利", norm(view.title)) else "all")
    origin = f"table{view.index}"
    amount_cols = [i for i, k in enumerate(view.kinds) if k == "amount" and not view.excluded(i)]
    if not amount_cols:
        return
    if sum(1 for row in view.rows if UNIT_NAME.search(norm(view.label_of(row)))) > 1:
        return  # the lines of several units one after another: none is the department's
    found: dict[str, list[Row]] = {}
    for line in view.rows:
        codes = [c for c in view.codes_of(line) if c]
        label = norm(view.label_of(line))
        inline = _INLINE_CODE.match(label)
        if inline and not codes:  # [30215]会议费: the code written in the label cell
            codes, label = [inline.group(1)], inline.group(2)
        for key, (code, name) in ECON_LINES.items():
            if code in codes or (not codes and re.fullmatch(name, label)):
                found.setdefault(key, []).append(line)
    seen = set(found)
    for key, rows in found.items():
        # a line printed again further down is one unit's or one function's part (a table listing
        # the department's units one after another): none of them is the department's line
        if len(rows) == 1:
            out.cell(key, view, rows[0], amount_cols[0], origin, scope)
    row = view.total_row()
    if row is None:
        return
    for key, (_code, name) in ECON_LINES.items():
        if key in seen:
            continue
        col = _first_col(view, rf"^{name}$", last=True)
        if col is not None:
            out.cell(key, view, row, col, origin, scope)


def _income_rows(view: TableView, out: Collector) -> None:
    """A 收入总表 printed as rows (项目 | 金额): each source on its own line, 小计 under a group."""
    amount = [i for i, k in enumerate(view.kinds) if k == "amount" and any(r.numbers[i].status == "ok" for r in view.rows)]
    if not amount:
        return
    col, origin = amount[0], f"table{view.index}"
    found: dict[str, Row] = {}
    for row in view.rows:
        key = _row_key(norm(view.label_of(row)))
        if key and key not in found:
            found[key] = row
    carry = found.get("income_carryover")
    if carry is None or carry.numbers[col].value in (None, Decimal(0)):
        total = next((r for r in view.rows if re.match(r"^((本年|当年)?收入)?(合计|总计)$", norm(view.label_of(r)))), None)
        if total is not None:
            found["income_total"] = total
    for key, row in found.items():
        out.cell(key, view, row, col, origin)


def table_readings(views: list[TableView], doc_kind: str) -> tuple[Collector, list[dict]]:
    """Readings of every key from every recognised table; and rows whose total label is wrong."""
    out = Collector()
    labels: list[dict] = []
    for view in views:
        kind = table_kind(view)
        if kind in ("summary", "fiscal_summary"):
            _summary(view, out, doc_kind, labels, fiscal_only=kind == "fiscal_summary")
        elif kind == "income":
            if _income_columns(view, out) is None:  # sources as rows, not columns
                _income_rows(view, out)
        elif kind == "expenditure":
            row = view.total_row()
            for key in ("expenditure_total", "expenditure_basic", "expenditure_project", EXPENDITURE_OTHER):
                if key == "expenditure_total" and row is not None and _brought_forward(view, row):
                    continue  # spending by source of money, 上年结转 among them: its 合计 is 支出总计
                col = _parent_col(view, _TOP[key])
                if row is not None and col is not None:
                    out.cell(key, view, row, col, f"table{view.index}")
        elif kind == "three_public":
            _three_public(view, out, doc_kind)
        elif kind == "performance":
            _by_columns(view, out, [
                ("expenditure_total", r"^(总计|资金总额|合计)$", "last"),
                ("expenditure_basic", r"^基本支出$", "last"),
                ("expenditure_project", r"^项目支出$", "last"),
            ])
        elif kind == "project_list":
            _by_columns(view, out, [("expenditure_project", r"^(总计|资金总额|合计)$", "last")])
            _economic(view, out, "project")
        elif kind == "procurement":
            _by_columns(view, out, [("procurement_total", RULES["procurement_total"].columns[0], "last")])
        elif kind == "staff":
            _by_columns(view, out, [(k, RULES[k].columns[0], "top") for k in ("staff_authorized", "staff_actual")])
        else:
            _economic(view, out)
    return out, labels


# --- the 说明's sentences -------------------------------------------------------------------


@dataclass
class Flow:
    """A file's paragraphs as one string, each character traceable to its paragraph."""

    file: str
    text: str
    starts: list[int]  # offset of each paragraph in text
    wheres: list[dict]
    ocr: list[bool]  # per paragraph: read by OCR from a scan

    def _paragraph(self, pos: int) -> int:
        return max(j for j, s in enumerate(self.starts) if s <= pos)

    def where(self, pos: int) -> dict:
        i = self._paragraph(pos)
        w = dict(self.wheres[i])
        w["paragraph"] = i
        return w

    def read_by_ocr(self, pos: int) -> bool:
        return self.ocr[self._paragraph(pos)]


def flows(files: list[ExtractedFile]) -> list[Flow]:
    out = []
    for f in files:
        parts, starts, wheres, ocr, pos = [], [], [], [], 0
        for p in f.paragraphs:
            starts.append(pos)
            wheres.append(p.where.as_dict())
            ocr.append(p.ocr or f.ocr)
            parts.append(p.text)
            pos += len(p.text) + 1
        out.append(Flow(f.name, "\n".join(parts), starts, wheres, ocr))
    return out


# a section's topic from its heading, first match wins: a heading about the 三公 or the 机关运行
#经费 states them even when it also explains their change (部门“三公”经费增减变化情况及原因说明)
_TOPICS = [
    ("glossary", r"名词解释|名词"),
    ("three_public", r"三公"),
    ("meeting_training", r"(?:会议费|培训费)(?![（(][类款项])"),
    ("operating", r"运行经费"),
    ("procurement", r"政府采购"),
    ("change", r"增减|变化"),
    ("performance", r"绩效"),
    ("basic", r"基本支出"),
    ("project", r"项目支出"),
    ("general_budget", r"一般公共预算|公共财政"),
    ("summary", r"收支"),  # 收支预算总体情况, 财政拨款收支情况: states income and expenditure alike
    ("income", r"收入(预算|决算|情况)"),
    ("expenditure", r"支出(预算|决算|情况)"),
]
_HEAD = re.compile(r"^\s*(?:(?P<l0>第[一二三四五六七八九十]+部分[:：、]?)|(?P<l1>[一二三四五六七八九十]+\s*[、.．])"
                   r"|(?P<l2>[（(]\s*[一二三四五六七八九十]+\s*[)）])|(?P<l3>\d+\s*[、.．](?!\d))|(?P<l4>[（(]\s*\d+\s*[)）]))"
                   r"\s*(?P<head>[^：:，,。；\n]{0,30})")

_AMT = r"(?P<amt>[0-9０-９][0-9０-９,，.．\s]*?\s*(?:万元|元|万))"
# between a label and its amount: no digits, no sentence end, no 增加/减少/比/较/占 (a change, not
# the figure) and no 、及与 (会议费、培训费预算共…: the amount of a list of items, not of the first)
# (a line break may stand between: a PDF's line wraps 预算总额 / 5514.93 万元)
_GAP = r"(?:(?!增|减|比|较|占|、|及|与)[^\d。；;]){0,%d}?"
# a label that ends a list of items (“三公”经费及会议费、培训费预算共…): the amount is the list's
# not 3、培训费… (an enumerator) nor …45.00 万元、公务用车运行维护费… (the next pair)
_LISTED = re.compile(r"(?<![\d一二三四五六七八九十元])[、及与]$")
# a label restated with its year before the amount: 因公出国（境）费用。2026 年预算数 0.00 万元
_YEAR_INFIX = r"(?:[。：:，,]?\s*(?P<yr>\d{4})\s*年度?\s*(?:预算数|决算数|预算|决算)?(?:为|是)?)?"
# 会议费（款）is a 功能分类 line named like the expense, not the expense itself
# the 说明's sentence forms per section topic: (key, label, gap) from the catalogue, and the
# amounts read for the checks only
_SENTENCES: dict[str, list[tuple[str, str, int]]] = {}
for _rule in FIGURES:
    for _topic, _label, _gap in _rule.sentences:
        _SENTENCES.setdefault(_topic, []).append((_rule.key, _label, _gap))
_SENTENCES["three_public"].append((VEHICLE, r"公务用车购置[及和]运行(?:维护)?费", 3))
_SENTENCES["summary"] = _SENTENCES["income"] + _SENTENCES["expenditure"]
for _topic in ("expenditure", "basic", "project"):
    _SENTENCES[_topic].append((EXPENDITURE_OTHER, r"单位预留机动经费(?:预算数)?(?:为)?", 3))
# sections that define or compare rather than state this year's figures
_NOT_STATEMENTS = {"glossary", "change", "performance"}
# words just before a label that make its amount another year's or a comparison: 比上年…, 较2025年…
# (增加基本支出844.15万元: a label right after 增加/减少 names the change, not the figure)
_COMPARISON = re.compile(r"(比|较|上年|去年|同比|上一年)[^，,。；;\n]{0,8}$|(增加|减少|增长|下降|降低|提高|压减|压缩)$")
_YEAR_BEFORE = re.compile(r"(\d{4})年度?[^，,。；;\n\d]{0,3}$")
# a final account's figures are 决算数; a 预算 amount in its 说明 is the budget it is compared
# with (and a 决算 amount in a budget's is last year's). Names of budgets are no such word.
_OTHER_KIND_WORD = {"final_account": re.compile(r"预算"), "budget": re.compile(r"决算")}
_BUDGET_NAMES = re.compile(r"一般公共预算|政府性基金预算|国有资本经营预算|预算单位|部门预算|预算执行|预算管理")
# where a final account's sentence goes on to its 决算数: 支出预算593.46万元，决算数为…
_FINAL_AMOUNT = re.compile(r"决算(?:数)?(?:为|是)?" + (r"(?:(?!增|减|比|较|占)[^\d。；;\n]){0,3}?") + _AMT)


# totals of every fund: a fund's name just before the label makes it that fund's part (the 三公
# and 机关运行经费 are 财政拨款 by definition, so they are not among these keys)
_WHOLE_DEPARTMENT = {"income_total", "expenditure_total", "expenditure_basic", "expenditure_project"}
# a sentence that breaks one fund's total down: 单位财政拨款收入121,884,997.75元，其中：本年收入…
_ONE_FUND_SENTENCE = re.compile(r"(一般公共预算|财政拨款|政府性基金|国有资本经营)[^，,。；]{0,8}(收入|支出)[^。；]{0,40}?[，,]\s*其中")
# the amount a 其中 list breaks down, just before it: 收入预算515,665.27万元，其中：
_WHOLE_BEFORE = re.compile(_AMT + r"\s*[，,]?\s*其中\s*[:：]?\s*$")
_ONE_FUND_BEFORE = re.compile(r"(一般公共预算|财政拨款|政府性基金|国有资本经营|公共财政)(预算)?(财政)?(拨款)?(资金)?(安排的?)?(的)?$")


def _other_year_or_kind(before: str, printed: str, doc_kind: str | None, fiscal_year: int | None) -> bool:
    """Whether an amount is a comparison, another year's, or the other kind's (预算 in a 决算)."""
    if _COMPARISON.search(before):
        return True
    year = _YEAR_BEFORE.search(before)
    if year and fiscal_year and int(year.group(1)) != fiscal_year:
        return True
    word = _OTHER_KIND_WORD.get(doc_kind or "")
    return bool(word and word.search(_BUDGET_NAMES.sub("", printed)))
_HEADCOUNTS = [(r.key, re.compile(f"(?:{'|'.join(r.counts)})" + r"\s*(?P<n>\d+)\s*(?:人|名)(?!次)"))
               for r in FIGURES if r.counts]


_ANY_COUNT = re.compile("|".join(c for r in FIGURES for c in r.counts))


def _department_count(text: str, m: re.Match) -> bool:
    """Whether a count of people is the department's: not a breakdown (after 其中) and not in a
    sentence whose first count names a unit (…服务保障中心编制人数8人，实有人员7人)."""
    sentence_start = max(text.rfind(c, 0, m.start()) for c in "。；;\n") + 1
    if COUNT_BREAKDOWN.search(text[sentence_start:m.start()]):
        return False
    first = _ANY_COUNT.search(text, sentence_start, m.end())
    start = first.start() if first else m.start()
    clause_start = max(text.rfind(c, 0, start) for c in "，,。；;\n") + 1
    return not UNIT_NAME.search(text[clause_start:start].strip())


def _sections(flow: Flow) -> list[tuple[str, int, int]]:
    """(topic, start, end) spans of the flow: which figure each stretch of text is about.

    Headings nest by their numbering (第一部分 > 一、 > （一） > 1. > （1））: a heading that names
    no topic of its own is about its enclosing section's (二、收入预算 › 2.政府性基金拨款收入),
    and everything under a glossary or a comparison stays there."""
    spans: list[tuple[str, int, int]] = []
    stack: list[tuple[int, str]] = []  # enclosing headings: (level, topic)
    topic, start = "other", 0
    for i, pstart in enumerate(flow.starts):
        end = flow.starts[i + 1] - 1 if i + 1 < len(flow.starts) else len(flow.text)
        m = _HEAD.match(flow.text[pstart:end])
        if not m:
            continue
        level = next(n for n in (0, 1, 2, 3, 4) if m.group(f"l{n}"))
        while stack and stack[-1][0] >= level:
            stack.pop()
        enclosing = stack[-1][1] if stack else "other"
        own = next((t for t, rx in _TOPICS if re.search(rx, m.group("head"))), "other")
        new = enclosing if enclosing in _NOT_STATEMENTS or own == "other" else own
        stack.append((level, new))
        if new != topic:
            spans.append((topic, start, pstart))
            topic, start = new, pstart
    spans.append((topic, start, len(flow.text)))
    return [s for s in spans if s[2] > s[1]]


# the department's whole money, all funds and any carry-over: 部门财务总收入, 部门预算总支出
_DEPARTMENT_WHOLE = re.compile(r"(?:总收入|总支出|收入总计|支出总计)(?:预算)?(?:为|是)?\s*" + _AMT)


def _department_wholes(text: str) -> set[Decimal]:
    """The amounts the 说明 states for the department's whole income or spending."""
    found = set()
    for m in _DEPARTMENT_WHOLE.finditer(text):
        clause_start = max(text.rfind(c, 0, m.start()) for c in "，,。；;\n") + 1
        amount = find_amounts(m.group("amt"))
        if _ONE_FUND_BEFORE.search(text[clause_start:m.start()].replace("部门", "")) or not amount:
            continue
        number = amount[0].number
        if number.status == "ok" and number.value is not None:
            found.add(to_yuan(number.value, number.unit or "元"))
    return found


def _fund_is_whole(sentence: str, wholes: frozenset[Decimal] | set[Decimal]) -> bool:
    """Whether the fund a sentence breaks down (财政拨款安排支出80,778,193.86元，其中：…) holds all
    of the department's money: its total is the department's whole, so its parts are the
    department's parts."""
    fund = _ONE_FUND_SENTENCE.search(sentence)
    amount = re.search(_AMT, sentence[fund.start():]) if fund else None
    numbers = find_amounts(amount.group("amt")) if amount else []
    if not numbers or numbers[0].number.status != "ok" or numbers[0].number.value is None:
        return False
    return to_yuan(numbers[0].number.value, numbers[0].number.unit or "元") in wholes


def _whole_before(segment: str, label_at: int) -> Decimal | None:
    """The amount a label's sentence breaks down when the label opens its 其中 list."""
    wm = _WHOLE_BEFORE.search(segment, max(0, label_at - 60), label_at)
    amounts = find_amounts(wm.group("amt")) if wm else []
    if not amounts or amounts[0].number.status != "ok" or amounts[0].number.value is None:
        return None
    return to_yuan(amounts[0].number.value, amounts[0].number.unit or "元")


def _sentence_amount(segment: str, rx: re.Pattern, key: str, doc_kind: str | None,
                     fiscal_year: int | None, wholes: frozenset[Decimal] | set[Decimal] = frozenset()) -> re.Match | None:
    """The first statement of a label's amount that is this year's, of this kind and of the
    whole department; a final account's sentence that names the budget first may go on to its 决算数."""
    for m in rx.finditer(segment):
        clause_start = max(segment.rfind(c, 0, m.start()) for c in "，,。；;\n") + 1
        if m.groupdict().get("yr") and fiscal_year and int(m.group("yr")) != fiscal_year:
            continue
        # a 其中 list runs on past semicolons: 财政拨款安排支出…，其中：基本支出…；项目支出…
        sentence_start = max(segment.rfind(c, 0, m.start()) for c in "。\n") + 1
        if key in _WHOLE_DEPARTMENT and (
                _ONE_FUND_BEFORE.search(segment[clause_start:m.start()])
                or (_ONE_FUND_SENTENCE.search(segment[sentence_start:m.start()])
                    and not _fund_is_whole(segment[sentence_start:m.start()], wholes))):
            continue  # 一般公共预算基本支出, 财政拨款收入…，其中：本年收入: one fund's part, not the department's
        if _LISTED.search(segment[clause_start:m.start()].rstrip()):
            continue
        if not _other_year_or_kind(segment[clause_start:m.start()], m.group(0), doc_kind, fiscal_year):
            return m
        if doc_kind == "final_account":
            end = min((i for i in (segment.find(c, m.end()) for c in "。；;\n") if i >= 0), default=len(segment))
            final = _FINAL_AMOUNT.search(segment, m.end(), end)
            if final:
                return final
    return None


def text_readings(files: list[ExtractedFile], out: Collector, doc_kind: str | None = None, fiscal_year: int | None = None) -> None:
    """Readings from the 说明: each section's sentences for the figures that section states."""
    for flow in flows(files):
        wholes = _department_wholes(flow.text)
        for topic, start, end in _sections(flow):
            segment = flow.text[start:end]
            if topic != "glossary":
                for key, pattern in NONE_STATEMENTS.items():
                    if nm := re.search(pattern, segment):
                        out.readings.append(Reading(key, Decimal("0.00"), flow.where(start + nm.start()), nm.group(0), "text", "text"))
            forms = _SENTENCES.get(topic, []) + ([] if topic in _NOT_STATEMENTS else _SENTENCES.get("any", []))
            for key, label, gap in forms:
                rx = re.compile(f"(?:{label})" + _YEAR_INFIX + (_GAP % gap) + _AMT)
                m = _sentence_amount(segment, rx, key, doc_kind, fiscal_year, wholes)
                if not m:
                    continue
                amount = find_amounts(m.group("amt"))
                if not amount:
                    continue
                number = amount[0].number
                pos = start + m.start()
                where = flow.where(pos)
                printed = re.sub(r"\s*\n\s*", "", m.group(0))
                if number.status == "malformed":
                    out.malformed.append(Malformed(key, re.sub(r"\s+", "", m.group("amt")), where, printed,
                                                   flow.read_by_ocr(pos)))
                    continue
                if number.status != "ok" or number.value is None:
                    continue
                unit = number.unit or "元"
                out.readings.append(Reading(key, to_yuan(number.value, unit), where, printed, "text", "text",
                                            tolerance(number, unit), whole=_whole_before(segment, m.start())))
        for key, hrx in _HEADCOUNTS:
            # several different counts are several units' (a 说明 that lists its sub-units): none is the department's
            found = [hm for hm in hrx.finditer(flow.text) if _department_count(flow.text, hm)]
            if found and len({int(hm.group("n")) for hm in found}) == 1:
                hm = found[0]
                out.readings.append(Reading(key, int(hm.group("n")), flow.where(hm.start()), hm.group(0), "text", "text"))


def unit_errors(views: list[TableView]) -> list[tuple[TableView, Row, int, Number]]:
    """Cells of 万元 tables that write an amount in 元: `275.4元` where the table counts 万元."""
    found = []
    for view in views:
        if view.unit != "万元":
            continue
        for row in view.rows:
            for i, cell in enumerate(row.cells):
                for amount in find_amounts(unicodedata.normalize("NFKC", cell)):
                    if amount.number.unit == "元" and amount.number.value is not None:
                        found.append((view, row, i, amount.number))
    return found
