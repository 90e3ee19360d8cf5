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
