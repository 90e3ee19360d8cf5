"""The two seed disclosures as data: 说明 paragraphs and tables (title, unit, rows).

The seed texts hold tables as tab-separated lines; this module turns them back into
tables so that real documents can be generated from them and readers checked against
the exact cell texts.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from tests.paths import SEEDS

CITY = SEEDS / "000_9c8a412db31f4eb6.txt"  # 株洲市人民政府办公室, PDF, 万元
COUNTY = SEEDS / "004_9902a30b8655e055.txt"  # 通道县政务服务中心, Word + .xls, 元

UNIT_RE = re.compile(r"单位[:：]\s*(万元|元)")
FOOTER = "第 &P 页，共 &N 页"


@dataclass
class SeedTable:
    """One table of a seed; `parts` are its row blocks as split over pages in the original."""

    title: str
    unit: str | None
    parts: list[list[list[str]]]
    sheet: str | None = None
    note: str | None = None

    @property
    def rows(self) -> list[list[str]]:
        return [row for part in self.parts for row in part]

    @property
    def width(self) -> int:
        return max(len(r) for r in self.rows)


@dataclass
class Seed:
    paragraphs: list[str]
    tables: list[SeedTable] = field(default_factory=list)


def _clean_line(line: str) -> str:
    line = re.sub(r"</?b>", "", line)
    line = re.sub(r"^#+\s*", "", line)
    line = line.replace("**", "") if "\t" not in line else line
    line = re.sub(r"^- ", "", line)
    return line.replace("[bookmark: _GoBack]", "").strip()


def _pad(rows: list[list[str]]) -> list[list[str]]:
    width = max(len(r) for r in rows)
    return [r + [""] * (width - len(r)) for r in rows]


def trim_columns(rows: list[list[str]]) -> list[list[str]]:
    rows = _pad(rows)
    keep = [j for j in range(len(rows[0])) if any(r[j] for r in rows)]
    if not keep:
        return rows
    return [r[keep[0] : keep[-1] + 1] for r in rows]


@cache
def city() -> Seed:
    """株洲市人民政府办公室 2020: 说明 paragraphs, then tables in 万元 (pictures left out)."""
    lines = CITY.read_text(encoding="utf-8").splitlines()
    split = next(i for i, line in enumerate(lines) if line.strip() == "第二部分：")
    paragraphs = [_clean_line(x) for x in lines[:split] if _clean_line(x)]
    seed = Seed(paragraphs)
    pending: list[str] = []  # non-table lines since the last table row
    current: SeedTable | None = None
    gap = False  # blank lines since the last table row
    for raw in lines[split + 1 :]:
        if "\t" not in raw:
            text = _clean_line(raw)
            if text:
                pending.append(text)
            gap = True
            continue
        cells = [_clean_line(c) for c in raw.split("\t")]
        if cells[0].startswith(("单位名称：", "单位名称:")):
            pending.append(" ".join(c for c in cells if c))
            continue
        if current is not None and not pending:
            if gap:  # the table goes on over the page, under its header printed again
                current.parts.append([cells])
            else:
                current.parts[-1].append(cells)
            gap = False
            continue
        gap = False
        title = next(p for p in reversed(pending) if _is_title(p))
        unit_line = next((p for p in pending if UNIT_RE.search(p)), None)
        if current is not None and current.note is None and pending and pending[0].startswith("注"):
            current.note = pending[0]
        unit = UNIT_RE.search(unit_line).group(1) if unit_line else None
        current = SeedTable(title=title, unit=unit, parts=[[cells]])
        seed.tables.append(current)
        pending = []
    for table in seed.tables:
        table.parts = _split_parts(_pad(table.rows), table.parts)
    return seed


def _split_parts(rows: list[list[str]], parts: list[list[list[str]]]) -> list[list[list[str]]]:
    out, start = [], 0
    for part in parts:
        out.append(rows[start : start + len(part)])
        start += len(part)
    return out


def _is_title(line: str) -> bool:
    return (
        len(line) <= 40
        and not line.startswith(("单位名称", "单位:", "单位：", "附件", "注", "[illegible]"))
        and not UNIT_RE.search(line)
    )


@cache
def county() -> Seed:
    """通道县政务服务中心 2020: the Word 说明, then 22 sheets of tables in 元."""
    lines = COUNTY.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("附件：预算公开表"))
    paragraphs = [_clean_line(x) for x in lines[: start + 1] if _clean_line(x)]
    seed = Seed(paragraphs)
    body = lines[start + 1 :]
    nonblank = [i for i, line in enumerate(body) if line.strip()]
    sheet: SeedTable | None = None
    rows: list[list[str]] = []
    for k, i in enumerate(nonblank):
        line = body[i]
        following = body[nonblank[k + 1]] if k + 1 < len(nonblank) else ""
        if "\t" not in line and following.startswith("\t"):
            sheet = SeedTable(title="", unit=None, parts=[[]], sheet=line.strip())
            seed.tables.append(sheet)
            rows = sheet.parts[0]
        elif line.strip() == FOOTER:
            rows.append([FOOTER])
        elif line.startswith("\t"):
            rows.append(line.split("\t\t"))
        elif rows:  # the rest of a cell that holds line breaks
            head, *rest = line.split("\t\t")
            rows[-1][-1] = rows[-1][-1] + "\n" + head
            rows[-1].extend(rest)
    for table in seed.tables:
        table.parts = [trim_columns([[c.strip() if "\n" not in c else c for c in r] for r in table.parts[0]])]
        texts = [c for r in table.rows for c in r if c]
        table.title = next((t[0] for r in table.rows if len(t := [c for c in r if c]) == 1 and _is_title(t[0])
                            and not re.fullmatch(r"\d+表", t[0])), table.sheet or "")
        unit_cell = next((c for c in texts if UNIT_RE.search(c)), None)
        table.unit = UNIT_RE.search(unit_cell).group(1) if unit_cell else None
    return seed


def header_rows(rows: list[list[str]]) -> int:
    """Rows before the first one that holds an amount: the column headings."""
    for i, row in enumerate(rows):
        if any(re.fullmatch(r"[\d,.\s]+", c) and re.search(r"\d\.\d", c) for c in row):
            return i
    return 0


def header_spans(rows: list[list[str]]) -> list[tuple[int, int, int]]:
    """(row, first column, last column) of header cells to print merged across columns.

    A heading followed by empty cells in its row, above a row that has headings under
    those columns, is printed as one merged cell, as budget tables do.
    """
    spans = []
    for i in range(header_rows(rows) - 1):
        row, below = rows[i], rows[i + 1]
        j = 0
        while j < len(row):
            end = j
            while end + 1 < len(row) and not row[end + 1] and below[end + 1]:
                end += 1
            if row[j] and end > j:
                spans.append((i, j, end))
            j = end + 1
    return spans


def expand_spans(rows: list[list[str]], spans: list[tuple[int, int, int]]) -> list[list[str]]:
    """The rows as a reader must return them: a merged cell's text in every cell it spans."""
    out = [list(r) for r in rows]
    for i, first, last in spans:
        for j in range(first + 1, last + 1):
            out[i][j] = out[i][first]
    return out
