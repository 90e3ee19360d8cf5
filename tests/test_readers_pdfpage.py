"""The cheaper page operations give exactly what pdfplumber's own give, on real pages."""
from __future__ import annotations

import pdfplumber
import pytest

from parsers.readers import pdf, pdfpage
from tests.paths import DATA

FILES = ["xian-sjj-2026-budget.pdf", "shenzhen-xfj-2026-budget.pdf", "beijing-tjj-2026-budget-tables.pdf"]


def _encloses(outer, inner) -> bool:
    cx, cy = (inner[0] + inner[2]) / 2, (inner[1] + inner[3]) / 2
    return outer != inner and outer[0] <= cx <= outer[2] and outer[1] <= cy <= outer[3]


def _pages(name: str, limit: int = 12):
    with pdfplumber.open(DATA / "real" / name) as document:
        yield from document.pages[:limit]


@pytest.mark.parametrize("name", FILES)
def test_tables_and_deduped_chars_are_pdfplumbers(name):
    tables = 0
    for page in _pages(name):
        ours, theirs = pdfpage.dedupe_chars(page), page.dedupe_chars()
        assert len(ours.chars) == len(theirs.chars) and all(a is b for a, b in zip(ours.chars, theirs.chars))
        assert ours.objects.keys() == theirs.objects.keys()
        found = ours.find_tables()
        assert pdfpage.has_ruling(ours) or not found
        for table in found:
            assert pdfpage.table_text(table, table.rows) == table.extract()
            cells = list(dict.fromkeys(c for row in table.rows for c in row.cells if c is not None))
            assert pdf._not_enclosing(cells) == [c for c in cells if not any(_encloses(c, o) for o in cells)]
            tables += 1
    assert tables


def test_duplicates_keep_the_first_printed():
    with pdfplumber.open(DATA / "real" / "shenzhen-xfj-2026-budget.pdf") as document:
        page = document.pages[0]
        chars = page.chars
        doubled = page.filter(lambda _: True)
        # a fake bold (each char printed again 0.3 pt to the right) and exact copies, interleaved
        doubled._objects = {**page.objects, "char": [c for o in chars for c in (o, {**o, "x0": o["x0"] + 0.3}, dict(o))]}
        ours, theirs = pdfpage.dedupe_chars(doubled), doubled.dedupe_chars()
    assert len(ours.chars) == len(chars)
    assert all(a is b for a, b in zip(ours.chars, theirs.chars))


def test_frames_are_told_from_merged_cells():
    frame = (0.0, 0.0, 100.0, 100.0)
    cells = [frame, (0.0, 0.0, 50.0, 10.0), (50.0, 0.0, 100.0, 10.0), (0.0, 10.0, 100.0, 20.0)]
    assert pdf._not_enclosing(cells) == cells[1:]
    assert pdf._not_enclosing([]) == []
