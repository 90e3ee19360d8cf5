"""extract_pager_urls: TRS createPageHTML, document.write pagers, ?page=N, index_N."""

from __future__ import annotations

from crawler.discovery.pagers import MAX_PAGES, extract_pager_urls

COLUMN = "http://www.hunan.gov.cn/czt/zwgk/bmys/"

# A TRS WCM list template: the pager function lives in a shared script, the
# page only calls it with the values WCM filled in at publish time.
TRS_LIST = """<html><head><script src="/js/page.js"></script>
<script>
function createPageHTML(_nPageCount, _nCurrIndex, _sPageName, _sPageExt){
  if(_nPageCount == null || _nPageCount<=1){ return; }
  var nCurrIndex = _nCurrIndex || 0;
  if(nCurrIndex == 0) document.write("首页 上一页 ");
  else document.write("<a href=\\"" + _sPageName + "." + _sPageExt + "\\">首页</a> ");
  document.write("<a href=\\"" + _sPageName + "_" + (nCurrIndex+1) + "." + _sPageExt + "\\">下一页</a>");
}
</script></head><body>
<ul class="list"><li><a href="./202001/t20200110_1.html">省财政厅2020年部门预算</a></li></ul>
<div class="page"><script>createPageHTML(4, %(current)s, "index", "shtml");</script></div>
</body></html>"""


def test_trs_create_page_html_first_page() -> None:
    urls = extract_pager_urls(TRS_LIST % {"current": 0}, COLUMN + "index.shtml")
    assert urls == [COLUMN + "index_1.shtml", COLUMN + "index_2.shtml", COLUMN + "index_3.shtml"]


def test_trs_create_page_html_later_page() -> None:
    urls = extract_pager_urls(TRS_LIST % {"current": 2}, COLUMN + "index_2.shtml")
    assert urls == [COLUMN + "index.shtml", COLUMN + "index_1.shtml", COLUMN + "index_3.shtml"]


def test_trs_directory_url_does_not_refetch_its_index() -> None:
    urls = extract_pager_urls(TRS_LIST % {"current": 0}, COLUMN)
    assert urls == [COLUMN + "index_1.shtml", COLUMN + "index_2.shtml", COLUMN + "index_3.shtml"]


def test_trs_call_with_variables_and_div_argument() -> None:
    html = """<script>
    var countPage = 3; var currentPage = 0; var pageName = 'list'; var pageExt = "htm";
    createPageHTML('page_div', countPage, currentPage, pageName, pageExt, 45);
    </script>"""
    urls = extract_pager_urls(html, "http://czj.changsha.gov.cn/zfxxgk/list.htm")
    assert urls == [
        "http://czj.changsha.gov.cn/zfxxgk/list_1.htm",
        "http://czj.changsha.gov.cn/zfxxgk/list_2.htm",
    ]


def test_single_page_and_bare_definition_give_nothing() -> None:
    html = TRS_LIST.replace(
        'createPageHTML(4, %(current)s, "index", "shtml");', 'createPageHTML(1, 0, "index", "shtml");'
    )
    assert extract_pager_urls(html, COLUMN + "index.shtml") == []


# The classic TRS WCM document.write pager, with the counts written in at publish time.
WRITTEN = """<script language="JavaScript">
var currentPage = %(current)d;//所在页从0开始
var prevPage = currentPage-1//上一页
var nextPage = currentPage+1//下一页
var countPage = %(count)s//共多少页
if(countPage>1&&currentPage!=0&&currentPage!=1)
    document.write("<a href=\\"index"+"_" + prevPage + "."+"htm\\">上一页</a>&nbsp;");
else if(countPage>1&&currentPage!=0&&currentPage==1)
    document.write("<a href=\\"index.htm\\">上一页</a>&nbsp;");
else
    document.write("上一页&nbsp;");
for(var i=0; i<countPage && i<10; i++){
    if(currentPage==i) document.write((i+1)+"&nbsp;");
    else if(i==0) document.write("<a href=\\"index.htm\\">"+(i+1)+"</a>&nbsp;");
    else document.write("<a href=\\"index"+"_" + i + "."+"htm\\">"+(i+1)+"</a>&nbsp;");
}
if(countPage>1&&currentPage!=(countPage-1))
    document.write("<a href=\\"index"+"_" + nextPage + "."+"htm\\" >下一页</a>&nbsp;");
</script>"""


def test_document_write_pager() -> None:
    html = WRITTEN % {"current": 1, "count": 4}
    urls = extract_pager_urls(html, "http://www.xiangtan.gov.cn/zwgk/czyjs/index_1.htm")
    assert urls == [
        "http://www.xiangtan.gov.cn/zwgk/czyjs/index.htm",
        "http://www.xiangtan.gov.cn/zwgk/czyjs/index_2.htm",
        "http://www.xiangtan.gov.cn/zwgk/czyjs/index_3.htm",
    ]


def test_document_write_pager_without_count_gives_next_page_only() -> None:
    html = (WRITTEN % {"current": 4, "count": "getCount()"}).replace('"index.htm', '"first.htm')
    urls = extract_pager_urls(html, "http://www.xiangtan.gov.cn/zwgk/index_4.htm")
    assert urls == ["http://www.xiangtan.gov.cn/zwgk/index_5.htm"]


def test_one_based_written_pager() -> None:
    html = """<script>var pageCount = 3;
    for (var n = 1; n <= pageCount; n++) document.write('<a href="list_' + n + '.html">' + n + '</a>');
    </script>"""
    urls = extract_pager_urls(html, "http://a.gov.cn/col/list_1.html")
    assert urls == ["http://a.gov.cn/col/list_2.html", "http://a.gov.cn/col/list_3.html"]


def test_page_counts_are_bounded() -> None:
    urls = extract_pager_urls((TRS_LIST % {"current": 0}).replace("(4,", "(999999,"), COLUMN + "index.shtml")
    assert len(urls) == MAX_PAGES - 1
    assert urls[-1] == COLUMN + f"index_{MAX_PAGES - 1}.shtml"
    html = WRITTEN % {"current": 3, "count": 10**9}
    assert len(extract_pager_urls(html, COLUMN + "index_3.htm", max_pages=50)) == 49


def test_endless_next_link_stops_at_the_bound() -> None:
    html = WRITTEN % {"current": MAX_PAGES, "count": "unknown"}
    assert extract_pager_urls(html, COLUMN + f"index_{MAX_PAGES}.htm") == []
    html = f'<a href="index_{MAX_PAGES + 1}.html">下一页</a>'
    assert extract_pager_urls(html, COLUMN + f"index_{MAX_PAGES}.html") == []


def test_query_pager_with_printed_total() -> None:
    html = """<table><tr><td><a href="/art/1.html">a</a></td></tr></table>
    <div class="pager">共5页 当前第1页 <a href="list.jsp?columnId=12&amp;pageIndex=2">下一页</a>
    <a href="list.jsp?columnId=12&amp;pageIndex=5">尾页</a>
    <a href="/other.jsp?page=9">无关链接</a></div>"""
    urls = extract_pager_urls(html, "http://czt.hunan.gov.cn/list.jsp?columnId=12")
    assert urls == [f"http://czt.hunan.gov.cn/list.jsp?columnId=12&pageIndex={n}" for n in range(2, 6)]


def test_query_pager_from_script_and_record_count() -> None:
    html = """<div>共 23 条记录 每页 10 条</div>
    <script>function goPage(n) { window.location = "/zwgk/search.do?type=ys&page=" + n; }</script>"""
    urls = extract_pager_urls(html, "http://a.gov.cn/zwgk/search.do?type=ys&page=1")
    assert urls == [
        "http://a.gov.cn/zwgk/search.do?type=ys&page=2",
        "http://a.gov.cn/zwgk/search.do?type=ys&page=3",
    ]


def test_zero_based_query_pager() -> None:
    html = '<span>1/3页</span><a href="?pageNo=0">首页</a><a href="?pageNo=1">下一页</a>'
    urls = extract_pager_urls(html, "http://a.gov.cn/list.action?pageNo=0")
    assert urls == ["http://a.gov.cn/list.action?pageNo=1", "http://a.gov.cn/list.action?pageNo=2"]


def test_query_pager_without_total_gives_nothing() -> None:
    html = '<a href="list.jsp?pageIndex=2">下一页</a>'
    assert extract_pager_urls(html, "http://a.gov.cn/list.jsp") == []


def test_numbered_sibling_links_fill_the_range() -> None:
    html = """<div class="page"><a href="index_1.shtml">2</a><a href="index_2.shtml">3</a>
    <a href="index_6.shtml">尾页</a><a href="../other/index_9.shtml">x</a><a href="news_3.shtml">y</a></div>"""
    urls = extract_pager_urls(html, "http://a.gov.cn/col/")
    assert urls == [f"http://a.gov.cn/col/index_{n}.shtml" for n in range(1, 7)]


def test_plain_page_has_no_pager() -> None:
    html = '<html><body><a href="/a.html">a</a><p>共有部门12个</p></body></html>'
    assert extract_pager_urls(html, "http://a.gov.cn/index.html") == []
    assert extract_pager_urls("", "http://a.gov.cn/") == []


def test_related_articles_are_not_pages() -> None:
    html = """<div class="xgwz">相关文章：<a href="t20200110_45.html">市财政局2020年部门预算</a>
    <a href="t20200110_46.html">下一篇</a></div>"""
    assert extract_pager_urls(html, "http://a.gov.cn/zwgk/202001/t20200110_44.html") == []
