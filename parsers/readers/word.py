"""Word files: .docx by python-docx in body order; legacy .doc converted first.

A .doc is converted to .docx by headless LibreOffice (private profile directory, time
limit), which keeps its tables; if LibreOffice is missing or fails, antiword gives the
text alone, and the file says so in its warnings.
"""
from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from parsers.model import ExtractedFile, Paragraph, Table, Where
from parsers.readers import common, zipguard

CONVERT_TIMEOUT_S = 90
ANTIWORD_TIMEOUT_S = 30


def _cell_text(cell) -> str:
    return common.clean_cell("\n".join(p.text for p in cell.paragraphs))


def _table_rows(table) -> list[list[str]]:
    """Cell texts per row; python-docx repeats a merged cell in every grid cell it spans."""
    rows = []
    for row in table.rows:
        rows.append([_cell_text(cell) for cell in row.cells])
    return rows


def read_docx(name: str, data: bytes, fmt: str = "docx") -> ExtractedFile:
    import docx
    from docx.table import Table as DocxTable
    from docx.text.paragraph import Paragraph as DocxParagraph

    result = ExtractedFile(name=name, format=fmt)
    if problem := zipguard.check(data):
        result.error = problem
        return result
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises KeyError, ValueError, lxml errors on odd files
        result.error = f"unreadable .docx: {type(exc).__name__}: {exc}"[:300]
        return result
    where = Where(name)
    since_table: list[str] = []  # paragraphs since the last table: where its title and unit are
    for block in document.iter_inner_content():
        if isinstance(block, DocxParagraph):
            text = block.text.strip()
            if text and not common.is_noise(text):
                result.paragraphs.append(Paragraph(text, where))
                since_table.append(text)
        elif isinstance(block, DocxTable):
            rows, dropped = common.trim_rows(_table_rows(block))
            if not rows:
                continue
            table = Table(rows=rows, where=where, row_offset=dropped + 1)
            table.title = common.pick_title(since_table[-4:])
            table.unit = common.pick_unit(since_table[-4:] + [c for c in rows[0] if c])
            table.header_rows = common.count_header_rows(rows)
            result.tables.append(table)
            since_table = []
    if not result.paragraphs and not result.tables:
        result.error = "document holds no text"
    return result


def _soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert_doc(data: bytes, timeout_s: float = CONVERT_TIMEOUT_S) -> bytes:
    """The .docx LibreOffice makes of a .doc; raises RuntimeError if it cannot."""
    binary = _soffice()
    if binary is None:
        raise RuntimeError("LibreOffice (soffice) is not installed")
    with tempfile.TemporaryDirectory(prefix="budgets-doc-") as tmp:
        work = Path(tmp)
        source = work / "in.doc"
        source.write_bytes(data)
        command = [
            binary,
            f"-env:UserInstallation=file://{work / 'profile'}",
            "--headless",
            "--norestore",
            "--convert-to",
            "docx:MS Word 2007 XML",
            "--outdir",
            str(work / "out"),
            str(source),
        ]
        # Its own session, so that on timeout the whole group (oosplash, soffice.bin) is killed.
        process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp, start_new_session=True
        )
        try:
            process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired as exc:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            raise RuntimeError(f"LibreOffice took more than {timeout_s:g} s") from exc
        target = work / "out" / "in.docx"
        if not target.exists():
            raise RuntimeError("LibreOffice produced no .docx")
        return target.read_bytes()


def antiword_text(data: bytes) -> str:
    """The text of a .doc by antiword (UTF-8 output); raises RuntimeError if it cannot."""
    binary = shutil.which("antiword")
    if binary is None:
        raise RuntimeError("antiword is not installed")
    with tempfile.NamedTemporaryFile(suffix=".doc") as handle:
        handle.write(data)
        handle.flush()
        try:
            done = subprocess.run(
                [binary, "-m", "UTF-8.txt", "-w", "0", handle.name],
                capture_output=True,
                timeout=ANTIWORD_TIMEOUT_S,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise RuntimeError("antiword took too long") from exc
    if done.returncode != 0:
        raise RuntimeError(done.stderr.decode("utf-8", "replace").strip()[:200] or f"antiword exit {done.returncode}")
    return done.stdout.decode("utf-8", "replace")


def read_doc(name: str, data: bytes) -> ExtractedFile:
    try:
        return read_docx(name, convert_doc(data), fmt="doc")
    except RuntimeError as converter_error:
        result = ExtractedFile(name=name, format="doc")
        try:
            text = antiword_text(data)
        except RuntimeError as exc:
            result.error = f".doc unreadable: LibreOffice: {converter_error}; antiword: {exc}"
            return result
        _antiword_content(result, text)
        result.warnings.append(f"read by antiword (LibreOffice failed: {converter_error})")
        return result


def _antiword_content(result: ExtractedFile, text: str) -> None:
    """Paragraphs and tables from antiword's output, which prints table rows as |a|b|c|."""
    where = Where(result.name)
    block: list[list[str]] = []
    recent: list[str] = []

    def close_table() -> None:
        rows, dropped = common.trim_rows(block)
        if rows:
            table = Table(rows=rows, where=where, row_offset=dropped + 1, title=common.pick_title(recent[-4:]),
                          unit=common.pick_unit(recent[-4:]))
            table.header_rows = common.count_header_rows(rows)
            result.tables.append(table)
        block.clear()
        recent.clear()

    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("|") and stripped.endswith("|") and len(stripped) > 1:
            block.append([common.clean_cell(c) for c in stripped[1:-1].split("|")])
            continue
        if block:
            close_table()
        if stripped and not common.is_noise(stripped):
            result.paragraphs.append(Paragraph(stripped, where))
            recent.append(stripped)
    if block:
        close_table()
