"""The county disclosure published inline on an article page: GBK-encoded, tables with spans."""
from __future__ import annotations

from html import escape

from . import seeds
from .pdfgen import PrintedTable
from .wordgen import _expected, vertical_spans, word_tables


def _table_html(rows, spans, vspans) -> str:
    starts = {(i, a): b - a + 1 for i, a, b in spans}
    down = {(first, col): last - first + 1 for col, first, last in vspans}
    covered = {(i, j) for i, a, b in spans for j in range(a + 1, b + 1)}
    covered |= {(i, col) for col, first, last in vspans for i in range(first + 1, last + 1)}
    out = ['<table border="1" cellspacing="0">']
    for i, row in enumerate(rows):
        cells = []
        for j, text in enumerate(row):
            if (i, j) in covered:
                continue
            attrs = ""
            if (i, j) in starts:
                attrs += f' colspan="{starts[(i, j)]}"'
            if (i, j) in down:
                attrs += f' rowspan="{down[(i, j)]}"'
            cells.append(f"<td{attrs}>{escape(text)}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def seed_html() -> tuple[bytes, list[str], list[PrintedTable]]:
    """The page as served (GBK bytes), its 说明 paragraphs and its tables as a reader returns them."""
    paragraphs = seeds.county().paragraphs
    parts = [
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">',
        "<title>通道县政务服务中心2020年部门预算公开</title></head><body>",
        '<div class="nav"><a href="/">首页</a> &gt; <a href="/zwgk">政务公开</a></div>',
        '<div class="article"><h1>通道县政务服务中心2020年部门预算公开</h1>',
    ]
    parts += [f"<p>{escape(text)}</p>" for text in paragraphs]
    printed = []
    for title, unit, rows in word_tables():
        spans, vspans = seeds.header_spans(rows), vertical_spans(rows)
        parts += [f"<p>{escape(title)}</p>", f"<p>单位：{unit}</p>", _table_html(rows, spans, vspans)]
        printed.append(PrintedTable(title, unit, _expected(rows, spans, vspans)))
    parts += ["</div>", '<div class="footer">版权所有：通道侗族自治县人民政府</div></body></html>']
    return "\n".join(parts).encode("gb18030"), paragraphs, printed
