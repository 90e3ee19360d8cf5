"""Real, valid attachment files (PDF, XLS, XLSX, DOCX) built from a document's content.

Bytes are deterministic (fixed dates inside the files and in zip members), so one
document always yields the same bytes: ETags stay stable across passes and server
restarts, and a disclosure published twice carries byte-identical attachments.
"""
from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime
from xml.sax.saxutils import escape

from .seeds import Document, SeedTable

FIXED_TIME = datetime(2020, 1, 1, 8, 0, 0)
_FONT = "STSong-Light"


def _normalize_zip(data: bytes) -> bytes:
    """Rewrite a zip with a fixed timestamp on every member (openpyxl/docx stamp 'now')."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = info.external_attr
            dst.writestr(member, src.read(info))
    return out.getvalue()


def pdf_bytes(doc: Document) -> bytes:
    """A PDF in the seed's layout: 说明 paragraphs, then each table ruled, one per page."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Table, TableStyle

    if _FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(_FONT))
    body = ParagraphStyle("body", fontName=_FONT, fontSize=10.5, leading=16, wordWrap="CJK", firstLineIndent=21)
    heading = ParagraphStyle("heading", parent=body, fontSize=16, leading=24, alignment=1, firstLineIndent=0)
    out = io.BytesIO()
    page = landscape(A4)
    story: list = [Paragraph(escape(doc.title), heading)]
    story += [Paragraph(escape(p), body) for p in doc.paragraphs]
    for table in doc.tables:
        story += [PageBreak(), Paragraph(escape(table.title), heading)]
        width = max((len(r) for r in table.rows), default=1)
        rows = [list(r) + [""] * (width - len(r)) for r in table.rows] or [[""]]
        grid = Table(rows, splitByRow=1)
        grid.setStyle(TableStyle([
            ("FONT", (0, 0), (-1, -1), _FONT, 6.5), ("GRID", (0, 0), (-1, -1), 0.4, colors.black),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ]))
        story.append(grid)
    SimpleDocTemplate(
        out, pagesize=page, title=doc.title, author=doc.department, invariant=1,
        leftMargin=36, rightMargin=36, topMargin=36, bottomMargin=36,
    ).build(story)
    return out.getvalue()


def _sheet_name(title: str, used: set[str]) -> str:
    """Excel sheet names: at most 31 characters, none of []:*?/\\ and unique."""
    name = re.sub(r"[\[\]:*?/\\]", "", title)[:28] or "Sheet"
    base, n = name, 1
    while name in used:
        n += 1
        name = f"{base}{n}"
    used.add(name)
    return name


def _numeric(text: str) -> float | str:
    """Cells that print a plain amount are stored as numbers, as department spreadsheets do."""
    return float(text) if re.fullmatch(r"-?\d+(\.\d+)?", text) else text


def xls_bytes(doc: Document) -> bytes:
    """A BIFF8 .xls workbook, one sheet per table, via xlwt."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    used: set[str] = set()
    for table in doc.tables or (SeedTable(doc.title, tuple((p,) for p in doc.paragraphs)),):
        sheet = book.add_sheet(_sheet_name(table.title, used))
        sheet.write(0, 0, table.title)
        for r, row in enumerate(table.rows, start=1):
            for c, value in enumerate(row):
                if value:
                    sheet.write(r, c, _numeric(value))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def xlsx_bytes(doc: Document) -> bytes:
    """An .xlsx workbook, one sheet per table, via openpyxl."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.worksheets[0])  # a new workbook comes with one empty sheet
    book.properties.creator = doc.department
    book.properties.created = book.properties.modified = FIXED_TIME
    used: set[str] = set()
    for table in doc.tables or (SeedTable(doc.title, tuple((p,) for p in doc.paragraphs)),):
        sheet = book.create_sheet(_sheet_name(table.title, used))
        sheet.append([table.title])
        for row in table.rows:
            sheet.append([_numeric(v) if v else None for v in row])
    out = io.BytesIO()
    book.save(out)
    return _normalize_zip(out.getvalue())


def docx_bytes(doc: Document) -> bytes:
    """A .docx with the 说明 paragraphs and then the tables, via python-docx."""
    import docx

    word = docx.Document()
    word.core_properties.author = doc.department
    word.core_properties.title = doc.title
    word.core_properties.created = word.core_properties.modified = FIXED_TIME
    word.core_properties.last_printed = FIXED_TIME
    word.add_heading(doc.title, level=1)
    for p in doc.paragraphs:
        word.add_paragraph(p)
    for table in doc.tables:
        word.add_paragraph(table.title)
        width = max((len(r) for r in table.rows), default=1)
        grid = word.add_table(rows=len(table.rows), cols=width)
        grid.style = "Table Grid"
        for row, values in zip(grid.rows, table.rows):
            for cell, value in zip(row.cells, values):
                if value:
                    cell.text = value
    out = io.BytesIO()
    word.save(out)
    return _normalize_zip(out.getvalue())


MAKERS = {"pdf": pdf_bytes, "xls": xls_bytes, "xlsx": xlsx_bytes, "docx": docx_bytes}
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def make_file(doc: Document, fmt: str) -> bytes:
    return MAKERS[fmt](doc)
