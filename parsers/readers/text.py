"""Plain-text files: paragraphs in UTF-8 or GB18030 (the encodings portals use)."""
from __future__ import annotations

from parsers.model import ExtractedFile, Paragraph, Where


def decode(data: bytes) -> str:
    """Text of `data`: BOM-marked UTF-16/8 first, then UTF-8, then GB18030 (a GBK superset)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", errors="replace")


def read_text(name: str, data: bytes) -> ExtractedFile:
    lines = [line.strip() for line in decode(data).splitlines()]
    where = Where(name)
    return ExtractedFile(name=name, format="text", paragraphs=[Paragraph(t, where) for t in lines if t])
