"""The TRS WCM imitation: 株洲市人民政府, a GBK site of static pages plus a few .jsp routes.

TRS publishes static files under dated folders (/zwgk/czyjs/bmys/202001/t20200121_1234561.html),
links them relatively (./, ../../), paginates lists as index.html, index_1.html ... written
only by the `createPageHTML(count, current, "index", "html")` script, and names uploaded
files P0<date><digits>.pdf next to the article, with the editor's path in OLDSRC.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from functools import partial
from html import escape

from . import common
from .common import ZHUZHOU, browser_target, relative
from .files import make_file
from .model import Article, Attachment, Disclosure, Portal, Query, Resource, day_time, route_key
from .seeds import Document, SeedTable, excerpt, kind_label, vary

SITE = "株洲市人民政府"
SEARCH_LINK = "/was5/web/search?channelid=200001&searchword=%B2%BF%C3%C5%D4%A4%CB%E3"  # 部门预算 in GBK
ADV_SEARCH = "/search/index.html"
XXGK = "/xxgk/xxgkml.jsp"
XXGK_PER_PAGE = 5

PAGER_JS = """function createPageHTML(_nPageCount, _nCurrIndex, _sPageName, _sPageExt){
	if(_nPageCount == null || _nPageCount<=1){ return; }
	var nCurrIndex = _nCurrIndex || 0;
	document.write("共" + _nPageCount + "页&nbsp;&nbsp;");
	if(nCurrIndex == 0){ document.write("首页&nbsp;&nbsp;上一页&nbsp;&nbsp;"); }
	else {
		document.write("<a href=\\"" + _sPageName + "." + _sPageExt + "\\">首页</a>&nbsp;&nbsp;");
		if(nCurrIndex == 1){ document.write("<a href=\\"" + _sPageName + "." + _sPageExt + "\\">上一页</a>&nbsp;&nbsp;"); }
		else { document.write("<a href=\\"" + _sPageName + "_" + (nCurrIndex-1) + "." + _sPageExt + "\\">上一页</a>&nbsp;&nbsp;"); }
	}
	if(nCurrIndex == (_nPageCount-1)){ document.write("下一页&nbsp;&nbsp;尾页"); }
	else {
		document.write("<a href=\\"" + _sPageName + "_" + (nCurrIndex+1) + "." + _sPageExt + "\\">下一页</a>&nbsp;&nbsp;");
		document.write("<a href=\\"" + _sPageName + "_" + (_nPageCount-1) + "." + _sPageExt + "\\">尾页</a>");
	}
}"""


@dataclass
class Column:
    target: str  # folder, ending in /
    name: str
    crumbs: list[tuple[str, str]]  # (target, name) from the home page down to the parent
    entries: list[Article] = field(default_factory=list)


def _meta_label(charset: str) -> str:
    return "gb2312" if charset == "gbk" else charset


class TrsBuilder:
    """Builds the TRS portal; kept as an object because the add-article hook reuses it."""

    def __init__(self, seeds: dict[str, Document], scale: int, host: str) -> None:
        self.seeds = seeds
        self.portal = Portal(name="zhuzhou-trs", cms="trs", host=host)
        self.per_page = 3 if scale == 0 else 20  # small site: still several list pages
        home = [("/", "首页"), ("/zwgk/", "政务公开")]
        czyjs = [*home, ("/zwgk/czyjs/", "财政预决算")]
        self.columns = {
            "bmys": Column("/zwgk/czyjs/bmys/", "部门预算", czyjs),
            "bmjs": Column("/zwgk/czyjs/bmjs/", "部门决算", czyjs),
            "zfys": Column("/zwgk/czyjs/zfys/", "政府预决算", czyjs),
            "zcjd": Column("/zwgk/zcjd/", "政策解读", home),
            "tzgg": Column("/zwgk/tzgg/", "通知公告", home),
            "gzdt": Column("/xwzx/gzdt/", "工作动态", [("/", "首页"), ("/xwzx/", "新闻中心")]),
        }
        self.xxgk: list[Article] = []
        self.generated = 0
        self._build()
        for _ in range(scale):
            self._generated_disclosure()
        for key in self.columns:
            self._route_column(key)
        self.portal.new_disclosure = self._add_generated

    # --- page chrome ------------------------------------------------------------------

    def page(self, here: str, title: str, crumbs: list[tuple[str, str]], content: str, charset: str = "gbk",
             extra_meta: str = "") -> str:
        def link(target: str) -> str:
            return relative(here, target)

        nav = "".join(f'<li><a href="{escape(link(t))}">{n}</a></li>' for t, n in (
            ("/", "首页"), ("/zwgk/", "政务公开"), ("/zwgk/czyjs/", "财政预决算"), ("/xwzx/gzdt/", "新闻中心"),
            ("/zwgk/zcjd/", "政策解读"), ("/zwgk/tzgg/", "通知公告"),
        ))
        nav += f'<li><a href="{escape(link(XXGK))}?pageIndex=1">信息公开目录</a></li>'
        position = " &gt; ".join(f'<a href="{escape(link(t))}">{n}</a>' for t, n in crumbs)
        return f"""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
<head>
<meta http-equiv="Content-Type" content="text/html; charset={_meta_label(charset)}" />
<title>{escape(title)}_{SITE}</title>
<meta name="SiteName" content="{SITE}" />
<meta name="SiteDomain" content="www.zhuzhou.gov.cn" />
{extra_meta}</head>
<body>
<div class="top"><div class="logo"><a href="{escape(link('/'))}">{SITE}</a></div>
<div class="search"><form action="/was5/web/search" method="get" name="searchform" target="_blank">
<input type="hidden" name="channelid" value="200001" /><input type="text" name="searchword" />
<input type="submit" value="搜索" /></form>
<a href="{escape(SEARCH_LINK)}" target="_blank">部门预算检索</a> <a href="{ADV_SEARCH}">高级搜索</a></div>
<ul class="nav">{nav}</ul></div>
<div class="main">
<div class="position">当前位置：{position}</div>
{content}
</div>
<div class="footer">
<div class="links">相关链接：<a href="http://www.gov.cn/" target="_blank">中国政府网</a>
<a href="http://www.hunan.gov.cn/" target="_blank">湖南省人民政府</a></div>
<p>主办：株洲市人民政府办公室　承办：株洲市政务服务中心　<a href="https://beian.miit.gov.cn/" target="_blank">湘ICP备05004032号</a>　网站标识码：4302000010</p>
<p>地址：株洲市天元区神农城市民中心　邮编：412007</p>
</div>
</body>
</html>
"""

    # --- articles ---------------------------------------------------------------------

    def article_html(self, art: Article, crumbs: list[tuple[str, str]]) -> str:
        m = art.metadata
        table = f"""<div class="xxgk_table"><table class="table_suoyin" cellspacing="0" cellpadding="0">
<tr><th>索引号：</th><td>{escape(m.get('index_no', ''))}</td><th>发布机构：</th><td>{escape(m.get('publisher', ''))}</td></tr>
<tr><th>发布日期：</th><td>{escape(m.get('publish_date', ''))}</td><th>文号：</th><td>{escape(m.get('doc_no', ''))}</td></tr>
<tr><th>信息来源：</th><td>{escape(m.get('source', ''))}</td><th>主题分类：</th><td>财政、金融、审计</td></tr>
</table></div>"""
        body = f"""{table}
<div class="article">
<h1 class="title">{escape(art.title)}</h1>
<div class="info">发布时间：{art.published.isoformat()} 10:30　来源：{escape(m.get('source', SITE))}　【字体：<a href="javascript:doZoom(16)">大</a> <a href="javascript:doZoom(14)">中</a> <a href="javascript:doZoom(12)">小</a>】</div>
<div class="TRS_Editor">
{art.body_html()}
</div>
{self.appendix_html(art)}
</div>"""
        meta = (f'<meta name="ArticleTitle" content="{escape(art.title)}" />\n'
                f'<meta name="PubDate" content="{art.published.isoformat()} 10:30" />\n')
        return self.page(art.target, art.title, crumbs, body, art.charset, meta)

    @staticmethod
    def appendix_html(art: Article) -> str:
        plain, scripted = [], []
        for a in art.attachments:
            if a.style == "jsvar":
                scripted.append(a)
            elif a.oldsrc:
                plain.append(f'<a href="{escape(a.href)}" OLDSRC="{escape(a.oldsrc)}">{escape(a.filename)}</a>')
            else:
                plain.append(f'<a href="{escape(a.href)}" target="_blank">{escape(a.filename)}</a>')
        out = ""
        if plain:
            out += '<div class="appendix">附件：' + "<br />".join(plain) + "</div>\n"
        for a in scripted:
            js_link = f'<a href="{a.href}">{a.filename}</a>'.replace("'", "\\'")
            out += (f"<script type=\"text/javascript\">\nvar file_appendix = '{js_link}';\n"
                    "if (file_appendix != \"\") { document.write(\"<div class='appendix'>附件：\" + file_appendix + \"</div>\"); }\n"
                    "</script>\n")
        return out

    def route_article(self, art: Article, crumbs: list[tuple[str, str]], dynamic: bool = False) -> None:
        header = art.header_charset or art.charset
        self.portal.add(art.target, Resource(
            content_type=f"text/html; charset={header.upper()}",
            render=lambda q: self.article_html(art, crumbs).encode(art.charset, "xmlcharrefreplace"),
            modified=None if dynamic else (lambda: day_time(art.published)),
            delay=art.delay,
        ))
        for a in art.attachments:
            if route_key(a.target) not in self.portal.files:
                self.portal.add_attachment(a)

    def column_article(self, key: str, art: Article) -> None:
        col = self.columns[key]
        col.entries.append(art)
        self.route_article(art, [*col.crumbs, (col.target, col.name)])

    def xxgk_article(self, art: Article) -> None:
        self.xxgk.append(art)
        self.route_article(art, [("/", "首页"), (XXGK + "?pageIndex=1", "信息公开目录")], dynamic=True)

    # --- lists ------------------------------------------------------------------------

    def _route_column(self, key: str) -> None:
        col = self.columns[key]
        pages = max(1, -(-len(col.entries) // self.per_page))
        for n in range(pages):
            name = "index.html" if n == 0 else f"index_{n}.html"
            self.portal.add(col.target + name, Resource(
                content_type="text/html; charset=GBK",
                render=partial(self.list_page, key, n, col.target + name),
                modified=lambda: self.portal.revision,
            ))

    def list_page(self, key: str, n: int, here: str, query: Query) -> bytes:
        """Page `n` of a column's list (the same whatever the query)."""
        col = self.columns[key]
        entries = sorted(col.entries, key=lambda a: a.published, reverse=True)
        pages = max(1, -(-len(entries) // self.per_page))
        items = "\n".join(
            f'<li><a href="{escape(a.list_href or relative(here, a.target))}" target="_blank" title="{escape(a.title)}">'
            f'{escape(a.title)}</a><span>{a.published.isoformat()}</span></li>'
            for a in entries[n * self.per_page:(n + 1) * self.per_page]
        )
        content = f"""<div class="list"><h2>{col.name}</h2>
<ul class="list_ul">
{items}
</ul>
<div class="page"><script type="text/javascript">
{PAGER_JS}
createPageHTML({pages}, {n}, "index", "html");
</script></div></div>"""
        return self.page(here, col.name, [*col.crumbs, (col.target, col.name)], content).encode("gbk", "xmlcharrefreplace")

    def search_page(self, here: str, results: str, query: Query) -> bytes:
        return self.page(here, "检索", [("/", "首页")], results).encode("gbk")

    def xxgk_html(self, query) -> bytes:
        try:
            page = max(1, int(query.get("pageIndex", ["1"])[0]))
        except ValueError:
            page = 1
        pages = max(1, -(-len(self.xxgk) // XXGK_PER_PAGE))
        rows = "\n".join(
            f'<tr><td>{escape(a.metadata.get("index_no", ""))}</td><td><a href="content.jsp?id={a.target.rsplit("=", 1)[1]}" '
            f'target="_blank">{escape(a.title)}</a></td><td>{escape(a.metadata.get("publisher", ""))}</td>'
            f'<td>{a.published.isoformat()}</td></tr>'
            for a in self.xxgk[(page - 1) * XXGK_PER_PAGE:page * XXGK_PER_PAGE]
        )
        pager = f"共{pages}页 第{page}页 "
        if page > 1:
            pager += f'<a href="?pageIndex={page - 1}">上一页</a> '
        if page < pages:
            pager += f'<a href="?pageIndex={page + 1}">下一页</a> <a href="?pageIndex={pages}">尾页</a>'
        content = f"""<div class="xxgkml"><h2>政府信息公开目录</h2>
<table class="xxgk_list"><tr><th>索引号</th><th>名称</th><th>发布机构</th><th>发布日期</th></tr>
{rows}
</table>
<div class="page">{pager}</div></div>"""
        html = self.page(XXGK, "政府信息公开目录", [("/", "首页")], content)
        return html.encode("gbk", "xmlcharrefreplace")

    def static(self, target: str, title: str, crumbs, content: str) -> None:
        self.portal.add(target, Resource(
            content_type="text/html; charset=GBK",
            render=lambda q: self.page(target, title, crumbs, content).encode("gbk", "xmlcharrefreplace"),
            modified=lambda: self.portal.revision,
        ))

    # --- content ----------------------------------------------------------------------

    @staticmethod
    def _meta(index_no: str, publisher: str, day: date, source: str | None = None, doc_no: str | None = None) -> dict:
        meta = {"index_no": index_no, "publisher": publisher, "publish_date": day.isoformat(), "source": source or publisher}
        if doc_no:
            meta["doc_no"] = doc_no
        return meta

    def _att(self, page: str, path: str, name: str, fmt: str, source: Callable[[], bytes], href: str | None = None,
             **kw) -> Attachment:
        target = browser_target(path)
        return Attachment(target=target, href=href or relative(page, path), filename=name, fmt=fmt, source=source, **kw)

    def _disclosure(self, key: str, doc: Document, day: date, art_id: int, attachments: Callable[[str], list[Attachment]],
                    meta: dict, body: Callable[[], str] | None = None, **kw) -> Disclosure:
        col = self.columns[key]
        target = f"{col.target}{day:%Y%m}/t{day:%Y%m%d}_{art_id}.html"
        intro = f"根据《中华人民共和国预算法》和有关规定，现将{doc.title}公开如下。"
        art = Article(target=target, title=doc.title, published=day, column=key,
                      body_html=body or (lambda: common.paragraphs_html([intro])),
                      metadata=meta, attachments=attachments(target), charset=kw.pop("charset", "gbk"), **kw)
        self.column_article(key, art)
        disclosure = Disclosure(art, doc.department, doc.kind, doc.fiscal_year, ZHUZHOU)
        self.portal.disclosures.append(disclosure)
        return disclosure

    def _build(self) -> None:
        p, seed = self.portal, self.seeds["zhuzhou"]
        p.start_targets = ["/"]
        p.external_urls = list(common.EXTERNAL)
        p.disallowed = [SEARCH_LINK, ADV_SEARCH]
        office = "株洲市人民政府办公室"

        # A1: the seed itself, PDF next to the page with OLDSRC; also in 信息公开目录 (same file URL).
        d1 = date(2020, 1, 21)
        pdf1 = lambda: make_file(seed, "pdf")  # noqa: E731
        a1 = self._disclosure("bmys", seed, d1, 1234561, lambda page: [self._att(
            page, "/zwgk/czyjs/bmys/202001/P020200121523674521364.pdf", "株洲市人民政府办公室2020年部门预算.pdf", "pdf", pdf1,
            oldsrc="/protect/P0202001/P020200121/P020200121523674521364.pdf")],
            self._meta("430200001/2020-00012", office, d1))
        dup = Article(target=browser_target("/xxgk/content.jsp?id=2001"), title=seed.title, published=d1, column="xxgk",
                      body_html=a1.article.body_html, metadata=a1.article.metadata,
                      attachments=[Attachment(target=a1.article.attachments[0].target,
                                              href=a1.article.attachments[0].target, filename=a1.article.attachments[0].filename,
                                              fmt="pdf", source=pdf1)], charset="gbk")
        self.xxgk_article(dup)
        a1.duplicates.append(dup)

        # A2: 说明 PDF under /u/cms/, tables .xls whose href is raw Chinese in this GBK page.
        d2 = date(2020, 1, 23)
        czj = vary(seed, "株洲市财政局", 2020, "budget")
        shuoming, tables_only = replace(czj, tables=()), replace(czj, paragraphs=())
        xls_path = "/u/cms/www/202001/株洲市财政局2020年部门预算表.xls"
        self._disclosure("bmys", czj, d2, 1234587, lambda page: [
            self._att(page, "/u/cms/www/202001/23151259abcd.pdf", "株洲市财政局2020年部门预算说明.pdf", "pdf",
                      lambda: make_file(shuoming, "pdf"), href="/u/cms/www/202001/23151259abcd.pdf"),
            self._att(page, xls_path, "株洲市财政局2020年部门预算表.xls", "xls", lambda: make_file(tables_only, "xls"), href=xls_path),
        ], self._meta("430200006/2020-00031", "株洲市财政局", d2, doc_no="株财预〔2020〕3号"))

        # A3: final account whose .xlsx link exists only inside a JavaScript string (percent-encoded Chinese).
        d3 = date(2020, 9, 15)
        edu = vary(seed, "株洲市教育局", 2019, "final_account")
        xlsx_path = "/u/cms/www/202009/株洲市教育局2019年部门决算表.xlsx"
        self._disclosure("bmjs", edu, d3, 1398211, lambda page: [self._att(
            page, xlsx_path, "株洲市教育局2019年部门决算表.xlsx", "xlsx", lambda: make_file(edu, "xlsx"),
            href=browser_target(xlsx_path), style="jsvar")],
            self._meta("430200011/2020-00187", "株洲市教育局", d3))

        # A4: published inline as HTML tables, no attachment.
        d4 = date(2021, 2, 5)
        fgw = excerpt(vary(seed, "株洲市发展和改革委员会", 2021, "budget"), paragraphs=60, tables=3)
        self._disclosure("bmys", fgw, d4, 1502233, lambda page: [],
                         self._meta("430200003/2021-00044", "株洲市发展和改革委员会", d4),
                         body=lambda: common.document_html(fgw))

        # A5: GB18030 page (a name outside GBK), answering after 2 s, .docx attachment.
        d5 = date(2022, 1, 18)
        tj = vary(seed, "株洲市统计局", 2022, "budget")
        a5 = self._disclosure("bmys", tj, d5, 1678905, lambda page: [self._att(
            page, "/zwgk/czyjs/bmys/202201/P020220118604512398760.docx", "株洲市统计局2022年部门预算.docx", "docx",
            lambda: make_file(tj, "docx"), oldsrc="/protect/P0202201/P020220118/P020220118604512398760.docx")],
            self._meta("430200021/2022-00009", "株洲市统计局", d5),
            body=lambda: common.paragraphs_html([f"现将{tj.title}公开如下。", "联系人：王䶮　联系电话：0731-28681234"]),
            delay=2.0, charset="gb18030")
        p.slow = a5.article.target

        # A6: final account whose PDF answers 503 + Retry-After once.
        d6 = date(2020, 9, 10)
        office19 = vary(seed, office, 2019, "final_account")
        a6 = self._disclosure("bmjs", office19, d6, 1397650, lambda page: [self._att(
            page, "/zwgk/czyjs/bmjs/202009/P020200910398127465012.pdf", "株洲市人民政府办公室2019年部门决算.pdf", "pdf",
            lambda: make_file(office19, "pdf"), fail_first=1)],
            self._meta("430200001/2020-00166", office, d6))
        p.retry_once = a6.article.attachments[0].target

        self._decoys(seed)
        self._news()
        self._hubs()

    def _decoys(self, seed: Document) -> None:
        p = self.portal
        p.decoys = {"notice": [], "interpretation": [], "index": [], "government_budget": [], "qa": []}

        def plain(key: str, kind: str, title: str, day: date, art_id: int, paras: list[str], meta: dict,
                  attachments: Callable[[str], list[Attachment]] = lambda page: []) -> Article:
            col = self.columns[key]
            target = f"{col.target}{day:%Y%m}/t{day:%Y%m%d}_{art_id}.html"
            art = Article(target=target, title=title, published=day, column=key, metadata=meta, charset="gbk",
                          body_html=lambda: common.paragraphs_html(paras), attachments=attachments(target))
            self.column_article(key, art)
            p.decoys[kind].append(target)
            return art

        plain("tzgg", "notice", "关于做好2020年部门预算公开工作的通知", date(2020, 1, 8), 1230012, [
            "各区县（市）财政局，市直各部门：",
            "根据《中华人民共和国预算法》《关于进一步推进预决算公开工作的意见》要求，现就做好2020年部门预算公开工作通知如下：",
            "一、公开范围。除涉密部门外，市直各部门均应公开本部门2020年部门预算，包括部门预算公开说明和部门收支总表、部门收入总表、部门支出总表、财政拨款收支总表等公开表格。",
            "二、公开时间。各部门应在市人民代表大会批准预算后20日内，在本部门门户网站“财政预决算”栏目公开。",
            "三、“三公”经费。各部门应当同时公开一般公共预算拨款“三公”经费预算，并对增减变化原因作出说明。",
            "株洲市财政局　2020年1月8日",
        ], self._meta("430200006/2020-00002", "株洲市财政局", date(2020, 1, 8), doc_no="株财预〔2020〕1号"))
        plain("zcjd", "interpretation", "图解：株洲市人民政府办公室2020年部门预算", date(2020, 1, 22), 1234702, [
            "一图读懂株洲市人民政府办公室2020年部门预算。",
            "收入预算5845.98万元，全部为一般公共预算拨款。",
            "支出预算5845.98万元：基本支出5407.28万元，项目支出438.7万元。",
            "“三公”经费预算356.99万元，比上年减少56.46万元。",
        ], self._meta("430200001/2020-00013", "株洲市人民政府办公室", date(2020, 1, 22)))
        plain("zcjd", "qa", "部门预算公开常见问题解答", date(2020, 2, 3), 1236610, [
            "问：什么是部门预算？答：部门预算是指与财政部门直接发生预算缴拨款关系的一级预算部门的收支预算。",
            "问：部门预算公开哪些内容？答：包括部门预算公开说明和部门收支总表等公开表格，以及“三公”经费预算。",
            "问：在哪里可以查询市直部门预算？答：可登录市人民政府门户网站“财政预决算”栏目查询。",
        ], self._meta("430200006/2020-00035", "株洲市财政局", date(2020, 2, 3)))

        report = Document(
            department="株洲市财政局", fiscal_year=2020, kind="budget",
            title="关于株洲市2019年预算执行情况与2020年预算草案的报告",
            paragraphs=(
                "——2020年1月10日在株洲市第十五届人民代表大会第五次会议上",
                "一、2019年预算执行情况",
                "全市一般公共预算收入完成306.5亿元，增长6.1%。市本级一般公共预算收入完成88.2亿元。",
                "二、2020年市本级预算草案",
                "2020年市本级一般公共预算收入预计92.6亿元，一般公共预算支出安排138.4亿元。",
            ),
            tables=(SeedTable("2020年市本级一般公共预算收支预算表", (
                ("项目", "2019年执行数", "2020年预算数", "增长%"), ("一般公共预算收入", "882000", "926000", "5.0"),
                ("税收收入", "611000", "645000", "5.6"), ("非税收入", "271000", "281000", "3.7"),
                ("一般公共预算支出", "1321000", "1384000", "4.8"),
            )),),
        )
        gov = plain("zfys", "government_budget", "株洲市2020年市本级预算", date(2020, 1, 20), 1234455, [
            "株洲市2020年市本级预算已经株洲市第十五届人民代表大会第五次会议审查批准，现予公开。",
        ], self._meta("430200006/2020-00011", "株洲市财政局", date(2020, 1, 20)), lambda page: [self._att(
            page, "/zwgk/czyjs/zfys/202001/P020200120356712340987.pdf", report.title + ".pdf", "pdf",
            lambda: make_file(report, "pdf"))])
        for a in gov.attachments:
            p.decoy_attachments.append(a.target)

        # The 目录 lists many departments, linking those published here.
        published = {d.department: d.article.target for d in p.disclosures if d.fiscal_year == 2020 and d.kind == "budget"}
        here = browser_target("/xxgk/content.jsp?id=2002")
        links = {n: relative("/xxgk/content.jsp", t) for n, t in published.items()}
        elsewhere = {  # departments that publish on their own sites: other hosts, never fetched
            "株洲市公安局": "http://gaj.zhuzhou.gov.cn/c14533/index.html",
            "株洲市民政局": "http://mzj.zhuzhou.gov.cn/c10972/index.html",
            "株洲市审计局": "http://sjj.zhuzhou.gov.cn/c11060/index.html",
        }
        p.external_urls += list(elsewhere.values())
        links.update(elsewhere)
        rows = "".join(
            f'<tr><td>{i}</td><td>{escape(n)}</td><td><a href="{escape(href)}" target="_blank">{escape(n)}2020年部门预算</a></td></tr>'
            for i, (n, href) in enumerate(links.items(), 1)
        ) + f'<tr><td>{len(links) + 1}</td><td>株洲市国家保密局</td><td>涉密部门，不予公开</td></tr>'
        index_art = Article(
            target=here, title="2020年市直部门预算公开目录", published=date(2020, 2, 10), column="xxgk",
            metadata=self._meta("430200006/2020-00041", "株洲市财政局", date(2020, 2, 10)), charset="gbk",
            body_html=lambda: '<p>2020年市直部门预算公开目录如下：</p><table border="1"><tr><th>序号</th><th>部门</th><th>公开内容</th></tr>'
            + rows + "</table>")
        self.xxgk_article(index_art)
        p.decoys["index"].append(here)

    def _news(self) -> None:
        p = self.portal
        items = [
            ("gzdt", "市财政局召开2020年部门预算编制工作会议", date(2019, 11, 5), 1201133),
            ("gzdt", "株洲市政务服务中心推进“一件事一次办”改革", date(2020, 3, 2), 1250021),
            ("gzdt", "我市召开优化营商环境工作推进会", date(2020, 6, 18), 1310076),
            ("gzdt", "株洲市2021年重点项目建设现场推进会召开", date(2021, 3, 9), 1520110),
            ("tzgg", "株洲市人民政府办公室关于2020年清明节放假的通知", date(2020, 3, 30), 1261007),
        ]
        for key, title, day, art_id in items:
            col = self.columns[key]
            target = f"{col.target}{day:%Y%m}/t{day:%Y%m%d}_{art_id}.html"
            paras = [f"{title}。", "会议强调，要坚持以人民为中心的发展思想，扎实做好各项工作。"]
            self.column_article(key, Article(
                target=target, title=title, published=day, column=key, charset="gbk",
                metadata=self._meta(f"430200001/{day.year}-{art_id % 1000:05d}", "株洲市人民政府办公室", day),
                body_html=partial(common.paragraphs_html, paras)))
            p.news.append(target)
        for n, (title, day) in enumerate([
            ("株洲市人民政府关于印发《株洲市政府信息公开指南》的通知", date(2020, 1, 3)),
            ("株洲市2020年政府信息公开工作年度报告", date(2021, 1, 28)),
            ("株洲市人民政府关于调整部分行政许可事项的决定", date(2020, 5, 12)),
            ("株洲市“十四五”规划纲要", date(2021, 4, 2)),
        ], start=2003):
            target = browser_target(f"/xxgk/content.jsp?id={n}")
            self.xxgk_article(Article(
                target=target, title=title, published=day, column="xxgk", charset="gbk",
                metadata=self._meta(f"430200001/{day.year}-{n:05d}", "株洲市人民政府办公室", day),
                body_html=partial(common.paragraphs_html, [f"{title}全文如下。"])))
            p.news.append(target)
        # A news item whose page was deleted: the list still links it.
        missing = "/xwzx/gzdt/202004/t20200415_1270099.html"
        self.columns["gzdt"].entries.append(Article(
            target=missing, title="（已撤稿）株洲市部分道路施工交通管制公告", published=date(2020, 4, 15), column="gzdt",
            body_html=lambda: ""))
        p.not_found = missing

    def _hubs(self) -> None:
        p = self.portal

        def links(here: str, keys: list[str]) -> str:
            out = []
            for key in keys:
                col = self.columns[key]
                latest = sorted(col.entries, key=lambda a: a.published, reverse=True)[:3]
                lis = "".join(f'<li><a href="{escape(relative(here, a.target))}">{escape(a.title)}</a></li>' for a in latest
                              if key in ("gzdt", "tzgg"))
                out.append(f'<div class="box"><h3><a href="{escape(relative(here, col.target))}">{col.name}</a></h3><ul>{lis}</ul></div>')
            return "\n".join(out)

        home_content = links("/index.html", ["gzdt", "tzgg", "zcjd"]) + (
            f'<div class="box"><h3>政务公开</h3><a href="./zwgk/">政务公开</a> <a href="./zwgk/czyjs/">财政预决算</a> '
            f'<a href=".{XXGK}?pageIndex=1">政府信息公开目录</a></div>')
        for target in ("/index.html",):
            self.static(target, "首页", [("/", "首页")], home_content)
        self.static("/zwgk/index.html", "政务公开", [("/", "首页"), ("/zwgk/", "政务公开")],
                    links("/zwgk/index.html", ["zcjd", "tzgg"]) + '<div class="box"><h3><a href="./czyjs/">财政预决算</a></h3></div>')
        self.static("/zwgk/czyjs/index.html", "财政预决算", [("/", "首页"), ("/zwgk/", "政务公开"), ("/zwgk/czyjs/", "财政预决算")],
                    links("/zwgk/czyjs/index.html", ["bmys", "bmjs", "zfys"]))
        self.static("/xwzx/index.html", "新闻中心", [("/", "首页"), ("/xwzx/", "新闻中心")], links("/xwzx/index.html", ["gzdt"]))
        p.add(XXGK, Resource(content_type="text/html; charset=GBK", render=self.xxgk_html, query_routed=True))
        results = "<div class=\"search_result\"><p>检索结果：共找到 3 条记录</p></div>"
        for target in ("/was5/web/search", ADV_SEARCH):
            p.add(target, Resource(content_type="text/html; charset=GBK", query_routed=True,
                                   render=partial(self.search_page, target, results)))
        p.add("/robots.txt", Resource(content_type="text/plain", modified=lambda: self.portal.revision,
                                      render=lambda q: b"User-agent: *\nDisallow: /was5/\nDisallow: /search/\n"))

    # --- generated disclosures (scale and the add-article hook) ------------------------

    def _generated_disclosure(self, newest: bool = False) -> Disclosure:
        """The next generated disclosure; `newest` dates it after everything published so far."""
        i = self.generated
        self.generated += 1
        kind, year, dept, day, fmt = common.generated_plan(
            i, "株洲市", [d.article.published for d in self.portal.disclosures], newest)
        key = "bmys" if kind == "budget" else "bmjs"
        seed = self.seeds["zhuzhou"]
        art_id = 3000000 + i

        def doc() -> Document:
            return vary(excerpt(seed), dept, year, kind)

        stamp = f"P0{day:%Y%m%d}{art_id:012d}"
        return self._disclosure(key, Document(dept, year, kind, f"{dept}{year}年{kind_label(kind)}", ()), day, art_id,
                                lambda page: [self._att(page, f"{page.rsplit('/', 1)[0]}/{stamp}.{fmt}",
                                                        f"{dept}{year}年{kind_label(kind)}.{fmt}", fmt,
                                                        lambda: make_file(doc(), fmt))],
                                self._meta(f"430200{i % 900 + 100:03d}/{day.year}-{i % 100000:05d}", dept, day))

    def _add_generated(self) -> Disclosure:
        disclosure = self._generated_disclosure(newest=True)
        self._route_column(disclosure.article.column)
        return disclosure


def build_trs(seeds: dict[str, Document], scale: int = 0, host: str = "127.0.0.1") -> Portal:
    return TrsBuilder(seeds, scale, host).portal
