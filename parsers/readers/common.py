"""What every reader shares: limits, cell cleaning, and finding a table's title and unit.

Titles and unit lines sit near a table in every format (text above it on a PDF page,
short rows above the header in a sheet, paragraphs before it in Word or HTML), so one set
of rules decides which nearby line is which.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from itertools import pairwise

MAX_PAGES = 300  # pages read from one PDF; a 2,000-page file is cut here, with a warning
MAX_OCR_PAGES = 40  # pages sent to OCR from one file
MAX_ROWS = 5000  # rows read from one sheet
MAX_SHEETS = 60
MAX_ZIP_MEMBERS = 2000
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024  # all members of one Office file together
MAX_ZIP_RATIO = 200  # uncompressed / compressed, per member of more than 1 MiB

UNIT_RE = re.compile(r"单位(?:\s*[:：][^万元\n]{0,6}?|[ \t]+)(万元|元)")  # also 单位：人、万元, and 单位 万元 (colon lost)
FOOTER_RE = re.compile(r"^第\s*(&P|\d+)\s*页\s*[，,]?\s*共\s*(&N|\d+)\s*页$")
PAGE_NUMBER_RE = re.compile(r"^[-—–\s]*(第\s*)?\d+\s*(页)?[-—–\s]*$|^\d+\s*/\s*\d+$")
AMOUNT_RE = re.compile(r"-?\d[\d,，\s]*(\.\s*\d+)?")
SHEET_NUMBER_RE = re.compile(r"^(附件|附表|公开)?\s*[\d一二三四五六七八九十]+(-\d+)?\s*表?$")
# a table's first data line printed above its frame: 30206 电费 235.00
DATA_LINE_RE = re.compile(r"^\d{3,7}\s*\S+.*\s[-\d,，.]*\d$")
# what a title names: a table, or the budget / account it belongs to
TITLE_WORD_RE = re.compile(r"表|预算|决算|收支|支出|收入|经费|情况")
TABLE_HEAD_RE = re.compile(r"^(?:[一二三四五六七八九十]+[、.．]|(?:公开|附)\s*\d+\s*表|表\s*[\d一二三四五六七八九十]+)")
ISSUER_RE = re.compile(r"^(部门|部门名称|单位名称|编制单位|预算单位)\s*[:：]\s*(?P<name>[\u4e00-\u9fff（）()“”]{2,40})")
_CJK = "\u3000-\u303f\u4e00-\u9fff\uff00-\uffef“”‘’"


OUT_OF_MEMORY_MARKERS = ("bad_alloc", "failed to map segment", "Cannot allocate memory", "out of memory")


def out_of_memory(exc: BaseException) -> bool:
    """Whether a library's exception is an allocation failure (C++ bad_alloc, mmap refused), also
    when wrapped: pdfplumber's PdfminerException carries zlib's MemoryError in its arguments."""
    if isinstance(exc, MemoryError) or any(m in str(exc) for m in OUT_OF_MEMORY_MARKERS):
        return True
    inner = [exc.__cause__, exc.__context__, *(a for a in exc.args if isinstance(a, BaseException))]
    return any(out_of_memory(e) for e in inner if e is not None and e is not exc)


def clean_cell(value: object) -> str:
    """A cell's text as printed: None becomes '', stray whitespace at the ends is dropped."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).replace("\r\n", "\n").replace("\r", "\n").strip()


def find_unit(text: str) -> str | None:
    """'元' or '万元' from a unit line such as 单位：万元 (not 单位名称：...)."""
    match = UNIT_RE.search(text)
    return match.group(1) if match else None


def is_noise(text: str) -> bool:
    """Page footers and bare page numbers, which are layout, not content."""
    text = text.strip()
    return bool(FOOTER_RE.match(text) or PAGE_NUMBER_RE.match(text))


def is_title(text: str) -> bool:
    """A line that can be a table's title: short, not a unit, 单位名称 or sheet-number line."""
    text = text.strip()
    return (
        1 < len(text) <= 50
        and not text.startswith(("单位名称", "单位:", "单位：", "部门：", "部门:", "编制单位", "注", "说明"))
        and find_unit(text) is None
        and not is_noise(text)
        and not SHEET_NUMBER_RE.match(text)
        and not re.fullmatch(r"[\d,.\s%-]+", text)
        and not DATA_LINE_RE.match(text)
    )


def pick_title(lines_above: Iterable[str]) -> str | None:
    """The title among the lines above a table (nearest last): prefer one naming a 表.

    A title wrapped over two lines (`…培训费支出预` / `算表`) is joined again; a line that
    names no table or budget (the department's name printed above the table) is no title.
    """
    candidates = [line.strip() for line in lines_above if is_title(line)]
    for i in range(len(candidates) - 1, -1, -1):
        line = candidates[i]
        if line.endswith(("表", "）", ")")) and "表" in line:
            head = next((c for c in reversed(candidates[:i]) if TITLE_WORD_RE.search(c)), None)
            if head and _wrapped_title(head, line):
                return head + line
            return line
    named = [line for line in candidates if TITLE_WORD_RE.search(line)]
    return named[-1] if named else None


def _wrapped_title(head: str, tail: str) -> bool:
    """Whether `tail` (…表) ends a title begun on the line before: a bare `算表`, or a short
    tail under a long heading line (`十一、…` / `公开09表：…`) cut off mid-phrase."""
    if head.endswith(("表", "。", "：", ":", "；", ";", ")", "）")):
        return False
    return len(tail) <= 4 or (len(tail) <= 6 and len(head) >= 15 and bool(TABLE_HEAD_RE.match(head)))


def unwrap(cell: str) -> str:
    """A wrapped cell's text on one line: `1.一般公共预\n算` is `1.一般公共预算`; words
    outside Chinese keep a space between them."""
    def join(m: re.Match) -> str:
        a, b = m.string[m.start() - 1] if m.start() else "", m.string[m.end()] if m.end() < len(m.string) else ""
        return "" if re.match(f"[{_CJK}]", a) or re.match(f"[{_CJK}]", b) else " "
    return re.sub(r"[ \t]*\n\s*", join, cell)


def issuer_lines(rows: list[list[str]]) -> list[str]:
    """The `部门：…` lines among caption rows, kept as text: the only place a table-only file
    names its department."""
    lines = [line.strip() for r in rows for c in dict.fromkeys(r) for line in c.splitlines()]
    return [line for line in lines if ISSUER_RE.match(line)]


def pick_unit(lines: Iterable[str]) -> str | None:
    units = [u for u in map(find_unit, lines) if u]
    return units[-1] if units else None


def trim_rows(rows: list[list[str]], columns: bool = True) -> tuple[list[list[str]], int]:
    """Drop empty rows at both ends and (if `columns`) empty columns at both edges.

    Returns the rows and how many rows were dropped at the top, so row numbers stay true.
    Ruled PDF tables keep their empty columns: a column empty on one page may be filled
    on the next, and joining pages needs the same column count.
    """
    width = max((len(r) for r in rows), default=0)
    rows = [r + [""] * (width - len(r)) for r in rows]
    filled = [i for i, r in enumerate(rows) if any(r)]
    if not filled:
        return [], 0
    top, bottom = filled[0], filled[-1]
    rows = rows[top : bottom + 1]
    if not columns:
        return rows, top
    kept = [j for j in range(width) if any(r[j] for r in rows)]
    return [r[kept[0] : kept[-1] + 1] for r in rows], top


def count_header_rows(rows: list[list[str]]) -> int:
    """Leading rows without any amount: the column headings."""
    for i, row in enumerate(rows):
        if any(AMOUNT_RE.fullmatch(c) and not re.fullmatch(r"\d{1,2}", c) for c in row[1:]):
            return i
    return 0



def _one_cell_row(row: list[str]) -> bool:
    """A row that is one merged cell across (nearly) the whole table, as a title or 部门/单位
    line is; a heading over some of its columns only (“三公”经费) is not."""
    at = [i for i, c in enumerate(row) if c]
    return (len(at) > 1 and len({row[i] for i in at}) == 1 and at[-1] - at[0] + 1 == len(at)
            and len(at) >= 0.75 * len(row))


def split_at_titles(rows: list[list[str]]) -> list[tuple[list[list[str]], int]]:
    """One ruled grid holding two tables (the end of one, then the next under its own title
    row) as separate tables, each with the index of its first row."""
    cuts = [i for i, r in enumerate(rows) if i > 0 and _one_cell_row(r) and (pick_title([max(r)]) or "").endswith("表")]
    bounds = [0, *cuts, len(rows)]
    return [(rows[a:b], a) for a, b in pairwise(bounds) if b > a]


def lift_caption(rows: list[list[str]]) -> tuple[str | None, str | None, int]:
    """Title and unit printed inside a table's frame, in its first rows.

    Budget PDFs often rule the title (one merged cell) and the 部门/单位 line into the top
    of the table, where they are not data. Returns (title, unit, rows to drop).
    """
    title = unit = None
    lifted = 0
    for row in rows[:2]:
        if len(rows) - lifted < 2:
            break
        lines = [line.strip() for c in dict.fromkeys(row) for line in c.splitlines() if line.strip()]
        found = pick_title(lines) or pick_unit(lines)
        # across every column: any title; beside empty edge columns only one naming a 表
        whole = found and ((len(set(row)) == 1 and len(row) > 1)
                           or (_one_cell_row(row) and ("表" in (pick_title(lines) or "") or pick_unit(lines))))
        unit_row = pick_unit(lines) and not any(AMOUNT_RE.fullmatch(c) for c in row if c)
        if not (whole or unit_row):
            break
        title = title or pick_title(lines)
        unit = unit or pick_unit(lines)
        lifted += 1
    return title, unit, lifted
