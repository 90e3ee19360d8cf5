"""Real test documents in every format, generated from the seed disclosures.

    seed_pdf(path)            text PDF with ruled tables (one pasted as a picture)
    scanned_pdf(src, path)    image-only copy of a PDF
    garbled_pdf(path)         a table page whose text layer reads as (cid:N)
    sideways_pdf(src, path, r)  a PDF whose pages are turned a quarter
    seed_xls(path)            the county's 22-sheet .xls
    seed_xlsx(path)           the city's tables as an .xlsx
    seed_docx(path)           county 说明 + two county tables as Word tables
    to_doc(docx, doc)         LibreOffice conversion to .doc
    seed_html()               an inline GBK article page with span tables
    bad_inputs(dir, ...)      hostile and broken files
"""
from .badgen import bad_inputs
from .htmlgen import seed_html
from .pdfgen import PrintedTable, garbled_pdf, scanned_pdf, seed_pdf, sideways_pdf
from .sheetgen import SheetPlan, seed_xls, seed_xlsx
from .wordgen import seed_docx, to_doc

__all__ = [
    "PrintedTable",
    "SheetPlan",
    "bad_inputs",
    "garbled_pdf",
    "scanned_pdf",
    "seed_docx",
    "seed_html",
    "seed_pdf",
    "seed_xls",
    "seed_xlsx",
    "sideways_pdf",
    "to_doc",
]
