"""Every real Jiangsu disclosure PDF opens and yields text or tables."""
from __future__ import annotations

import pytest

from parsers.readers import read_file
from tests.paths import JIANGSU

PDFS = sorted(JIANGSU.glob("*/*.pdf"))


def test_the_corpus_is_there():
    assert len(PDFS) >= 20


@pytest.mark.parametrize("path", PDFS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_real_pdf_reads_without_error(path):
    result = read_file(path.name, path.read_bytes())
    assert result.error is None
    assert result.pages and result.format == "pdf"
    assert "单位" in result.text or any(t.unit for t in result.tables)
    for table in result.tables:
        assert table.rows and len({len(r) for r in table.rows}) == 1  # rectangular
        assert table.where.page is not None and 1 <= table.where.page <= result.pages
