"""Text PDFs: ruled tables and paragraphs by pdfplumber; pages without usable text to OCR.

Each page is triaged: a page with text gets its ruled tables and its other lines read
directly; a page that is only a picture, or whose text is (cid:N) or control-character
garbage, is rendered and read by OCR; a large picture on a text page (a table pasted as
an image) is cropped and read by OCR too. Tables that go on over a page break (same
column count, no new title above them) are joined.
"""
from __future__ import annotations

import io
import logging
import re

import pdfplumber
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
from pdfminer.pdfparser import PDFSyntaxError
from pdfplumber.utils.exceptions import PdfminerException

from parsers.model import ExtractedFile, Paragraph, Table, Where
from parsers.readers import common, ocr

log = logging.getLogger(__name__)

CID_RE = re.compile(r"\(cid:\d+\)")
PICTURE_SHARE = 0.04  # an image covering this share of a page may be a pasted table
RENDER_SCALE = 2.0  # 144 dpi: enough for OCR of 9-point table text


def is_garbage(text: str) -> bool:
    """Text that a font without a usable ToUnicode map produces: (cid:N) or control codes."""
    stripped = re.sub(r"\s", "", text)
    if not stripped:
        return False
    cid = sum(len(m) for m in CID_RE.findall(stripped))
    controls = sum(1 for ch in stripped if ord(ch) < 32 or 0xE000 <= ord(ch) <= 0xF8FF or ch == "\ufffd")
    return (cid + controls) / len(stripped) > 0.3


def _grid_rows(table) -> list[list[str]]:
    """The table's cell texts with a merged cell's text repeated into every cell it spans."""
    extracted = table.extract()
    cells = {}
    for row, texts in zip(table.rows, extracted):
        for bbox, text in zip(row.cells, texts):
            if bbox is not None:
                cells[bbox] = common.clean_cell(text)
    xs = sorted({round(c[0], 1) for c in cells})
    rows = []
    for row, texts in zip(table.rows, extracted):
        top = row.bbox[1]
        out = []
        for j, (bbox, text) in enumerate(zip(row.cells, texts)):
            if bbox is not None:
                out.append(common.clean_cell(text))
                continue
            x = xs[j] if j < len(xs) else None
            owner = next(
                (
                    c
                    for c in cells
                    if x is not None and c[0] - 0.5 <= x < c[2] - 0.5 and c[1] - 0.5 <= top < c[3] - 0.5
                ),
                None,
            )
            out.append(cells[owner] if owner else "")
        rows.append(out)
    return rows


def _lines(page, exclude: list[tuple[float, float, float, float]]) -> list[dict]:
    """Text lines of the page outside the given boxes (tables, pictures read by OCR)."""

    def outside(obj) -> bool:
        cx, cy = (obj["x0"] + obj["x1"]) / 2, (obj["top"] + obj["bottom"]) / 2
        return not any(x0 <= cx <= x1 and top <= cy <= bottom for x0, top, x1, bottom in exclude)

    return page.filter(lambda o: o.get("object_type") != "char" or outside(o)).extract_text_lines()


def _pictures(page) -> list[tuple[float, float, float, float]]:
    """Boxes of large images that hold few characters: tables pasted as pictures."""
    area = float(page.width * page.height)
    boxes = []
    for image in page.images:
        x0, top = max(image["x0"], 0), max(image["top"], 0)
        x1, bottom = min(image["x1"], page.width), min(image["bottom"], page.height)
        if (x1 - x0) * (bottom - top) < PICTURE_SHARE * area:
            continue
        inside = [c for c in page.chars if x0 <= c["x0"] <= x1 and top <= c["top"] <= bottom]
        if len(inside) < 10:
            boxes.append((x0, top, x1, bottom))
    return boxes


class PdfReader:
    """Reads one PDF into an ExtractedFile; holds the state of tables running over pages."""

    def __init__(self, name: str, data: bytes):
        self.name = name
        self.data = data
        self.result = ExtractedFile(name=name, format="pdf")
        self.ocr_pages = 0
        self._renderer = None
        self._tail_page = 0  # the page the last table's last rows were read from

    def read(self) -> ExtractedFile:
        try:
            pdf = pdfplumber.open(io.BytesIO(self.data))
            pages = pdf.pages
        except Exception as exc:  # pdfminer raises many kinds on broken files
            self.result.error = _open_error(exc)
            return self.result
        with pdf:
            self.result.pages = len(pages)
            if len(pages) > common.MAX_PAGES:
                self.result.warnings.append(f"PDF has {len(pages)} pages; only the first {common.MAX_PAGES} were read")
            for number, page in enumerate(pages[: common.MAX_PAGES], start=1):
                try:
                    self._read_page(number, page)
                except ocr.OcrUnavailable as exc:
                    self.result.warnings.append(f"page {number}: OCR unavailable: {exc}")
                except Exception as exc:  # one broken page must not lose the others
                    log.warning("%s page %d: %s", self.name, number, exc)
                    self.result.warnings.append(f"page {number} unreadable: {_reason(exc)}")
                finally:
                    page.close()
        if self._renderer is not None:
            self._renderer.close()
        if not self.result.paragraphs and not self.result.tables:
            self.result.error = self.result.error or "no text or tables found in the PDF"
        if self.result.ocr and all(t.ocr for t in self.result.tables) and all(p.ocr for p in self.result.paragraphs):
            self.result.format = "pdf-ocr"
        return self.result

    def _read_page(self, number: int, page) -> None:
        page = page.dedupe_chars()
        text = page.extract_text() or ""
        if not text.strip() or is_garbage(text):
            if not text.strip() and not page.images and not page.rects and not page.curves:
                return  # a truly blank page
            self._ocr_region(number, page, None, reason="garbled text" if text.strip() else "no text layer")
            return
        found = page.find_tables()
        boxes = [t.bbox for t in found]
        pictures = _pictures(page)
        tables: list[tuple[Table, list[str]]] = []  # each with the text lines above it
        lines = _lines(page, boxes + pictures)
        regions = sorted([(b[1], "table", t) for b, t in zip(boxes, found)] + [(b[1], "picture", b) for b in pictures],
                         key=lambda r: r[0])
        previous_bottom = 0.0
        for top, kind, obj in regions:
            above = [ln["text"] for ln in lines if previous_bottom <= ln["top"] and ln["bottom"] <= top + 1]
            if kind == "table":
                rows, offset = common.trim_rows(_grid_rows(obj), columns=False)
                if rows:
                    table = Table(rows=rows, where=Where(self.name, page=number), row_offset=offset + 1)
                    tables.append((table, above))
                previous_bottom = obj.bbox[3]
            else:
                table = self._ocr_picture(number, page, obj)
                if table is not None:
                    tables.append((table, above))
                previous_bottom = obj[3]
        self._add_tables(tables)
        self._add_paragraphs(number, lines, page.width, ocr_used=False)

    def _add_tables(self, tables: list[tuple[Table, list[str]]]) -> None:
        for table, above in tables:
            title = common.pick_title(above)
            last = self.result.tables[-1] if self.result.tables else None
            if (
                title is None
                and last is not None
                and self._tail_page == (table.where.page or 0) - 1
                and len(last.rows[0]) == len(table.rows[0])
                and last.ocr == table.ocr
            ):
                last.rows.extend(table.rows)  # the same table, on over the page break
                self._tail_page = table.where.page or 0
                continue
            self._tail_page = table.where.page or 0
            table.title = title
            table.unit = common.pick_unit(above)
            table.header_rows = common.count_header_rows(table.rows)
            self.result.tables.append(table)

    def _add_paragraphs(self, number: int, lines: list[dict], width: float, ocr_used: bool) -> None:
        """Join lines into paragraphs: a line that runs to the right margin goes on in the next."""
        kept = [ln for ln in lines if ln["text"].strip() and not common.is_noise(ln["text"])]
        if not kept:
            return
        right = max(ln["x1"] for ln in kept)
        current: list[str] = []
        for ln in kept:
            current.append(ln["text"].strip())
            if ln["x1"] < right - 0.04 * width:
                self.result.paragraphs.append(Paragraph("".join(current), Where(self.name, page=number), ocr=ocr_used))
                current = []
        if current:
            self.result.paragraphs.append(Paragraph("".join(current), Where(self.name, page=number), ocr=ocr_used))

    def _render(self, number: int):
        if self._renderer is None:
            import pypdfium2

            self._renderer = pypdfium2.PdfDocument(self.data)
        return self._renderer[number - 1].render(scale=RENDER_SCALE).to_pil()

    def _take_ocr_page(self, number: int) -> bool:
        if self.ocr_pages >= common.MAX_OCR_PAGES:
            if self.ocr_pages == common.MAX_OCR_PAGES:
                self.result.warnings.append(f"OCR stopped after {common.MAX_OCR_PAGES} pages (page {number} on not read)")
                self.ocr_pages += 1
            return False
        self.ocr_pages += 1
        return True

    def _ocr_region(self, number: int, page, box, reason: str) -> None:
        """OCR a whole page: its lines become paragraphs, its grid a table."""
        if not self._take_ocr_page(number):
            return
        image = self._render(number)
        content = ocr.read_image(image)
        self.result.ocr = True
        self.result.warnings.append(f"page {number}: read by OCR ({reason})")
        where = Where(self.name, page=number)
        if content.rows:
            table = Table(rows=content.rows, where=where, ocr=True, row_offset=1)
            self._add_tables([(table, content.lines_above)])
        self.result.paragraphs.extend(Paragraph(t, where, ocr=True) for t in content.lines_above + content.lines_below)

    def _ocr_picture(self, number: int, page, box) -> Table | None:
        if not self._take_ocr_page(number):
            return None
        image = self._render(number)
        sx, sy = image.width / float(page.width), image.height / float(page.height)
        crop = image.crop((int(box[0] * sx), int(box[1] * sy), int(box[2] * sx), int(box[3] * sy)))
        content = ocr.read_image(crop)
        self.result.ocr = True
        self.result.warnings.append(f"page {number}: a picture of a table read by OCR")
        rows = content.rows or [[line] for line in content.lines_above + content.lines_below]
        if not rows:
            return None
        return Table(rows=rows, where=Where(self.name, page=number), ocr=True)


def _open_error(exc: BaseException) -> str:
    cause = exc.args[0] if isinstance(exc, PdfminerException) and exc.args else exc
    if isinstance(cause, (PDFPasswordIncorrect, PDFEncryptionError)):
        return f"encrypted PDF: a password is needed to open it ({type(cause).__name__})"
    if isinstance(cause, PDFSyntaxError):
        return f"not a readable PDF (truncated or damaged): {_reason(cause)}"
    return f"PDF could not be opened: {type(cause).__name__}: {_reason(cause)}"


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text[:200]


def read_pdf(name: str, data: bytes) -> ExtractedFile:
    return PdfReader(name, data).read()
