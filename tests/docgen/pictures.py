"""A table drawn as a picture (grid and text), as tables pasted into PDFs and scans are."""
from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont

CJK_FONT = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"


@dataclass
class Png:
    path: io.BytesIO
    width: int
    height: int


def table_image(rows: list[list[str]], spans=(), size: int = 26, ruled: bool = True) -> Image.Image:
    """Draw `rows` as a grid (ruled or not); `spans` (row, first, last) are merged header cells."""
    font = ImageFont.truetype(CJK_FONT, size)
    pad, line_h = (size // 2 if ruled else size * 2), size * 2  # unruled columns need wider gaps
    widths = [max(int(font.getlength(r[j])) for r in rows) + 2 * pad for j in range(len(rows[0]))]
    xs = [pad]
    for w in widths:
        xs.append(xs[-1] + w)
    image = Image.new("RGB", (xs[-1] + pad, line_h * len(rows) + 2 * pad), "white")
    draw = ImageDraw.Draw(image)
    covered = {(i, j) for i, a, b in spans for j in range(a + 1, b + 1)}
    span_end = {(i, a): b for i, a, b in spans}
    for i, row in enumerate(rows):
        top = pad + i * line_h
        for j, text in enumerate(row):
            if (i, j) in covered:
                continue
            right = xs[span_end.get((i, j), j) + 1]
            if ruled:
                draw.rectangle([xs[j], top, right, top + line_h], outline="black", width=2)
            draw.text((xs[j] + pad, top + (line_h - size) // 2), text, fill="black", font=font)
    return image


def table_png(rows: list[list[str]], spans=()) -> Png:
    image = table_image(rows, spans)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    buffer.seek(0)
    return Png(buffer, image.width, image.height)
