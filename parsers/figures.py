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

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from parsers.metadata import UNIT_IN_ROW, table_unit
from parsers.model import ExtractedFile, Table
from parsers.numbers import Number, find_amounts, parse_number, to_yuan, tolerance

AMOUNT_KEYS = (
    "income_total", "income_general_budget", "income_gov_fund", "income_other", "income_carryover",
    "expenditure_total", "expenditure_basic", "expenditure_project",
    "three_public_total", "three_public_overseas", "three_public_vehicle_purchase",
    "three_public_vehicle_operation", "three_public_reception",
    "operating_expenses", "procurement_total", "meeting_expenses", "training_expenses",
)
HEADCOUNT_KEYS = ("staff_authorized", "staff_actual")
FIGURE_KEYS = AMOUNT_KEYS + HEADCOUNT_KEYS
# Not in the record, but read for the checks: 公务用车购置及运行费 as one amount, and the
# 经济分类 lines the 三公 items are part of.
VEHICLE = "three_public_vehicle"
EXPENDITURE_OTHER = "expenditure_other"  # a third top-level category beside 基本 and 项目 (其他支出)
ECON_LINES = {
    "econ_overseas": ("30212", r"因公出国[(（]境[)）]费用?"),
    "econ_vehicle_operation": ("30231", r"公务用车运行维护费"),
    "econ_reception": ("30217", r"公务接待费"),
    "econ_vehicle_purchase": ("31013", r"公务用车购置费?"),
    "meeting_expenses": ("30215", r"会议费"),
    "training_expenses": ("30216", r"培训费"),
}


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


@dataclass(frozen=True)
class Malformed:
    """A number that could not be read one way only, where it was meant to give a figure."""

    key: str | None
    text: str  # the number as printed
    where: dict
    context: str = ""  # the sentence or cell around it


# --- labels --------------------------------------------------------------------------------

_ENUM = re.compile(r"^(?:[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十\d]+[)）]|\d+[、.．](?!\d))")


def norm(text: str) -> str:
    """A label as compared: NFKC, no spaces, no markup, no leading enumerator or 其中."""
    s = unicodedata.normalize("NFKC", text or "")
    s = re.sub(r"<[^>]+>", "", s)
    s = re.sub(r"\s+", "", s)
    s = _ENUM.sub("", s)
    return re.sub(r"^其中[:：]?", "", s)


def enumerated(text: str) -> bool:
    """Whether a label starts with an enumerator (一、 （一） 1.): a top-level line."""
    return bool(_ENUM.match(re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))))


# --- tables --------------------------------------------------------------------------------

_TOTAL = re.compile(r"^(合计|总计|小计)$")
_CODE_HEAD = re.compile(r"编码|代码|科目(?!名称)|编号|行次|^类$|^款$|^项$")
_EXCLUDED_COLUMN = re.compile(r"上年|增减|同比|变动|增长")


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
        """The 合计 row; a table of one unit's row only is its own total."""
        for row in self.rows:
            labels = [norm(row.cells[i]) for i, k in enumerate(self.kinds) if k != "amount" and i < len(row.cells)]
            if any(_TOTAL.match(lb) for lb in labels if lb):
                return row
        return self.rows[0] if len(self.rows) == 1 else None


def _numbering_row(cells: list[str]) -> bool:
    """The `** ** 1 2 3` row under the headings that numbers the columns."""
    vals = [norm(c) for c in cells if c.strip()]
    return len(vals) >= 2 and all(v == "**" or v.isdigit() for v in vals) and any(v == "**" for v in vals) or (
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


def build_views(files: list[ExtractedFile], default_unit: str | None) -> list[TableView]:
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
            continues = bool(views) and (
                (prev_first == first and (not title or norm(title) == norm(views[-1].title)))
                or (headless and width == len(views[-1].columns))
            )
            if continues:
                view = views[-1]
            else:
                paths = _paths(headers, width)
                if headless:  # its columns do not line up with the page before: keep apart, same table
                    views[-1].partial = True
                    title, unit = views[-1].title, unit or views[-1].unit
                view = TableView(
                    index=len(views),
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


def table_kind(view: TableView) -> str:
    """Which standard table this is, from its title; the 三公 table also from its headings,
    as its title is often lost (printed over two lines, or only the 部门 line above it)."""
    t = norm(view.title)
    heads = "|".join(view.columns)
    if "三公" in t or ("三公" in heads and "公务接待费" in heads and "因公出国" in heads):
        return "three_public"
    if ("收支" in t or ("收入" in t and "支出" in t)) and "总表" in t:
        return "fiscal_summary" if "财政拨款" in t else "summary"
    if "人员" in t:
        return "staff"
    if "政府采购" in t:
        return "procurement"
    if "绩效" in t:
        return "performance" if "整体" in t else "project_list"
    if "专项资金" in t or "项目支出" in t:
        return "project_list"
    subset = any(x in t for x in ("财政拨款", "一般公共预算", "政府性基金", "专户", "经费拨款", "基本支出", "非税"))
    if "收入" in t and not subset and re.search(r"总表|决算表|预算表", t):
        return "income"
    if "支出" in t and not subset and re.search(r"总表|分类|汇总|决算表", t):
        return "expenditure"
    return "other"


def _where(view: TableView, row: Row, col: int) -> dict:
    w = dict(row.where)
    w.update({"table": view.title, "row": view.label_of(row) or " ".join(c for c in view.codes_of(row) if c), "column": view.columns[col], "row_number": row.row_number})
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
            self.malformed.append(Malformed(key, number.text, where))
            return
        if number.status != "ok" or number.value is None:
            return
        if key in HEADCOUNT_KEYS:
            if number.value != number.value.to_integral_value():
                self.malformed.append(Malformed(key, number.text, where))
                return
            value: Decimal | int = int(number.value)
            tol = Decimal(0)
        else:
            value = to_yuan(number.value, view.unit)
            tol = tolerance(number, view.unit)
        self.readings.append(Reading(key, value, where, number.text, "table", origin, tol, scope))


def _value_col(view: TableView, label_col: int, kind: str) -> int | None:
    """The amount column a label column's values are in: this year's, not 上年 or 增减; the
    first that prints any number (a reader may leave empty columns between)."""
    candidates = []
    for i in range(label_col + 1, len(view.kinds)):
        if view.kinds[i] == "label":
            break
        if view.kinds[i] == "amount" and not _EXCLUDED_COLUMN.search(view.columns[i]) and not (
            kind == "final_account" and "预算" in view.columns[i] and "决算" not in view.columns[i]
        ):
            candidates.append(i)
    filled = [i for i in candidates if any(r.numbers[i].status in ("ok", "malformed") for r in view.rows)]
    return (filled or candidates or [None])[0]


_INCOME_ROWS = [
    ("income_general_budget", re.compile(r"^(一般公共预算(财政)?拨款(收入)?|一般公共预算(资金|收入)?|公共财政拨款(收入)?)$")),
    ("income_gov_fund", re.compile(r"^政府性基金(预算)?(财政)?拨款(收入)?$")),
    ("income_carryover", re.compile(r"^(上年结转(和结余)?|年初结转和结余)$")),
]
_SUMMARY_TOTAL = re.compile(r"^(本年|当年)?(收入|支出)?(合计|总计|小计)$")


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
        for row in view.rows:
            raw = row.cells[lc]
            label = norm(raw)
            if not label:
                continue
            if side == "income":
                for key, pattern in _INCOME_ROWS:
                    if pattern.match(label):
                        out.cell(key, view, row, vc, origin, label=raw)
                if fiscal_only:
                    continue
                if label == "其他收入" and enumerated(raw) and not other_found:
                    other_found = True
                    out.cell("income_other", view, row, vc, origin, label=raw)
                m = _SUMMARY_TOTAL.match(label)
                if m:
                    if m.group(2) == "支出":
                        labels.append({"view": view, "row": row, "col": lc, "value_col": vc, "expected": "收入", "printed": raw})
                    if m.group(3) != "总计":
                        totals.append((bool(m.group(1)), row, raw))
            elif not fiscal_only:
                m = _SUMMARY_TOTAL.match(label)
                if m and m.group(3) != "总计":
                    if m.group(2) == "收入":
                        labels.append({"view": view, "row": row, "col": lc, "value_col": vc, "expected": "支出", "printed": raw})
                    totals.append((bool(m.group(1)), row, raw))
                elif m and m.group(2) == "收入":
                    labels.append({"view": view, "row": row, "col": lc, "value_col": vc, "expected": "支出", "printed": raw})
                elif label in ("基本支出", "项目支出"):
                    key = "expenditure_basic" if label == "基本支出" else "expenditure_project"
                    out.cell(key, view, row, vc, origin, label=raw)
                    economic_side = True
                elif re.fullmatch(r"其他支出|单位预留机动(经费?)?", label) and enumerated(raw):
                    other_rows.append(row)
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
        if view.kinds[i] != "amount" or _EXCLUDED_COLUMN.search(path):
            continue
        if exclude and re.search(exclude, path):
            continue
        parts = path.split("/")
        target = parts[0] if top else parts[-1] if last else path
        if rx.search(target):
            return i
    return None


def _by_columns(view: TableView, out: Collector, specs: list[tuple[str, str, str]]) -> None:
    """Read keys off the total row, one column per key: spec is (key, pattern, where in the path)."""
    row = view.total_row()
    if row is None:
        return
    for key, pattern, part in specs:
        col = _first_col(view, pattern, top=part == "top", last=part == "last")
        if col is not None:
            out.cell(key, view, row, col, f"table{view.index}")


def _three_public(view: TableView, out: Collector, doc_kind: str) -> None:
    row = view.total_row()
    if row is None:
        return
    skip = "决算" if doc_kind == "budget" else None
    sangong = any("三公" in p for p in view.columns)
    specs = [
        # beside 会议费 and 培训费 the table's own 合计 is more than the 三公
        ("three_public_total", r"三公.*(小计|合计|总计)$|三公[^/]*经费(合计)?$" if sangong else r"(^|/)(小计|合计|总计)$"),
        ("three_public_overseas", r"因公出国[(（]境[)）]费"),
        ("three_public_vehicle_purchase", r"公务用车购置费"),
        ("three_public_vehicle_operation", r"公务用车运行(维护)?费"),
        ("three_public_reception", r"公务接待费"),
        (VEHICLE, r"公务用车购置及运行(维护)?费"),
        ("meeting_expenses", r"(^|/)会议费$"),
        ("training_expenses", r"(^|/)培训费$"),
    ]
    cols = [i for i, p in enumerate(view.columns) if view.kinds[i] == "amount"]
    if doc_kind == "final_account" and any("决算" in view.columns[i] for i in cols):
        skip = r"预算数"
    for key, pattern in specs:
        col = _first_col(view, pattern, exclude=skip)
        if col is not None:
            out.cell(key, view, row, col, f"table{view.index}")


def _economic(view: TableView, out: Collector) -> None:
    """经济分类 lines: by code or name in rows (with the first amount column), or by column headings."""
    scope = "basic" if re.search(r"基本支出|商品和服务|机关运行|公用经费|工资福利", norm(view.title)) else "all"
    origin = f"table{view.index}"
    amount_cols = [i for i, k in enumerate(view.kinds) if k == "amount" and not _EXCLUDED_COLUMN.search(view.columns[i])]
    if not amount_cols:
        return
    seen: set[str] = set()
    for row in view.rows:
        codes = [c for c in view.codes_of(row) if c]
        label = norm(view.label_of(row))
        for key, (code, name) in ECON_LINES.items():
            if key in seen:
                continue
            if code in codes or (not codes and re.fullmatch(name, label)):
                seen.add(key)
                out.cell(key, view, row, amount_cols[0], origin, scope)
    row = view.total_row()
    if row is None:
        return
    for key, (_code, name) in ECON_LINES.items():
        if key in seen:
            continue
        col = _first_col(view, rf"^{name}$", last=True)
        if col is not None:
            out.cell(key, view, row, col, origin, scope)


_INCOME_LINES = [
    ("income_general_budget", r"^(一般公共预算|公共财政)(财政)?(拨款|资金|收入)?(小计)?$"),
    ("income_gov_fund", r"^政府性基金(预算)?(财政)?(拨款|资金|收入)?(小计)?$"),
    ("income_carryover", r"^(上年结转(和结余)?|年初结转和结余)(资金)?(小计)?$"),
]


def _income_rows(view: TableView, out: Collector) -> None:
    """A 收入总表 printed as rows (项目 | 金额): each source on its own line, 小计 under a group."""
    amount = [i for i, k in enumerate(view.kinds) if k == "amount" and any(r.numbers[i].status == "ok" for r in view.rows)]
    if not amount:
        return
    col, origin = amount[0], f"table{view.index}"
    found: dict[str, Row] = {}
    for row in view.rows:
        label = norm(view.label_of(row))
        for key, pattern in _INCOME_LINES:
            if key not in found and re.match(pattern, label):
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
            row = view.total_row()
            carry = _first_col(view, r"^(上年结转|年初结转)", top=True)
            carry_stated = row is not None and carry is not None and row.numbers[carry].value not in (None, Decimal(0))
            general = r"^(一般公共预算(财政)?拨款|公共财政拨款)"
            specs = [
                ("income_general_budget", general, "top"),
                ("income_gov_fund", r"^政府性基金", "top"),
                ("income_other", r"^其他收入$", "top"),
                ("income_carryover", r"^(上年结转|年初结转)", "top"),
            ]
            if not carry_stated:
                specs.insert(0, ("income_total", r"^(总计|合计)$", "top"))
            if _first_col(view, general, top=True) is None:  # sources as rows, not columns
                _income_rows(view, out)
            else:
                _by_columns(view, out, specs)
        elif kind == "expenditure":
            _by_columns(view, out, [
                ("expenditure_total", r"^(总计|合计)$", "top"),
                ("expenditure_basic", r"^基本支出", "top"),
                ("expenditure_project", r"^项目支出", "top"),
                (EXPENDITURE_OTHER, r"^(其他支出|单位预留机动)", "top"),  # 单位预留机动经 / 费: a heading wrapped over two rows
            ])
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
        elif kind == "procurement":
            _by_columns(view, out, [("procurement_total", r"^(总计|合计|金额)$", "last")])
        elif kind == "staff":
            _by_columns(view, out, [
                ("staff_authorized", r"^编制(人数|数)", "top"),
                ("staff_actual", r"^实有(在职)?人数", "top"),
            ])
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

    def where(self, pos: int) -> dict:
        i = max(j for j, s in enumerate(self.starts) if s <= pos)
        w = dict(self.wheres[i])
        w["paragraph"] = i
        return w


def flows(files: list[ExtractedFile]) -> list[Flow]:
    out = []
    for f in files:
        parts, starts, wheres, pos = [], [], [], 0
        for p in f.paragraphs:
            starts.append(pos)
            wheres.append(p.where.as_dict())
            parts.append(p.text)
            pos += len(p.text) + 1
        out.append(Flow(f.name, "\n".join(parts), starts, wheres))
    return out


_TOPICS = [
    ("change", r"增减|变化"),
    ("performance", r"绩效"),
    ("glossary", r"名词解释|名词"),
    ("three_public", r"三公"),
    ("meeting_training", r"(?:会议费|培训费)(?![（(][类款项])"),
    ("operating", r"运行经费"),
    ("procurement", r"政府采购"),
    ("basic", r"基本支出"),
    ("project", r"项目支出"),
    ("general_budget", r"一般公共预算|公共财政"),
    ("income", r"收入(预算|决算|情况)"),
    ("expenditure", r"支出(预算|决算|情况)"),
]
_HEAD = re.compile(r"^\s*(?:(?P<l1>[一二三四五六七八九十]+\s*[、.．])|(?P<l2>[（(]\s*[一二三四五六七八九十]+\s*[)）])|(?P<l3>\d+\s*[、.．](?!\d))|(?P<l4>[（(]\s*\d+\s*[)）]))\s*(?P<head>[^：:，,。；\n]{0,30})")

_AMT = r"(?P<amt>[0-9０-９][0-9０-９,，.．\s]*?\s*(?:万元|元|万))"
# between a label and its amount: no digits, no sentence end, and no 增加/减少/比/较/占 (a change, not the figure)
_GAP = r"(?:(?!增|减|比|较|占)[^\d。；;\n]){0,%d}?"
# 会议费（款）is a 功能分类 line named like the expense, not the expense itself
_MEETING, _TRAINING = r"会议费(?![（(][类款项])", r"培训费(?![（(][类款项])"
_SENTENCES: dict[str, list[tuple[str, str, int]]] = {
    "income": [
        ("income_total", r"年初(?:预算数|决算数)(?:为)?|本年收入(?:预算|决算)?(?:合计)?(?:为)?", 3),
        ("income_general_budget", r"一般公共预算(?:财政)?拨款(?:收入)?|一般公共预算(?:财政拨款)?收入(?:预算)?|公共财政拨款(?:收入)?", 3),
        ("income_gov_fund", r"政府性基金(?:预算)?(?:财政)?拨款(?:收入)?", 3),
        ("income_other", r"(?<![税])其他收入", 3),
        ("income_carryover", r"上年结转(?:和结余)?|年初结转和结余", 3),
    ],
    "expenditure": [
        ("expenditure_total", r"年初(?:预算数|决算数)(?:为)?|本年支出(?:预算|决算)?(?:合计)?(?:为)?", 3),
        ("expenditure_basic", r"基本支出(?:预算数|决算数)?(?:为)?", 3),
        ("expenditure_project", r"项目支出(?:预算数|决算数)?(?:为)?", 3),
        (EXPENDITURE_OTHER, r"单位预留机动经费(?:预算数)?(?:为)?", 3),
    ],
    "general_budget": [("income_general_budget", r"一般公共预算(?:财政)?拨款收入|公共财政拨款收入", 3)],
    "basic": [("expenditure_basic", r"(?:预算数|决算数)(?:为)?", 3), (EXPENDITURE_OTHER, r"单位预留机动经费(?:预算数)?(?:为)?", 3)],
    "project": [("expenditure_project", r"(?:预算数|决算数)(?:为)?", 3), (EXPENDITURE_OTHER, r"单位预留机动经费(?:预算数)?(?:为)?", 3)],
    "operating": [("operating_expenses", r"运行经费", 25)],
    "procurement": [("procurement_total", r"(?:预算数|决算数|预算总额|采购(?:预算)?总额|采购金额)(?:为)?", 3)],
    "three_public": [
        ("three_public_total", r"[“”\"‘’']?三公[“”\"‘’']?经费(?:预算数|决算数|支出|预算)?(?:为)?", 3),
        ("three_public_reception", r"公务接待费", 3),
        ("three_public_vehicle_purchase", r"公务用车购置费", 3),
        ("three_public_vehicle_operation", r"公务用车运行(?:维护)?费", 3),
        (VEHICLE, r"公务用车购置及运行(?:维护)?费", 3),
        ("three_public_overseas", r"因公出国[（(]境[)）]费(?:用)?", 3),
        ("meeting_expenses", _MEETING, 6),
        ("training_expenses", _TRAINING, 6),
    ],
    "meeting_training": [("meeting_expenses", _MEETING, 6), ("training_expenses", _TRAINING, 6)],
}
_HEADCOUNTS = [
    ("staff_authorized", re.compile(r"编制(?:人数)?(?:为|共)?\s*(?P<n>\d+)\s*(?:人|名)")),
    ("staff_actual", re.compile(r"实有(?:在职)?人数(?:为|共)?\s*(?P<n>\d+)\s*(?:人|名)")),
]


def _sections(flow: Flow) -> list[tuple[str, int, int]]:
    """(topic, start, end) spans of the flow: which figure each stretch of text is about."""
    spans: list[tuple[str, int, int]] = []
    topic, topic_level, start = "other", 0, 0
    for i, pstart in enumerate(flow.starts):
        end = flow.starts[i + 1] - 1 if i + 1 < len(flow.starts) else len(flow.text)
        para = flow.text[pstart:end]
        m = _HEAD.match(para)
        if not m:
            continue
        level = next(n for n in (1, 2, 3, 4) if m.group(f"l{n}"))
        head = m.group("head")
        new = next((t for t, rx in _TOPICS if re.search(rx, head)), "other")
        if new == "other" and level > topic_level and topic != "other":
            continue
        spans.append((topic, start, pstart))
        topic, topic_level, start = new, level, pstart
    spans.append((topic, start, len(flow.text)))
    return [s for s in spans if s[2] > s[1]]


def text_readings(files: list[ExtractedFile], out: Collector) -> None:
    """Readings from the 说明: each section's sentences for the figures that section states."""
    for flow in flows(files):
        for topic, start, end in _sections(flow):
            segment = flow.text[start:end]
            for key, label, gap in _SENTENCES.get(topic, []):
                rx = re.compile(f"(?:{label})" + (_GAP % gap) + _AMT)
                m = rx.search(segment)
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
                    out.malformed.append(Malformed(key, re.sub(r"\s+", "", m.group("amt")), where, printed))
                    continue
                if number.status != "ok" or number.value is None:
                    continue
                unit = number.unit or "元"
                out.readings.append(Reading(key, to_yuan(number.value, unit), where, printed, "text", "text", tolerance(number, unit)))
        for key, rx in _HEADCOUNTS:
            m = rx.search(flow.text)
            if m:
                out.readings.append(Reading(key, int(m.group("n")), flow.where(m.start()), m.group(0), "text", "text"))


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
