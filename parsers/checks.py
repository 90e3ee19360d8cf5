"""Deciding between readings, and every consistency check the contract names, as flags.

Which reading wins (per key):
- Tables over text: a table prints the figure itself, the 说明 retells it (often rounded to 万元).
- Tables that agree give the figure; its source is the first such table in document order
  (the 收支总表 leads the standard order). Tables that disagree give a figure only when one
  value is printed by more tables than any other and every text reading agrees with it.
- Text that agrees with the tables within its own rounding (`83.11万元` against 831,064.00
  元) keeps the exact table value and is flagged `rounding` (info).
- Text that disagrees with the tables beyond rounding, or tables that disagree with no value
  preferred, leave the key out: `conflicting_values` with every reading, beside the
  `text_table_mismatch` / `cross_table_mismatch` flag that says which sources disagree.
  Only when the tables all print one value and the 说明 itself states it too (elsewhere) is
  the 说明's other value a slip: the tables' value stands, still flagged `text_table_mismatch`.
- Text alone gives the figure when its readings agree.
- A 基本支出 table's 会议费 / 培训费 line is only part of the figure when a 三公/会议费/培训费
  table or the 说明 states it: it gives the figure only when nothing else does, and is
  otherwise checked not to exceed it.
A total row is always taken as printed, never replaced by the sum of its rows; a sum that
disagrees is its own flag (`column_total_mismatch`).
"""
from __future__ import annotations

import calendar
import re
from collections import OrderedDict
from datetime import date
from decimal import Decimal

from parsers.catalogue import ECON_LINES, EXPENDITURE_OTHER, FIGURE_KEYS, HEADCOUNT_KEYS, VEHICLE
from parsers.figures import Collector, Flow, Reading, Row, TableView, norm, table_kind
from parsers.numbers import Number, format_yuan, ocr_variants, to_yuan

ERROR, MINOR, INFO = "error", "minor", "info"


def value_str(key: str, value: Decimal | int) -> str | int:
    """A figure as the record writes it: headcounts as int, amounts as yuan with two decimals."""
    return int(value) if key in HEADCOUNT_KEYS else format_yuan(Decimal(value))


def reading_dict(r: Reading) -> dict:
    return {"value": value_str(r.key, r.value), "where": r.where, "text": r.text}


def flag(type_: str, severity: str, detail: str, readings: list[dict], key: str | None = None) -> dict:
    f: dict = {"type": type_}
    if key:
        f["key"] = key
    f.update({"readings": readings, "severity": severity, "detail": detail})
    return f


def _agree(a: Reading, b: Reading) -> bool:
    return abs(Decimal(a.value) - Decimal(b.value)) <= max(a.tolerance, b.tolerance)


def _table_of(r: Reading) -> str:
    return r.origin.split(":")[0]


def _distinct(readings: list[Reading]) -> list[Reading]:
    """One reading per value and witness, so a flag lists each disagreement once."""
    seen, out = set(), []
    for r in readings:
        k = (Decimal(r.value), r.origin)
        if k not in seen:
            seen.add(k)
            out.append(r)
    return out


def _label(key: str) -> str:
    return "公务用车购置及运行费" if key == VEHICLE else key


def resolve(key: str, readings: list[Reading]) -> tuple[Reading | None, list[dict]]:
    """The reading a key takes (None when it must be left out) and the flags its readings raise."""
    tables = [r for r in readings if r.source == "table"]
    texts = [r for r in readings if r.source == "text"]
    flags: list[dict] = []
    fkey = key if key in FIGURE_KEYS else None
    winner: Reading | None = None
    leader: Reading | None = None  # the table value the text is held against
    if tables:
        groups: OrderedDict[Decimal, list[Reading]] = OrderedDict()
        for r in tables:
            groups.setdefault(Decimal(r.value), []).append(r)
        exact_first = sorted(tables, key=lambda r: r.tolerance)[0]
        if all(_agree(r, exact_first) for r in tables):
            winner = leader = next(r for r in tables if r.value == exact_first.value)
        else:
            support = {v: len({_table_of(r) for r in rs}) for v, rs in groups.items()}
            best = max(support.values())
            leaders = [v for v, n in support.items() if n == best]
            flags.append(flag(
                "cross_table_mismatch", ERROR,
                f"{_label(key)}: tables print " + " / ".join(format_yuan(v) for v in groups),
                [reading_dict(r) for r in _distinct(tables)], fkey,
            ))
            if len(leaders) == 1:
                leader = groups[leaders[0]][0]
                winner = leader if all(_agree(t, leader) for t in texts) else None
        if leader is not None:
            disagreeing = [t for t in texts if not _agree(t, leader)]
        else:
            disagreeing = [t for t in texts if not all(_agree(t, r) for r in tables)]
        if disagreeing:
            against = [r for r in _distinct(tables) if not all(_agree(t, r) for t in disagreeing)]
            flags.append(flag(
                "text_table_mismatch", ERROR,
                f"{_label(key)}: the 说明 says " + " / ".join(format_yuan(Decimal(t.value)) for t in disagreeing)
                + ", the tables " + " / ".join(format_yuan(Decimal(r.value)) for r in against),
                [reading_dict(r) for r in _distinct(disagreeing) + against], fkey,
            ))
            # the 说明 contradicting itself, once with the tables that agree: a slip of the text
            if not (winner is not None and len(groups) == 1 and len(texts) > len(disagreeing)):
                winner = None
        if winner is not None:
            rounded = [t for t in texts if Decimal(t.value) != Decimal(winner.value) and _agree(t, winner)]
            if rounded:
                flags.append(flag(
                    "rounding", INFO,
                    f"{_label(key)}: the 说明's rounded figure stands for the exact table value {format_yuan(Decimal(winner.value))}",
                    [reading_dict(r) for r in [winner, *_distinct(rounded)]], fkey,
                ))
    elif texts and all(Decimal(t.value) == Decimal(texts[0].value) for t in texts):
        winner = texts[0]
    if winner is None and fkey:
        flags.append(flag(
            "conflicting_values", ERROR,
            f"{key}: the document gives different values and none can be preferred; left out",
            [reading_dict(r) for r in _distinct(readings)], fkey,
        ))
    return winner, flags


def _vehicle_readings(readings: list[Reading]) -> list[Reading]:
    """公务用车购置及运行费 of each table that prints 购置费 and 运行维护费 apart: their sum."""
    out = []
    by_origin: dict[str, dict[str, Reading]] = {}
    for r in readings:
        by_origin.setdefault(r.origin, {}).setdefault(r.key, r)
    for origin, keys in by_origin.items():
        p, o = keys.get("three_public_vehicle_purchase"), keys.get("three_public_vehicle_operation")
        if origin == "text" or not p or not o or VEHICLE in keys:
            continue
        out.append(Reading(VEHICLE, Decimal(p.value) + Decimal(o.value), p.where, f"{p.text} + {o.text}", p.source, origin,
                           p.tolerance + o.tolerance))
    return out


# readings of one part of the spending: a 基本支出 or 项目支出 table's 经济分类 line
PART_SCOPES = ("basic", "project")


def reconcile(collected: Collector) -> tuple[dict, dict, list[dict]]:
    """figures, figure_sources and flags from every reading found."""
    readings = collected.readings + _vehicle_readings(collected.readings)
    figures: dict = {}
    sources: dict = {}
    flags: list[dict] = []
    # an OCR misreading is the scan's reader failing, not the document: the figure's gap says so
    for m in (m for m in collected.malformed if not m.ocr):
        detail = f"{m.text!r} cannot be read as one number" + (f" (in {m.context!r})" if m.context else "")
        flags.append(flag("malformed_number", ERROR, detail, [{"value": m.text, "where": m.where, "text": m.context or m.text}],
                          m.key if m.key in FIGURE_KEYS else None))
    for key in (*FIGURE_KEYS, VEHICLE):
        mine = [r for r in readings if r.key == key]
        if not mine:
            continue
        # a 基本支出 (or 项目支出) table's 会议费 line is only part of the 会议费 when anything else
        # states it; with lines in both, neither is the department's and their sum is not printed
        parts = [r for r in mine if r.scope in PART_SCOPES]
        if len({r.scope for r in parts}) > 1 and len(parts) == len(mine):
            continue
        whole = [r for r in mine if r.scope not in PART_SCOPES] or parts
        winner, key_flags = resolve(key, whole)
        flags.extend(key_flags)
        if whole is not parts and winner is not None:
            too_big = [p for p in parts if Decimal(p.value) > Decimal(winner.value) + winner.tolerance + p.tolerance]
            if too_big:
                type_ = "text_table_mismatch" if winner.source == "text" else "cross_table_mismatch"
                flags.append(flag(
                    type_, ERROR,
                    f"{key}: the 基本支出 line alone ({format_yuan(Decimal(too_big[0].value))}) exceeds "
                    f"the stated {format_yuan(Decimal(winner.value))}",
                    [reading_dict(r) for r in [*_distinct(too_big), winner]], key,
                ))
                flags.append(flag(
                    "conflicting_values", ERROR,
                    f"{key}: the document gives different values and none can be preferred; left out",
                    [reading_dict(r) for r in [winner, *_distinct(too_big)]], key,
                ))
                winner = None
        if winner is None and key == VEHICLE:
            for part in ("three_public_vehicle_purchase", "three_public_vehicle_operation"):
                if part in figures:
                    figures.pop(part)
                    sources.pop(part)
                    parts = [r for r in readings if r.key in (part, VEHICLE)]
                    flags.append(flag(
                        "conflicting_values", ERROR,
                        f"{part}: 公务用车购置及运行费 is stated differently in the 说明 and the tables; left out",
                        [reading_dict(r) for r in _distinct(parts)], part,
                    ))
        if winner is not None and not winner.text:
            # a blank cell proven zero: a place that prints the zero is the better source
            winner = next((r for r in whole if r.text and Decimal(r.value) == Decimal(winner.value)), winner)
        if winner is not None and key in FIGURE_KEYS:
            figures[key] = value_str(key, winner.value)
            sources[key] = {"where": winner.where, "text": winner.text}
    return figures, sources, flags


# --- parts against totals ------------------------------------------------------------------

_PARTS = [
    ("expenditure_total", ("expenditure_basic", "expenditure_project"), (EXPENDITURE_OTHER,)),
    ("three_public_total", ("three_public_overseas", "three_public_vehicle_purchase", "three_public_vehicle_operation",
                            "three_public_reception"), ()),
    ("three_public_total", ("three_public_overseas", VEHICLE, "three_public_reception"), ()),
    (VEHICLE, ("three_public_vehicle_purchase", "three_public_vehicle_operation"), ()),
]


def parts_do_not_sum(readings: list[Reading]) -> list[dict]:
    """Each witness's own arithmetic: 基本 + 项目 (+ 其他) = 合计, the 三公 items = the 三公 total."""
    flags = []
    by_origin: dict[str, dict[str, Reading]] = {}
    for r in readings:
        by_origin.setdefault(r.origin, {}).setdefault(r.key, r)
    done: set[tuple[str, str]] = set()
    for origin, keys in by_origin.items():
        for total_key, parts, optional in _PARTS:
            total = keys.get(total_key)
            if total is None or (origin, total_key) in done or not all(p in keys for p in parts):
                continue
            if total_key == "three_public_total" and VEHICLE in parts and "three_public_vehicle_purchase" in keys:
                continue
            done.add((origin, total_key))
            members = [keys[p] for p in parts] + [keys[p] for p in optional if p in keys]
            summed = sum((Decimal(m.value) for m in members), Decimal(0))
            slack = total.tolerance + sum((m.tolerance for m in members), Decimal(0))
            if abs(summed - Decimal(total.value)) > slack:
                flags.append(flag(
                    "parts_do_not_sum", ERROR,
                    f"{' + '.join(_label(m.key) for m in members)} = {format_yuan(summed)}, "
                    f"but {_label(total_key)} is {format_yuan(Decimal(total.value))}",
                    [reading_dict(r) for r in [total, *members]], total_key if total_key in FIGURE_KEYS else None,
                ))
    return flags


def part_exceeds_whole(figures: dict, readings: list[Reading]) -> list[dict]:
    """A 三公 item may not exceed its 经济分类 line (公务接待费 30217 …) of a table that holds
    all spending; a 基本支出 table's line is only part of it (项目支出 holds the rest), so
    exceeding that is no inconsistency."""
    pairs = {
        "three_public_overseas": "econ_overseas",
        "three_public_vehicle_operation": "econ_vehicle_operation",
        "three_public_reception": "econ_reception",
        "three_public_vehicle_purchase": "econ_vehicle_purchase",
    }
    flags = []
    for key, econ in pairs.items():
        if key not in figures:
            continue
        part = next(r for r in readings if r.key == key and value_str(key, r.value) == figures[key])
        for whole in readings:
            if whole.key == econ and whole.scope not in PART_SCOPES and Decimal(part.value) > Decimal(whole.value) + whole.tolerance + part.tolerance:
                code = ECON_LINES[econ][0]
                flags.append(flag(
                    "cross_table_mismatch", ERROR,
                    f"{key} {figures[key]} exceeds its 经济分类 line {code} ({format_yuan(Decimal(whole.value))})",
                    [reading_dict(part), reading_dict(whole)], key,
                ))
    return flags


# --- a table's total row against its rows --------------------------------------------------


def _code_cols(view: TableView) -> list[int]:
    return [i for i, k in enumerate(view.kinds) if k == "code"]


def _full_codes(view: TableView) -> bool:
    """Whether rows carry whole codes (20404, 2040401) rather than 类/款/项 split over columns."""
    return any(len(r.cells[i].strip()) >= 5 for r in view.rows for i in _code_cols(view))


def _row_code(view: TableView, row: Row) -> str:
    """A row's whole code: the longest of its code cells (copies of a merged cell are equal)."""
    return max((row.cells[i].strip() for i in _code_cols(view) if row.cells[i].strip().isdigit()), key=len, default="")


def _coded_rows(view: TableView) -> list[tuple[Row, str]]:
    """Coded rows with their whole code, once per set of codes: a reader may split one printed
    line into several rows that repeat its codes."""
    best: dict[tuple, Row] = {}
    for r in view.rows:
        key = (*tuple(r.cells[i].strip() for i in _code_cols(view)), norm(view.label_of(r)))
        filled = sum(n.status == "ok" for n in r.numbers)
        if _row_code(view, r) and (key not in best or filled > sum(n.status == "ok" for n in best[key].numbers)):
            best[key] = r
    return [(r, _row_code(view, r)) for r in best.values()]


def _units_listed(view: TableView) -> bool:
    """Whether code-less rows are units (单位名称 / 部门 heads the label column), not budget lines."""
    return any(k == "label" and re.search(r"单位|部门", view.columns[i]) for i, k in enumerate(view.kinds))


def _groups(view: TableView, total: Row) -> list[list[Row]]:
    """Sets of rows that should each add up to the total row: units' rows, or one level of codes."""
    code_cols = _code_cols(view)
    rows = [r for r in view.rows if r is not total]
    groups: dict[object, list[Row]] = {}
    full = _full_codes(view)
    all_codes = {_row_code(view, r) for r in rows} - {""}
    if full:
        kept = {id(r) for r, _ in _coded_rows(view)}
        rows = [r for r in rows if id(r) in kept or not _row_code(view, r)]
    for r in rows:
        codes = [r.cells[i].strip() if r.cells[i].strip().isdigit() else "" for i in code_cols]
        if not any(codes):
            if _units_listed(view):
                groups.setdefault("units", []).append(r)
        elif full:
            code = _row_code(view, r)
            if not any(code != o and code.startswith(o) for o in all_codes):
                groups.setdefault("top", []).append(r)
        else:
            level = max(i for i, c in enumerate(codes) if c)
            groups.setdefault(level, []).append(r)
    return [g for g in groups.values() if g]


def _children(view: TableView) -> list[tuple[Row, list[Row]]]:
    """经济分类 rows with their direct sub-codes (301 → 30101 …), for one code column."""
    if not _full_codes(view):
        return []
    coded = _coded_rows(view)
    codes = {c for _, c in coded}
    out = []
    for r, p in coded:
        kids = [k for k, c in coded if c != p and c.startswith(p)
                and not any(q not in (p, c) and q.startswith(p) and c.startswith(q) for q in codes)]
        if kids:
            out.append((r, kids))
    return out


def _value(view: TableView, row: Row, col: int, tree: dict[int, list[Row]]) -> Decimal | None:
    """A row's amount, or for a blank parent line the sum of its children."""
    n = row.numbers[col]
    if n.status == "ok" and n.value is not None:
        return n.value
    kids = tree.get(id(row))
    if kids:
        vals = [_value(view, k, col, tree) for k in kids]
        if any(v is not None for v in vals):
            return sum((v for v in vals if v is not None), Decimal(0))
    return None


def _repair(view: TableView, rows: list[Row], total: Row, col: int, tree: dict[int, list[Row]]) -> dict | None:
    """In an OCR'd table, the one cell whose usual OCR misreading, undone, makes the column add up."""
    fixes = []
    for cell_row in [*rows, total]:
        number = cell_row.numbers[col]
        if not number.text.strip():
            continue
        for candidate in ocr_variants(number.text):
            trial = Number(number.text, candidate, "ok")
            saved = cell_row.numbers[col]
            cell_row.numbers[col] = trial
            vals = [_value(view, r, col, tree) for r in rows]
            t = _value(view, total, col, tree)
            if t is not None and sum((v for v in vals if v is not None), Decimal(0)) == t:
                fixes.append((cell_row, trial, saved))
            cell_row.numbers[col] = saved
    if len(fixes) != 1:
        return None
    row, trial, saved = fixes[0]
    row.numbers[col] = trial
    where = dict(row.where, table=view.title, row=view.label_of(row), column=view.columns[col], row_number=row.row_number)
    return flag("malformed_number", INFO, f"OCR read {saved.text!r}; the column's total confirms {trial.value}",
                [{"value": saved.text, "where": where}])


MAX_SLIPS_PER_TABLE = 2  # more total rows off than this in one table is a reading problem, not the document's


def column_totals(views: list[TableView]) -> list[dict]:
    """Each table's total row against the sum of its rows, column by column (OCR'd tables repaired first)."""
    flags = []
    for view in views:
        found: dict[int, list[dict]] = {}  # per checked row: its columns' mismatches
        if table_kind(view) in ("summary", "fiscal_summary") or view.partial:
            continue
        total = view.total_row()
        if total is None or len(view.rows) < 2:
            continue
        tree = {id(r): kids for r, kids in _children(view)}
        checks = [(g, total) for g in _groups(view, total)] + [(kids, parent) for parent, kids in _children(view)]
        for col, kind in enumerate(view.kinds):
            if kind != "amount":
                continue
            for rows, head in checks:
                t = _value(view, head, col, tree) if head is not total else (head.numbers[col].value if head.numbers[col].status == "ok" else None)
                vals = [_value(view, r, col, tree) for r in rows]
                unreadable_total = t is None and head is total and head.numbers[col].status == "malformed"
                if (t is None and not (view.ocr and unreadable_total)) or all(v is None for v in vals):
                    continue
                summed = sum((v for v in vals if v is not None), Decimal(0))
                if t is None:
                    fixed = _repair(view, rows, total, col, tree)
                    if fixed:
                        flags.append(fixed)
                    continue
                # 万元 tables round each line to 0.01: the sum may drift by half of that per line
                slack = Decimal("0.005") * len(rows) if view.unit == "万元" else Decimal(0)
                if abs(summed - t) <= slack:
                    continue
                if view.ocr and head is total:
                    fixed = _repair(view, rows, total, col, tree)
                    if fixed:
                        flags.append(fixed)
                        continue
                levels = round(summed / t) if t else 0
                if levels >= 2 and abs(summed - levels * t) <= slack * levels:
                    continue  # every level of a hierarchy added up: the rows' levels were not told apart
                where = dict(head.where, table=view.title, row=view.label_of(head) or " ".join(view.codes_of(head)),
                             column=view.columns[col], row_number=head.row_number)
                sum_where = dict(where, row=f"sum of {len(rows)} rows from row {rows[0].row_number}")
                found.setdefault(id(head), []).append(flag(
                    "column_total_mismatch", ERROR,
                    f"{view.title} / {view.columns[col]}: total {format_yuan(to_yuan(t, view.unit))}, "
                    f"rows add up to {format_yuan(to_yuan(summed, view.unit))}",
                    [{"value": format_yuan(to_yuan(t, view.unit)), "where": where, "text": head.numbers[col].text},
                     {"value": format_yuan(to_yuan(summed, view.unit)), "where": sum_where}],
                ))
        # a slip of the document shows in one column of one total; several columns off at once,
        # or many totals off in one table, is rows the reader lost or levels (units, 类/款/项) it
        # could not tell apart, which a careful reader would not flag
        table_flags = [f for mismatches in found.values() if len(mismatches) == 1 for f in mismatches]
        if len(table_flags) <= MAX_SLIPS_PER_TABLE:
            flags += table_flags
    return flags


# --- labels, units, years, dates -----------------------------------------------------------


def label_errors(labels: list[dict]) -> list[dict]:
    """Total rows labelled for the other side (本年支出合计 in the 收入 column)."""
    out = []
    for item in labels:
        view: TableView = item["view"]
        row: Row = item["row"]
        vc = item["value_col"]
        where = dict(row.where, table=view.title, row=item["printed"], column=view.columns[item["col"]], row_number=row.row_number)
        n = row.numbers[vc]
        value = format_yuan(to_yuan(n.value, view.unit)) if n.value is not None else n.text
        out.append(flag(
            "label_error", MINOR,
            f"{item['printed']!r} heads the {item['expected']} column of {view.title}; read as that column's total",
            [{"value": value, "where": where, "text": n.text}],
        ))
    return out


def unit_flags(found: list[tuple[TableView, Row, int, Number]]) -> list[dict]:
    """An amount written in 元 inside a table that counts in 万元."""
    out = []
    for view, row, col, number in found:
        if number.value is None:
            continue
        where = dict(row.where, table=view.title, row=view.label_of(row).split(" ")[0], column=view.columns[col], row_number=row.row_number)
        readings = [{"value": format_yuan(number.value), "where": where, "text": number.text}]
        for i, other in enumerate(row.numbers):
            if i != col and other.status == "ok" and other.value is not None and other.value == number.value:
                readings.append({"value": format_yuan(to_yuan(other.value, view.unit)), "where": dict(where, column=view.columns[i]),
                                 "text": other.text})
                break
        out.append(flag(
            "unit_error", MINOR,
            f"{number.text!r} says 元 in a table in {view.unit}; read as {format_yuan(to_yuan(number.value, view.unit))} 元 it matches the table",
            readings,
        ))
    return out


_BUDGET_YEAR = re.compile(r"((?:19|20)\d{2})\s*年度?\s*部门\s*(预算|决算)")
_AS_OF = re.compile(r"(截至|截止)(?:到)?\s*((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_SIGNED = re.compile(r"^\s*((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日\s*$")


def year_mismatch(flows: list[Flow], fiscal_year: int | None) -> list[dict]:
    """`2019 年部门预算` in a 2020 budget: the text names another year's budget as its own."""
    if fiscal_year is None:
        return []
    out = []
    for fl in flows:
        for m in _BUDGET_YEAR.finditer(fl.text):
            year = int(m.group(1))
            if year != fiscal_year:
                out.append(flag(
                    "year_mismatch", MINOR,
                    f"the text says {m.group(0)!r} in the {fiscal_year} disclosure",
                    [{"value": year, "where": fl.where(m.start()), "text": m.group(0)}],
                ))
    return out


def _date(y: str, m: str, d: str) -> date | None:
    y_, m_, d_ = int(y), int(m), int(d)
    if not 1 <= m_ <= 12 or not 1 <= d_ <= calendar.monthrange(y_, m_)[1]:
        return None
    return date(y_, m_, d_)


def date_anomalies(flows: list[Flow], fiscal_year: int | None, doc_kind: str | None, published: str | None) -> list[dict]:
    """Dates that cannot be right: impossible days, and a state `截至` a day the document cannot have seen.

    The latest day a document can report is its publication date, else the date it is signed
    with; a budget without either is published within its fiscal year, before its last day.
    """
    out = []
    signed = None
    for fl in flows:
        for i, start in enumerate(fl.starts):
            end = fl.starts[i + 1] - 1 if i + 1 < len(fl.starts) else len(fl.text)
            m = _SIGNED.match(fl.text[start:end])
            if m:
                signed = _date(*m.groups()) or signed
    limit, basis = None, None
    if published and re.fullmatch(r"\d{4}-\d{2}-\d{2}", published):
        limit, basis = date.fromisoformat(published), f"the publication date {published}"
    elif signed:
        limit, basis = signed, f"the document's date {signed.isoformat()}"
    elif doc_kind == "budget" and fiscal_year:
        # published during its fiscal year, a budget cannot report the state on its last day
        limit, basis = date(fiscal_year, 12, 30), f"any day a {fiscal_year} budget can be published on"
    for fl in flows:
        for m in _AS_OF.finditer(fl.text):
            d = _date(*m.groups()[1:])
            where = fl.where(m.start())
            if d is None:
                detail = f"{m.group(0)!r} is not a calendar date"
            elif limit and d > limit:
                detail = f"{m.group(0)!r} reports a state after {basis}"
            else:
                continue
            out.append(flag("date_anomaly", MINOR, detail, [{"value": d.isoformat() if d else m.group(0), "where": where, "text": m.group(0)}]))
    return out


def drop_superseded(flags: list[dict]) -> list[dict]:
    """The same flag raised twice (e.g. by two identical readings) once."""
    seen, out = set(), []
    for f in flags:
        k = (f["type"], f.get("key"), f["detail"])
        if k not in seen:
            seen.add(k)
            out.append(f)
    return out

