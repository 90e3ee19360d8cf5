"""The shared rules for titles, units and noise lines near tables."""
from __future__ import annotations

import pytest

from parsers.readers import common


@pytest.mark.parametrize(
    ("line", "unit"),
    [
        ("单位：万元", "万元"),
        ("单位:元", "元"),
        ("金额单位：万元", "万元"),
        ("单位：人、万元", "万元"),
        ("单位名称：株洲市人民政府办公室 单位:万元", "万元"),
        ("单位名称：株洲市人民政府办公室", None),
        ("项目单位", None),
    ],
)
def test_find_unit(line, unit):
    assert common.find_unit(line) == unit


def test_pick_title_prefers_the_nearest_line_naming_a_table():
    above = ["第二部分 部门预算公开表格", "附件1", "部门收支总表", "单位名称：株洲市人民政府办公室", "单位：万元"]
    assert common.pick_title(above) == "部门收支总表"
    assert common.pick_title(["公开01表", "收支预算总表", "部门：江苏省政协办公厅"]) == "收支预算总表"
    assert common.pick_title(["- 3 -", "第 &P 页，共 &N 页", "单位：元"]) is None


def test_lift_caption_takes_title_and_unit_ruled_into_the_table():
    rows = [
        ["收支预算总表\n部门：江苏省政协办公厅 单位：万元"] * 3,
        ["项目名称", "", "金额"],
        ["收入总计", "收入总计", "13,377.11"],
    ]
    assert common.lift_caption(rows) == ("收支预算总表", "万元", 1)
    framed = [["部门：江苏省人大常委会办公厅", "", "单位：万元"], ["合计", "", "15,897.44"]]
    assert common.lift_caption(framed) == (None, "万元", 1)
    assert common.lift_caption([["项目", "金额"], ["合计", "1.00"]]) == (None, None, 0)


def test_trim_rows_keeps_row_numbers_true():
    rows = [["", ""], ["", "标题"], ["", "1.00"], ["", ""]]
    assert common.trim_rows(rows) == ([["标题"], ["1.00"]], 1)
    assert common.trim_rows(rows, columns=False) == ([["", "标题"], ["", "1.00"]], 1)
