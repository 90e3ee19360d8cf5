"""Hostile and broken files give a clear error or a bounded result, never a crash or hang."""
from __future__ import annotations

import pytest

from parsers.readers import common, read_file
from tests.docgen import cache

EXPECTED_ERRORS = {
    "encrypted": "encrypted PDF",
    "truncated": "truncated or damaged",
    "empty": "empty file",
    "xlsx_bomb": "zip bomb suspected",
    "docx_bomb": "zip bomb suspected",
    "xxe": "possible XXE",
    "wps_ole": "without a Workbook or WordDocument stream",
    "garbage": "unknown file format",
}


@pytest.fixture(scope="module")
def corpus():
    return cache.bad_inputs()


@pytest.mark.parametrize("case", sorted(EXPECTED_ERRORS))
def test_bad_input_has_a_clear_error(corpus, case):
    path = corpus[case]
    result = read_file(path.name, path.read_bytes())
    assert result.error and EXPECTED_ERRORS[case] in result.error
    assert not result.tables and not result.paragraphs
    assert len(result.sha256) == 64


def test_xxe_payload_is_never_resolved(corpus):
    result = read_file("xxe.docx", corpus["xxe"].read_bytes())
    assert "root:" not in repr(result)


def test_html_served_as_pdf_is_read_as_html(corpus):
    result = read_file("notice.pdf", corpus["html_as_pdf"].read_bytes())
    assert result.error is None and result.format == "html"
    assert "您访问的页面不存在" in result.text
    assert any("named .pdf but the content is html" in w for w in result.warnings)


def test_huge_sheet_is_capped_with_a_warning(corpus):
    result = read_file("big.xlsx", corpus["big_sheet"].read_bytes())
    assert result.error is None
    assert len(result.tables[0].rows) == common.MAX_ROWS
    assert any(f"only the first {common.MAX_ROWS} were read" in w for w in result.warnings)


def test_two_thousand_page_pdf_is_capped_and_says_so(corpus):
    result = read_file("many.pdf", corpus["many_pages"].read_bytes())
    assert result.error is None and result.pages == 2000
    assert {p.where.page for p in result.paragraphs} == set(range(1, common.MAX_PAGES + 1))
    assert result.problem == f"read in part: PDF has 2000 pages; only the first {common.MAX_PAGES} were read"
