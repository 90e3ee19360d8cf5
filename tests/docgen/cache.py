"""Each generated document made once per test run, in a private temporary directory."""
from __future__ import annotations

import atexit
import shutil
import tempfile
from functools import cache
from pathlib import Path

from . import badgen, htmlgen, pdfgen, sheetgen, wordgen

SCANNED_TITLES = ("部门收支总表", "一般公共预算拨款“三公”经费预算表")


@cache
def workdir() -> Path:
    path = Path(tempfile.mkdtemp(prefix="budgets-docgen-"))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


@cache
def seed_pdf() -> tuple[Path, list[pdfgen.PrintedTable]]:
    path = workdir() / "株洲市人民政府办公室2020年部门预算.pdf"
    return path, pdfgen.seed_pdf(path)


@cache
def scanned_pdf() -> tuple[Path, list[pdfgen.PrintedTable]]:
    """The pages of two tables of the text PDF, scanned: printed tables renumbered 1 and 2."""
    source, printed = seed_pdf()
    chosen = [t for t in printed if t.title in SCANNED_TITLES]
    path = workdir() / "scan.pdf"
    pdfgen.scanned_pdf(source, path, pages=[t.pages[0] for t in chosen])
    return path, chosen


@cache
def garbled_pdf() -> tuple[Path, pdfgen.PrintedTable]:
    path = workdir() / "garbled.pdf"
    return path, pdfgen.garbled_pdf(path)


@cache
def seed_xls() -> tuple[Path, list[sheetgen.SheetPlan]]:
    path = workdir() / "通道县政务服务中心2020年部门预算公开表.xls"
    return path, sheetgen.seed_xls(path)


@cache
def seed_xlsx() -> tuple[Path, list[sheetgen.SheetPlan]]:
    path = workdir() / "tables.xlsx"
    return path, sheetgen.seed_xlsx(path)


@cache
def seed_docx() -> tuple[Path, tuple[list[str], list[pdfgen.PrintedTable]]]:
    path = workdir() / "说明.docx"
    return path, wordgen.seed_docx(path)


@cache
def seed_doc() -> tuple[Path, tuple[list[str], list[pdfgen.PrintedTable]]]:
    source, plan = seed_docx()
    path = workdir() / "说明.doc"
    wordgen.to_doc(source, path)
    return path, plan


@cache
def seed_html() -> tuple[bytes, list[str], list[pdfgen.PrintedTable]]:
    return htmlgen.seed_html()


@cache
def bad_inputs() -> dict[str, Path]:
    return badgen.bad_inputs(workdir() / "bad", seed_pdf()[0], seed_docx()[0], seed_xls()[0])
