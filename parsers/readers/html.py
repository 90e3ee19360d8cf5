"""HTML article bodies: text by trafilatura, tables by lxml with spans expanded.

Small departments publish the whole disclosure inline on the article page. trafilatura
finds the article text (without menus and footers); the tables are read from the page
itself, because boilerplate removal drops or flattens them.
"""
from __future__ import annotations

import copy
import re

import lxml.html
import trafilatura
from lxml import etree

from charsets import decode_html
from parsers.model import ExtractedFile, Paragraph, Table, Where
from parsers.readers import common

MAX_SPAN = 200  # a colspan/rowspan beyond this is a typo or an attack, not a layout


def _cell_text(cell) -> str:
    return common.clean_cell(re.sub(r"[ \t\r\n\u3000\xa0]+", " ", cell.text_content()))


def _span(cell, attribute: str) -> int:
    try:
        return max(1, min(int(cell.get(attribute, "1").strip() or 1), MAX_SPAN))
    except ValueError:
        return 1


def table_rows(table) -> list[list[str]]:
    """The table's grid: a cell with rowspan/colspan repeated into every slot it covers."""
    grid: dict[tuple[int, int], str] = {}
    rows = [tr for tr in table.iter("tr") if _owner_table(tr) is table]
    for r, tr in enumerate(rows):
        c = 0
        for cell in tr:
            if not isinstance(cell.tag, str) or cell.tag.lower() not in ("td", "th"):
                continue
            while (r, c) in grid:
                c += 1
            text = _cell_text(cell)
            for dr in range(_span(cell, "rowspan")):
                for dc in range(_span(cell, "colspan")):
                    grid.setdefault((r + dr, c + dc), text)
            c += _span(cell, "colspan")
    if not grid:
        return []
    height = min(max(r for r, _ in grid) + 1, len(rows))
    width = max(c for _, c in grid) + 1
    return [[grid.get((r, c), "") for c in range(width)] for r in range(height)]


def _owner_table(element):
    parent = element.getparent()
    while parent is not None and parent.tag != "table":
        parent = parent.getparent()
    return parent


def _text_before(table, limit: int = 4, levels: int = 3) -> list[str]:
    """Short texts just before the table in document order: its title and unit lines.

    Looks at preceding siblings, then those of its parents (tables sit inside divs),
    stopping at the previous table.
    """
    texts: list[str] = []
    node = table
    for _ in range(levels):
        for element in node.itersiblings(preceding=True):
            if not isinstance(element.tag, str):
                continue
            if element.tag == "table" or element.find(".//table") is not None:
                return texts
            text = re.sub(r"\s+", " ", element.text_content()).strip()
            if text:
                texts.insert(0, text)
            if len(texts) >= limit:
                return texts
        node = node.getparent()
        if node is None or node.tag in ("body", "html"):
            break
    return texts


_XML_DECLARATION = re.compile(r"^\ufeff?\s*<\?xml[^>]*\?>")


# one character of Unicode's plane-15 private use area per text block, numbering it (see below)
_BLOCK_MARK = 0xF0000
_BLOCK_MARKS = re.compile("[\U000F0000-\U000FFFFD]")


def _article_text(root: lxml.html.HtmlElement) -> str:
    """The article's text by trafilatura, every paragraph kept even where its text repeats.

    trafilatura drops a paragraph whose text appeared before on the page, even with
    deduplication off: a 说明's body heading (三、预算单位收入情况) repeats its table of
    contents, and without the heading the sentences under it lose their section. Each text
    block is numbered with a private-use character before extraction and the marks removed
    after, so no two blocks are alike."""
    marked = copy.deepcopy(root)
    for n, element in enumerate(e for e in marked.iter() if isinstance(e.tag, str) and e.text and e.text.strip()):
        element.text = (element.text or "") + chr(_BLOCK_MARK + n % 0xFFFD)
    body = trafilatura.extract(lxml.html.tostring(marked, encoding="unicode"), include_tables=False,
                               favor_recall=True) or ""
    return _BLOCK_MARKS.sub("", body)


def read_html(name: str, data: bytes) -> ExtractedFile:
    result = ExtractedFile(name=name, format="html")
    # an XHTML page's <?xml … encoding="…"?> line: the text is already decoded, and lxml refuses
    # a decoded string that still declares an encoding
    # the page decoded as the crawler read it: by its declared charset (GBK pages are common), else by sniffing
    text = _XML_DECLARATION.sub("", decode_html(data)[0], count=1)
    where = Where(name)
    try:
        root = lxml.html.fromstring(text)
    except (etree.ParserError, ValueError) as exc:
        result.error = f"unparseable HTML: {exc}"[:300]
        return result
    for element in root.xpath("//script|//style"):
        element.drop_tree()
    for table in root.iter("table"):
        rows, dropped = common.trim_rows(table_rows(table))
        if not rows or (len(rows) < 2 and len(rows[0]) < 2):
            continue  # layout tables around a single block are not data
        if any(_owner_table(t) is table for t in table.iter("table") if t is not table):
            continue  # a layout table that wraps other tables
        above = _text_before(table)
        caption = table.find("caption")
        if caption is not None:
            above.append(caption.text_content().strip())
        item = Table(rows=rows, where=where, row_offset=dropped + 1, title=common.pick_title(above),
                     unit=common.pick_unit(above + [c for c in rows[0] if c]))
        item.header_rows = common.count_header_rows(rows)
        result.tables.append(item)
    body = _article_text(root)
    if not body.strip():
        body = root.text_content()
    result.paragraphs = [Paragraph(line.strip(), where) for line in body.splitlines() if line.strip()]
    if not result.paragraphs and not result.tables:
        result.error = "HTML page holds no text"
    return result
