"""Spreadsheets: each sheet one Table, merged cells repeated, numbers as formatted.

.xls goes through xlrd with formatting information, which gives the merged ranges and
each number's format (so 2602664 shows as the 2,602,664.00 printed on the sheet); files
xlrd rejects (some WPS-written ones) fall back to calamine. .xlsx goes through calamine,
whose Rust XML parser resolves no entities, after the zip directory has been checked.
"""
from __future__ import annotations

import datetime as dt
import io
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from parsers.model import ExtractedFile, Paragraph, Table, Where
from parsers.readers import common, zipguard

TITLE_SCAN_ROWS = 6  # title and unit lines sit in the first rows of a sheet


def format_number(value: float, fmt: str = "General") -> str:
    """A number as an Excel number format shows it (decimals, thousands separators, %)."""
    section = fmt.split(";")[0]
    # 15 significant digits, as Excel keeps: a formula's 5845.979999999999 shows as 5845.98.
    number = Decimal(f"{value:.15g}") if isinstance(value, float) else Decimal(value)
    if not re.search(r"[0#]", section):  # General, text and date formats
        return format(number.normalize(), "f") if number != number.to_integral() else str(int(number))
    percent = "%" in section
    if percent:
        number *= 100
    decimals = len(m.group(1)) if (m := re.search(r"\.([0#]+)", section)) else 0
    try:
        number = number.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    except InvalidOperation:  # more digits than the context holds
        return format(number, "f")
    text = f"{number:,.{decimals}f}" if "," in section else f"{number:.{decimals}f}"
    return text + ("%" if percent else "")


def _expand_merged(grid: list[list[str]], ranges: list[tuple[int, int, int, int]]) -> None:
    """Copy each merged range's top-left value into every cell of the range (in place).

    Ranges are (first row, last row, first column, last column), inclusive; they are cut
    to the rows read and the columns holding cells, so a sheet-wide merge costs nothing.
    """
    width = max((len(row) for row in grid), default=0)
    for r0, r1, c0, c1 in ranges:
        c1 = min(c1, max(width - 1, c0))
        if r0 >= len(grid):
            continue
        value = grid[r0][c0] if c0 < len(grid[r0]) else ""
        for r in range(r0, min(r1, len(grid) - 1) + 1):
            row = grid[r]
            if len(row) <= c1:
                row.extend([""] * (c1 + 1 - len(row)))
            for c in range(c0, c1 + 1):
                row[c] = value


def sheet_table(name: str, sheet: str, grid: list[list[str]]) -> Table | None:
    """The sheet's cells as one Table, with its title and unit found in its first rows."""
    grid = [["" if common.FOOTER_RE.match(c) else c for c in row] for row in grid]
    rows, dropped = common.trim_rows(grid)
    if not rows:
        return None
    table = Table(rows=rows, where=Where(name, sheet=sheet), row_offset=dropped + 1)
    table.header_rows = common.count_header_rows(rows)
    head = rows[: max(table.header_rows, 3)][:TITLE_SCAN_ROWS]
    for row in head:
        values = {c for c in row if c}
        if len(values) == 1 and (title := common.pick_title(next(iter(values)).splitlines())):
            table.title = title
            break
    table.unit = common.pick_unit(c for row in head for c in row if c)
    return table


def _add_sheet(result: ExtractedFile, name: str, sheet: str, grid: list[list[str]]) -> None:
    """The sheet as a table, and its `单位名称：…` line as text: a tables-only workbook names
    its department nowhere else (once per file, where first seen)."""
    if (table := sheet_table(name, sheet, grid)) is None:
        return
    result.tables.append(table)
    known = {p.text for p in result.paragraphs}
    for line in common.issuer_lines(table.rows[:TITLE_SCAN_ROWS]):
        if line not in known:
            known.add(line)
            result.paragraphs.append(Paragraph(line, Where(name, sheet=sheet)))


def _skip_hidden(result: ExtractedFile, sheet: str) -> None:
    """Hidden sheets are not printed (they often hold stale drafts or lookups): left out, said so."""
    result.warnings.append(f"sheet {sheet!r} is hidden and was not read")


def _cap(result: ExtractedFile, sheet: str, nrows: int) -> int:
    if nrows > common.MAX_ROWS:
        result.warnings.append(f"sheet {sheet!r} has {nrows} rows; only the first {common.MAX_ROWS} were read")
        return common.MAX_ROWS
    return nrows


def _xlrd_cell(book, sheet, cell, r: int, c: int) -> str:
    import xlrd

    if cell.ctype == xlrd.XL_CELL_NUMBER:
        fmt = "General"
        if book.formatting_info:
            xf = book.xf_list[sheet.cell_xf_index(r, c)]
            fmt = book.format_map[xf.format_key].format_str if xf.format_key in book.format_map else "General"
        return format_number(cell.value, fmt)
    if cell.ctype == xlrd.XL_CELL_DATE:
        try:
            return xlrd.xldate.xldate_as_datetime(cell.value, book.datemode).isoformat(sep=" ").removesuffix(" 00:00:00")
        except (ValueError, OverflowError):
            return format_number(cell.value)
    if cell.ctype == xlrd.XL_CELL_BOOLEAN:
        return "TRUE" if cell.value else "FALSE"
    if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK, xlrd.XL_CELL_ERROR):
        return ""
    return common.clean_cell(cell.value)


def _read_xlrd(name: str, data: bytes, result: ExtractedFile) -> None:
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=data, formatting_info=True, on_demand=True, logfile=io.StringIO())
    except NotImplementedError:  # formatting information of some writers is not supported
        book = xlrd.open_workbook(file_contents=data, on_demand=True, logfile=io.StringIO())
    names = book.sheet_names()
    for index, sheet_name in enumerate(names[: common.MAX_SHEETS]):
        sheet = book.sheet_by_index(index)
        if sheet.visibility:
            _skip_hidden(result, sheet_name)
            continue
        nrows = _cap(result, sheet_name, sheet.nrows)
        grid = [[_xlrd_cell(book, sheet, sheet.cell(r, c), r, c) for c in range(sheet.row_len(r))] for r in range(nrows)]
        _expand_merged(grid, [(r0, r1 - 1, c0, c1 - 1) for r0, r1, c0, c1 in sheet.merged_cells])
        _add_sheet(result, name, sheet_name, grid)
        book.unload_sheet(index)
    if len(names) > common.MAX_SHEETS:
        result.warnings.append(f"workbook has {len(names)} sheets; only the first {common.MAX_SHEETS} were read")


def _calamine_cell(value: object) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float | int):
        return format_number(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ").removesuffix(" 00:00:00")
    if isinstance(value, dt.date | dt.time | dt.timedelta):
        return str(value)
    return common.clean_cell(value)


def _read_calamine(name: str, data: bytes, result: ExtractedFile) -> None:
    import python_calamine

    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    names = book.sheet_names
    hidden = {m.name for m in book.sheets_metadata if m.visible != python_calamine.SheetVisibleEnum.Visible}
    for sheet_name in names[: common.MAX_SHEETS]:
        if sheet_name in hidden:
            _skip_hidden(result, sheet_name)
            continue
        sheet = book.get_sheet_by_name(sheet_name)
        grid = []
        for n, row in enumerate(sheet.iter_rows()):
            if n >= common.MAX_ROWS:
                result.warnings.append(
                    f"sheet {sheet_name!r} has {sheet.total_height} rows; only the first {common.MAX_ROWS} were read"
                )
                break
            grid.append([_calamine_cell(v) for v in row])
        merged = sheet.merged_cell_ranges or []
        _expand_merged(grid, [(r0, r1, c0, c1) for (r0, c0), (r1, c1) in merged])
        _add_sheet(result, name, sheet_name, grid)
    if len(names) > common.MAX_SHEETS:
        result.warnings.append(f"workbook has {len(names)} sheets; only the first {common.MAX_SHEETS} were read")


def read_xls(name: str, data: bytes) -> ExtractedFile:
    result = ExtractedFile(name=name, format="xls")
    try:
        _read_xlrd(name, data, result)
    except Exception as first:  # xlrd rejects some WPS and damaged files that calamine reads
        result.tables.clear()
        result.paragraphs.clear()
        result.warnings = [f"xlrd could not read the workbook ({type(first).__name__}: {first}); read with calamine"[:300]]
        try:
            _read_calamine(name, data, result)
        except Exception as second:
            result.error = f"unreadable .xls: {type(second).__name__}: {second}"[:300]
    if not result.tables and not result.error:
        result.error = "workbook holds no cells with content"
    return result


def read_xlsx(name: str, data: bytes) -> ExtractedFile:
    result = ExtractedFile(name=name, format="xlsx")
    if problem := zipguard.check(data):
        result.error = problem
        return result
    try:
        _read_calamine(name, data, result)
    except Exception as exc:
        result.error = f"unreadable .xlsx: {type(exc).__name__}: {exc}"[:300]
    if not result.tables and not result.error:
        result.error = "workbook holds no cells with content"
    return result
