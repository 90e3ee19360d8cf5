"""PDFs made from the city seed: a text PDF with ruled tables, and a scanned copy.

reportlab's built-in CID font STSong-Light needs no font file; tables are drawn with
grid lines so that pdfplumber finds them by their ruling, as in real disclosures.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pypdfium2
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    Image,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from . import seeds
from .pictures import CJK_FONT, table_png

FONT = "STSong-Light"
MAX_CELL_CHARS = 30  # wider cells (the 绩效 tables' long texts) do not fit a printed grid
MARGIN = 36


@dataclass
class PrintedTable:
    """A seed table as placed in a generated document, with the rows a reader must return."""

    title: str
    unit: str | None
    rows: list[list[str]]
    pages: list[int] = field(default_factory=list)
    picture: bool = False


class _PageMarker(Flowable):
    """Records the page it lands on, so tests know each table's page number."""

    def __init__(self, record: list[int]):
        super().__init__()
        self.record = record

    def wrap(self, *_):
        return 0, 0

    def draw(self):
        self.record.append(self.canv.getPageNumber())


def _register_font() -> None:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def _ruled_table(rows: list[list[str]], spans, width: float) -> Table:
    size = 8.0
    while True:
        widths = [max(pdfmetrics.stringWidth(r[j], FONT, size) for r in rows) + 8 for j in range(len(rows[0]))]
        if sum(widths) <= width or size <= 4:
            break
        size -= 0.5
    style: list[tuple[Any, ...]] = [
        ("FONT", (0, 0), (-1, -1), FONT, size),
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]
    style += [("SPAN", (first, i), (last, i)) for i, first, last in spans]
    return Table(rows, colWidths=widths, style=TableStyle(style), hAlign="LEFT")


def printable_tables(seed: seeds.Seed) -> list[seeds.SeedTable]:
    return [t for t in seed.tables if max(len(c) for r in t.rows for c in r) <= MAX_CELL_CHARS]


def seed_pdf(path: Path, picture_titles: tuple[str, ...] = ("部门收入总表",)) -> list[PrintedTable]:
    """The city seed as a text PDF: 说明 on portrait pages, each table on landscape pages.

    Tables named in `picture_titles` are pasted as images (their title and unit stay text),
    as some portals do. Returns the tables with the pages they were printed on.
    """
    _register_font()
    body = ParagraphStyle("body", fontName=FONT, fontSize=10.5, leading=16, wordWrap="CJK")
    heading = ParagraphStyle("heading", parent=body, fontSize=14, leading=20, alignment=1)
    doc = BaseDocTemplate(str(path), pagesize=A4, title="部门预算")
    portrait = Frame(MARGIN, MARGIN, A4[0] - 2 * MARGIN, A4[1] - 2 * MARGIN, id="p")
    wide = landscape(A4)
    frame = Frame(MARGIN, MARGIN, wide[0] - 2 * MARGIN, wide[1] - 2 * MARGIN, id="l")
    avail = frame.width - frame.leftPadding - frame.rightPadding  # the width a flowable gets in it
    doc.addPageTemplates(
        [
            PageTemplate("portrait", [portrait], pagesize=A4),
            PageTemplate("landscape", [frame], pagesize=wide),
        ]
    )
    seed = seeds.city()
    story: list[Flowable] = [Paragraph(seed.paragraphs[0], heading)]
    story += [Paragraph(text, body) for text in seed.paragraphs[1:]]
    printed = []
    for table in printable_tables(seed):
        spans = seeds.header_spans(table.rows)
        item = PrintedTable(table.title, table.unit, seeds.expand_spans(table.rows, spans))
        item.picture = table.title in picture_titles
        printed.append(item)
        story += [NextPageTemplate("landscape"), PageBreak(), _PageMarker(item.pages)]
        story += [Paragraph(table.title, heading), Paragraph(f"单位名称：株洲市人民政府办公室　　单位：{table.unit}", body)]
        story.append(Spacer(1, 6))
        if item.picture:
            png = table_png(table.rows, spans)
            scale = min(avail / png.width, 1.0)
            story.append(Image(png.path, png.width * scale, png.height * scale, hAlign="LEFT"))
            continue
        story.append(_ruled_table(table.rows, spans, avail))
        if table.note:
            story.append(Paragraph(table.note, body))
        story.append(_PageMarker(item.pages))
    doc.build(story)
    for item in printed:
        item.pages = list(range(item.pages[0], item.pages[-1] + 1))
    return printed


def scanned_pdf(source: Path, path: Path, pages: list[int] | None = None, scale: float = 2.0) -> None:
    """An image-only copy of `source` (1-based `pages`, default all), as a scanner makes."""
    pdf = pypdfium2.PdfDocument(str(source))
    wanted = pages or list(range(1, len(pdf) + 1))
    images = [pdf[n - 1].render(scale=scale).to_pil().convert("RGB") for n in wanted]
    pdf.close()
    images[0].save(path, "PDF", resolution=72 * scale, save_all=True, append_images=images[1:])



def garbled_pdf(path: Path, title: str = "一般公共预算拨款“三公”经费预算表") -> PrintedTable:
    """One table page whose font has no ToUnicode map, so its text layer reads as (cid:N).

    The font is embedded (it renders fine); only the text layer is garbage, which is what
    OCR must take over.
    """
    from reportlab.pdfbase.ttfonts import TTFont

    if "wqy" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("wqy", CJK_FONT, subfontIndex=0))
    table = next(t for t in seeds.city().tables if t.title == title)
    spans = seeds.header_spans(table.rows)
    wide = landscape(A4)
    doc = BaseDocTemplate(str(path), pagesize=wide)
    doc.addPageTemplates([PageTemplate("l", [Frame(MARGIN, MARGIN, wide[0] - 2 * MARGIN, wide[1] - 2 * MARGIN)])])
    style = ParagraphStyle("t", fontName="wqy", fontSize=14, leading=20)
    grid = _ruled_table(table.rows, spans, wide[0] - 2 * MARGIN)
    grid.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), "wqy", 9)]))
    doc.build([Paragraph(table.title, style), Paragraph(f"单位：{table.unit}", style), Spacer(1, 6), grid])
    path.write_bytes(path.read_bytes().replace(b"/ToUnicode", b"/NoUnicode"))
    return PrintedTable(table.title, table.unit, seeds.expand_spans(table.rows, spans), pages=[1])


def sideways_pdf(source: Path, path: Path, rotation: int) -> None:
    """`source` with every page turned a quarter (/Rotate), so its text runs sideways on screen."""
    pdf = pypdfium2.PdfDocument(str(source))
    for page in pdf:
        page.set_rotation(rotation)
    pdf.save(str(path))
    pdf.close()
