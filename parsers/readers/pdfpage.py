"""pdfplumber's per-page operations that cost more than they need to, with the same results.

pdfplumber's `dedupe_chars` puts the chars it keeps back in page order with `list.index`,
and `Table.extract` tests every char of the page against every row: both quadratic, they
took a fifth of the CPU of a budget page (3,000 chars, tables of 40 rows). These versions
return exactly what pdfplumber returns (the same objects, in the same order).
"""
from __future__ import annotations

import itertools
from bisect import bisect_left
from operator import itemgetter

from pdfplumber.utils import cluster_objects, extract_text

DEDUPE_KEY = itemgetter("upright", "text", "fontname", "size")  # pdfplumber's default extra_attrs
POSITION = itemgetter("doctop", "x0")
DOCTOP, X0 = itemgetter("doctop"), itemgetter("x0")


def dedupe_chars(page):
    """`page.dedupe_chars()`: chars printed twice at the same place (tolerance 1) once.

    pdfplumber keeps, of each group of duplicates, the first in page order; so the kept
    char's index by identity is the one `list.index` finds.
    """
    chars = page.chars
    kept = []
    for _, same in itertools.groupby(sorted(chars, key=DEDUPE_KEY), key=DEDUPE_KEY):
        group = list(same)
        if len(group) == 1:  # a glyph printed once on the page: nothing to cluster
            kept.append(group[0])
            continue
        for y_cluster in cluster_objects(group, DOCTOP, 1):
            if len(y_cluster) == 1:
                kept.append(y_cluster[0])
                continue
            for x_cluster in cluster_objects(y_cluster, X0, 1):
                kept.append(min(x_cluster, key=POSITION))
    order = {id(c): i for i, c in enumerate(chars)}
    deduped = page.filter(lambda _: True)
    # as pdfplumber's own dedupe_chars sets them: a derived page has no public way
    deduped._objects = {**page.objects, "char": sorted(kept, key=lambda c: order[id(c)])}
    return deduped


def has_ruling(page) -> bool:
    """Whether the page has any line, rectangle or curve: without them pdfplumber's
    ruled-table finder finds nothing, so it need not run."""
    return bool(page.lines or page.rects or page.curves)


def table_text(table, rows) -> list[list[str | None]]:
    """`table.extract()` for the table's `rows`: each row's chars found by their vertical
    middle in a sorted index instead of a scan of the whole page, kept in page order."""
    chars = table.page.chars
    middles = [((c["top"] + c["bottom"]) / 2, (c["x0"] + c["x1"]) / 2) for c in chars]
    by_v = sorted((i for i, (v, _) in enumerate(middles) if v == v), key=lambda i: middles[i][0])  # v == v: not NaN
    vs = [middles[i][0] for i in by_v]

    def inside(i: int, box) -> bool:
        v, h = middles[i]
        return box[0] <= h < box[2] and box[1] <= v < box[3]

    out = []
    for row in rows:
        box = row.bbox
        in_row = sorted(i for i in by_v[bisect_left(vs, box[1]) : bisect_left(vs, box[3])] if inside(i, box))
        texts: list[str | None] = []
        for cell in row.cells:
            if cell is None:
                texts.append(None)
                continue
            in_cell = [chars[i] for i in in_row if inside(i, cell)]
            texts.append(extract_text(in_cell) if in_cell else "")
        out.append(texts)
    return out
