"""Word documents made from the county seed: its 说明, then two of its tables as Word tables.

Header cells are merged across columns (gridSpan) and the first column's heading down
the header rows (vMerge), as budget templates do; the .doc is LibreOffice's conversion.
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import docx

from . import seeds
from .pdfgen import PrintedTable

WORD_SHEETS = ("收支总表", "三公经费表")


def word_tables() -> list[tuple[str, str, list[list[str]]]]:
    """(title, unit, rows) of the county tables printed in the 说明: each sheet without the
    title and unit rows, which the document prints as paragraphs above the table."""
    out = []
    for table in seeds.county().tables:
        if table.sheet not in WORD_SHEETS:
            continue
        rows = [list(r) for r in table.rows]
        while rows and (len({c for c in rows[0] if c}) <= 1 or seeds.UNIT_RE.search(" ".join(rows[0]))):
            rows.pop(0)
        out.append((table.title, "元", seeds.trim_columns(rows)))
    return out


def vertical_spans(rows: list[list[str]]) -> list[tuple[int, int, int]]:
    """(column, first row, last row) of first-column headings over empty header cells."""
    end = seeds.header_rows(rows)
    if end < 2 or not rows[0][0]:
        return []
    last = 0
    while last + 1 < end and not rows[last + 1][0]:
        last += 1
    return [(0, 0, last)] if last > 0 else []


def _expected(rows, spans, vspans) -> list[list[str]]:
    out = seeds.expand_spans(rows, spans)
    for col, first, last in vspans:
        for i in range(first + 1, last + 1):
            out[i][col] = out[first][col]
    return out


def seed_docx(path: Path) -> tuple[list[str], list[PrintedTable]]:
    """The county 说明 as paragraphs, then two of its tables each under its title and unit."""
    document = docx.Document()
    paragraphs = seeds.county().paragraphs
    for text in paragraphs:
        document.add_paragraph(text)
    printed = []
    for title, unit, rows in word_tables():
        spans, vspans = seeds.header_spans(rows), vertical_spans(rows)
        document.add_paragraph(title)
        document.add_paragraph(f"单位名称：通道县政务服务中心　单位：{unit}")
        grid = document.add_table(rows=len(rows), cols=len(rows[0]))
        grid.style = "Table Grid"
        for i, row in enumerate(rows):
            for j, text in enumerate(row):
                grid.cell(i, j).text = text
        for i, first, last in spans:
            grid.cell(i, first).merge(grid.cell(i, last)).text = rows[i][first]
        for col, first, last in vspans:
            grid.cell(first, col).merge(grid.cell(last, col)).text = rows[first][col]
        printed.append(PrintedTable(title, unit, _expected(rows, spans, vspans)))
    document.save(str(path))
    return paragraphs, printed


def to_doc(docx_path: Path, doc_path: Path, timeout_s: float = 120) -> None:
    """Convert with headless LibreOffice (private profile), as an old Word would have saved it.

    The way goes through .odt: LibreOffice's direct .docx to .doc export writes the
    python-docx tables so that its own .doc import loses all but the first.
    """
    binary = shutil.which("soffice") or shutil.which("libreoffice")
    if binary is None:
        raise RuntimeError("LibreOffice is needed to make a .doc")
    with tempfile.TemporaryDirectory(prefix="docgen-lo-") as tmp:
        source = docx_path
        for target in ("odt", "doc:MS Word 97"):
            subprocess.run(
                [binary, f"-env:UserInstallation=file://{tmp}/profile", "--headless", "--norestore",
                 "--convert-to", target, "--outdir", tmp, str(source)],
                capture_output=True, timeout=timeout_s, check=True,
            )
            source = Path(tmp) / (docx_path.stem + "." + target.split(":")[0])
        shutil.move(source, doc_path)
