"""An article page publishing the disclosure inline, served in GBK."""
from __future__ import annotations

from parsers.readers import read_file
from parsers.readers.html import table_rows
from tests.docgen import cache


def test_gbk_article_text_and_span_tables():
    data, paragraphs, printed = cache.seed_html()
    data.decode("gb18030")
    result = read_file("index.html", data)
    assert result.error is None and result.format == "html"
    texts = {" ".join(p.text.split()) for p in result.paragraphs}
    assert all(" ".join(p.split()) in texts for p in paragraphs)
    assert "版权所有：通道侗族自治县人民政府" not in result.text  # page furniture is not article text
    assert [t.title for t in result.tables] == [t.title for t in printed] == ["收支预算总表", "三公经费表"]
    for table, expected in zip(result.tables, printed):
        assert table.rows == expected.rows
        assert table.unit == "元"


def test_spans_fill_every_slot_and_absurd_spans_are_bounded():
    import lxml.html

    table = lxml.html.fromstring(
        "<table><tr><td rowspan='2'>项目</td><td colspan='2'>本年预算</td></tr>"
        "<tr><td>基本</td><td>项目</td></tr><tr><td colspan='99999'>合计</td></tr></table>"
    )
    rows = table_rows(table)
    assert rows[:2] == [["项目", "本年预算", "本年预算"] + [""] * (len(rows[0]) - 3),
                        ["项目", "基本", "项目"] + [""] * (len(rows[0]) - 3)]
    assert len(rows[2]) == 200 and set(rows[2]) == {"合计"}


def test_title_and_unit_found_outside_the_tables_wrapper():
    page = (
        "<html><body><div class='content'><p>一般公共预算拨款“三公”经费预算表</p><p>单位：元</p>"
        "<div class='tbl'><table><tr><td>项目</td><td>预算数</td></tr><tr><td>合计</td><td>68,800.00</td></tr>"
        "</table></div></div></body></html>"
    ).encode()
    table = read_file("a.html", page).tables[0]
    assert (table.title, table.unit) == ("一般公共预算拨款“三公”经费预算表", "元")
    assert table.rows == [["项目", "预算数"], ["合计", "68,800.00"]]


def test_xhtml_page_that_declares_its_encoding():
    # portals serve XHTML with an XML declaration (36 pages of the real corpus were refused)
    page = ('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
            '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n<html xmlns="http://www.w3.org/1999/xhtml">'
            '<body><p>某局2026年部门预算</p><p>单位：万元</p><table><tr><td>项目</td><td>预算数</td></tr>'
            '<tr><td>本年收入合计</td><td>12.34</td></tr></table></body></html>')
    result = read_file("page.html", page.encode("utf-8"))
    assert result.error is None
    assert result.tables[0].rows == [["项目", "预算数"], ["本年收入合计", "12.34"]]
    assert "某局2026年部门预算" in result.text
