"""Seed 004: 通道县政务服务中心 2020 budget (说明 in 万元, .xls tables in 元). Every figure and every known flaw."""
import pytest

from parsers.disclosure import parse_disclosure
from parsers.model import Context
from tests.seedtext import SEEDS, load_seed

SEED = "004_9902a30b8655e055.txt"


@pytest.fixture(scope="module")
def record():
    return parse_disclosure(load_seed(SEEDS / SEED), Context())


def _flags(record, type_, key=None):
    return [f for f in record["flags"] if f["type"] == type_ and f.get("key") == key]


def _values(flag):
    return sorted(r["value"] for r in flag["readings"])


def test_loader_keeps_sheets_and_wrapped_cells():
    [f] = load_seed(SEEDS / SEED)
    assert [t.where.sheet for t in f.tables[:3]] == ["收支总表", "收入总表", "非税征收表"]
    assert f.tables[0].title == "收支预算总表" and f.tables[0].unit == "元"
    assert f.tables[0].rows[0] == ["收入", "", "支出"]
    last = f.tables[-1]
    assert last.title == "部门整体支出绩效目标申报表"
    assert "保证电子监察系统平台的稳定运行。" in "\n".join(last.rows[-1])


def test_metadata(record):
    assert record["department"] == "通道县政务服务中心"
    assert record["region"] == {"province": "湖南省", "city": "怀化市", "county": "通道侗族自治县", "admin_code": "431230"}
    assert (record["fiscal_year"], record["kind"], record["units_in_source"]) == (2020, "budget", "元")


def test_figures(record):
    assert record["figures"] == {
        "income_total": "2602664.00",
        "income_general_budget": "2602664.00",
        "income_gov_fund": "0.00",
        "income_other": "0.00",
        "income_carryover": "0.00",
        "expenditure_total": "2602664.00",
        "expenditure_basic": "831064.00",
        "three_public_overseas": "0.00",
        "three_public_reception": "59400.00",
        "procurement_total": "0.00",
        "meeting_expenses": "500.00",
        "training_expenses": "1500.00",
        "staff_authorized": 10,
        "staff_actual": 9,
    }
    assert set(record["figure_sources"]) == set(record["figures"])
    assert record["figure_sources"]["meeting_expenses"]["where"] == {
        "file": SEED, "sheet": "商品和服务支出", "table": "基本支出预算明细表-商品和服务支出",
        "row": "合计", "column": "会议费", "row_number": 4,
    }


def test_malformed_amount_is_reported_not_guessed(record):
    assert "operating_expenses" not in record["figures"]
    [f] = _flags(record, "malformed_number", "operating_expenses")
    assert f["readings"][0]["value"] == "260..27万元"
    assert "paragraph" in f["readings"][0]["where"]


def test_project_expenditure_conflicts(record):
    assert "expenditure_project" not in record["figures"]
    [cross] = _flags(record, "cross_table_mismatch", "expenditure_project")
    assert set(_values(cross)) == {"980000.00", "1771600.00"}
    [text] = _flags(record, "text_table_mismatch", "expenditure_project")
    assert "1771600.00" in _values(text) and "980000.00" in _values(text)
    said = [r for r in text["readings"] if "paragraph" in r["where"]]
    assert [r["text"] for r in said] == ["预算数为177.16万元"]
    [conflict] = _flags(record, "conflicting_values", "expenditure_project")
    tables = {r["where"]["table"] for r in conflict["readings"] if "table" in r["where"]}
    assert {"收支预算总表", "部门整体支出绩效目标申报表", "专项资金预算汇总表"} <= tables


def test_three_public_total_conflicts(record):
    assert "three_public_total" not in record["figures"]
    [mismatch] = _flags(record, "text_table_mismatch", "three_public_total")
    assert _values(mismatch) == ["59400.00", "68800.00"]
    [conflict] = _flags(record, "conflicting_values", "three_public_total")
    assert _values(conflict) == ["59400.00", "68800.00"]
    # 公务用车购置及运行费: 0.94 万元 in the 说明, 0.00 + 0.00 in the 三公 table
    [vehicle] = _flags(record, "text_table_mismatch")
    assert _values(vehicle) == ["0.00", "9400.00"]
    for key in ("three_public_vehicle_purchase", "three_public_vehicle_operation"):
        assert key not in record["figures"]
        [c] = _flags(record, "conflicting_values", key)
        assert _values(c) == ["0.00", "9400.00"]


def test_expenditure_total_keeps_the_majority_and_flags_the_odd_column(record):
    [cross] = _flags(record, "cross_table_mismatch", "expenditure_total")
    odd = [r for r in cross["readings"] if r["value"] == "3394264.00"]
    assert [r["where"]["table"] for r in odd] == ["收支预算总表"]
    [parts] = _flags(record, "parts_do_not_sum", "expenditure_total")
    assert _values(parts) == ["3394264.00", "831064.00", "980000.00"]


def test_mislabelled_total_rows(record):
    flags = _flags(record, "label_error")
    assert [f["readings"][0]["where"]["row"] for f in flags] == ["本年支出合计", "支出总计"]
    assert all(f["readings"][0]["where"]["column"] == "收入/项目" for f in flags)
    assert all(f["readings"][0]["value"] == "2602664.00" for f in flags)


def test_rounded_text_against_exact_tables(record):
    keys = sorted(f["key"] for f in _flags_of(record, "rounding"))
    assert keys == ["expenditure_basic", "expenditure_total", "income_general_budget", "income_total"]
    [basic] = _flags(record, "rounding", "expenditure_basic")
    assert basic["severity"] == "info"
    assert _values(basic) == ["831064.00", "831100.00"]


def test_reception_above_its_basic_expenditure_line_is_no_flag(record):
    # 公务接待费 59,400 against the 基本支出 table's 30217 line of 5,000: 项目支出 holds the
    # rest, so the document is not inconsistent there
    assert record["figures"]["three_public_reception"] == "59400.00"
    assert _flags(record, "cross_table_mismatch", "three_public_reception") == []


def test_no_other_flags(record):
    assert sorted((f["type"], f.get("key") or "") for f in record["flags"]) == sorted([
        ("malformed_number", "operating_expenses"),
        ("rounding", "income_total"), ("rounding", "income_general_budget"),
        ("rounding", "expenditure_total"), ("rounding", "expenditure_basic"),
        ("cross_table_mismatch", "expenditure_total"), ("parts_do_not_sum", "expenditure_total"),
        ("cross_table_mismatch", "expenditure_project"), ("text_table_mismatch", "expenditure_project"),
        ("conflicting_values", "expenditure_project"),
        ("text_table_mismatch", "three_public_total"), ("conflicting_values", "three_public_total"),
        ("text_table_mismatch", ""),
        ("conflicting_values", "three_public_vehicle_purchase"), ("conflicting_values", "three_public_vehicle_operation"),
        ("label_error", ""), ("label_error", ""),
    ])


def _flags_of(record, type_):
    return [f for f in record["flags"] if f["type"] == type_]
