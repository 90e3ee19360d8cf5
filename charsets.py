"""Bytes from Chinese government portals as text: the one charset decoder of the project.

The crawler reads pages with it to find links, the parsers read HTML and plain-text files
with it, so a page reads the same in both. GB2312 and GBK labels are widened to GB18030
(their superset, which pages labelled GBK often need), a byte-order mark wins outright, and
otherwise the declared charsets and the usual ones are tried and the cleanest reading kept.

Portals often declare one charset in the HTTP header (a servlet container's
default such as ISO-8859-1 or UTF-8) and another in ``<meta>`` (GBK), and only
one of them is true. Browsers trust the header, and so show such pages
garbled only when the header is wrong *and* a human notices; we would rather
read the text correctly, so we decode under every declared charset and keep
the one under which the bytes are clean and read as Chinese.

Each candidate costs one linear decode and one linear character count; there
are at most four candidates, so decoding stays linear in the body size.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from w3lib.encoding import (
    html_body_declared_encoding,
    http_content_type_encoding,
    read_bom,
    resolve_encoding,
)

# CJK ideographs, CJK punctuation and full-width forms: what Chinese prose is made of.
_CJK = re.compile("[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
# One decoding error outweighs this many Chinese characters read.
_ERROR_WEIGHT = 10
_FALLBACKS = ("utf-8", "gb18030")
# GB18030 is a superset of both: a page labelled GBK often holds characters only GB18030 has.
# (w3lib up to 2.5 widened them itself; 2.6 resolves them to "gbk", as the WHATWG labels do.)
_WIDER = {"gbk": "gb18030", "gb2312": "gb18030"}


def wider_codec(label: str | None) -> str | None:
    """A charset label as a Python codec name (w3lib's `resolve_encoding`), GB2312/GBK widened to GB18030."""
    name = resolve_encoding(label) if label else None
    return _WIDER.get(name, name) if name else None


def _normalise(label: str | bytes | None) -> str | None:
    """Map a charset label to a Python codec name, widening GB2312/GBK to GB18030."""
    if not label:
        return None
    if isinstance(label, bytes):  # Scrapy header values are bytes
        label = label.decode("latin-1")
    label = label.strip().strip("\"'")
    if "charset=" in label.lower():
        label = http_content_type_encoding(label) or ""
    return wider_codec(label) if label else None


def _score(body: bytes, encoding: str) -> tuple[int, str]:
    """Return (plausibility, text) of ``body`` decoded as ``encoding``.

    Plausibility counts Chinese characters read, minus a heavy penalty per
    byte sequence that is invalid in that encoding.
    """
    try:
        text = body.decode(encoding)
        errors = 0
    except UnicodeDecodeError:
        text = body.decode(encoding, errors="replace")
        errors = text.count("\ufffd")
    return len(_CJK.findall(text)) - _ERROR_WEIGHT * errors, text


def decode_html(body: bytes, header_charset: str | bytes | None = None) -> tuple[str, str]:
    """Decode an HTML body; return ``(text, encoding used)``.

    ``header_charset`` may be a bare label (``"gbk"``) or a whole Content-Type
    value (``b"text/html; charset=gbk"``, as Scrapy's headers give it).
    Order of evidence:

    1. a byte-order mark wins outright;
    2. a body that is valid UTF-8 and not pure ASCII is UTF-8 (GBK text is
       practically never valid UTF-8);
    3. otherwise the header charset, the ``<meta>`` charset, UTF-8 (a page
       with one broken sequence) and GB18030 are scored, and the most
       plausible wins, the header winning ties.
    """
    return _decode(body, (_normalise(header_charset), wider_codec(html_body_declared_encoding(body))))


def decode_text(data: bytes) -> str:
    """Decode a plain-text file, which declares nothing: a BOM, else UTF-8, else the cleaner
    reading of UTF-8 and GB18030 (as `decode_html` without declared charsets)."""
    return _decode(data, ())[0]


def _decode(body: bytes, labels: Iterable[str | None]) -> tuple[str, str]:
    """`body` as text and the codec read with, by the order of evidence of `decode_html`;
    `labels` are the declared charsets (codec names or None), the first winning ties."""
    bom_encoding, bom = read_bom(body)
    if bom_encoding and bom is not None:
        return body[len(bom) :].decode(bom_encoding, errors="replace"), bom_encoding

    # Markup is ASCII, so without a BOM only an ASCII-compatible label can be
    # true; a stray "utf-16" would otherwise turn every tag pair into a CJK character.
    declared = [enc for enc in labels if enc is not None and "<a".encode(enc) == b"<a"]
    if body.isascii():
        encoding = declared[0] if declared else "utf-8"
        return body.decode("ascii"), encoding

    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass

    candidates = list(dict.fromkeys([*declared, *_FALLBACKS]))
    best: tuple[int, str, str] | None = None
    for encoding in candidates:
        score, text = _score(body, encoding)
        if best is None or score > best[0]:
            best = (score, text, encoding)
    assert best is not None  # gb18030 is always a candidate
    return best[1], best[2]
