"""Which documents are a department's budget or final account: the rules of parsers/doctype.py
on short texts quoted from the real national corpus of portal files, whose files were all
named …部门预算 by the scraper that fetched them."""
from __future__ import annotations

import pytest

from parsers import doctype, metadata
from parsers.model import ExtractedFile, Paragraph, Table, Where


def _file(*lines: str, tables: list[Table] | None = None) -> ExtractedFile:
    return ExtractedFile(name="a.pdf", format="pdf", paragraphs=[Paragraph(t, Where("a.pdf", 1)) for t in lines],
                         tables=tables or [])


def _verdict(*lines: str, tables: list[Table] | None = None) -> doctype.Verdict:
    return doctype.classify([_file(*lines, tables=tables)], metadata.names_department)


def test_a_table_of_contents_with_the_standard_tables_is_a_disclosure():
    # 002_北京/2026年北京市住房和城乡建设委员会部门预算.pdf, p.1
    v = _verdict("北京市住房和城乡建设委员会 2026 年度部门预算信息公开", "目 录", "第一部分 2026 年度部门预算情况说明",
                 "一、部门情况说明", "二、收入预算情况说明", "三、支出预算情况说明", "四、财政拨款“三公”经费预算情况说明",
                 "第二部分 2026 年度部门预算报表", "一、收支总表", "二、收入总表", "三、支出总表", "四、财政拨款收支总表",
                 "2026 年度收入预算 81676.15 万元，比 2025 年年初预算数 101989.82 万元减少 20313.67 万元。")
    assert v == doctype.Verdict(True, None)


def test_tables_alone_are_a_disclosure():
    # 002_北京/统计局_2026年部门预算.pdf: the tables file, no 说明 and no title page
    tables = [Table(rows=[["收 入", "收 入", "支 出", "支 出"], ["项 目", "预算数", "项 目", "预算数"],
                          ["一般公共预算拨款收入", "1,230.50", "一般公共服务支出", "1,230.50"]],
                    where=Where("a.pdf", page), title=title)
              for page, title in [(1, "预算01表 收支总表"), (2, "预算02表 收入总表"), (3, "预算03表 支出总表")]]
    assert _verdict(tables=tables).is_disclosure


def test_a_说明_with_the_standard_sections_is_a_disclosure():
    # 004_重庆/2026年重庆市水利局部门预算.pdf
    assert _verdict("重庆市水利局 2026 年部门预算情况说明", "一、单位基本情况", "（一）主要职责",
                    "二、部门预算收支总体情况", "（一）收入预算：2026 年年初预算数 186549.30 万元，其中：一般公共预算"
                    "财政拨款 128148.56 万元。", "三、“三公”经费预算情况", "四、机关运行经费").is_disclosure


@pytest.mark.parametrize("lines, says", [
    # 041_嘉兴/2026年嘉兴市政府办公厅部门预算.pdf
    (["— 1 —", "嘉政办发〔2026〕11 号", "嘉兴市人民政府办公室关于公布 2026 年度", "市政府重大行政决策事项目录的通知",
      "各县（市、区）人民政府，市政府各部门、直属各单位："], "文号"),
    # 048_惠州/2026年惠州市民政局部门预算.pdf
    (["惠州市人民政府公报 2026 年第 2 期刊登", "惠州市民政局关于贯彻实施广东省最低生活保障", "家庭经济状况核对和生活状况综合评估办法",
      "的通知"], "notice"),
    # 057_镇江/民政局_2026年部门预算.pdf
    (["1", "政府网站工作年度报表", "（2025年度）", "填报单位:镇江市民政局"], "website"),
    # 057_镇江/财政局_2026年部门预算.pdf
    (["2025 年注册会计师全国统一考试", "镇江考区报名简章"], "recruitment"),
    # 011_宁波/卫生健康委员会_2026年部门预算.pdf
    (["巡 察 通 告", "按照宁波市委统一部署，市委第三巡察组于 2025 年 9 月 12 日至 11 月中旬，对市卫"], "inspection"),
    # 083_宁德/政府办公厅_2026年部门预算.pdf
    (["部门整体绩效自评表", "（2024年度）", "专项名称 127部门整体"], "performance"),
    # 021_泉州/统计局_2026年部门预算.pdf: 一般公共预算收入 rows of a whole city, in 亿元
    (["2026年1—2月泉州市国民经济主要指标", "指标 单位", "四、地方一般公共预算收入 亿元 128.48 -9.3"], "statistics"),
    # 063_遵义/水务局_2026年部门预算.pdf
    (["工作岗位规范", "遵义市水务局", "2016 年 3 月"], "policy"),
    # 042_榆林/商务局_2026年部门预算.pdf, a scan read by OCR
    (["榆林市商务局", "2023年度政府信息公开工作年度报告", "市政府办公室："], "annual work report"),
])
def test_notices_policies_and_reports_are_not_disclosures(lines, says):
    v = _verdict(*lines)
    assert not v.is_disclosure and v.reason and says in v.reason


def test_a_government_budget_report_is_not_one_departments_even_with_budget_tables():
    v = _verdict("关于株洲市2025年预算执行情况和2026年预算草案的报告", "一、2025年预算执行情况",
                 "（一）一般公共预算收支总表", "（二）政府性基金预算收支总表", "二、“三公”经费", "收入预算", "支出预算")
    assert not v.is_disclosure and v.reason and "whole government" in v.reason


def test_a_department_title_is_never_read_as_a_government_report():
    # 预算执行 words in a department's own final account do not make it a government's report
    v = _verdict("株洲市财政局2024年度部门决算", "一、收入支出决算总体情况说明", "二、收入决算情况说明",
                 "三、支出决算情况说明", "四、财政拨款“三公”经费支出决算情况说明",
                 "本年收入合计1,204.33万元，本年支出合计1,198.20万元，年末结转和结余6.13万元。")
    assert v.is_disclosure


def test_nothing_readable_is_not_a_disclosure():
    v = doctype.classify([ExtractedFile(name="scan.pdf", format="pdf-ocr")])
    assert not v.is_disclosure and v.reason and "no readable text" in v.reason


def test_a_page_without_budget_words_says_so():
    # a portal's column page
    v = _verdict("首页", "政务公开", "通知公告", "部门预决算", "网站地图")
    assert not v.is_disclosure and v.reason and "no budget tables" in v.reason


def test_a_list_of_links_to_disclosures_is_not_one():
    # 022_佛山/统计局_国家统计局佛山调查队.html: a column page that names the tables and the years
    v = _verdict("国家统计局佛山调查队", "2026年国家统计局佛山调查队部门预算 2026-03-13",
                 "国家统计局佛山调查队2024年部门决算 2025-09-30", "国家统计局佛山调查队2023年部门决算 2024-09-30",
                 "国家统计局佛山调查队2017年“三公”经费财政拨款预算表 2017-02-10",
                 "国家统计局佛山调查队2017年部门预算 2017-02-10")
    assert not v.is_disclosure and v.reason and "states no amount" in v.reason
    # 056_贵阳/财政局_2026年部门预算.html: a home page whose headlines name sections
    v = _verdict("全省财政工作会议在贵阳召开", "2026年1-2月财政收支情况", "贵阳市财政局政府采购投诉处理结果公告",
                 "市级财政预决算及三公经费", "有关部门和单位财政预决算及三公经费", "预算绩效管理情况")
    assert not v.is_disclosure
