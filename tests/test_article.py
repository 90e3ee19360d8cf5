"""Reading article pages in the shapes TRS WCM and Hanweb portals print them."""
from __future__ import annotations

import pytest

from crawler.discovery.article import ascii_digits, parse_article, parse_date

TRS_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8">
<title>株洲市人民政府办公室2020年部门预算_预决算公开_株洲市人民政府</title>
<script>var label = "索引号：不是这个";</script></head>
<body>
<div class="header"><a href="/">首页</a> <a href="/zwgk/">政务公开</a></div>
<div class="xxgk_table"><table class="xxgk">
<tr><td class="t">索&nbsp;引&nbsp;号：</td><td>4302000001/2020-00123</td>
    <td class="t">信息分类：</td><td>财政预决算</td></tr>
<tr><td class="t">发布机构：</td><td>株洲市人民政府办公室</td>
    <td class="t">发文日期：</td><td>2020年01月09日</td></tr>
<tr><td class="t">名　　称：</td><td colspan="3">株洲市人民政府办公室2020年部门预算</td></tr>
<tr><td class="t">文　　号：</td><td></td><td class="t">主 题 词：</td><td></td></tr>
</table></div>
<div class="article">
<div class="info"><span>发布时间：2020-01-10 09:30</span> <span>信息来源：市政府办</span>
<span>浏览次数：</span><span>128</span></div>
<div class="TRS_Editor"><div class="TRS_Editor">
<p>株洲市人民政府办公室2020年部门预算公开说明</p>
<p>一、部门职能职责：协助市人民政府领导同志审核或组织起草公文，资金来源：财政拨款。</p>
<table><tr><td>项目</td><td>预算数（万元）</td></tr>
<tr><td>基本支出</td><td>5845.98</td></tr><tr><td>项目支出</td><td>1205.30</td></tr></table>
<p>附件：<a href="./P020200110512345.pdf">株洲市人民政府办公室2020年部门预算.pdf</a></p>
</div></div></div>
<div class="footer">主办单位：株洲市人民政府办公室 <a href="/sitemap">网站地图</a></div>
</body></html>"""


def test_trs_page():
    a = parse_article(TRS_PAGE, "http://www.zhuzhou.gov.cn/c1/20200110/i1.html")
    assert a.title == "株洲市人民政府办公室2020年部门预算"
    assert a.page_metadata == {
        "index_no": "4302000001/2020-00123",
        "publisher": "株洲市人民政府办公室",
        "publish_date": "2020-01-09",
        "source": "市政府办",
    }
    assert a.published_date == "2020-01-10"  # 发布时间 beats 发文日期
    assert "一、部门职能职责" in a.text and "5845.98" in a.text and "1205.30" in a.text
    assert "网站地图" not in a.text and "首页" not in a.text
    assert a.body_html and 'href="./P020200110512345.pdf"' in a.body_html
    assert a.body_html.startswith('<div class="TRS_Editor">')
    assert a.link_titles == ["株洲市人民政府办公室2020年部门预算.pdf"]
    assert not a.is_list_page


HANWEB_PAGE = """<?xml version="1.0" encoding="gb2312"?>
<html><head>
<meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<meta name="SiteName" content="通道侗族自治县人民政府">
<meta name="ColumnName" content="部门预决算">
<meta name="ArticleTitle" content="通道县政务服务中心2020年部门预算">
<meta name="PubDate" content="2020-03-02 16:45">
<meta name="ContentSource" content="县政务服务中心">
<title>通道县政务服务中心2020年部门预算</title></head>
<body>
<table class="xxgk_table">
<tr><td>索引号：</td><td>431230/2020-01234</td><td>发布机构：</td><td>通道县政务服务中心</td></tr>
<tr><td>发文字号：</td><td>通政服发〔2020〕3号</td><td>成文日期：</td><td>二〇二〇年三月二日</td></tr>
</table>
<div class="main"><div class="xl-title">通道县政务服务中心2020年部门预算</div>
<!--ZJEG_RSS.content.begin--><div id="zoom">
<p>通道县政务服务中心2020年部门预算说明</p>
<p>一、部门基本概况</p><p>（一）主要职能：负责全县政务公开工作年度计划的制定。</p>
<p>附件：<a href="/module/download/downfile.jsp?classid=0&amp;filename=2003021645.xls">2020年部门预算公开表.xls</a></p>
</div><!--ZJEG_RSS.content.end-->
</div></body></html>"""


def test_hanweb_page_decoded_from_gbk():
    text = HANWEB_PAGE.encode("gbk").decode("gbk")
    a = parse_article(text, "http://www.tongdao.gov.cn/art/2020/3/2/art_1_1.html")
    assert a.title == "通道县政务服务中心2020年部门预算"
    assert a.published_date == "2020-03-02"
    assert a.page_metadata == {
        "index_no": "431230/2020-01234",
        "publisher": "通道县政务服务中心",
        "doc_no": "通政服发〔2020〕3号",
        "publish_date": "2020-03-02",  # 成文日期 in Chinese numerals, normalised
        "source": "县政务服务中心",  # from <meta name="ContentSource">
    }
    assert "（一）主要职能：负责全县政务公开工作年度计划的制定。" in a.text
    assert a.body_html and "filename=2003021645.xls" in a.body_html


UEDITOR_PAGE = """<html><head><title>关于2019年度部门决算的说明 - 株洲市财政局</title></head><body>
<div class="nav"><a href="/">首页</a></div>
<h1>株洲市财政局2019年度部门决算公开</h1>
<div class="meta">
  <p>索 引 号：430200-01-2020-0042　　发布机构：株洲市财政局　　发布日期：2020年9月15日</p>
  <div><span>文号</span><span>无</span><span>来源</span><span>株洲市财政局</span></div>
</div>
<div class="view TRS_UEDITOR trs_paper_default trs_web">
<p>一、部门基本情况</p><p>（一）职能职责。</p>
<table><tbody><tr><th>项目</th><th>决算数</th></tr><tr><td>本年收入合计</td><td>1,234.56</td></tr></tbody></table>
</div></body></html>"""


def test_ueditor_page_with_inline_and_span_labels():
    a = parse_article(UEDITOR_PAGE, "http://czj.zhuzhou.gov.cn/c/2020/a.html")
    assert a.title == "株洲市财政局2019年度部门决算公开"  # <h1> before <title>
    assert a.page_metadata == {
        "index_no": "430200-01-2020-0042",
        "publisher": "株洲市财政局",
        "publish_date": "2020-09-15",
        "doc_no": "无",
        "source": "株洲市财政局",
    }
    assert a.published_date == "2020-09-15"
    assert "本年收入合计" in a.text and "1,234.56" in a.text


PLAIN_PAGE = """<html><head><title>通道县林业局2021年部门预算_通道侗族自治县人民政府</title></head><body>
<div class="top"><a href="/">网站首页</a> <a href="/xxgk">信息公开</a></div>
<div class="con">
<div class="date">时间：２０２１/３/８　点击：<span>35</span></div>
<div class="wz">
<p>通道县林业局2021年部门预算公开。根据预算法和地方预决算公开操作规程的规定，现将本局2021年部门预算公开如下。</p>
<p>一、部门职责：负责全县林业及其生态建设的监督管理，组织开展植树造林和封山育林工作，负责森林资源保护。</p>
<p>二、机构设置：内设办公室、营林股、资源林政股，下属林业站、木材检查站和国有林场三个单位。</p>
</div></div>
<div class="foot">版权所有：通道侗族自治县人民政府 主办单位：县政府办</div>
</body></html>"""


def test_page_without_known_container_falls_back_to_title_and_text_density():
    a = parse_article(PLAIN_PAGE, "http://www.tongdao.gov.cn/a.html")
    assert a.title == "通道县林业局2021年部门预算"  # site suffix stripped from <title>
    assert a.published_date == "2021-03-08"  # full-width digits near the title
    assert a.page_metadata == {}
    assert "二、机构设置：内设办公室" in a.text
    assert "版权所有" not in a.text
    assert a.body_html.startswith('<div class="wz">')


MARKER_PAGE = """<html><head><meta name="ArticleTitle" content="株洲市民政局2020年部门预算">
<meta name="PubDate" content="2020-02-20"></head><body>
<div class="art"><!--ZJEG_RSS.content.begin--><p>株洲市民政局2020年部门预算说明。</p>
<p>来源 本单位财务股</p>
<p>附件：<a href="/module/download/downfile.jsp?filename=a.pdf">2020年部门预算公开表.pdf</a></p>
<!--ZJEG_RSS.content.end--></div>
<div class="xgwz"><a href="/art/1.html">株洲市民政局2019年部门决算公开</a></div>
</body></html>"""


def test_hanweb_comment_markers_delimit_the_body():
    a = parse_article(MARKER_PAGE, "http://mzj.zhuzhou.gov.cn/art/2020/2/20/art_1.html")
    assert a.title == "株洲市民政局2020年部门预算"
    assert a.published_date == "2020-02-20"
    assert a.text.startswith("株洲市民政局2020年部门预算说明。")
    assert "2019年部门决算" not in a.text
    assert a.link_titles == ["2020年部门预算公开表.pdf"]
    assert a.page_metadata == {}  # 来源 inside the body is body text, not metadata
    assert a.body_html.startswith("<div><p>株洲市民政局2020年部门预算说明。</p>")


def test_content_start_meta_tags_delimit_the_body():
    page = """<html><head><title>株洲市民政局2020年部门决算_株洲市民政局</title></head><body>
    <div class="left"><a href="/l/1.html">株洲市民政局2019年部门决算</a></div>
    <div class="c"><meta name="ContentStart"><p>株洲市民政局2020年度部门决算公开说明。</p>
    <p>本年收入合计1234.56万元。</p><meta name="ContentEnd"><p>【打印本页】【关闭窗口】</p></div>
    </body></html>"""
    a = parse_article(page, "http://x/a.html")
    assert a.text == "株洲市民政局2020年度部门决算公开说明。\n本年收入合计1234.56万元。"
    assert a.title == "株洲市民政局2020年部门决算"


LIST_PAGE = "<html><head><title>部门预决算_株洲市人民政府</title></head><body><ul class='list'>" + "".join(
    f"<li><a href='/c/{i}.html' title='株洲市第{i}局2020年部门预算公开'>株洲市第{i}局2020年部门预算…</a>"
    f"<span>2020-01-{i:02d}</span></li>"
    for i in range(1, 16)
) + "</ul><div class='page'><a href='index_1.html'>下一页</a></div></body></html>"


def test_list_page_is_recognised_and_its_link_titles_kept():
    a = parse_article(LIST_PAGE, "http://www.zhuzhou.gov.cn/c/index.html")
    assert a.is_list_page
    assert a.title == "部门预决算"
    assert len(a.link_titles) == 15
    assert a.link_titles[0] == "株洲市第1局2020年部门预算公开"  # the full title attribute, not the cut text


def test_article_page_with_many_related_links_is_not_a_list_page():
    related = "".join(f"<li><a href='/r/{i}.html'>相关文章标题第{i}篇很长很长</a></li>" for i in range(12))
    page = TRS_PAGE.replace('<div class="footer">', f"<ul>{related}</ul><div class=\"footer\">")
    assert not parse_article(page, "http://x/a.html").is_list_page


LABELS_IN_HEADERS = """<html><head><meta name="ArticleTitle" content="株洲市水利局2020年部门预算"></head><body>
<table class="xxgk"><tr><th>索引号</th><td>430200/2020-7</td><th>发文机关</th><td>株洲市水利局</td></tr>
<tr><th>成文日期</th><td>2020-02-03</td><th>发布日期</th><td>2020-02-05</td></tr>
<tr><th>来源</th><td>&nbsp;</td></tr></table>
<div id="zoom"><p>正文。</p></div></body></html>"""


def test_labels_without_colons_and_best_date_label_wins():
    a = parse_article(LABELS_IN_HEADERS, "http://x/a.html")
    assert a.page_metadata == {
        "index_no": "430200/2020-7",
        "publisher": "株洲市水利局",
        "publish_date": "2020-02-05",  # 发布日期 preferred to 成文日期
    }
    assert a.published_date == "2020-02-05"


@pytest.mark.parametrize("printed,expected", [
    ("2020-01-10 09:30", "2020-01-10"),
    ("2020年1月10日", "2020-01-10"),
    ("2020/01/10", "2020-01-10"),
    ("2020.1.9", "2020-01-09"),
    ("２０２０年０１月１０日", "2020-01-10"),
    ("二〇二〇年一月十日", "2020-01-10"),
    ("二〇一九年十二月三十一日", "2019-12-31"),
    ("二〇二〇年二月三十日", None),
    ("无", None),
])
def test_parse_date(printed, expected):
    assert parse_date(printed) == expected


def test_ascii_digits_keeps_positions():
    text = "二〇二〇年株洲市２０１９年度"
    out = ascii_digits(text)
    assert out == "2020年株洲市2019年度" and len(out) == len(text)


def test_values_split_from_labels_by_markup_and_widgets():
    page = """<html><body><div class="info"><b>索引号</b>：<span>430200/2020-9</span>
    <span>来源：市财政局　　【字体：大 中 小】</span></div>
    <div id="zoom"><p>正文</p></div></body></html>"""
    assert parse_article(page, "http://x/a.html").page_metadata == {
        "index_no": "430200/2020-9", "source": "市财政局"}


def test_label_words_inside_body_text_are_not_metadata():
    page = """<html><body><div class="TRS_Editor"><p>来源：本文资金来源为财政拨款。</p>
    <p>文号：不应读取</p></div></body></html>"""
    assert parse_article(page, "http://x/a.html").page_metadata == {}


def test_logo_heading_is_not_the_title():
    page = """<html><head><title>株洲市民政局2021年部门预算_株洲市民政局</title></head><body>
    <h1 class="logo"><a href="/">株洲市民政局</a></h1>
    <h1>株洲市民政局门户网站</h1>
    <div class="bt"><h1>株洲市民政局2021年部门预算</h1></div>
    <div id="zoom"><p>正文</p></div></body></html>"""
    assert parse_article(page, "http://x/a.html").title == "株洲市民政局2021年部门预算"


def test_gbk_bytes_under_a_wrong_header_charset_read_through_the_decoder():
    """The spider's path: bytes declared ISO-8859-1 by the server, GB2312 by the page."""
    from charsets import decode_html

    text, _ = decode_html(HANWEB_PAGE.encode("gbk"), "text/html; charset=ISO-8859-1")
    a = parse_article(text, "http://www.tongdao.gov.cn/art/2020/3/2/art_1_1.html")
    assert a.title == "通道县政务服务中心2020年部门预算"
    assert a.page_metadata["publisher"] == "通道县政务服务中心"
    assert "一、部门基本概况" in a.text


TRS_COLUMN_PAGE = """<html><head><title>部门预算_株洲市人民政府</title></head><body>
<div class="top"><a href="../../../">株洲市人民政府</a></div>
<div class="list"><h2>部门预算</h2><ul class="list_ul">
<li><a href="./202001/t20200121_1234561.html" title="株洲市人民政府办公室2020年部门预算">株洲市人民政府办公室2020年部门预算</a>
<span>2020-01-21</span></li></ul>
<div class="page"><script>createPageHTML(2, 1, "index", "html");</script></div></div>
<div class="footer"><p>主办：株洲市人民政府办公室　承办：株洲市政务服务中心　网站标识码：4302000010</p>
<p>地址：株洲市天元区神农城市民中心　邮编：412007</p></div></body></html>"""

HANWEB_COLUMN_PAGE = """<html><head><meta charset="utf-8"><title>部门决算 - 通道侗族自治县人民政府</title></head>
<body><div class="lm-title">部门决算</div><div class="default_pgContainer" id="5679">
<script type="text/xml"><datastore><recordset>
<record><![CDATA[<li><a href="/art/2022/9/20/art_1235_3006.html">通道侗族自治县卫生健康局2021年部门决算</a></li>]]></record>
</recordset></datastore></script></div>
<div class="footer"><p>主办单位：通道侗族自治县人民政府办公室</p></div></body></html>"""


@pytest.mark.parametrize("page", [TRS_COLUMN_PAGE, HANWEB_COLUMN_PAGE], ids=["trs", "hanweb"])
def test_column_pages_with_few_entries_are_list_pages(page):
    assert parse_article(page, "http://x/col/index.html").is_list_page


SHORT_ARTICLE = """<html><head><title>通道县林业局2021年部门预算_通道侗族自治县人民政府</title></head><body>
<div class="con"><p>附件：<a href="/u/cms/www/202103/08093011abcd.pdf">通道县林业局2021年部门预算.pdf</a></p></div>
<div class="side"><ul><li><a href="/b.html">通道县林业局2020年部门预算</a> 2020-03-01</li></ul></div>
<div class="foot"><p>版权所有：通道侗族自治县人民政府</p></div></body></html>"""


def test_article_of_one_attachment_beside_a_dated_sidebar_is_not_a_list_page():
    a = parse_article(SHORT_ARTICLE, "http://x/a.html")
    assert not a.is_list_page
    assert a.title == "通道县林业局2021年部门预算"


def test_article_without_markers_beside_a_dated_sidebar_is_not_a_list_page():
    long_body = "<p>" + "通道县林业局负责全县林业及其生态建设的监督管理。" * 10 + "</p>"
    page = PLAIN_PAGE.replace("<p>一、", long_body + "<p>一、").replace(
        '<div class="foot">', '<ul><li><a href="/b.html">通道县林业局2020年部门预算</a> 2020-03-01</li></ul><div class="foot">')
    assert not parse_article(page, "http://x/a.html").is_list_page
