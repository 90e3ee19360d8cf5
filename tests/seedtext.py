"""Load a seed disclosure text (tests/data/seeds/*.txt) as the ExtractedFile a reader would give.

The seeds are plain text taken from real files: running text as lines (markdown-ish headings),
tables as tab-separated lines. Two table layouts occur: PDF tables (cells split by one tab,
one table per run of lines, a blank line ends it) and spreadsheet sheets (every line starts
with a double tab, cells split by double tabs, blank lines between rows, a sheet-name line
before each sheet). Titles and `单位：万元` lines next to a table become its title and unit.
"""
from __future__ import annotations

import re
from pathlib import Path

from parsers.model import ExtractedFile, Paragraph, Table, Where
from tests.paths import SEEDS

__all__ = ["SEEDS", "load_seed"]

_UNIT = re.compile(r"单位\s*[:：]\s*(万元|元)")
_ATTACHMENT = re.compile(r"^附件\s*\d*$")
_FORM_NO = re.compile(r"^[\dA-Za-z]+表$")
_FOOTER = re.compile(r"^第\s*&P\s*页")


def _clean(line: str) -> str:
    """Drop markdown heading and emphasis marks and list bullets; keep the words."""
    s = re.sub(r"^\s*#+\s*", "", line)
    s = re.sub(r"^\s*-\s+", "", s)
    s = s.replace("**", "")
    s = re.sub(r"\[bookmark:[^\]]*\]\s*", "", s)
    return s.strip()


def _blocks(lines: list[str]) -> list[tuple[str, str] | tuple[str, tuple[list[str], bool]]]:
    """Split the lines into ("text", line) and ("table", ([lines], double)) items, in order."""
    items: list[tuple[str, str] | tuple[str, tuple[list[str], bool]]] = []
    i = 0
    while i < len(lines):
        if "\t" not in lines[i]:
            if lines[i].strip():
                items.append(("text", lines[i]))
            i += 1
            continue
        run: list[str] = []
        while i < len(lines) and "\t" in lines[i]:
            run.append(lines[i])
            i += 1
        double = sum(ln.startswith("\t\t") for ln in run) * 5 >= len(run) * 4
        if double:
            # a sheet: blank lines between rows, and a cell's text wrapped onto the next line, continue it
            while True:
                j = i
                while j < len(lines) and not lines[j].strip():
                    j += 1
                if j < len(lines) and "\t" in lines[j]:
                    while j < len(lines) and "\t" in lines[j]:
                        run.append(lines[j])
                        j += 1
                    i = j
                    continue
                # a cell's text wrapped over plain lines, the row going on after them
                k = j
                while k < len(lines) and "\t" not in lines[k] and k - j < 12:
                    k += 1
                if j < len(lines) and k < len(lines) and "\t" in lines[k] and not lines[k].startswith("\t\t"):
                    run.extend(ln for ln in lines[j:k] if ln.strip())
                    i = k
                    continue
                break
        items.append(("table", (run, double)))
    return items


def _rows(run: list[str], double: bool) -> list[list[str]]:
    """Cells of each row; in sheets a line not starting with the double tab continues the row above."""
    rows: list[list[str]] = []
    for line in run:
        if double:
            if line.startswith("\t\t") or not rows:
                cells = line[2:].split("\t\t") if line.startswith("\t\t") else line.split("\t\t")
                rows.append([c.strip() for c in cells])
            else:
                cells = line.split("\t\t") if "\t" in line else [line]
                rows[-1][-1] = (rows[-1][-1] + "\n" + cells[0].strip()).strip()
                rows[-1].extend(c.strip() for c in cells[1:])
        else:
            rows.append([re.sub(r"</?b>", "", c).strip() for c in line.split("\t")])
    return [r for r in rows if any(c for c in r)]


def load_seed(path: str | Path) -> list[ExtractedFile]:
    """The seed as one ExtractedFile (format "text"): paragraphs and tables with titles and units."""
    path = Path(path)
    name = path.name
    lines = path.read_text(encoding="utf-8").split("\n")
    ef = ExtractedFile(name=name, format="text")
    pending: list[str] = []  # text lines since the last table: title and unit candidates
    for _kind, item in _blocks(lines):
        if isinstance(item, str):  # a "text" block
            text = _clean(item)
            if text:
                ef.paragraphs.append(Paragraph(text=text, where=Where(file=name)))
                pending.append(text)
            continue
        run, double = item
        rows = _rows(run, double)
        title, unit, sheet = None, None, None
        if double:
            sheet = next((p for p in reversed(pending) if not _FOOTER.match(p)), None)
            while (rows and sum(1 for c in rows[0] if c) <= 1) or (rows and _UNIT.search(" ".join(rows[0]))):
                cell = next((c for c in rows[0] if c), "")
                m = _UNIT.search(" ".join(rows[0]))
                if m:
                    unit = m.group(1)
                elif cell and not _FORM_NO.match(cell) and title is None:
                    title = cell
                rows.pop(0)
        else:
            while rows and _UNIT.search(" ".join(rows[0])):
                unit = _UNIT.search(" ".join(rows[0])).group(1)
                rows.pop(0)
            for p in reversed(pending):
                m = _UNIT.search(p)
                if m and unit is None:
                    unit = m.group(1)
                if m or p.startswith("单位名称") or _ATTACHMENT.match(p) or p == "[illegible]":
                    continue
                title = p
                break
        if rows:
            ef.tables.append(Table(rows=rows, where=Where(file=name, sheet=sheet), title=title, unit=unit))
        pending = []
    return [ef]
