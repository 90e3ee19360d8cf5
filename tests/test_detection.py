"""Which article titles are one department's budget or final account, and why."""
from __future__ import annotations

import pytest

from crawler.detection import EXCLUSIONS, classify
from crawler.discovery.article import parse_article
from tests.paths import JIANGSU, SEEDS

B, F = "budget", "final_account"
DB, DF = "department_budget", "department_final_account"

# (title, is_disclosure, reason, kind, fiscal_year, department)
TITLES = [
    # --- Hunan: city and county departments, budgets
    ("株洲市人民政府办公室2020年部门预算", True, DB, B, 2020, "株洲市人民政府办公室"),
    ("株洲市人民政府办公室2020年部门预算公开说明", True, DB, B, 2020, "株洲市人民政府办公室"),
    ("通道县政务服务中心2020年部门预算说明", True, DB, B, 2020, "通道县政务服务中心"),
    ("通道县政务服务中心2020年部门预算", True, DB, B, 2020, "通道县政务服务中心"),
    ("通道侗族自治县财政局2021年部门预算公开", True, DB, B, 2021, "通道侗族自治县财政局"),
    ("株洲市民政局２０２０年部门预算", True, DB, B, 2020, "株洲市民政局"),
    ("二〇二〇年株洲市教育局部门预算", True, DB, B, 2020, "株洲市教育局"),
    ("2022年度株洲市自然资源和规划局部门预算公开", True, DB, B, 2022, "株洲市自然资源和规划局"),
    ("株洲市 住房和城乡建设局 2021 年 部门预算", True, DB, B, 2021, "株洲市住房和城乡建设局"),
    ("【株洲市卫生健康委员会】2020年部门预算", True, DB, B, 2020, "株洲市卫生健康委员会"),
    ("株洲市交通运输局：2020年部门预算信息公开", True, DB, B, 2020, "株洲市交通运输局"),
    ("关于株洲市司法局2020年部门预算公开的说明", True, DB, B, 2020, "株洲市司法局"),
    ("中共株洲市委办公室（市委机要局）2021年部门预算公开", True, DB, B, 2021, "中共株洲市委办公室（市委机要局）"),
    ("中国人民政治协商会议株洲市委员会2020年部门预算", True, DB, B, 2020, "中国人民政治协商会议株洲市委员会"),
    ("株洲市人民防空办公室（市国防动员办公室）2020年部门预算", True, DB, B, 2020, "株洲市人民防空办公室（市国防动员办公室）"),
    ("株洲市财政预算评审中心2020年部门预算", True, DB, B, 2020, "株洲市财政预算评审中心"),
    ("通道县木材检查站2020年单位预算", True, DB, B, 2020, "通道县木材检查站"),
    ("株洲市教育局本级2020年单位预算", True, DB, B, 2020, "株洲市教育局本级"),
    ("株洲市第二中学2021年单位预算公开", True, DB, B, 2021, "株洲市第二中学"),
    ("通道县县溪镇人民政府2020年部门预算", True, DB, B, 2020, "通道县县溪镇人民政府"),
    ("通道县牙屯堡镇2021年部门预算公开", True, DB, B, 2021, "通道县牙屯堡镇"),
    ("株洲市审计局2020年部门预算", True, DB, B, 2020, "株洲市审计局"),
    ("株洲市民政局2020年预算", True, DB, B, 2020, "株洲市民政局"),
    ("株洲市档案馆部门预算（2020年）", True, DB, B, 2020, "株洲市档案馆"),
    ("湖南省教育厅2021年部门预算公开", True, DB, B, 2021, "湖南省教育厅"),
    ("湖南省高级人民法院2020年部门预算", True, DB, B, 2020, "湖南省高级人民法院"),
    ("怀化市生态环境局通道分局2020年部门预算", True, DB, B, 2020, "怀化市生态环境局通道分局"),
    ("株洲市总工会2020年部门预算", True, DB, B, 2020, "株洲市总工会"),
    ("株洲市残疾人联合会2019年部门预算公开表", True, DB, B, 2019, "株洲市残疾人联合会"),
    ("2020年部门预算公开", True, DB, B, 2020, None),
    ("2019年度部门预算公开", True, DB, B, 2019, None),
    ("2020年部门预算及绩效目标公开", True, DB, B, 2020, None),
    ("株洲市红十字会2020年预算信息公开", True, DB, B, 2020, "株洲市红十字会"),
    ("株洲市统计局2020年部门预算报告", True, DB, B, 2020, "株洲市统计局"),
    ("株洲市人民政府关于株洲市民政局2020年部门预算的公告", True, DB, B, 2020, "株洲市民政局"),
    ("【转载】株洲市机关事务局（市接待办）2020年部门预算", True, DB, B, 2020, "株洲市机关事务局（市接待办）"),
    ("【预算公开】株洲市国防教育基地2020年部门预算", True, DB, B, 2020, "株洲市国防教育基地"),
    ("株洲市城市管理和综合执法局部门2021年预算", True, DB, B, 2021, "株洲市城市管理和综合执法局"),
    ("株洲市教育局2020年部门预算收支一览表", True, DB, B, 2020, "株洲市教育局"),
    ("2019年度雨花区城市管理和综合执法局部门决算", True, DF, F, 2019, "雨花区城市管理和综合执法局"),
    ("共青团株洲市委2020年部门预算", True, DB, B, 2020, "共青团株洲市委"),
    ("中共株洲市纪律检查委员会 株洲市监察委员会2020年部门预算", True, DB, B, 2020,
     "中共株洲市纪律检查委员会 株洲市监察委员会"),
    ("全州县财政局2020年部门预算", True, DB, B, 2020, "全州县财政局"),
    ("株洲市国际会议中心2020年单位预算", True, DB, B, 2020, "株洲市国际会议中心"),
    # --- Jiangsu file names (tests/data/jiangsu)
    ("江苏省人大办公厅2017年度预算公开", True, DB, B, 2017, "江苏省人大办公厅"),
    ("江苏省人大常委会2019年度部门预算公开", True, DB, B, 2019, "江苏省人大常委会"),
    ("江苏省人大常委会办公厅2019年部门预算公开表", True, DB, B, 2019, "江苏省人大常委会办公厅"),
    ("省人大办公厅2018预算公开", True, DB, B, 2018, "省人大办公厅"),
    ("2017年省检察院部门预算", True, DB, B, 2017, "省检察院"),
    ("2018年省检察院部门预算公开", True, DB, B, 2018, "省检察院"),
    ("江苏省委办公厅2017年预算公开表格", True, DB, B, 2017, "江苏省委办公厅"),
    ("江苏省委办公厅2018年度部门预算公开文件", True, DB, B, 2018, "江苏省委办公厅"),
    ("江苏省委办公厅2018年省级部门预算公开报表", True, DB, B, 2018, "江苏省委办公厅"),
    ("江苏省政协办公厅2018度部门预算公开表", True, DB, B, 2018, "江苏省政协办公厅"),
    ("江苏省政协办公厅2019年度部门预算", True, DB, B, 2019, "江苏省政协办公厅"),
    ("江苏省高级人民法院2019年度部门预算公开", True, DB, B, 2019, "江苏省高级人民法院"),
    ("省法院2017年度部门预算公开", True, DB, B, 2017, "省法院"),
    # --- final accounts
    ("株洲市人民政府办公室2019年度部门决算", True, DF, F, 2019, "株洲市人民政府办公室"),
    ("株洲市审计局2019年度部门决算公开", True, DF, F, 2019, "株洲市审计局"),
    ("株洲市财政局关于2019年度部门决算的说明", True, DF, F, 2019, "株洲市财政局"),
    ("通道县政务服务中心2019年单位决算公开", True, DF, F, 2019, "通道县政务服务中心"),
    ("湖南省财政厅2020年度部门决算", True, DF, F, 2020, "湖南省财政厅"),
    ("2021年度株洲市发展和改革委员会部门决算", True, DF, F, 2021, "株洲市发展和改革委员会"),
    ("株洲市文化旅游广电体育局二〇二〇年度决算公开", True, DF, F, 2020, "株洲市文化旅游广电体育局"),
    ("江苏省政协办公厅2018年度决算信息公开", True, DF, F, 2018, "江苏省政协办公厅"),
    ("株洲市民政局2019年决算", True, DF, F, 2019, "株洲市民政局"),
    # --- both kinds: the first-named is the subject unless bracketed or after 附/含
    ("株洲市人民政府办公室2019年部门决算和2020年部门预算", True, DF, F, 2019, "株洲市人民政府办公室"),
    ("株洲市林业局2020年部门预算及2019年部门决算公开", True, DB, B, 2020, "株洲市林业局"),
    ("株洲市林业局2020年部门预算（含2019年部门决算）", True, DB, B, 2020, "株洲市林业局"),
    ("株洲市水利局2019年部门决算（附2020年部门预算）", True, DF, F, 2019, "株洲市水利局"),
    ("株洲市林业局（含2019年部门决算）2020年部门预算公开", True, DB, B, 2020, "株洲市林业局"),
    ("株洲市科学技术局2020年度部门预决算公开", True, DB, B, 2020, "株洲市科学技术局"),
    # --- notices about the disclosure work
    ("关于做好2020年部门预算公开工作的通知", False, "notice", B, 2020, None),
    ("关于编制2021年市级部门预算的通知", False, "notice", B, 2021, None),
    ("株洲市财政局关于2019年度部门决算公开情况的通报", False, "notice", F, 2019, None),
    ("关于印发《株洲市部门预决算公开操作规程》的通知", False, "notice", B, None, None),
    ("关于报送2020年部门预算有关资料的函", False, "notice", B, 2020, None),
    ("关于进一步做好预决算公开有关工作的通知", False, "notice", B, None, None),
    # --- Q&A
    ("2020年部门预算公开问答", False, "qa", B, 2020, None),
    ("市财政局负责人就2020年部门预算公开答记者问", False, "qa", B, 2020, None),
    ("预决算公开工作有问必答", False, "qa", B, None, None),
    ("部门预算公开常见问题解答", False, "qa", B, None, None),
    # --- picture summaries and interpretations
    ("图解：株洲市财政局2020年部门预算", False, "interpretation", B, 2020, None),
    ("一图读懂株洲市人民政府办公室2020年部门预算", False, "interpretation", B, 2020, None),
    ("株洲市教育局2020年部门预算解读", False, "interpretation", B, 2020, None),
    ("政策解读：2019年度部门决算公开", False, "interpretation", F, 2019, None),
    # --- index pages gathering many departments
    ("2020年市直部门预算公开目录", False, "index_page", B, 2020, None),
    ("株洲市2020年部门预算公开汇总", False, "index_page", B, 2020, None),
    ("2018年省级部门预算公开", False, "index_page", B, 2018, None),
    ("2020年县直各单位部门预算公开", False, "index_page", B, 2020, None),
    ("全市65个部门2019年度部门决算集中公开", False, "index_page", F, 2019, None),
    ("预决算公开专栏", False, "index_page", B, None, None),
    # --- government-level budgets and reports
    ("株洲市本级2020年预算执行情况", False, "government_level", B, 2020, None),
    ("关于株洲市2019年预算执行情况与2020年预算草案的报告", False, "government_level", B, 2019, None),
    ("2020年株洲市一般公共预算收支表", False, "government_level", B, 2020, None),
    ("2020年全市财政预算报告", False, "government_level", B, 2020, None),
    ("通道县2020年政府性基金预算", False, "government_level", B, 2020, None),
    ("株洲市2019年地方政府债务限额及余额情况", False, "government_level", None, None, None),
    ("2020年全县总预算", False, "government_level", B, 2020, None),
    ("株洲市2020年部门预算", False, "government_level", B, 2020, None),
    ("天元区2021年预算", False, "government_level", B, 2021, None),
    ("2019年度株洲市市级决算草案", False, "government_level", F, 2019, None),
    ("关于2019年度市级预算执行和其他财政收支的审计工作报告", False, "government_level", B, 2019, None),
    # --- audits and performance evaluations
    ("株洲市审计局关于2019年度部门预算执行审计结果的公告", False, "government_level", B, 2019, None),
    ("株洲市民政局2019年度部门预算审计结果", False, "audit", B, 2019, None),
    ("湖南省财政厅2020年部门整体支出绩效评价报告", False, "performance", None, None, None),
    ("株洲市教育局2019年度预算绩效自评报告", False, "performance", B, 2019, None),
    # --- news
    ("市财政局召开2021年部门预算编制布置会", False, "news", B, 2021, None),
    ("市财政局召开2020年部门预算编制工作会议", False, "news", B, 2020, None),
    ("株洲市2020年部门预算公开工作情况", False, "notice", B, 2020, None),
    ("市人大财经委调研2020年部门预算编制", False, "news", B, 2020, None),
    ("株洲市预决算公开培训班在天元区举行", False, "news", B, None, None),
    ("我县举办部门预算公开业务培训班", False, "news", B, None, None),
    ("工作动态：市财政局部署2020年部门决算工作", False, "news", F, 2020, None),
    ("政协委员视察我市部门预算编制", False, "news", B, None, None),
    ("市领导莅临市财政局检查指导部门预算编制", False, "news", B, None, None),
    ("市委书记主持召开市委常委会会议", False, "news", None, None, None),
    # --- column names: no year, so no single yearly disclosure
    ("部门预算", False, "no_fiscal_year", B, None, None),
    ("部门决算", False, "no_fiscal_year", F, None, None),
    ("部门预决算公开", False, "no_fiscal_year", B, None, None),
    # --- no budget words at all
    ("株洲市人民政府办公室2020年政府信息公开工作年度报告", False, "no_budget_terms", None, None, None),
    ("通道县政务服务中心领导班子成员", False, "no_budget_terms", None, None, None),
    ("株洲市2020年政府采购意向公开", False, "no_budget_terms", None, None, None),
]


@pytest.mark.parametrize("title,disclosure,reason,kind,year,department", TITLES, ids=[t[0] for t in TITLES])
def test_title(title, disclosure, reason, kind, year, department):
    d = classify(title)
    assert (d.is_disclosure, d.reason, d.kind, d.fiscal_year, d.department) == (
        disclosure, reason, kind, year, department), d.detail
    assert d.detail


def test_table_is_large_and_covers_every_reason():
    assert len(TITLES) >= 80
    reasons = {t[2] for t in TITLES}
    assert {DB, DF, "notice", "qa", "interpretation", "index_page", "government_level",
            "news", "no_budget_terms", "no_fiscal_year"} <= reasons
    assert {r.reason for r in EXCLUSIONS} <= reasons


def test_detail_quotes_the_deciding_words():
    d = classify("关于做好2020年部门预算公开工作的通知")
    assert "公开工作" in d.detail and "2020年部门预算" in d.detail
    d = classify("株洲市人民政府办公室2019年部门决算和2020年部门预算")
    assert "部门决算" in d.detail and "“部门预算”, taken as secondary" in d.detail


def test_generic_title_takes_department_from_the_body_of_the_seed():
    text = (SEEDS / "000_9c8a412db31f4eb6.txt").read_text(encoding="utf-8")
    d = classify("2020年部门预算", text=text)
    assert (d.is_disclosure, d.kind, d.fiscal_year, d.department) == (True, B, 2020, "株洲市人民政府办公室")
    assert "from the body" in d.detail


def test_yearless_title_takes_department_and_year_from_the_county_seed():
    text = (SEEDS / "004_9902a30b8655e055.txt").read_text(encoding="utf-8")
    d = classify("部门预算公开", text=text)
    assert (d.is_disclosure, d.kind, d.fiscal_year, d.department) == (True, B, 2020, "通道县政务服务中心")
    assert "year from the body" in d.detail


def test_neutral_title_is_decided_by_attachment_names():
    d = classify("株洲市农业农村局", attachment_names=["附件1：株洲市农业农村局2020年部门预算.pdf", "公开表.xls"])
    assert (d.is_disclosure, d.reason, d.fiscal_year, d.department) == (True, DB, 2020, "株洲市农业农村局")
    assert d.detail.startswith("attachment")


@pytest.mark.parametrize("path", sorted(p for p in JIANGSU.rglob("*.pdf")), ids=lambda p: p.name)
def test_jiangsu_file_names_are_budgets_of_their_folder_department(path):
    """A neutral page titled by its department, carrying the real Jiangsu file as attachment."""
    d = classify(path.parent.name, attachment_names=[path.name])
    assert d.is_disclosure and d.kind == B, d.detail
    assert d.fiscal_year in (2017, 2018, 2019)
    assert d.fiscal_year == int(next(y for y in ("2017", "2018", "2019") if y in path.name))
    assert d.department is None or d.department in path.name  # only as the file names it


def test_attachment_only_interpretation_is_not_a_disclosure():
    d = classify("相关附件", attachment_names=["2020年部门预算解读.pdf"])
    assert (d.is_disclosure, d.reason) == (False, "interpretation")


def test_news_body_under_neutral_title_is_not_a_disclosure():
    d = classify("工作信息", text="近日，市财政局召开2020年部门预算编制会议。\n会议要求各部门按时报送。")
    assert (d.is_disclosure, d.reason) == (False, "no_budget_terms")


DEPARTMENT_LINKS = ["株洲市教育局2020年部门预算", "株洲市民政局2020年部门预算",
                    "株洲市财政局2020年部门预算", "株洲市审计局2020年部门预算"]


def test_generic_title_linking_many_departments_is_an_index_page():
    d = classify("2020年部门预算公开", link_titles=DEPARTMENT_LINKS)
    assert (d.is_disclosure, d.reason) == (False, "index_page")
    assert "4 departments" in d.detail


def test_department_page_with_related_links_stays_a_disclosure():
    d = classify("株洲市教育局2020年部门预算", attachment_names=["预算公开.pdf"], link_titles=DEPARTMENT_LINKS)
    assert (d.is_disclosure, d.department) == (True, "株洲市教育局")


def test_named_page_that_is_only_links_is_an_index_page():
    d = classify("株洲市教育局2020年部门预算", link_titles=[*DEPARTMENT_LINKS[1:], "株洲市林业局2020年部门预算"])
    assert (d.is_disclosure, d.reason) == (False, "index_page")


def test_two_links_do_not_make_an_index():
    d = classify("2020年部门预算公开", link_titles=DEPARTMENT_LINKS[:2])
    assert d.is_disclosure


INDEX_ARTICLE = """<html><head><meta name="ArticleTitle" content="2020年市直部门预算公开">
<meta name="PubDate" content="2020-01-20"></head><body><div id="zoom">
<p>根据《预算法》规定，现将2020年市直部门预算予以公开，请点击查看：</p>
<p><a href="/a/1.html">株洲市教育局2020年部门预算</a></p>
<p><a href="/a/2.html">株洲市民政局2020年部门预算</a></p>
<p><a href="/a/3.html">株洲市财政局2020年部门预算</a></p>
<p><a href="/a/4.html">株洲市审计局2020年部门预算</a></p></div></body></html>"""

GENERIC_INDEX_ARTICLE = INDEX_ARTICLE.replace("2020年市直部门预算公开", "2020年部门预算公开").replace(
    "请点击查看：", "各部门预算按照统一格式公开，内容包括部门职责、收支总表、三公经费等。" * 8 + "请点击查看：")

DISCLOSURE_ARTICLE = """<html><head><title>2020年部门预算_株洲市人民政府办公室</title></head><body>
<div class="TRS_Editor"><p>株洲市人民政府办公室 2020 年部门预算公开说明</p><p>一、部门职能职责</p>
<p>附件：<a href="./P0202001.pdf">2020年部门预算公开表.pdf</a></p></div></body></html>"""


def classify_article(html: str):
    """Read a page and judge it the way the portal spider does."""
    a = parse_article(html, "http://x/a.html")
    return classify(title=a.title, text=a.text, link_titles=a.link_titles)


def test_parsed_index_article_is_an_index_page():
    assert classify_article(INDEX_ARTICLE).reason == "index_page"
    d = classify_article(GENERIC_INDEX_ARTICLE)
    assert (d.is_disclosure, d.reason) == (False, "index_page")
    assert "株洲市审计局" in d.detail


def test_parsed_disclosure_article_takes_its_department_from_the_body():
    d = classify_article(DISCLOSURE_ARTICLE)
    assert (d.is_disclosure, d.kind, d.fiscal_year, d.department) == (True, B, 2020, "株洲市人民政府办公室")


def test_column_page_listing_two_departments_is_not_a_disclosure():
    d = classify("部门决算", text="首页\n政务公开\n通道侗族自治县卫生健康局2021年部门决算\n2022-09-20",
                 link_titles=["首页", "政务公开", "通道侗族自治县卫生健康局2021年部门决算"])
    assert (d.is_disclosure, d.reason) == (False, "no_fiscal_year")
