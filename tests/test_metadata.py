"""Metadata of a disclosure: department, region with its division code, fiscal year, kind, unit."""
import pytest

from parsers import metadata
from parsers.model import Context, ExtractedFile, Paragraph, Table, Where
from parsers.regions import lookup, places_in, region_for
from tests.seedtext import SEEDS, load_seed


@pytest.mark.parametrize("name, code", [
    ("株洲市", "430200"),
    ("株洲", "430200"),
    ("通道侗族自治县", "431230"),
    ("通道县", "431230"),
    ("怀化市", "431200"),
    ("湖南省", "430000"),
    ("北京市", "110000"),
])
def test_lookup_names_the_division(name, code):
    assert lookup(name) == code


def test_the_package_carries_the_right_codes():
    assert region_for("430200").as_dict() == {"province": "湖南省", "city": "株洲市", "county": None, "admin_code": "430200"}
    assert region_for("431230").as_dict() == {"province": "湖南省", "city": "怀化市", "county": "通道侗族自治县", "admin_code": "431230"}
    assert region_for("110105").as_dict() == {"province": "北京市", "city": "北京市", "county": "朝阳区", "admin_code": "110105"}
    assert region_for("999999") is None


def test_ambiguous_names_need_a_scope():
    assert lookup("朝阳区") is None  # 北京 and 长春 both have one
    assert lookup("朝阳区", "110000") == "110105"
    assert lookup("鼓楼区") is None
    assert lookup("鼓楼区", "320100") == "320106"
    assert lookup("通道市") is None  # 通道 is a county, never a city


def test_places_at_the_start_of_a_department_name():
    assert places_in("湖南省株洲市财政局") == ["湖南省", "株洲市"]
    assert places_in("通道县政务服务中心") == ["通道县"]
    assert places_in("中共株洲市委办公室") == ["株洲市"]
    assert places_in("市人民政府办公室") == []


def _file(*lines: str, tables: list[Table] | None = None) -> ExtractedFile:
    return ExtractedFile(name="a.pdf", format="pdf", paragraphs=[Paragraph(t, Where("a.pdf", 1)) for t in lines], tables=tables or [])


def test_seed_metadata():
    zz = load_seed(SEEDS / "000_9c8a412db31f4eb6.txt")
    td = load_seed(SEEDS / "004_9902a30b8655e055.txt")
    ctx = Context()
    assert metadata.department(zz, ctx) == "株洲市人民政府办公室"
    assert metadata.department(td, ctx) == "通道县政务服务中心"
    assert metadata.region("株洲市人民政府办公室", zz, ctx).admin_code == "430200"
    assert metadata.region("通道县政务服务中心", td, ctx).as_dict() == region_for("431230").as_dict()
    assert (metadata.fiscal_year(zz, ctx), metadata.fiscal_year(td, ctx)) == (2020, 2020)
    assert (metadata.kind(zz, ctx), metadata.kind(td, ctx)) == ("budget", "budget")
    assert (metadata.units_in_source(zz), metadata.units_in_source(td)) == ("万元", "元")


def test_fiscal_year_is_not_the_publication_year():
    files = [_file("关于株洲市财政局2019年度部门决算的说明", "2020年8月20日")]
    ctx = Context(published_date="2020-08-25")
    assert metadata.fiscal_year(files, ctx) == 2019
    assert metadata.kind(files, ctx) == "final_account"
    assert metadata.department(files, ctx) == "株洲市财政局"


def test_year_first_headings_and_the_article_title():
    assert metadata.department([_file("2021年株洲市林业局部门预算")], Context()) == "株洲市林业局"
    untitled = [_file("一、部门职能")]
    ctx = Context(title="株洲市林业局2021年部门预算公开")
    assert metadata.fiscal_year(untitled, ctx) == 2021
    assert metadata.department(untitled, ctx) == "株洲市林业局"


def test_region_hint_fills_what_the_name_leaves_out():
    files = [_file("市人民政府办公室2020年部门预算")]
    ctx = Context(region_hint={"province": "湖南省", "city": "株洲市"})
    dept = metadata.department(files, ctx)
    assert dept == "市人民政府办公室"
    assert metadata.region(dept, files, ctx).admin_code == "430200"
    ctx = Context(region_hint={"admin_code": "431230"})
    assert metadata.region(dept, files, ctx).county == "通道侗族自治县"


def test_region_hint_narrows_an_ambiguous_name():
    files = [_file("鼓楼区教育局2020年部门预算")]
    assert metadata.region("鼓楼区教育局", files, Context()) is None
    ctx = Context(region_hint={"province": "江苏省", "city": "南京市"})
    assert metadata.region("鼓楼区教育局", files, ctx).admin_code == "320106"


def test_units_are_the_ones_most_tables_state():
    t = lambda unit: Table(rows=[["合计", "1"]], where=Where("a.xls", sheet="s"), unit=unit)  # noqa: E731
    assert metadata.units_in_source([_file(tables=[t("元"), t("万元"), t("万元"), t(None)])]) == "万元"
    assert metadata.units_in_source([_file(tables=[t(None)])]) is None


@pytest.mark.parametrize("sentence", ["现将通道侗族自治县卫生健康局2021年部门决算予以公开。",
                                      "关于通道侗族自治县卫生健康局2021年部门决算的说明"])
def test_lead_in_words_are_not_part_of_the_department(sentence):
    f = ExtractedFile(name="a.docx", format="docx", paragraphs=[Paragraph(sentence, Where("a.docx"))])
    assert metadata.department([f], Context()) == "通道侗族自治县卫生健康局"


@pytest.mark.parametrize("lines, dept, year", [
    (["2026 年度苏州市科学技术局单位预算公开"], "苏州市科学技术局", 2026),  # 006_苏州, year first, 单位预算
    (["2026年", "广州市司法局部门预算"], "广州市司法局", 2026),  # 005_广州, the title over two lines
    (["2026 年度", "泉州市市场监管综合监测", "与技术保障中心", "单位预算"], "泉州市市场监管综合监测与技术保障中心", 2026),
    (["- 1 -", "北京市信访办公室部门 2026 年度部门预算 信息公开"], "北京市信访办公室", 2026),
    (["西安市财政局（汇总） 2026年部门预算公开说明"], "西安市财政局（汇总）", 2026),  # as printed, with its scope
    (["2026 年深圳市交通运输局（本级）部 门预算"], "深圳市交通运输局（本级）", 2026),
    (["西安市医疗保障局 2022 年部门综合预算"], "西安市医疗保障局", 2022),  # filed as …2026年部门预算
    (["2025 年度无锡市信访局部门预算公开"], "无锡市信访局", 2025),
    (["北京市人民政府国有资产监督管理委员会 2026 部门预算情况的说明"], "北京市人民政府国有资产监督管理委员会", 2026),
])
def test_title_forms_of_the_corpus(lines, dept, year):
    files = [_file(*lines)]
    assert metadata.department(files, Context()) == dept
    assert metadata.fiscal_year(files, Context()) == year


def test_the_department_from_its_own_sentence_when_the_title_names_none():
    # 002_北京/2026年北京市人民政府办公厅部门预算.pdf: the 说明 opens without the department's name
    files = [_file("- 1 -", "第一部分 2026 年度部门预算情况说明", "一、部门情况说明", "（一）本部门职责情况",
                   "北京市人民政府办公厅主要职责包括：")]
    assert metadata.department(files, Context()) == "北京市人民政府办公厅"
    assert metadata.fiscal_year(files, Context()) == 2026


def test_the_department_from_a_label_cell_of_a_tables_only_file():
    # 002_北京/…部门预算报表.pdf: 预算13表 部门整体支出绩效目标表
    table = Table(rows=[["", "（2026年度）", "（2026年度）"], ["", "部门名称", "北京市重大项目建设指挥部办公室"]],
                  where=Where("a.pdf", 14), title="预算13表 部门整体支出绩效目标表")
    files = [_file(tables=[Table(rows=[["项 目", "预算数"]], where=Where("a.pdf", 1), title="预算01表 收支总表"), table])]
    assert metadata.department(files, Context()) == "北京市重大项目建设指挥部办公室"
    assert metadata.fiscal_year(files, Context()) == 2026
    assert metadata.kind(files, Context()) == "budget"


def test_a_sentence_naming_another_year_is_not_the_fiscal_year():
    # 002_北京/医疗保障局_2026年部门预算.pdf, a 绩效目标表 cell
    files = [_file("成本指标 经济成本指标 2025年部门预算绩效服务尾款成本 ＝")]
    assert metadata.fiscal_year(files, Context()) is None


def test_a_file_name_is_no_witness():
    # budgets parse passes no title: a tables file that names nobody stays without a department
    files = [_file(tables=[Table(rows=[["项 目", "预算数"]], where=Where("a.pdf", 1), title="预算01表 收支总表")])]
    assert metadata.department(files, Context()) is None


def test_the_issuer_of_a_notice():
    files = [_file("嘉政办发〔2026〕11 号", "嘉兴市人民政府办公室关于公布 2026 年度", "市政府重大行政决策事项目录的通知")]
    assert metadata.issuer(files) == "嘉兴市人民政府办公室"
    signed = [_file("巡 察 通 告", "欢迎您通过巡察意见箱反映与巡察工作相关的问题和意见建议。",
                    "中共宁波市委巡察工作领导小组办公室", "2025 年 9 月 9 日")]
    assert metadata.issuer(signed) == "中共宁波市委巡察工作领导小组办公室"
