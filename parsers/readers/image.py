"""A picture attachment (a photographed or scanned table): read by OCR."""
from __future__ import annotations

import io

from PIL import Image

from parsers.model import ExtractedFile, Paragraph, Table, Where
from parsers.readers import common, ocr

MAX_PIXELS = 40_000_000  # larger images are decompression bombs, not scans


def read_image_file(name: str, data: bytes) -> ExtractedFile:
    result = ExtractedFile(name=name, format="image", ocr=True)
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (Image.DecompressionBombError, OSError, ValueError) as exc:
        result.error = f"image could not be decoded: {exc}"[:300]
        return result
    content = ocr.read_image(image)
    where = Where(name)
    if content.rows:
        table = Table(rows=content.rows, where=where, ocr=True, title=common.pick_title(content.lines_above),
                      unit=common.pick_unit(content.lines_above))
        table.header_rows = common.count_header_rows(table.rows)
        result.tables.append(table)
    result.paragraphs = [Paragraph(t, where, ocr=True) for t in content.lines_above + content.lines_below]
    if not result.tables and not result.paragraphs:
        result.error = "no text found in the image"
    return result
