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


def test_unwrap_joins_chinese_lines_and_spaces_other_words():
    assert common.unwrap("1.一般公共预\n算") == "1.一般公共预算"
    assert common.unwrap("单位\n预留机动\n经费") == "单位预留机动经费"
    assert common.unwrap("Total\nincome") == "Total income"


def test_pick_title_skips_data_lines_and_department_names_and_joins_a_wrapped_title():
    assert common.pick_title(["30206 电费 235.00"]) is None
    assert common.pick_title(["江苏省人民检察院"]) is None
    assert common.pick_title(["十一、一般公共预算“三公”经费、会议费、培训费支出预", "算表"]) == (
        "十一、一般公共预算“三公”经费、会议费、培训费支出预算表")
    assert common.pick_title(["收支预算总表", "江苏省人民检察院"]) == "收支预算总表"
    assert common.pick_title(["公开 09 表：一般公共预算“三公”经费、会议费、培训费", "支出预算表"]) == (
        "公开 09 表：一般公共预算“三公”经费、会议费、培训费支出预算表")
    assert common.pick_title(["本表反映部门年度收入情况。", "收入预算总表"]) == "收入预算总表"


def test_issuer_lines_keep_the_department_line_of_a_caption():
    rows = [["收支预算总表\n部门：江苏省政协办公厅 单位：万元"] * 3]
    assert common.issuer_lines(rows) == ["部门：江苏省政协办公厅 单位：万元"]


def test_split_at_titles_cuts_a_grid_holding_two_tables():
    rows = [["当年收入小计", "13,649.07"], ["收入合计", "13,649.07"],
            ["收入预算总表", "收入预算总表"], ["收入总计", "13,649.07"]]
    assert common.split_at_titles(rows) == [(rows[:2], 0), (rows[2:], 2)]
    assert common.split_at_titles(rows[:2]) == [(rows[:2], 0)]


def test_lift_caption_takes_a_title_row_beside_empty_edge_columns_but_not_a_partial_heading():
    title = [""] + ["收支预算总表"] * 17 + ["", ""]
    dept = [""] + ["部门： 江苏省人民检察院"] * 7 + [""] * 6 + ["单位：万元"] * 5 + [""]
    body = [["", "项目", "金额"] + [""] * 17, ["", "合计", "1.00"] + [""] * 17]
    assert common.lift_caption([title, dept, *body]) == ("收支预算总表", "万元", 2)
    heading = ["", "", "", ""] + ["“三公”经费"] * 18 + [""] * 6
    assert common.lift_caption([heading, ["1.00"] * 28]) == (None, None, 0)
