"""Reconciling readings and the consistency checks, on small disclosures built to show each case."""
from decimal import Decimal

import pytest

from parsers.checks import resolve
from parsers.disclosure import parse_disclosure
from parsers.figures import Reading
from parsers.model import Context, ExtractedFile, Paragraph, Table, Where

F = "t.pdf"


def _doc(paragraphs: list[str], tables: list[Table], ocr: bool = False) -> list[ExtractedFile]:
    return [ExtractedFile(name=F, format="pdf", ocr=ocr, paragraphs=[Paragraph(p, Where(F, 1)) for p in paragraphs], tables=tables)]


def _flags(record, type_, key=None):
    return [f for f in record["flags"] if f["type"] == type_ and f.get("key") == key]


def _r(value, source="table", origin="table0", tol="0"):
    return Reading("expenditure_total", Decimal(value), {"file": F}, value, source, origin, Decimal(tol))


def _types(flags):
    return sorted(f["type"] for f in flags)


def test_agreeing_tables_and_text():
    winner, flags = resolve("expenditure_total", [_r("100.00"), _r("100.00", origin="table1"), _r("100.00", "text", "text", "50")])
    assert winner.value == Decimal("100.00") and winner.source == "table" and flags == []


def test_rounded_text_keeps_the_exact_table_value():
    winner, flags = resolve("expenditure_total", [_r("831064.00"), _r("831100", "text", "text", "50")])
    assert winner.value == Decimal("831064.00")
    assert _types(flags) == ["rounding"] and flags[0]["severity"] == "info"


def test_text_beyond_rounding_leaves_the_key_out():
    winner, flags = resolve("expenditure_total", [_r("465000.00"), _r("285000", "text", "text", "500")])
    assert winner is None
    assert _types(flags) == ["conflicting_values", "text_table_mismatch"]


def test_majority_of_tables_wins_when_the_text_agrees():
    readings = [_r("2602664.00"), _r("2602664.00", origin="table1"), _r("3394264.00", origin="table2"), _r("2602700", "text", "text", "50")]
    winner, flags = resolve("expenditure_total", readings)
    assert winner.value == Decimal("2602664.00") and winner.origin == "table0"
    assert _types(flags) == ["cross_table_mismatch", "rounding"]


def test_tables_split_evenly_leave_the_key_out():
    winner, flags = resolve("expenditure_total", [_r("1.00"), _r("2.00", origin="table1")])
    assert winner is None
    assert _types(flags) == ["conflicting_values", "cross_table_mismatch"]


def test_text_alone():
    winner, flags = resolve("expenditure_total", [_r("5", "text", "text"), _r("5.00", "text", "text")])
    assert winner.value == 5 and flags == []
    winner, flags = resolve("expenditure_total", [_r("5", "text", "text"), _r("6", "text", "text")])
    assert winner is None and _types(flags) == ["conflicting_values"]


def _three_public(rows, ocr=False, unit="万元"):
    head = ["单位名称", "合计", "因公出国（境）费", "公务用车购置费", "公务用车运行维护费", "公务接待费"]
    return Table(rows=[head, *rows], where=Where(F, 3), title="2020年“三公”经费预算表", unit=unit, ocr=ocr)


UNITS = [["合计", "100.00", "10.00", "20.00", "30.00", "40.00"],
         ["甲单位", "60,00", "10.00", "20.00", "30.00", ""],
         ["乙单位", "40.00", "", "", "", "40.00"]]


def test_takes_the_total_row_of_several_units_and_checks_the_columns():
    rows = [list(r) for r in UNITS]
    rows[1][1] = "60.00"
    rows[2][5] = "30.00"  # 乙单位 now 30: the 公务接待费 column no longer adds up
    rec = parse_disclosure(_doc(["某局2020年部门预算"], [_three_public(rows)]), Context())
    assert rec["figures"]["three_public_total"] == "1000000.00"
    assert rec["figures"]["three_public_reception"] == "400000.00"
    assert rec["figure_sources"]["three_public_total"]["where"] == {
        "file": F, "page": 3, "table": "2020年“三公”经费预算表", "row": "合计", "column": "合计", "row_number": 2}
    [f] = _flags(rec, "column_total_mismatch")
    assert [r["value"] for r in f["readings"]] == ["400000.00", "300000.00"]
    assert f["readings"][0]["where"]["column"] == "公务接待费"


def test_ocr_repair_only_where_the_sums_confirm_it():
    rec = parse_disclosure(_doc(["某局2020年部门预算"], [_three_public([list(r) for r in UNITS], ocr=True)], ocr=True), Context())
    assert rec["ocr"] is True
    [f] = _flags(rec, "malformed_number")
    assert f["severity"] == "info" and f["readings"][0]["value"] == "60,00"
    assert not _flags(rec, "column_total_mismatch")
    # the same misprint in a table that was not OCR'd is not repaired
    rec = parse_disclosure(_doc(["某局2020年部门预算"], [_three_public([list(r) for r in UNITS])]), Context())
    assert not _flags(rec, "malformed_number")
    [f] = _flags(rec, "column_total_mismatch")
    assert f["readings"][0]["where"]["column"] == "合计"


def test_ocr_swapped_separators_in_the_total_row():
    rows = [list(r) for r in UNITS]
    rows[0][1], rows[1][1] = "1.000,00", "960.00"
    rec = parse_disclosure(_doc(["某局2020年部门预算"], [_three_public(rows, ocr=True, unit="元")], ocr=True), Context())
    assert rec["figures"]["three_public_total"] == "1000.00"


def test_economic_lines_add_up_to_their_class_and_the_total():
    head = [["经济科目", "经济科目名称", "总计"], ["**", "**", "1"]]
    rows = [["", "合计", "100.00"], ["301", "工资福利支出", "60.00"], ["30101", "基本工资", "30.00"],
            ["30102", "津贴补贴", "20.00"], ["302", "商品和服务支出", "40.00"], ["30215", "会议费", "40.00"]]
    table = Table(rows=head + rows, where=Where(F, 5), title="一般公共预算基本支出情况表", unit="万元")
    rec = parse_disclosure(_doc(["某局2020年部门预算"], [table]), Context())
    [f] = _flags(rec, "column_total_mismatch")
    assert f["readings"][0]["where"]["row"] == "工资福利支出"
    assert [r["value"] for r in f["readings"]] == ["600000.00", "500000.00"]
    assert rec["figures"]["meeting_expenses"] == "400000.00"


def test_this_years_column_only():
    head = ["项目", "上年预算", "本年预算", "增减", "项目", "上年预算", "本年预算"]
    rows = [["一、一般公共预算拨款", "90.00", "100.00", "10.00", "一、基本支出", "70.00", "80.00"],
            ["", "", "", "", "二、项目支出", "20.00", "20.00"],
            ["本年收入合计", "90.00", "100.00", "10.00", "本年支出合计", "90.00", "100.00"]]
    table = Table(rows=[head, *rows], where=Where(F, 2), title="部门收支预算总表", unit="万元")
    rec = parse_disclosure(_doc(["某局2020年部门预算"], [table]), Context())
    assert rec["figures"] == {
        "income_general_budget": "1000000.00", "income_total": "1000000.00", "expenditure_total": "1000000.00",
        "expenditure_basic": "800000.00", "expenditure_project": "200000.00",
    }


def test_text_parts_that_do_not_sum():
    text = ["某局2020年部门预算", "（五）“三公”经费预算：",
            "2020年“三公”经费预算数为10万元，其中，公务接待费5万元，公务用车购置费2万元，公务用车运行维护费2万元，因公出国（境）费0万元。"]
    rec = parse_disclosure(_doc(text, []), Context())
    assert rec["figures"]["three_public_total"] == "100000.00"
    [f] = _flags(rec, "parts_do_not_sum", "three_public_total")
    assert sorted(r["value"] for r in f["readings"]) == ["0.00", "100000.00", "20000.00", "20000.00", "50000.00"]


def test_sections_decide_which_figure_an_amount_is():
    text = ["某局2020年部门预算", "（一）收入预算：2020年年初预算数120万元，其中，一般公共预算拨款100万元，其他收入20万元。",
            "五、其他重要事项", "1、机关运行经费", "2020年机关运行经费当年一般公共预算拨款30万元。",
            "5、绩效目标情况", "涉及一般公共预算拨款 177.16万元。",
            "（二）支出预算：本年支出合计120万元，其中基本支出比上年增加 10万元。"]
    rec = parse_disclosure(_doc(text, []), Context())
    assert rec["figures"] == {"income_total": "1200000.00", "income_general_budget": "1000000.00",
                              "income_other": "200000.00", "operating_expenses": "300000.00",
                              "expenditure_total": "1200000.00"}


@pytest.mark.parametrize("line, value", [("截至2020年2月30日，本单位共有车辆2辆。", "截至2020年2月30日"),
                                         ("截止2021年1月1日，本单位共有车辆2辆。", "2021-01-01")])
def test_dates_that_cannot_be_right(line, value):
    rec = parse_disclosure(_doc(["某局2020年部门预算", line], []), Context(published_date="2020-03-01"))
    [f] = _flags(rec, "date_anomaly")
    assert f["readings"][0]["value"] == value


def test_a_file_that_could_not_be_read_is_reported():
    broken = ExtractedFile(name="b.xls", format="xls", error="not an xls file")
    rec = parse_disclosure([*_doc(["某局2020年部门预算"], []), broken], Context())
    assert rec["errors"] == [{"file": "b.xls", "error": "not an xls file"}]
    assert rec["formats"] == {F: "pdf", "b.xls": "xls"}


def test_final_account_summary_with_line_numbers_and_carryover():
    head = ["项目", "行次", "金额", "项目", "行次", "金额"]
    rows = [["一、一般公共预算财政拨款收入", "1", "100.00", "一、基本支出", "28", "90.00"],
            ["六、其他收入", "6", "20.00", "二、项目支出", "29", "30.00"],
            ["本年收入合计", "7", "120.00", "本年支出合计", "30", "120.00"],
            ["年初结转和结余", "8", "30.00", "年末结转和结余", "31", "30.00"],
            ["总计", "9", "150.00", "总计", "32", "150.00"]]
    table = Table(rows=[head, *rows], where=Where(F, 2), title="收入支出决算总表", unit="元")
    rec = parse_disclosure(_doc(["株洲市财政局2019年度部门决算"], [table]), Context(published_date="2020-09-01"))
    assert rec["kind"] == "final_account" and rec["fiscal_year"] == 2019
    assert rec["figures"] == {
        "income_general_budget": "100.00", "income_other": "20.00", "income_total": "120.00", "income_carryover": "30.00",
        "expenditure_basic": "90.00", "expenditure_project": "30.00", "expenditure_total": "120.00",
    }
    assert rec["flags"] == []
