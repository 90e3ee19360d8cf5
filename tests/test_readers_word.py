"""Word documents: the county 说明 with city tables, as .docx and as LibreOffice's .doc."""
from __future__ import annotations

import pytest

from parsers.model import ExtractedFile
from parsers.readers import read_file, word
from tests.docgen import cache


def _check(result, paragraphs, printed, fmt):
    assert result.error is None and result.format == fmt
    texts = [p.text for p in result.paragraphs]
    assert texts[: len(paragraphs)] == paragraphs
    assert ("2020年单位运行经费当年一般公共预算拨款260..27万元.较去年增加了10.9万元，"
            "增加的原因是2020年五险配套资金和住房公积金纳入预算，人员经费增加。") in texts
    assert [t.title for t in result.tables] == [t.title for t in printed] == ["收支预算总表", "三公经费表"]
    for table, expected in zip(result.tables, printed):
        assert table.rows == expected.rows, expected.title
        assert table.unit == "元"
        assert table.where.file == result.name and table.where.page is None


def test_docx_paragraphs_and_tables_in_body_order_with_merges():
    path, (paragraphs, printed) = cache.seed_docx()
    result = read_file(path.name, path.read_bytes())
    _check(result, paragraphs, printed, "docx")
    three = result.tables[1]
    assert [r[0] for r in three.rows[:2]] == ["单位代码"] * 2  # merged down the header rows
    assert three.rows[0][4:6] == ["因公出国(境)费"] * 2  # merged across
    assert three.rows[-1][:4] == ["702701", "政务中心本级", "59,400.00", "59,400.00"]


def test_doc_is_converted_by_libreoffice_keeping_tables():
    path, (paragraphs, printed) = cache.seed_doc()
    data = path.read_bytes()
    assert data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    _check(read_file(path.name, data), paragraphs, printed, "doc")


def test_antiword_reads_the_doc_text_and_table_rows():
    path, (paragraphs, _) = cache.seed_doc()
    result = ExtractedFile(name=path.name, format="doc")
    word._antiword_content(result, word.antiword_text(path.read_bytes()))
    texts = [p.text for p in result.paragraphs]
    assert paragraphs[0] in texts and "附件：预算公开表" in texts
    summary = result.tables[0]
    assert (summary.title, summary.unit) == ("收支预算总表", "元")
    assert summary.rows[-1] == ["支出总计", "2,602,664.00", "支出总计", "2,602,664.00", "支出总计", "3,394,264.00"]


def test_doc_conversion_time_limit_is_reported():
    path, _ = cache.seed_doc()
    with pytest.raises(RuntimeError, match="more than"):
        word.convert_doc(path.read_bytes(), timeout_s=0.01)
