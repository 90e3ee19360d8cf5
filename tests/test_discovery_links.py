"""extract_links on TRS-, JEECMS- and Hanweb-shaped pages."""

from __future__ import annotations

from charsets import decode_html
from crawler.discovery.links import Link, extract_links, is_attachment_url

TRS_ARTICLE = """<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN">
<html><head>
<meta http-equiv="Content-Type" content="text/html; charset=gb2312" />
<title>株洲市人民政府办公室2020年部门预算</title>
</head><body>
<div class="crumb"><a href="../../">首页</a> &gt; <a href="../">财政预决算</a></div>
<div class="TRS_Editor">
<p>根据《预算法》规定，现将株洲市人民政府办公室2020年部门预算公开如下：</p>
<p><a href="./P020200110558617082915.pdf" OLDSRC="/protect/P0202001/P020200110/P020200110558617082915.pdf">2020年部门预算说明</a></p>
</div>
<div class="fj">
<script>
var file_appendix = '<a href="./P020200110558617098765.xls" OLDSRC="/protect/P0202001/P020200110/P020200110558617098765.xls">附件：2020年部门预算表</a>';
if (file_appendix != "") { document.write("相关附件：" + file_appendix); }
</script>
</div>
<a href="#top">返回顶部</a>
<a href="javascript:window.print()">打印</a>
<a href="mailto:zfb@zhuzhou.gov.cn">联系我们</a>
<a href="javascript:void(0)" onclick="window.open('/module/download/downfile.jsp?classid=0&amp;filename=2004100930587.pdf')">政府采购预算表</a>
</body></html>
"""
TRS_URL = "http://www.zhuzhou.gov.cn/zwgk/czyjs/bmys/202001/t20200110_11234567.html"


def by_url(links: list[Link]) -> dict[str, Link]:
    return {link.url: link for link in links}


def test_trs_article_from_gbk_bytes() -> None:
    text, encoding = decode_html(TRS_ARTICLE.encode("gbk"), "text/html")
    links = extract_links(text, TRS_URL, encoding)
    assert links == [
        Link("http://www.zhuzhou.gov.cn/zwgk/czyjs/", "首页", "a", False),
        Link("http://www.zhuzhou.gov.cn/zwgk/czyjs/bmys/", "财政预决算", "a", False),
        Link(
            "http://www.zhuzhou.gov.cn/zwgk/czyjs/bmys/202001/P020200110558617082915.pdf",
            "2020年部门预算说明",
            "a",
            True,
            ("http://www.zhuzhou.gov.cn/protect/P0202001/P020200110/P020200110558617082915.pdf",),
        ),
        Link(
            "http://www.zhuzhou.gov.cn/zwgk/czyjs/bmys/202001/P020200110558617098765.xls",
            "附件：2020年部门预算表",
            "script",
            True,
            ("http://www.zhuzhou.gov.cn/protect/P0202001/P020200110/P020200110558617098765.xls",),
        ),
        Link(
            "http://www.zhuzhou.gov.cn/module/download/downfile.jsp?classid=0&filename=2004100930587.pdf",
            "政府采购预算表",
            "script",
            True,
        ),
    ]


def test_raw_chinese_href_in_gbk_page() -> None:
    html = '<a href="/u/cms/www/202001/部门预算表.xls">部门预算表</a>'
    html += '<a href="/search.jsp?q=部门 预算&amp;page=2">搜索</a>'
    links = extract_links(html, "http://www.tongdao.gov.cn/zwgk/index.html", "gbk")
    assert links == [
        Link(
            "http://www.tongdao.gov.cn/u/cms/www/202001/" "%E9%83%A8%E9%97%A8%E9%A2%84%E7%AE%97%E8%A1%A8.xls",
            "部门预算表",
            "a",
            True,
            ("http://www.tongdao.gov.cn/u/cms/www/202001/%B2%BF%C3%C5%D4%A4%CB%E3%B1%ED.xls",),
        ),
        # The query is sent in the page encoding; the path is the same either way.
        Link("http://www.tongdao.gov.cn/search.jsp?q=%B2%BF%C3%C5%20%D4%A4%CB%E3&page=2", "搜索", "a", False),
    ]


def test_raw_chinese_href_in_utf8_page_has_no_fallback() -> None:
    links = extract_links('<a href="/u/cms/部门.pdf">x</a>', "https://a.gov.cn/", "utf-8")
    assert links == [Link("https://a.gov.cn/u/cms/%E9%83%A8%E9%97%A8.pdf", "x", "a", True)]


def test_percent_encoded_href_is_kept_as_is() -> None:
    links = extract_links('<a href="/u/cms/%B2%BF.pdf">x</a>', "http://a.gov.cn/", "gb18030")
    assert links == [Link("http://a.gov.cn/u/cms/%B2%BF.pdf", "x", "a", True)]


def test_base_href_and_relative_paths() -> None:
    html = """<html><head><base href="http://www.hunan.gov.cn/czt/yjs/"></head><body>
    <a href="../../xxgk/index.html">信息公开</a>
    <a href="./2020/t1.html">一</a><a href="2020/t1.html#p2">一（重复）</a>
    <a href=".\\2020\\t2.html">二</a>
    </body></html>"""
    links = extract_links(html, "http://www.hunan.gov.cn/other/page.html", "utf-8")
    assert [(link.url, link.text) for link in links] == [
        ("http://www.hunan.gov.cn/xxgk/index.html", "信息公开"),
        ("http://www.hunan.gov.cn/czt/yjs/2020/t1.html", "一"),
        ("http://www.hunan.gov.cn/czt/yjs/2020/t2.html", "二"),
    ]


def test_skipped_targets() -> None:
    html = """<a href="">empty</a><a href="#">top</a><a href="#list">anchor</a>
    <a href=" javascript:void(0)">js</a><a href="mailto:a@b.cn">m</a><a href="tel:0731">t</a>
    <a>no href</a><a href="ftp://x/y.pdf">ftp</a><iframe src="about:blank"></iframe>"""
    assert extract_links(html, "http://a.gov.cn/x/", "utf-8") == []
    assert extract_links("", "http://a.gov.cn/", "utf-8") == []
    assert extract_links("   ", "http://a.gov.cn/", "utf-8") == []


def test_dedupe_keeps_first_text_and_merges() -> None:
    html = """<a href="/a.pdf"><img src="pdf.gif"></a>
    <a href="/a.pdf">部门预算</a><a href="/a.pdf">下载</a>
    <a href="/b.html" title="标题全文">标题…</a>"""
    links = extract_links(html, "http://a.gov.cn/", "utf-8")
    assert [(link.url, link.text) for link in links] == [
        ("http://a.gov.cn/a.pdf", "部门预算"),
        ("http://a.gov.cn/b.html", "标题…"),
    ]


def test_frames_areas_and_viewers() -> None:
    html = """<frameset><frame src="left.html"><frame src="/main.html"></frameset>
    <map><area href="/u/cms/www/map.pdf" alt="x"></map>
    <iframe src="/pdfjs/web/viewer.html?file=/u/cms/www/202001/20200110.pdf" title="预算公开"></iframe>
    <embed src="/attach/2020/ys.pdf"><object data="/attach/2020/js.pdf"></object>"""
    links = extract_links(html, "http://a.gov.cn/col/index.html", "utf-8")
    assert [(link.url, link.source, link.is_attachment) for link in links] == [
        ("http://a.gov.cn/col/left.html", "frame", False),
        ("http://a.gov.cn/main.html", "frame", False),
        ("http://a.gov.cn/u/cms/www/map.pdf", "area", True),
        ("http://a.gov.cn/pdfjs/web/viewer.html?file=/u/cms/www/202001/20200110.pdf", "iframe", False),
        ("http://a.gov.cn/u/cms/www/202001/20200110.pdf", "iframe", True),
        ("http://a.gov.cn/attach/2020/ys.pdf", "embed", True),
        ("http://a.gov.cn/attach/2020/js.pdf", "object", True),
    ]


def test_script_navigation_and_file_literals() -> None:
    html = """<script type="text/javascript">
    function goList() { location.href = "/col/col1234/index.html"; }
    function openFile() { window.open('/u/cms/www/202001/ys2020.xlsx', '_blank'); }
    var next = "/col/col1234/index_" + page + ".html";
    var attach = "/attach/0/2020预算.docx";
    // window.open('/commented/out.pdf')
    </script>
    <a href="javascript:downFile('/attach/0/js2019.doc')">2019年决算</a>
    <button onclick="window.location='/xxgk/list.html'">更多</button>
    <script type="text/template"><a href="<%= url %>">x</a></script>"""
    links = extract_links(html, "http://a.gov.cn/", "utf-8")
    assert [(link.url, link.text, link.source) for link in links] == [
        ("http://a.gov.cn/col/col1234/index.html", "", "script"),
        ("http://a.gov.cn/u/cms/www/202001/ys2020.xlsx", "", "script"),
        ("http://a.gov.cn/attach/0/2020%E9%A2%84%E7%AE%97.docx", "", "script"),
        ("http://a.gov.cn/attach/0/js2019.doc", "2019年决算", "script"),
        ("http://a.gov.cn/xxgk/list.html", "更多", "script"),
    ]


def test_hanweb_data_island_is_left_to_hanweb_module() -> None:
    html = """<div id="1"><script type="text/xml"><datastore><recordset>
    <record><![CDATA[<li><a href="/art/2020/1/10/art_1_2.html">x</a></li>]]></record>
    </recordset></datastore></script></div>"""
    assert extract_links(html, "http://a.gov.cn/col/col1/index.html", "utf-8") == []


def test_xml_declaration_does_not_break_parsing() -> None:
    html = '<?xml version="1.0" encoding="gb2312"?><html><body><a href="/a.html">a</a></body></html>'
    assert [link.url for link in extract_links(html, "http://a.gov.cn/", "gb2312")] == [
        "http://a.gov.cn/a.html"
    ]


def test_is_attachment_url() -> None:
    assert is_attachment_url("http://a.gov.cn/P020200110.PDF")
    assert is_attachment_url("http://a.gov.cn/x/ys.et")
    assert is_attachment_url("http://a.gov.cn/x/ys.wps")
    assert is_attachment_url("http://a.gov.cn/u/cms/www/202001/10123.html")
    assert is_attachment_url("http://a.gov.cn/downfile.jsp?classid=0&filename=abc")
    assert is_attachment_url("http://a.gov.cn/common/download?id=7")
    assert is_attachment_url("http://a.gov.cn/file.do?method=get&name=%E9%A2%84%E7%AE%97.xls")
    assert not is_attachment_url("http://a.gov.cn/art/2020/1/10/art_1_2.html")
    assert not is_attachment_url("http://a.gov.cn/viewer.html?file=/a.pdf")
    assert not is_attachment_url("http://a.gov.cn/pdf/index.html")


def test_entity_like_query_parameters_survive() -> None:
    html = """<a href="list.jsp?id=1&amp;para=2&copy=3">x</a>
    <script>document.write('<a href="c.jsp?a=1&amp;not=2&reg=3">z</a>')</script>"""
    links = extract_links(html, "http://a.gov.cn/", "utf-8")
    assert [link.url for link in links] == [
        "http://a.gov.cn/list.jsp?id=1&para=2&copy=3",
        "http://a.gov.cn/c.jsp?a=1&not=2&reg=3",
    ]


def test_oldsrc_without_href_and_images() -> None:
    html = """<a OLDSRC="/protect/P0202001/P020200110.doc">说明</a>
    <img src="./W020200110.jpg" OLDSRC="/protect/P0202001/W020200110.jpg">"""
    links = extract_links(html, "http://a.gov.cn/zwgk/202001/t1.html", "gb18030")
    assert links == [Link("http://a.gov.cn/protect/P0202001/P020200110.doc", "说明", "oldsrc", True)]


def test_a_host_written_as_an_unusual_address_is_kept_as_written() -> None:
    """w3lib (as browsers) reads 2130706433 as 127.0.0.1; kept so, a link would pass for a loopback crawl's host."""
    html = ('<a href="http://2130706433:8080/secret">a</a> <a href="http://0X7F.1:8080/b?x=1">b</a>'
            '<a href="http://127.0.0.1.:8080/c">c</a> <a href="http://08.1.1.1/">no browser reads this</a>'
            '<a href="/own">own</a>')
    urls = [link.url for link in extract_links(html, "http://127.0.0.1:8080/", "utf-8")]
    assert urls == ["http://2130706433:8080/secret", "http://0x7f.1:8080/b?x=1", "http://127.0.0.1.:8080/c",
                    "http://127.0.0.1:8080/own"]
