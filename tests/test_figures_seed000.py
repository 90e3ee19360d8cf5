"""Seed 000: 株洲市人民政府办公室 2020 budget (PDF, tables in 万元). Every figure and every known flaw."""
import pytest

from parsers.disclosure import parse_disclosure
from parsers.model import Context
from parsers.version import PARSER_VERSION
from tests.seedtext import SEEDS, load_seed

SEED = "000_9c8a412db31f4eb6.txt"


@pytest.fixture(scope="module")
def record():
    return parse_disclosure(load_seed(SEEDS / SEED), Context())


def _flags(record, type_, key=None):
    return [f for f in record["flags"] if f["type"] == type_ and f.get("key") == key]


def test_loader_keeps_the_tables_titles_and_units():
    [f] = load_seed(SEEDS / SEED)
    titles = [t.title for t in f.tables]
    assert titles[:2] == ["部门收支总表", "部门收入总表"]
    assert "一般公共预算拨款“三公”经费预算表" in titles
    assert titles[-1] is None  # the 基本支出情况表 goes on over a page without its title
    assert {t.unit for t in f.tables[:-1]} == {"万元"}
    assert f.tables[0].rows[2][:2] == ["一、一般公共预算拨款", "5,845.98"]
    assert any(p.text == "[illegible]" for p in f.paragraphs)


def test_metadata(record):
    assert record["department"] == "株洲市人民政府办公室"
    assert record["region"] == {"province": "湖南省", "city": "株洲市", "county": None, "admin_code": "430200"}
    assert (record["fiscal_year"], record["kind"], record["units_in_source"]) == (2020, "budget", "万元")
    assert record["ocr"] is False
    assert record["parser_version"] == PARSER_VERSION
    assert "政府门户网站、市长热线信息化专项" in record["text"]


def test_figures(record):
    assert record["figures"] == {
        "income_total": "58459800.00",
        "income_general_budget": "58459800.00",
        "income_gov_fund": "0.00",
        "income_other": "0.00",
        "income_carryover": "0.00",
        "expenditure_total": "58459800.00",
        "expenditure_basic": "54072800.00",
        "expenditure_project": "4387000.00",
        "three_public_total": "3569900.00",
        "three_public_overseas": "704000.00",
        "three_public_vehicle_purchase": "910000.00",
        "three_public_vehicle_operation": "1092000.00",
        "three_public_reception": "863900.00",
        "operating_expenses": "35058100.00",
        "procurement_total": "24988000.00",
        "staff_authorized": 97,
        "staff_actual": 88,
    }


def test_every_figure_has_its_source(record):
    assert set(record["figure_sources"]) == set(record["figures"])
    src = record["figure_sources"]["income_total"]
    assert src["text"] == "5,845.98"
    assert src["where"] == {"file": SEED, "table": "部门收支总表", "row": "本 年 收 入 合 计", "column": "收入/本年预算", "row_number": 24}
    assert record["figure_sources"]["three_public_reception"]["where"]["column"].endswith("公务接待费")
    op = record["figure_sources"]["operating_expenses"]
    assert op["text"] == "运行经费共安排3505.81万元"
    assert set(op["where"]) == {"file", "paragraph"}
    # the table's blank 政府性基金拨款 is "not stated"; the 说明's 0 万元 gives the figure
    assert record["figure_sources"]["income_gov_fund"]["text"] == "政府性基金拨款 0 万元"


@pytest.mark.parametrize("key, text_value, table_value, table_text", [
    ("meeting_expenses", "285000.00", "465000.00", "46. 50"),
    ("training_expenses", "47500.00", "377500.00", "37. 75"),
])
def test_meeting_and_training_disagree_between_text_and_table(record, key, text_value, table_value, table_text):
    assert key not in record["figures"]
    [mismatch] = _flags(record, "text_table_mismatch", key)
    [conflict] = _flags(record, "conflicting_values", key)
    for f in (mismatch, conflict):
        assert f["severity"] == "error"
        values = {r["value"]: r for r in f["readings"]}
        assert set(values) == {text_value, table_value}
        assert set(values[text_value]["where"]) == {"file", "paragraph"}
        assert values[table_value]["where"]["table"] == "一般公共预算基本支出情况表"
        assert values[table_value]["where"]["column"] == "总计"
        assert values[table_value]["text"] == table_text


def test_yuan_written_in_a_wan_table(record):
    [f] = _flags(record, "unit_error")
    assert f["severity"] == "minor"
    assert [r["value"] for r in f["readings"]] == ["275.40", "2754000.00"]
    assert f["readings"][0]["text"] == "275.4元"
    assert f["readings"][0]["where"]["table"] == "部门整体支出绩效申报表"
    assert f["readings"][0]["where"]["row"] == "株洲市人民政府驻北京联络处"
    assert f["readings"][1]["where"]["column"] == "2020年预算申请/总计"


def test_year_and_date_that_cannot_be_right(record):
    [year] = _flags(record, "year_mismatch")
    assert year["readings"][0]["value"] == 2019
    assert year["readings"][0]["text"] == "2019 年部门预算"
    [when] = _flags(record, "date_anomaly")
    assert when["readings"][0]["value"] == "2020-12-31"


def test_no_other_flags(record):
    assert sorted((f["type"], f.get("key")) for f in record["flags"]) == sorted([
        ("text_table_mismatch", "meeting_expenses"), ("conflicting_values", "meeting_expenses"),
        ("text_table_mismatch", "training_expenses"), ("conflicting_values", "training_expenses"),
        ("unit_error", None), ("year_mismatch", None), ("date_anomaly", None),
    ])


def test_publication_date_decides_the_date_check():
    rec = parse_disclosure(load_seed(SEEDS / SEED), Context(published_date="2021-01-15"))
    assert not _flags(rec, "date_anomaly")
