"""The real Jiangsu provincial budget disclosures (2017–2019, five departments): every PDF
parses, and the figures of eleven of them are exactly those printed.

Each expected value was read off the page cited beside it (pages rendered from the PDF and
read by eye; the third party's 收支预算总表.csv in tests/data/jiangsu/ agrees for the
收支总表 lines). Amounts are printed in 万元 and recorded in yuan.
"""
from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from parsers.disclosure import parse_disclosure
from parsers.model import Context
from parsers.readers import read_file
from tests.paths import JIANGSU

PDFS = sorted(JIANGSU.glob("*/*.pdf"))
# pictures (a chart of the spending) on one page of these are read by OCR
OCR = {"江苏省人大办公厅/省人大办公厅2018预算公开.pdf", "江苏省人大办公厅/江苏省人大办公厅2017年度预算公开.pdf"}
PROVINCE = {"province": "江苏省", "city": None, "county": None, "admin_code": "320000"}


@cache
def parsed(rel: str) -> dict:
    """One parse per file for the whole module, as `budgets parse FILE` runs it (stem as title)."""
    path = JIANGSU / rel
    return parse_disclosure([read_file(path.name, path.read_bytes())], Context(title=path.stem))


def _rel(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def _yuan(wan: str) -> str:
    """万元 as printed → the record's yuan string (exact: two decimals of 万元 are whole yuan)."""
    whole, _, frac = wan.replace(",", "").partition(".")
    return f"{int(whole + (frac + '0000')[:4])}.00"


# file → (department, year, {key: 万元 as printed}, {key: (page, table title contains)})
CASES = {
    # narrative + tables. 收支预算总表 p8; “三公”经费、会议费、培训费支出预算表 p15
    "江苏省人大办公厅/省人大办公厅2018预算公开.pdf": ("江苏省人大常委会办公厅", 2018, {
        "income_total": "15897.44", "income_general_budget": "15897.44", "expenditure_total": "15897.44",
        "expenditure_basic": "7877.76", "expenditure_project": "6333.96",
        "three_public_total": "833.60", "three_public_overseas": "222.50",
        "three_public_vehicle_operation": "183.60", "three_public_reception": "427.50",
        "operating_expenses": "1579.38",  # 说明 p29: 机关运行经费 1579.38 万元
    }, {"income_total": (8, "收支预算总表"), "expenditure_basic": (8, "收支预算总表"), "three_public_total": (15, "三公")}),
    # tables only (公开表一..): 收支预算总表 p1; 三公 table p9
    "江苏省人大办公厅/江苏省人大常委会办公厅2019年部门预算公开表.pdf": ("江苏省人大常委会办公厅", 2019, {
        "income_total": "18,330.37", "income_general_budget": "18,330.37", "expenditure_total": "18,330.37",
        "expenditure_basic": "9,312.90", "expenditure_project": "6,459.58",
        "three_public_total": "767.60", "three_public_overseas": "199.25",
        "three_public_vehicle_operation": "183.60", "three_public_reception": "384.75",
    }, {"income_total": (1, "收支预算总表"), "expenditure_basic": (1, "收支预算总表"), "three_public_total": (9, "三公")}),
    # 一、收支预算总表 p10 (三、单位预留机动经费 140.20 besides 基本/项目); 十一、三公 table p16,
    # its title wrapped over two lines above the frame
    "江苏省人民检察院/2017年省检察院部门预算.pdf": ("江苏省人民检察院", 2017, {
        "income_total": "17,996.68", "income_general_budget": "17,981.68", "expenditure_total": "17,996.68",
        "expenditure_basic": "12,323.48", "expenditure_project": "5,533.00",
        "three_public_total": "584.35", "three_public_overseas": "110.00",
        "three_public_vehicle_purchase": "50.00", "three_public_vehicle_operation": "267.80",
        "three_public_reception": "156.55",
        "operating_expenses": "6032.55",  # 说明 p22
    }, {"income_total": (10, "收支预算总表"), "expenditure_basic": (10, "收支预算总表"), "three_public_total": (16, "三公")}),
    # 公开01表 收支预算总表 p14 (its title and 部门 line ruled into the grid beside an empty
    # edge column), 收入预算总表 / 支出预算总表 p15 agree; 三公 table p20 under a 部门名称 line
    "江苏省人民检察院/2019年度部门预算公开.pdf": ("江苏省人民检察院", 2019, {
        "income_total": "24169.74", "income_general_budget": "24169.74", "expenditure_total": "24169.74",
        "expenditure_basic": "15844.04", "expenditure_project": "4335.30",
        "three_public_total": "418.26", "three_public_overseas": "80",
        "three_public_vehicle_operation": "237", "three_public_reception": "101.26",
        "operating_expenses": "2391.92",  # 说明 p31
    }, {"income_total": (14, "收支预算总表"), "expenditure_basic": (14, "收支预算总表"), "three_public_total": (20, "三公")}),
    # 2018: the 收支预算总表 p13 goes on over p14; 单位预留机动经费 2,388.04 is printed over two
    # rows; 公开09表 (三公) p19, its headings wrapped over several rows (公务接 / 待费)
    "江苏省人民检察院/2018年省检察院部门预算公开.pdf": ("江苏省人民检察院", 2018, {
        "income_total": "21,955.35", "income_general_budget": "21,940.96", "expenditure_total": "21,955.35",
        "expenditure_basic": "13,994.31", "expenditure_project": "5,573.00",
        "three_public_total": "484.30", "three_public_overseas": "100.00",
        "three_public_vehicle_operation": "267.80", "three_public_reception": "116.50",
        "meeting_expenses": "200.44", "training_expenses": "700.00",
        "operating_expenses": "2,722.57",  # 说明 p29
    }, {"income_total": (14, "收支预算总表"), "expenditure_basic": (13, "收支预算总表"),
        "three_public_total": (19, "公开 09 表：一般公共预算“三公”经费、会议费、培训费支出预算表")}),
    # 收支预算总表 p7, its 当年收入小计 row on p8 (not joined: another column count); the
    # 收入预算总表 p9 (one ruled grid with the p8 rows) gives 收入总计; 说明 p24 agrees; 三公 p20
    "江苏省人大办公厅/江苏省人大办公厅2017年度预算公开.pdf": ("江苏省人大常委会办公厅", 2017, {
        "income_total": "13,649.07", "income_general_budget": "13,649.07", "expenditure_total": "13,649.07",
        "expenditure_basic": "7,666.68", "expenditure_project": "5,853.96",
        "three_public_total": "833.60", "three_public_overseas": "222.50", "three_public_vehicle_purchase": "0",
        "three_public_vehicle_operation": "183.60", "three_public_reception": "427.50",
        "operating_expenses": "5619.31",  # 说明 p28
    }, {"income_total": (9, "收入预算总表"), "expenditure_basic": (7, "收支预算总表"), "three_public_total": (20, "三公")}),
    "江苏省委办公厅/江苏省委办公厅2019年度部门预算公开表格.pdf": ("中共江苏省委办公厅", 2019, {
        "income_total": "27,664.22", "income_general_budget": "27,664.22", "expenditure_total": "27,664.22",
        "expenditure_basic": "11,700.63", "expenditure_project": "13,025.38",
        "three_public_total": "508.20", "three_public_overseas": "70.00",
        "three_public_vehicle_operation": "411.20", "three_public_reception": "27.00",
    }, {"income_total": (1, "收支预算总表"), "expenditure_basic": (1, "收支预算总表"), "three_public_total": (9, "三公")}),
    "江苏省政协办公厅/江苏省政协办公厅2019年预算公开表.pdf": ("江苏省政协办公厅", 2019, {
        "income_total": "13,377.11", "income_general_budget": "13,297.11", "expenditure_total": "13,377.11",
        "expenditure_basic": "6,522.75", "expenditure_project": "4,968.34",
        "three_public_total": "660.10", "three_public_overseas": "106.00",
        "three_public_vehicle_operation": "156.60", "three_public_reception": "397.50",
    }, {"income_total": (1, "收支预算总表"), "expenditure_basic": (1, "收支预算总表"), "three_public_total": (9, "三公")}),
    # 一、…收支预算总表 p9, its 当年收入小计 row on p10; 九、…三公 table p14 (公务用车运 / 行维护费 over two rows)
    "江苏省高级人民法院/省法院2018年度部门预算公开.pdf": ("江苏省高级人民法院", 2018, {
        "income_total": "33,172.15", "income_general_budget": "33,172.15", "expenditure_total": "33,172.15",
        "expenditure_basic": "18,570.82", "expenditure_project": "11,343.27",
        "three_public_total": "620.75", "three_public_overseas": "170.00",
        "three_public_vehicle_operation": "266.80", "three_public_reception": "183.95",
        "operating_expenses": "3407.38",  # 说明 p23
    }, {"income_total": (10, "收支预算总表"), "expenditure_basic": (9, "收支预算总表"), "three_public_total": (14, "三公")}),
    # tables only, 部门：中国共产党江苏省委员会办公厅 over each table; 收支预算总表 p1; 三公 p11
    "江苏省委办公厅/江苏省委办公厅2017年预算公开表格.pdf": ("中国共产党江苏省委员会办公厅", 2017, {
        "income_total": "20,849.45", "income_general_budget": "20,702.25", "expenditure_total": "20,849.45",
        "expenditure_basic": "9,964.07", "expenditure_project": "10,688.66",
        "three_public_total": "509.20", "three_public_overseas": "70.00",
        "three_public_vehicle_operation": "411.20", "three_public_reception": "28.00",
    }, {"income_total": (1, "收支预算总表"), "expenditure_basic": (1, "收支预算总表"), "three_public_total": (11, "三公")}),
    # tables only (江苏省财政厅印制 cover p1-2): 收支预算总表 p3; 三公 p11
    "江苏省委办公厅/江苏省委办公厅2018年度部门预算公开表.pdf": ("中共江苏省委办公厅", 2018, {
        "income_total": "24,458.43", "income_general_budget": "24,458.43", "expenditure_total": "24,458.43",
        "expenditure_basic": "10,403.11", "expenditure_project": "12,081.46",
        "three_public_total": "508.20", "three_public_overseas": "70.00",
        "three_public_vehicle_operation": "411.20", "three_public_reception": "27.00",
    }, {"income_total": (3, "收支预算总表"), "expenditure_basic": (3, "收支预算总表"), "three_public_total": (11, "三公")}),
    # tables only, no heading: year and kind from the file name, department from 部门：江苏省政协办公厅
    "江苏省政协办公厅/2017年度部门预算公开表.pdf": ("江苏省政协办公厅", 2017, {
        "income_total": "9,146.79", "income_general_budget": "9,066.79", "expenditure_total": "9,146.79",
        "expenditure_basic": "5,916.27", "expenditure_project": "3,123.68",
        "three_public_total": "676.10", "three_public_overseas": "76.00",
        "three_public_vehicle_operation": "156.60", "three_public_reception": "443.50",
    }, {"income_total": (1, "收支预算总表"), "expenditure_basic": (1, "收支预算总表"), "three_public_total": (11, "三公")}),
    # tables only; the file name misspells the year (2018度)
    "江苏省政协办公厅/江苏省政协办公厅2018度部门预算公开表.pdf": ("江苏省政协办公厅", 2018, {
        "income_total": "10,150.48", "income_general_budget": "10,070.48", "expenditure_total": "10,150.48",
        "expenditure_basic": "5,678.17", "expenditure_project": "3,314.68",
        "three_public_total": "675.10", "three_public_overseas": "106.00",
        "three_public_vehicle_operation": "156.60", "three_public_reception": "412.50",
    }, {"income_total": (1, "收支预算总表"), "expenditure_basic": (1, "收支预算总表"), "three_public_total": (9, "三公")}),
    # narrative + tables: 收支预算总表 p8; 三公 table p14 (heading row carries 部门名称)
    "江苏省高级人民法院/江苏省高级人民法院2019年度部门预算公开.pdf": ("江苏省高级人民法院", 2019, {
        "income_total": "37,188.34", "income_general_budget": "37,188.34", "expenditure_total": "37,188.34",
        "expenditure_basic": "21,968.00", "expenditure_project": "10,208.94",
        "three_public_total": "513.75", "three_public_overseas": "160.00",
        "three_public_vehicle_operation": "266.80", "three_public_reception": "86.95",
    }, {"income_total": (8, "收支预算总表"), "expenditure_basic": (8, "收支预算总表"), "three_public_total": (14, "三公")}),
    # 一、…收支预算总表 p11, its 当年收入小计 row on p12; 十一、…三公 table p17; 机关运行经费 in the 说明 p24
    "江苏省高级人民法院/省法院2017年度部门预算公开.pdf": ("江苏省高级人民法院", 2017, {
        "income_total": "28,849.38", "income_general_budget": "28,849.38", "expenditure_total": "28,849.38",
        "expenditure_basic": "17,123.19", "expenditure_project": "11,543.27",
        "three_public_total": "670.12", "three_public_overseas": "180.00", "three_public_reception": "185.72",
        "three_public_vehicle_operation": "304.40",  # heading printed 公务用车运 / 行维护费
        "operating_expenses": "9193.4",
    }, {"income_total": (12, "收支预算总表"), "expenditure_basic": (11, "收支预算总表"), "three_public_total": (17, "三公")}),
}

# The 说明 alone (no tables): its sentences give the figures; it never states the “三公”
# total (only each item with its share), so that key stays out.
# file → (department, year, {key: 万元 as printed}, {key: page of the sentence})
NARRATIVE = {
    "江苏省人大办公厅/江苏省人大常委会2019年度部门预算公开.pdf": ("江苏省人大常委会办公厅", 2019, {
        "income_total": "18330.37", "income_general_budget": "18330.37", "expenditure_total": "18330.37",
        "expenditure_basic": "9312.9", "expenditure_project": "6459.58",
        "three_public_overseas": "199.25", "three_public_reception": "384.75", "operating_expenses": "1642.08",
    }, {"income_total": 11, "expenditure_basic": 10, "three_public_reception": 15}),
    "江苏省委办公厅/江苏省委办公厅2017年部门预算.pdf": ("江苏省委办公厅", 2017, {
        "income_total": "20849.45", "income_general_budget": "20702.25", "expenditure_total": "20849.45",
        "expenditure_basic": "9964.07", "expenditure_project": "10688.66",
        "three_public_overseas": "70", "three_public_reception": "28", "operating_expenses": "10101.76",
    }, {"income_total": 7, "expenditure_basic": 6, "operating_expenses": 11}),
    "江苏省委办公厅/江苏省委办公厅2018年度部门预算公开文件.pdf": ("江苏省委办公厅", 2018, {
        "income_total": "24458.43", "expenditure_total": "24458.43",
        "expenditure_basic": "10403.11", "expenditure_project": "12081.46", "operating_expenses": "2094.58",
    }, {"income_total": 7, "expenditure_basic": 7}),
    "江苏省委办公厅/江苏省委办公厅2019年度部门预算公开文件.pdf": ("江苏省委办公厅", 2019, {
        "income_total": "27664.22", "expenditure_total": "27664.22",
        "expenditure_basic": "11700.63", "expenditure_project": "13025.38", "operating_expenses": "2232.91",
    }, {"income_total": 8, "expenditure_basic": 8}),
    "江苏省政协办公厅/江苏省政协办公厅2017年度部门预算.pdf": ("江苏省政协办公厅", 2017, {
        "income_total": "9,146.79", "income_general_budget": "9,066.79", "expenditure_total": "9,146.79",
        "expenditure_basic": "5,916.27", "expenditure_project": "3,123.68",
        "three_public_overseas": "76", "three_public_vehicle_purchase": "0",
        "three_public_vehicle_operation": "156.60", "three_public_reception": "443.50",
        "operating_expenses": "3,348.98", "meeting_expenses": "1,094.62",  # not the 会议费（款） line, 66.72
    }, {"income_total": 8, "expenditure_basic": 8, "meeting_expenses": 19}),
    "江苏省政协办公厅/江苏省政协办公厅2018年度部门预算.pdf": ("江苏省政协办公厅", 2018, {
        "income_total": "10,150.48", "income_general_budget": "10,070.48", "expenditure_total": "10,150.48",
        "expenditure_basic": "5,678.17", "expenditure_project": "3,314.68",
        "three_public_reception": "412.50", "operating_expenses": "1,115.85",
    }, {"income_total": 9, "expenditure_basic": 9}),
    "江苏省政协办公厅/江苏省政协办公厅2019年度部门预算.pdf": ("江苏省政协办公厅", 2019, {
        "income_total": "13,377.11", "income_general_budget": "13,297.11", "expenditure_total": "13,377.11",
        "expenditure_basic": "6,522.75", "expenditure_project": "4,968.34", "three_public_reception": "397.5",
    }, {"income_total": 11, "expenditure_basic": 10}),
}

# flags that are real: the document contradicts itself there
REAL_FLAGS = {
    # 说明 p19: 基本支出预算数为 12323.46 万元; the 收支预算总表 (p10), 支出预算总表 (p11)
    # and the 说明's own breakdown (p19: 基本支出 12323.48 万元) print 12,323.48
    "江苏省人民检察院/2017年省检察院部门预算.pdf": [("text_table_mismatch", "expenditure_basic")],
}


def test_the_corpus_is_there():
    assert len(PDFS) == 22
    assert {p.parent.name for p in PDFS} == {
        "江苏省人大办公厅", "江苏省人民检察院", "江苏省委办公厅", "江苏省政协办公厅", "江苏省高级人民法院"}


@pytest.mark.parametrize("rel", [_rel(p) for p in PDFS])
def test_every_pdf_parses_as_a_provincial_budget(rel):
    record = parsed(rel)
    assert record["errors"] == []
    assert record["formats"] == {Path(rel).name: "pdf"}
    assert record["kind"] == "budget"
    assert record["fiscal_year"] in (2017, 2018, 2019) and str(record["fiscal_year"]) in rel
    assert record["region"] == PROVINCE
    assert record["department"]
    assert record["figures"]["expenditure_total"]


@pytest.mark.parametrize("rel", sorted(CASES))
def test_metadata(rel):
    dept, year, _, _ = CASES[rel]
    record = parsed(rel)
    assert (record["department"], record["fiscal_year"], record["kind"]) == (dept, year, "budget")
    assert record["region"] == PROVINCE
    assert record["units_in_source"] == "万元"
    assert record["ocr"] is (rel in OCR)


@pytest.mark.parametrize("rel", sorted(CASES))
def test_figures_as_printed(rel):
    _, _, printed, _ = CASES[rel]
    figures = parsed(rel)["figures"]
    assert {k: figures.get(k) for k in printed} == {k: _yuan(v) for k, v in printed.items()}


@pytest.mark.parametrize("rel", sorted(CASES))
def test_sources_name_page_and_table(rel):
    _, _, printed, cited = CASES[rel]
    sources = parsed(rel)["figure_sources"]
    for key, (page, table) in cited.items():
        where = sources[key]["where"]
        assert (where["file"], where["page"]) == (Path(rel).name, page), key
        assert table in where.get("table", ""), key
        text, want = sources[key]["text"].replace(",", ""), printed[key].replace(",", "")
        assert text == want if "table" in where else f"{want}万元" in text, key


def test_a_split_label_still_counts_as_the_third_category():
    # 检察院 2018: 基本 13,994.31 + 项目 5,573.00 + 单位预留机动经费 2,388.04 = 21,955.35
    record = parsed("江苏省人民检察院/2018年省检察院部门预算公开.pdf")
    assert not [f for f in record["flags"] if f["type"] == "parts_do_not_sum"]


def test_the_slip_in_the_text_is_flagged_and_the_tables_value_kept():
    record = parsed("江苏省人民检察院/2017年省检察院部门预算.pdf")
    [f] = [f for f in record["flags"] if f["type"] == "text_table_mismatch"]
    assert f["key"] == "expenditure_basic" and f["severity"] == "error"
    assert [(r["value"], r["where"]["page"]) for r in f["readings"]] == [
        ("123234600.00", 19), ("123234800.00", 10), ("123234800.00", 11)]
    assert record["figures"]["expenditure_basic"] == "123234800.00"


@pytest.mark.parametrize("rel", [_rel(p) for p in PDFS])
def test_only_real_flags(rel):
    flags = [(f["type"], f.get("key")) for f in parsed(rel)["flags"]]
    assert flags == REAL_FLAGS.get(rel, [])


@pytest.mark.parametrize("rel", sorted(NARRATIVE))
def test_narrative_figures_from_the_sentences(rel):
    dept, year, printed, pages = NARRATIVE[rel]
    record = parsed(rel)
    assert (record["department"], record["fiscal_year"], record["kind"]) == (dept, year, "budget")
    assert record["units_in_source"] is None  # no table prints a unit
    figures = record["figures"]
    assert {k: figures.get(k) for k in printed} == {k: _yuan(v) for k, v in printed.items()}
    assert "three_public_total" not in figures
    for key, page in pages.items():
        where = record["figure_sources"][key]["where"]
        assert (where["page"], "paragraph" in where) == (page, True), key
        assert printed[key] in record["figure_sources"][key]["text"], key
