"""The figure rules learnt from real disclosures, each on the smallest document that shows it.

Each case is a layout seen in the labelled real set (tests/data/real/): a blank cell the
table's own sums prove zero, a “三公” table with its items as rows, a table continued on a page
whose reader drew no margin column, a 经济分类 code written in the label cell, a table listing
several units' lines, the 说明's headcounts beside their breakdowns, an amount that belongs to
a list of items. A wrong figure is worse than a missing one: each rule is also shown refusing.
"""
from __future__ import annotations

from parsers.disclosure import parse_disclosure
from parsers.model import Context, ExtractedFile, Paragraph, Table, Where
from parsers.readers.html import read_html

F = "t.pdf"


def _parse(tables: list[Table], paragraphs: tuple[str, ...] = ()) -> dict:
    lines = ("测试局2026年部门预算", *paragraphs)
    files = [ExtractedFile(name=F, format="pdf", paragraphs=[Paragraph(p, Where(F, 1)) for p in lines], tables=tables)]
    return parse_disclosure(files, Context())


def _summary(income: list[list[str]], title: str = "部门收支总表") -> Table:
    head = [["收入", "收入", "支出", "支出"], ["项目", "预算数", "项目", "预算数"]]
    rows = [[*r, "", ""] for r in income]
    return Table(rows=head + rows, where=Where(F, 2), title=title, unit="元", header_rows=2)


XIAN_INCOME = [
    ["1、财政拨款", "100.00"],
    ["(1)一般公共预算拨款", "100.00"],
    ["其中：专项资金列入部门预算的项目", ""],
    ["(2)政府性基金拨款", ""],
    ["2、事业收入", ""],
    ["3、其他收入", "20.00"],
    ["本年收入合计", "120.00"],
    ["上年结转", ""],
    ["收入总计", "120.00"],
]


def test_blank_lines_the_sums_prove_zero():
    figures = _parse([_summary(XIAN_INCOME)])["figures"]
    assert figures["income_gov_fund"] == "0.00"  # (1) alone makes 1、财政拨款
    assert figures["income_carryover"] == "0.00"  # 本年收入合计 alone makes 收入总计
    assert figures["income_other"] == "20.00"


def test_a_blank_the_sums_do_not_prove_stays_unread():
    rows = [list(r) for r in XIAN_INCOME]
    rows[0][1] = "130.00"  # 1、财政拨款 is more than (1): the blank (2) may hold the rest
    rows[8][1] = "125.00"  # and 收入总计 more than 本年收入合计: the blank 上年结转 may be 5
    figures = _parse([_summary(rows)])["figures"]
    assert "income_gov_fund" not in figures
    assert "income_carryover" not in figures


def _three_public(rows: list[list[str]]) -> Table:
    head = ["单位名称", "合计", "因公出国（境）费", "公务用车购置费", "公务用车运行维护费", "公务接待费"]
    return Table(rows=[head, *rows], where=Where(F, 3), title="“三公”经费支出表", unit="元", header_rows=1)


def test_blank_three_public_items_beside_a_total_they_make():
    figures = _parse([_three_public([["合计", "50.00", "", "", "30.00", "20.00"]])])["figures"]
    assert figures["three_public_overseas"] == "0.00"
    assert figures["three_public_vehicle_purchase"] == "0.00"
    # the printed items do not make the total: a blank may be a lost number, so none is read
    figures = _parse([_three_public([["合计", "60.00", "", "", "30.00", "20.00"]])])["figures"]
    assert "three_public_overseas" not in figures and "three_public_vehicle_purchase" not in figures


def test_three_public_items_as_rows():
    rows = [["项目", "预算数"], ["合计", "312.75"], ["1、因公出国（境）费用", "0.00"], ["2、公务接待费", "18.85"],
            ["3、公务用车购置及运行费", "293.90"], ["其中：（1）公务用车购置费", "261.90"], ["（2）公务用车运行费", "32.00"]]
    table = Table(rows=rows, where=Where(F, 9), title="一般公共预算“三公”经费支出预算表", unit="万元", header_rows=1)
    figures = _parse([table])["figures"]
    assert figures["three_public_total"] == "3127500.00"
    assert figures["three_public_vehicle_purchase"] == "2619000.00"
    assert figures["three_public_vehicle_operation"] == "320000.00"
    assert figures["three_public_reception"] == "188500.00"


def test_a_table_continued_on_a_page_without_the_margin_column():
    head = [["", "支出功能分类科目", "合计", "基本支出", "项目支出", ""]]
    page1 = Table(rows=[*head, ["", "2010301-行政运行", "60.00", "60.00", "", ""]],
                  where=Where(F, 3), title="支出总表", unit="元", header_rows=1)
    page2 = Table(rows=[["2014004-信访业务", "40.00", "", "40.00"], ["合 计", "100.00", "60.00", "40.00"]],
                  where=Where(F, 4), unit="元")
    figures = _parse([page1, page2])["figures"]
    assert figures["expenditure_basic"] == "60.00"
    assert figures["expenditure_project"] == "40.00"
    assert figures["expenditure_total"] == "100.00"


def _economic(title: str, lines: list[list[str]]) -> Table:
    return Table(rows=[["部门预算支出经济科目", "预算"], *lines], where=Where(F, 14), title=title, unit="万元", header_rows=1)


def test_a_code_written_in_the_label_cell():
    basic = _economic("一般公共预算基本支出情况表（按经济分类科目）", [["[30215]会议费", "3.48"], ["[30216]培训费", "11.73"]])
    figures = _parse([basic])["figures"]
    assert figures["meeting_expenses"] == "34800.00"
    assert figures["training_expenses"] == "117300.00"


def test_lines_in_both_the_basic_and_the_project_table_give_no_figure():
    basic = _economic("一般公共预算基本支出情况表（按经济分类科目）", [["[30215]会议费", "2.00"]])
    project = _economic("一般公共预算项目支出情况表（按经济分类科目）", [["[30215]会议费", "2.00"]])
    record = _parse([basic, project])
    assert "meeting_expenses" not in record["figures"]
    assert "separate tables" in record["figure_gaps"]["meeting_expenses"]


def test_a_table_listing_several_units_gives_no_line():
    head = ["部门经济科目编码", "部门经济科目名称", "合计"]
    rows = [["125001", "西安市安全生产监督管理局", "100.00"], ["30215", "会议费", "12.00"],
            ["125002", "西安市安全生产宣传教育中心", "50.00"], ["30215", "会议费", "2.00"]]
    table = Table(rows=[head, *rows], where=Where(F, 19), title="一般公共预算基本支出明细表（按支出经济分类科目）",
                  unit="万元", header_rows=1)
    assert "meeting_expenses" not in _parse([table])["figures"]


def test_headcounts_beside_their_breakdowns_and_a_units_own():
    text = ("一、收入预算情况说明", "本部门2026年收入预算1,230.00万元。", "二、支出预算情况说明",
            "本部门2026年支出预算1,230.00万元。", "三、人员情况说明",
            "截至上年底，本部门人员编制125人，其中行政编制111人，事业编制14人；实有人员119人，其中行政108人，事业11人。",
            "截止2025年底，西安市人工影响天气服务保障中心编制人数8人，实有人员7人。")
    figures = _parse([], text)["figures"]
    assert figures["staff_authorized"] == 125
    assert figures["staff_actual"] == 119


def test_the_amount_of_a_list_of_items_is_not_the_first_items():
    text = ("五、“三公”经费等预算情况",
            "2026年本部门“三公”经费及会议费、培训费预算支出共263.72万元，其中：",
            "3、培训费预算70.52万元，较上年增加57.52万元。")
    figures = _parse([], text)["figures"]
    assert figures["training_expenses"] == "705200.00"


def test_a_heading_that_repeats_the_table_of_contents_keeps_its_section():
    """trafilatura drops a paragraph whose text appeared earlier on the page; the 说明's body
    headings repeat its table of contents, and the sentences under them need their section."""
    filler = "<p>" + "本部门主要职责是组织实施全市政务服务工作，保障市政府机关正常运转。" * 4 + "</p>"
    page = ("<html><body><div id='content'><p>2026年部门预算</p><p>一、基本情况</p><p>二、收入预算情况</p>"
            "<p>三、支出预算情况</p><p>四、“三公”经费情况</p>" + filler * 3
            + "<p><strong>四、“三公”经费情况</strong></p>"
            + "<p>本部门2026年公务接待费预算为580000.00元，较上年增加0元。</p>" + filler + "</div></body></html>")
    extracted = read_html("a.html", page.encode("utf-8"))
    assert [p.text for p in extracted.paragraphs].count("四、“三公”经费情况") == 2
    record = parse_disclosure([extracted], Context(title="测试局2026年部门预算"))
    assert record["figures"]["three_public_reception"] == "580000.00"


def test_one_funds_parts_are_the_departments_only_when_the_fund_is_all_its_money():
    def spending(fund: str) -> dict:
        return _parse([], ("四、支出预算情况", f"2026年部门预算总支出800.00万元。财政拨款安排支出{fund}万元，"
                                           "其中：基本支出500.00万元，与上年持平；项目支出300.00万元。"))["figures"]
    figures = spending("800.00")  # the appropriations are the whole 800: their parts are the department's
    assert figures["expenditure_basic"] == "5000000.00" and figures["expenditure_project"] == "3000000.00"
    assert figures["expenditure_total"] == "8000000.00"
    figures = spending("700.00")  # other money besides: these are the appropriations' parts only
    assert "expenditure_basic" not in figures and "expenditure_project" not in figures


def test_a_department_that_says_it_has_no_government_fund_money():
    headings = ("一、收入预算情况说明", "本部门2026年收入预算1,230.00万元。", "二、支出预算情况说明",
                "本部门2026年支出预算1,230.00万元。", "四、政府性基金预算支出情况")
    figures = _parse([], (*headings, "本部门无当年政府性基金预算收支，并已公开空表。"))["figures"]
    assert figures["income_gov_fund"] == "0.00"
    # spending only: it says nothing of the income
    figures = _parse([], (*headings, "本部门2026年没有使用政府性基金预算拨款安排的支出。"))["figures"]
    assert "income_gov_fund" not in figures


def test_a_label_after_an_increase_names_the_change():
    text = ("一、收支预算总体情况", "本部门2026年度收入、支出预算总计13649.07万元，主要原因是政策性增资，增加基本支出844.15万元。",
            "二、支出预算情况", "基本支出预算数为7666.68万元。")
    assert _parse([], text)["figures"]["expenditure_basic"] == "76666800.00"


def test_a_source_given_as_part_of_the_whole_with_the_carry_over():
    def income(carry: str) -> dict:
        return _parse([], ("二、收入预算情况说明",
                           "2026年度收入预算600.00万元，其中：一般公共预算收入550.00万元；其他收入50.00万元。",
                           "（一）本年财政拨款收入500.00万元", "1.一般公共预算拨款收入500.00万元。",
                           f"（二）上年结转结余{carry}万元", f"2.上年结转结余{carry}万元。",
                           "三、支出预算情况说明", "2026年支出预算600.00万元。"))["figures"]
    # 600 = this year's 550 + 50 carried over: the headline's 550 holds the carry-over, 500 is this year's
    assert income("50.00")["income_general_budget"] == "5000000.00"
    # nothing carried over: the headline's part is this year's too, and the two disagree
    assert "income_general_budget" not in income("0.00")


def test_a_number_a_scan_was_misread_is_no_flag_about_the_document():
    lines = ("测试局2026年部门预算", "三、支出预算情况说明", "基本支出1,230.00万元，项目支出7,552.920.000.00万元。")
    paragraphs = [Paragraph(p, Where(F, 1), ocr=True) for p in lines]
    record = parse_disclosure([ExtractedFile(name=F, format="pdf-ocr", paragraphs=paragraphs, ocr=True)], Context())
    assert not [f for f in record["flags"] if f["type"] == "malformed_number"]
    assert "OCR could not read" in record["figure_gaps"]["expenditure_project"]
    # printed so in a text PDF, the same number is the document's error
    record = _parse([], lines[1:])
    assert [f for f in record["flags"] if f["type"] == "malformed_number"]
