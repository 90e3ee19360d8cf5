"""Text PDFs: ruled tables and paragraphs by pdfplumber; pages without usable text to OCR.

Each page is triaged: a page with text gets its ruled tables and its other lines read
directly; a page that is only a picture, or whose text is (cid:N) or control-character
garbage, is rendered and read by OCR; a large picture on a text page (a table pasted as
an image) is cropped and read by OCR too. Tables that go on over a page break (same
column count, no new title above them, no headings of their own) are joined, each row
keeping its page. One ruled grid holding two tables (a whole-row title between them) is
split; a one-column frame of text (a boxed cover) is read as text, and the `部门：…` line
ruled into a table's top is kept as text too. Wrapped cell text is put on one line.
"""
from __future__ import annotations

import io
import logging
import re
from typing import TYPE_CHECKING

import numpy as np
import pdfplumber
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
from pdfminer.pdfparser import PDFSyntaxError
from pdfminer.psexceptions import PSEOF
from pdfplumber.utils.exceptions import PdfminerException

from parsers.model import ExtractedFile, Paragraph, Table, Where
from parsers.readers import common, ocr, pdfpage

if TYPE_CHECKING:
    import pypdfium2  # imported where a page is first rendered

log = logging.getLogger(__name__)

CID_RE = re.compile(r"\(cid:\d+\)")
PICTURE_SHARE = 0.04  # an image covering this share of a page may be a pasted table
RENDER_SCALE = 2.0  # 144 dpi: enough for OCR of 9-point table text
ENCLOSURE_BLOCK = 256  # cells compared with all others at once: 256 x 10,000 cells is 2.5 MB of booleans
VECTOR_TEXT_CURVES = 20  # a page of many curves and no text has its text drawn as outlines


def is_garbage(text: str) -> bool:
    """Text that a font without a usable ToUnicode map produces: (cid:N) or control codes."""
    stripped = re.sub(r"\s", "", text)
    if not stripped:
        return False
    cid = sum(len(m) for m in CID_RE.findall(stripped))
    controls = sum(1 for ch in stripped if ord(ch) < 32 or 0xE000 <= ord(ch) <= 0xF8FF or ch == "\ufffd")
    return (cid + controls) / len(stripped) > 0.3


# a line that opens a section (二、… （三）… 第二部分) starts a paragraph, however long the line before
SECTION_HEAD = re.compile(r"^(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[)）]|第[一二三四五六七八九十]+部分)")


def _not_enclosing(cells: list[tuple[float, float, float, float]]) -> list[tuple[float, float, float, float]]:
    """The cells (distinct boxes) that hold no other cell's centre: merged cells, not frames.

    Every pair is compared, in blocks of rows of a boolean matrix, not in Python: a grid of
    800 cells is 640,000 pairs.
    """
    if not cells:
        return []
    boxes = np.array(cells, dtype=float)
    cx, cy = (boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2
    encloses = np.zeros(len(cells), dtype=bool)
    for start in range(0, len(cells), ENCLOSURE_BLOCK):
        outer = boxes[start : start + ENCLOSURE_BLOCK]
        hits = ((outer[:, 0:1] <= cx) & (cx <= outer[:, 2:3]) & (outer[:, 1:2] <= cy) & (cy <= outer[:, 3:4]))
        hits[np.arange(len(outer)), np.arange(start, start + len(outer))] = False  # a cell does not enclose itself
        encloses[start : start + len(outer)] = hits.any(axis=1)
    return [c for c, frame in zip(cells, encloses) if not frame]


def _grid_rows(table) -> list[list[str]]:
    """The table's cell texts with a merged cell's text repeated into every cell it spans.

    pdfplumber gives None where no cell starts; the text comes from the cell covering
    that slot. A cell that encloses other cells is a frame drawn round a table, not a
    merged cell, and is not spread.
    """
    table_rows = table.rows
    extracted = pdfpage.table_text(table, table_rows)
    cells = {}
    for row, texts in zip(table_rows, extracted):
        for bbox, text in zip(row.cells, texts):
            if bbox is not None:
                cells[bbox] = common.clean_cell(text)
    merged = _not_enclosing(list(cells))
    xs = sorted({round(c[0], 1) for c in cells})
    rows = []
    for row, texts in zip(table_rows, extracted):
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
                    for c in merged
                    if x is not None and c[0] - 0.5 <= x < c[2] - 0.5 and c[1] - 0.5 <= top < c[3] - 0.5
                ),
                None,
            )
            out.append(cells[owner] if owner else "")
        rows.append(out)
    return rows


def _turn(obj: dict, turn: int, width: float, height: float) -> dict:
    """One object's coordinates on the page turned so that sideways text stands upright.

    `turn` 90: text ran top to bottom (turned a quarter clockwise); 270: bottom to top.
    """
    obj = dict(obj)
    x0, x1, top, bottom = obj["x0"], obj["x1"], obj["top"], obj["bottom"]
    if turn == 90:
        box = (top, bottom, width - x1, width - x0)
        point = lambda x, t: (t, width - x)  # noqa: E731
    else:
        box = (height - bottom, height - top, x0, x1)
        point = lambda x, t: (height - t, x)  # noqa: E731
    nx0, nx1, ntop, nbottom = box
    obj.update(x0=nx0, x1=nx1, top=ntop, bottom=nbottom, y0=width - nbottom, y1=width - ntop,
               doctop=obj.get("doctop", top) - top + ntop, width=nx1 - nx0, height=nbottom - ntop)
    if "upright" in obj:
        obj["upright"] = True
    if "pts" in obj:
        obj["pts"] = [point(x, t) for x, t in obj["pts"]]
    return obj


def upright_page(page):
    """(page, turn): the page turned a quarter if most of its text runs sideways, else as is.

    Landscape tables are often printed sideways on portrait pages (by the content or by
    a /Rotate that leaves them sideways on screen); read as they lie, their words come out
    one character per line and no table is found.
    """
    sideways = [c for c in page.chars if not c["upright"]]
    if not sideways or len(sideways) < len(page.chars) / 2:
        return page, 0
    downward = sum(1 for c in sideways if c["matrix"][1] < 0)
    turn = 90 if downward >= len(sideways) / 2 else 270
    width, height = float(page.width), float(page.height)
    turned = page.filter(lambda _: True)
    turned._objects = {  # pdfplumber has no public way to set a derived page's objects
        kind: [_turn(o, turn, width, height) for o in objects] for kind, objects in page.objects.items()
    }
    turned.bbox = (0, 0, height, width)
    return turned, turn


def _lines(page, exclude: list[tuple[float, float, float, float]]) -> list[dict]:
    """Text lines of the page outside the given boxes (tables, pictures read by OCR)."""

    def outside(obj) -> bool:
        cx, cy = (obj["x0"] + obj["x1"]) / 2, (obj["top"] + obj["bottom"]) / 2
        return not any(x0 <= cx <= x1 and top <= cy <= bottom for x0, top, x1, bottom in exclude)

    if not exclude:  # the page's own text map, built once for extract_text
        return page.extract_text_lines()
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
        self._renderer: pypdfium2.PdfDocument | None = None  # opened when a page is first rendered
        self._rendered: tuple[tuple[int, int], object] | None = None  # last page image, reused for its pictures
        self._tail_page = 0  # the page the last table's last rows were read from

    def read(self) -> ExtractedFile:
        try:
            pdf = pdfplumber.open(io.BytesIO(self.data))
        except Exception as exc:  # pdfminer raises many kinds on broken files
            self.result.error = _open_error(exc)
            return self.result
        try:
            with pdf:
                self._read_pages(pdf)
        finally:
            if self._renderer is not None:
                self._renderer.close()
        if not self.result.error and not self.result.paragraphs and not self.result.tables:
            self.result.error = "no text or tables found in the PDF"
        if self.result.ocr and all(t.ocr for t in self.result.tables) and all(p.ocr for p in self.result.paragraphs):
            self.result.format = "pdf-ocr"
        return self.result

    def _read_pages(self, pdf) -> None:
        try:
            pages = pdf.pages
        except Exception as exc:  # a damaged page tree
            self.result.error = _open_error(exc)
            return
        self.result.pages = len(pages)
        if len(pages) > common.MAX_PAGES:
            self.result.omitted.append(f"PDF has {len(pages)} pages; only the first {common.MAX_PAGES} were read")
        for number, page in enumerate(pages[: common.MAX_PAGES], start=1):
            try:
                self._read_page(number, page)
            except ocr.OcrUnavailable as exc:
                if common.out_of_memory(exc):
                    raise MemoryError(str(exc)[:200]) from exc
                self.result.warnings.append(f"page {number}: OCR unavailable: {exc}")
            except Exception as exc:  # one broken page must not lose the others
                if common.out_of_memory(exc):  # the worker's limit: the file fails, see parsers.isolation
                    raise MemoryError(f"page {number} does not fit in memory once decompressed, "
                                      f"a decompression bomb or a monstrous page: {_reason(exc)}") from exc
                log.warning("%s page %d: %s", self.name, number, exc)
                self.result.warnings.append(f"page {number} unreadable: {_reason(exc)}")
            finally:
                page.close()

    def _read_page(self, number: int, page) -> None:
        page, turn = upright_page(pdfpage.dedupe_chars(page))
        text = page.extract_text() or ""
        if not text.strip() or is_garbage(text):
            if not text.strip() and not page.images and len(page.curves) < VECTOR_TEXT_CURVES:
                return  # blank, or only ruling: nothing to read
            self._ocr_page(number, reason="garbled text" if text.strip() else "no text layer")
            return
        found = page.find_tables() if pdfpage.has_ruling(page) else []
        boxes = [t.bbox for t in found]
        pictures = _pictures(page)
        tables: list[tuple[Table, list[str]]] = []  # each with the text lines above it
        lines = _lines(page, boxes + pictures)
        regions = sorted([(b[1], "table", t) for b, t in zip(boxes, found)] + [(b[1], "picture", b) for b in pictures],
                         key=lambda r: r[0])
        previous_bottom = 0.0
        framed: list[str] = []  # text ruled into a frame that is no table: `部门：…` lines, a boxed cover
        for top, kind, obj in regions:
            above = [ln["text"] for ln in lines if previous_bottom <= ln["top"] and ln["bottom"] <= top + 1]
            if kind == "table":
                grid, offset = common.trim_rows(_grid_rows(obj), columns=False)
                for rows, start in common.split_at_titles(grid):
                    title, unit, lifted = common.lift_caption(rows)
                    framed.extend(common.issuer_lines(rows[:lifted]))
                    body = [[common.unwrap(c) for c in r] for r in rows[lifted:]]
                    if body and all(len(r) == 1 for r in body) and not any(common.AMOUNT_RE.fullmatch(r[0]) for r in body):
                        framed.extend(r[0] for r in body if r[0])  # one column of text: a box, not a table
                    elif body:
                        table = Table(rows=body, where=Where(self.name, page=number),
                                      row_offset=offset + start + lifted + 1, title=title, unit=unit)
                        tables.append((table, above if start == 0 else []))
                previous_bottom = obj.bbox[3]
            else:
                picture = self._ocr_picture(number, page, obj, turn)
                if picture is not None:
                    tables.append((picture, above))
                previous_bottom = obj[3]
        self._add_tables(tables)
        self.result.paragraphs.extend(Paragraph(line, Where(self.name, page=number)) for line in dict.fromkeys(framed))
        self._add_paragraphs(number, lines, page.width)

    def _add_tables(self, tables: list[tuple[Table, list[str]]]) -> None:
        for table, above in tables:
            title = table.title or common.pick_title(above)
            last = self.result.tables[-1] if self.result.tables else None
            if (
                title is None
                and last is not None
                and self._tail_page == (table.where.page or 0) - 1
                and len(last.rows[0]) == len(table.rows[0])
                and last.ocr == table.ocr
                and self._continues(last, table)
            ):
                last.continued.append((len(last.rows), table.where.page or 0))
                last.rows.extend(table.rows)  # the same table, on over the page break
                self._tail_page = table.where.page or 0
                continue
            self._tail_page = table.where.page or 0
            table.title = title
            table.unit = table.unit or common.pick_unit(above)
            table.header_rows = common.count_header_rows(table.rows)
            self.result.tables.append(table)

    @staticmethod
    def _continues(last: Table, table: Table) -> bool:
        """Whether an untitled table can be the page before's going on: a first row of headings
        (every cell filled, none an amount) other than that table's own makes it another table."""
        first = table.rows[0]
        headings = all(first) and not any(common.AMOUNT_RE.fullmatch(c) for c in first)
        return not headings or first == last.rows[0]

    def _add_paragraphs(self, number: int, lines: list[dict], width: float) -> None:
        """Join lines into paragraphs: a line that runs to the right margin goes on in the next."""
        kept = [ln for ln in lines if ln["text"].strip() and not common.is_noise(ln["text"])]
        if not kept:
            return
        right = max(ln["x1"] for ln in kept)
        current: list[str] = []
        for ln in kept:
            if current and SECTION_HEAD.match(ln["text"].strip()):  # a heading after a full line
                self.result.paragraphs.append(Paragraph("".join(current), Where(self.name, page=number)))
                current = []
            current.append(ln["text"].strip())
            if ln["x1"] < right - 0.04 * width:
                self.result.paragraphs.append(Paragraph("".join(current), Where(self.name, page=number)))
                current = []
        if current:
            self.result.paragraphs.append(Paragraph("".join(current), Where(self.name, page=number)))

    def _render(self, number: int, turn: int = 0):
        """The page as displayed, turned like its objects were (see `upright_page`)."""
        if self._rendered is not None and self._rendered[0] == (number, turn):
            return self._rendered[1]
        if self._renderer is None:
            import pypdfium2

            self._renderer = pypdfium2.PdfDocument(self.data)
        image = self._renderer[number - 1].render(scale=RENDER_SCALE).to_pil()
        if turn:
            image = image.rotate(90 if turn == 90 else -90, expand=True)
        self._rendered = ((number, turn), image)
        return image

    def _take_ocr_page(self, number: int) -> bool:
        if self.ocr_pages >= common.MAX_OCR_PAGES:
            if self.ocr_pages == common.MAX_OCR_PAGES:
                self.result.omitted.append(f"OCR stopped after {common.MAX_OCR_PAGES} pages; pages from {number} on were not OCRed")
                self.ocr_pages += 1
            return False
        self.ocr_pages += 1
        return True

    def _ocr_page(self, number: int, reason: str) -> None:
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

    def _ocr_picture(self, number: int, page, box, turn: int) -> Table | None:
        """OCR a large picture on a text page: a ruled table becomes a Table, anything else
        (a chart, a photo with captions) paragraphs."""
        if not self._take_ocr_page(number):
            return None
        image = self._render(number, turn)
        sx, sy = image.width / float(page.width), image.height / float(page.height)
        crop = image.crop((int(box[0] * sx), int(box[1] * sy), int(box[2] * sx), int(box[3] * sy)))
        content = ocr.read_image(crop)
        where = Where(self.name, page=number)
        lines = content.lines_above + content.lines_below
        if content.rows or lines:
            self.result.ocr = True
        self.result.paragraphs.extend(Paragraph(t, where, ocr=True) for t in lines)
        if not content.rows:
            return None
        self.result.warnings.append(f"page {number}: a picture of a table read by OCR")
        return Table(rows=content.rows, where=where, ocr=True)


def _open_error(exc: BaseException) -> str:
    cause = exc.args[0] if isinstance(exc, PdfminerException) and exc.args else exc
    if isinstance(cause, (PDFPasswordIncorrect, PDFEncryptionError)):
        return f"encrypted PDF: a password is needed to open it ({type(cause).__name__})"
    if isinstance(cause, (PDFSyntaxError, PSEOF)):
        return f"not a readable PDF (truncated or damaged): {_reason(cause)}"
    return f"PDF could not be opened: {type(cause).__name__}: {_reason(cause)}"


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text[:200]


def read_pdf(name: str, data: bytes) -> ExtractedFile:
    return PdfReader(name, data).read()
