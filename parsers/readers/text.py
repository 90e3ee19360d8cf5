"""Plain-text files (UTF-8 or GB18030, see charsets.py): paragraphs, and tab-separated lines as tables.

Budget systems export "xls" files that are really tab-separated text; runs of lines
holding tabs become tables, with the title and unit taken from the lines above.
"""
from __future__ import annotations

from charsets import decode_text
from parsers.model import ExtractedFile, Paragraph, Table, Where
from parsers.readers import common


def read_text(name: str, data: bytes) -> ExtractedFile:
    result = ExtractedFile(name=name, format="text")
    where = Where(name)
    block: list[list[str]] = []
    recent: list[str] = []  # lines since the last table: its title and unit

    def close_table() -> None:
        rows, _dropped = common.trim_rows(block)
        if rows:
            table = Table(rows=rows, where=where, title=common.pick_title(recent[-4:]),
                          unit=common.pick_unit(recent[-4:]))
            table.header_rows = common.count_header_rows(rows)
            result.tables.append(table)
        block.clear()
        recent.clear()

    for raw in decode_text(data).splitlines():
        if "\t" in raw.strip("\r\n ") and len(raw.split("\t")) > 1:
            cells = [common.clean_cell(c) for c in raw.split("\t")]
            if not block and cells[0].startswith(("单位名称：", "单位名称:", "单位：", "单位:")):
                recent.append(" ".join(c for c in cells if c))  # a unit line laid out with tabs
                continue
            block.append(cells)
            continue
        line = raw.strip()
        if block and line:
            close_table()
        if line and not common.is_noise(line):
            result.paragraphs.append(Paragraph(line, where))
            recent.append(line)
    if block:
        close_table()
    if not result.paragraphs and not result.tables:
        result.error = "text file holds no text"
    return result
