"""The Hanweb (大汉) imitation: 通道侗族自治县人民政府, a UTF-8 site with datastore columns.

Hanweb column pages (/col/col1234/index.html) carry their article records only inside
`<script type="text/xml"><datastore>…<record><![CDATA[<li><a …>]]></record>…` blocks,
at most three pages' worth (45); the rest come from /module/web/jpage/dataproxy.jsp
(GET or POST, with the nextgroup link's parameters plus startrecord/endrecord/perpage).
Articles live at /art/2020/3/18/art_1234_3001.html; files come from
/module/download/downfile.jsp?classid=0&filename=… whose real name is only in
Content-Disposition, from /attach/0/…, or from /u/cms/www/….
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from functools import partial
from html import escape
from urllib.parse import quote

from . import common
from .common import TONGDAO, browser_target
from .files import make_file
from .model import Article, Attachment, Disclosure, Portal, Query, Resource, day_time, route_key
from .seeds import Document, SeedTable, excerpt, kind_label, vary

SITE = "通道侗族自治县人民政府"
WEBNAME = quote(SITE)
PROXY = "/module/web/jpage/dataproxy.jsp"
IN_PAGE = 45  # records a column page embeds (3 pages of 15)
PER_PAGE = 15
SEARCH_LINKS = ["/jsearchfront/search.do?websiteid=431230000000000&searchid=1&tpl=1&q=%E9%83%A8%E9%97%A8%E9%A2%84%E7%AE%97",
                "/search/index.html?keyword=%E9%A2%84%E7%AE%97"]


@dataclass
class Column:
    colid: int
    unitid: int
    name: str
    entries: list[Article] = field(default_factory=list)

    @property
    def target(self) -> str:
        return f"/col/col{self.colid}/index.html"

    def nextgroup(self) -> str:
        return (f"{PROXY}?page=1&webid=1&path=/&columnid={self.colid}&unitid={self.unitid}"
                f"&webname={WEBNAME}&permissiontype=0")


def _record(a: Article) -> str:
    return (f'<record><![CDATA[\n<li><a href="{escape(a.target)}" target="_blank" title="{escape(a.title)}">'
            f'{escape(a.title)}</a><span>{a.published.isoformat()}</span></li>\n]]></record>')


class HanwebBuilder:
    """Builds the Hanweb portal; kept as an object because the add-article hook reuses it."""

    def __init__(self, seeds: dict[str, Document], scale: int, host: str) -> None:
        self.seeds = seeds
        self.portal = Portal(name="tongdao-hanweb", cms="hanweb", host=host)
        self.columns = {
            "zwgk": Column(1229, 5601, "政务公开"),
            "bmys": Column(1234, 5678, "部门预算"),
            "bmjs": Column(1235, 5679, "部门决算"),
            "zfys": Column(1236, 5680, "政府预决算"),
            "xxgk": Column(1240, 5690, "信息公开目录"),
            "gzdt": Column(1250, 5700, "工作动态"),
            "zcjd": Column(1251, 5701, "政策解读"),
            "tzgg": Column(1252, 5702, "通知公告"),
        }
        self.next_id = 3001
        self.generated = 0
        self._build()
        for _ in range(scale):
            self._generated_disclosure()
        self.portal.new_disclosure = lambda: self._generated_disclosure(newest=True)

    # --- page chrome ------------------------------------------------------------------

    def page(self, title: str, crumbs: list[Column], content: str, charset: str = "utf-8") -> str:
        meta = ('<meta charset="utf-8">' if charset == "utf-8"
                else f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">')
        nav = "".join(f'<li><a href="{c.target}">{c.name}</a></li>' for c in (
            self.columns["zwgk"], self.columns["gzdt"], self.columns["zcjd"], self.columns["tzgg"], self.columns["xxgk"]))
        position = " &gt; ".join(['<a href="/">首页</a>'] + [f'<a href="{c.target}">{c.name}</a>' for c in crumbs])
        return f"""<!DOCTYPE html>
<html>
<head>
{meta}
<title>{escape(title)} - {SITE}</title>
<meta name="keywords" content="{SITE},通道,政务公开">
</head>
<body>
<div class="header"><div class="logo"><a href="/index.html">{SITE}</a></div>
<div class="search"><form action="/jsearchfront/search.do" method="get" target="_blank">
<input type="hidden" name="websiteid" value="431230000000000"><input type="text" name="q"><button type="submit">搜索</button></form>
<a href="{escape(SEARCH_LINKS[0])}" target="_blank">部门预算</a> <a href="{escape(SEARCH_LINKS[1])}">站内检索</a></div>
<ul class="nav"><li><a href="/">首页</a></li>{nav}</ul></div>
<div class="main">
<div class="bt-position">您当前的位置：{position}</div>
{content}
</div>
<div class="footer">
<div class="yqlj">友情链接：<a href="http://www.gov.cn/" target="_blank">中国政府网</a>
<a href="http://www.hunan.gov.cn/" target="_blank">湖南省人民政府</a></div>
<p>主办单位：通道侗族自治县人民政府办公室　网站标识码：4312300001　<a href="https://beian.miit.gov.cn/" target="_blank">湘ICP备12003456号</a></p>
<p>技术支持：大汉网络</p>
</div>
</body>
</html>
"""

    def article_html(self, art: Article) -> str:
        m = art.metadata
        col = next(c for c in self.columns.values() if c.colid == int(art.column))
        links = []
        for a in art.attachments:
            if a.style == "oldsrc":
                links.append(f'<p><a href="javascript:void(0);" oldsrc="{escape(a.href)}" '
                             f'onclick="window.open(this.getAttribute(\'oldsrc\'))">{escape(a.filename)}</a></p>')
            else:
                links.append(f'<p><a href="{escape(a.href)}" target="_blank">{escape(a.filename)}</a></p>')
        appendix = f'<div class="appendix">附件：{"".join(links)}</div>' if links else ""
        content = f"""<div class="xxgk-info"><ul>
<li><b>索引号：</b><span>{escape(m.get('index_no', ''))}</span></li>
<li><b>发布机构：</b><span>{escape(m.get('publisher', ''))}</span></li>
<li><b>发布日期：</b><span>{escape(m.get('publish_date', ''))}</span></li>
<li><b>文　　号：</b><span>{escape(m.get('doc_no', ''))}</span></li>
<li><b>信息来源：</b><span>{escape(m.get('source', ''))}</span></li>
</ul></div>
<div class="article">
<div class="title"><!--<$[标题名称]>begin-->{escape(art.title)}<!--<$[标题名称]>end--></div>
<div class="info">发布时间：{art.published.isoformat()} 15:30　信息来源：{escape(m.get('source', SITE))}　浏览次数：<span id="c">0</span></div>
<div id="zoom"><!--<$[信息内容]>begin-->
{art.body_html()}
<!--<$[信息内容]>end--></div>
{appendix}
</div>"""
        return self.page(art.title, [self.columns["zwgk"], col] if col.colid != 1250 else [col], content, art.charset)

    def route_article(self, art: Article) -> None:
        header = art.header_charset or art.charset
        self.portal.add(art.target, Resource(
            content_type=f"text/html; charset={header}",
            render=lambda q: self.article_html(art).encode(art.charset, "xmlcharrefreplace"),
            modified=lambda: day_time(art.published, 15), delay=art.delay,
        ))
        for a in art.attachments:
            if route_key(a.target) not in self.portal.files:
                self.portal.add_attachment(a)

    def new_article(self, key: str, title: str, day: date, meta: dict, body: Callable[[], str],
                    attachments: Callable[[int], list[Attachment]] = lambda n: [], **kw) -> Article:
        col = self.columns[key]
        art_id = self.next_id
        self.next_id += 1
        art = Article(target=f"/art/{day.year}/{day.month}/{day.day}/art_{col.colid}_{art_id}.html", title=title,
                      published=day, column=str(col.colid), metadata=meta, body_html=body,
                      attachments=attachments(art_id), **kw)
        col.entries.append(art)
        self.route_article(art)
        return art

    # --- columns ----------------------------------------------------------------------

    def sorted_entries(self, col: Column) -> list[Article]:
        return sorted(col.entries, key=lambda a: (a.published, a.target), reverse=True)

    def column_page(self, col: Column, query: Query) -> bytes:
        """A column's page (the same whatever the query)."""
        entries = self.sorted_entries(col)
        records = "\n".join(_record(a) for a in entries[:IN_PAGE])
        content = f"""<div class="lm-title">{col.name}</div>
<div class="default_pgContainer" id="{col.unitid}">
<script type="text/xml"><datastore>
<nextgroup><![CDATA[<a href="{col.nextgroup()}"></a>]]></nextgroup>
<recordset>
{records}
</recordset>
</datastore></script></div>
<script type="text/javascript">
$(document).ready(function(){{
  $('#{col.unitid}').jpage({{dataStore: dataStore, proxyUrl: '{PROXY}', perPage: {PER_PAGE}, totalRecord: {len(entries)},
    startrecord: {IN_PAGE + 1}, groupSize: 3, barPosition: 'bottom', ajaxParam: {{col: 1, webid: 1, path: '/', columnid: {col.colid},
    sourceContentType: 1, unitid: {col.unitid}, webname: '{SITE}', permissiontype: 0}}}});
}});
</script>"""
        return self.page(col.name, [self.columns["zwgk"], col] if col.colid != 1229 else [col], content).encode("utf-8")

    def dataproxy(self, q: Query) -> bytes:
        """The records startrecord..endrecord (1-based, inclusive) of a column, as jpage asks."""
        def num(name: str, default: int) -> int:
            try:
                return int(q.get(name, [str(default)])[0])
            except ValueError:
                return default

        colid = num("columnid", 0)
        col = next((c for c in self.columns.values() if c.colid == colid), None)
        entries = self.sorted_entries(col) if col else []
        start = max(1, num("startrecord", 1))
        end = num("endrecord", start + 3 * num("perpage", PER_PAGE) - 1)
        records = "\n".join(_record(a) for a in entries[start - 1:end])
        nextgroup = f"<![CDATA[<a href=\"{col.nextgroup()}\"></a>]]>" if col else ""
        return (f'<?xml version="1.0" encoding="UTF-8"?>\n<datastore>\n<nextgroup>{nextgroup}</nextgroup>\n'
                f"<recordset>\n{records}\n</recordset>\n<totalrecord>{len(entries)}</totalrecord>\n</datastore>\n").encode()

    # --- content ----------------------------------------------------------------------

    @staticmethod
    def _meta(index_no: str, publisher: str, day: date, doc_no: str | None = None, source: str | None = None) -> dict:
        meta = {"index_no": index_no, "publisher": publisher, "publish_date": day.isoformat(), "source": source or publisher}
        if doc_no:
            meta["doc_no"] = doc_no
        return meta

    @staticmethod
    def _downfile(stamp: str, fmt: str, name: str, source: Callable[[], bytes], disposition: str, **kw) -> Attachment:
        target = f"/module/download/downfile.jsp?classid=0&filename={stamp}.{fmt}"
        return Attachment(target=target, href=target, filename=name, fmt=fmt, source=source, disposition=disposition, **kw)

    @staticmethod
    def _file(path: str, name: str, fmt: str, source: Callable[[], bytes], **kw) -> Attachment:
        target = browser_target(path)
        return Attachment(target=target, href=kw.pop("href", target), filename=name, fmt=fmt, source=source, **kw)

    def _disclosure(self, key: str, doc: Document, day: date, meta: dict,
                    attachments: Callable[[int], list[Attachment]], body: Callable[[], str] | None = None,
                    **kw) -> Disclosure:
        intro = f"现将{doc.title}予以公开。"
        art = self.new_article(key, doc.title, day, meta, body or (lambda: common.paragraphs_html([intro])), attachments, **kw)
        d = Disclosure(art, doc.department, doc.kind, doc.fiscal_year, TONGDAO)
        self.portal.disclosures.append(d)
        return d

    def _build(self) -> None:
        p, seed, zz = self.portal, self.seeds["tongdao"], self.seeds["zhuzhou"]
        p.start_targets = ["/"]
        p.external_urls = list(common.EXTERNAL)
        p.disallowed = list(SEARCH_LINKS)

        # B1: the seed: 说明 .docx + tables .xls through downfile.jsp; republished in 信息公开目录
        # with the same bytes under /attach/0/.
        d1 = date(2020, 3, 18)
        shuoming, tables = replace(seed, tables=()), replace(seed, paragraphs=())
        docx1, xls1 = (lambda: make_file(shuoming, "docx")), (lambda: make_file(tables, "xls"))
        meta1 = self._meta("431230-0034/2020-00021", "通道县政务服务中心", d1)
        b1 = self._disclosure("bmys", seed, d1, meta1, lambda n: [
            self._downfile("2003181530001", "docx", "通道县政务服务中心2020年部门预算说明.docx", docx1, "rfc5987"),
            self._downfile("2003181530002", "xls", "通道县政务服务中心2020年部门预算公开表.xls", xls1, "gbk"),
        ])
        b1.duplicates.append(self.new_article("xxgk", seed.title, d1, meta1, b1.article.body_html, lambda n: [
            self._file("/attach/0/2003181530001.docx", "通道县政务服务中心2020年部门预算说明.docx", "docx", docx1),
            self._file("/attach/0/2003181530002.xls", "通道县政务服务中心2020年部门预算公开表.xls", "xls", xls1),
        ]))

        # B2: final account PDF whose real name is sent as raw UTF-8 bytes.
        d2 = date(2021, 9, 8)
        czj = excerpt(vary(seed, "通道侗族自治县财政局", 2020, "final_account"), paragraphs=40, tables=1)
        self._disclosure("bmjs", czj, d2, self._meta("431230-0006/2021-00102", "通道侗族自治县财政局", d2), lambda n: [
            self._downfile("2109081010003", "pdf", "通道侗族自治县财政局2020年部门决算.pdf", lambda: make_file(czj, "pdf"), "utf8")])

        # B3: .xlsx reachable only through the oldsrc attribute.
        d3 = date(2021, 2, 20)
        ly = vary(seed, "通道侗族自治县林业局", 2021, "budget")
        self._disclosure("bmys", ly, d3, self._meta("431230-0021/2021-00015", "通道侗族自治县林业局", d3), lambda n: [
            self._file("/attach/0/2102201010004.xlsx", "通道侗族自治县林业局2021年部门预算.xlsx", "xlsx",
                       lambda: make_file(ly, "xlsx"), style="oldsrc")])

        # B4: PDF under /u/cms/www/, 503 + Retry-After the first time.
        d4 = date(2019, 2, 28)
        jy = excerpt(vary(zz, "通道侗族自治县教育局", 2019, "budget"), paragraphs=60, tables=6)
        b4 = self._disclosure("bmys", jy, d4, self._meta("431230-0011/2019-00008", "通道侗族自治县教育局", d4), lambda n: [
            self._file("/u/cms/www/201902/28101259abcd.pdf", "通道侗族自治县教育局2019年部门预算.pdf", "pdf",
                       lambda: make_file(jy, "pdf"), fail_first=1)])
        p.retry_once = b4.article.attachments[0].target

        # B5: GBK body with meta gbk, served with an HTTP header that says utf-8.
        d5 = date(2022, 9, 20)
        wj = vary(seed, "通道侗族自治县卫生健康局", 2021, "final_account")
        self._disclosure("bmjs", wj, d5, self._meta("431230-0030/2022-00131", "通道侗族自治县卫生健康局", d5,
                                                     doc_no="通卫发〔2022〕12号"), lambda n: [
            self._file("/attach/0/2209201530005.xls", "通道侗族自治县卫生健康局2021年部门决算公开表.xls", "xls",
                       lambda: make_file(wj, "xls"))], charset="gbk", header_charset="utf-8")

        # B6: GBK body with meta gbk, served as iso-8859-1; .docx via downfile.jsp (RFC 5987 name).
        d6 = date(2022, 1, 25)
        ny = vary(seed, "通道侗族自治县农业农村局", 2022, "budget")
        self._disclosure("bmys", ny, d6, self._meta("431230-0017/2022-00012", "通道侗族自治县农业农村局", d6), lambda n: [
            self._downfile("2201251130006", "docx", "通道侗族自治县农业农村局2022年部门预算.docx",
                           lambda: make_file(ny, "docx"), "rfc5987")], charset="gbk", header_charset="iso-8859-1")

        self._decoys()
        self._news()
        self._fixed_pages()

    def _decoys(self) -> None:
        p = self.portal
        p.decoys = {"qa": [], "notice": [], "government_budget": [], "interpretation": []}
        fin = "通道侗族自治县财政局"

        def plain(key: str, kind: str, title: str, day: date, paras: list[str], meta: dict,
                  attachments: Callable[[int], list[Attachment]] = lambda n: []) -> Article:
            art = self.new_article(key, title, day, meta, lambda: common.paragraphs_html(paras), attachments)
            p.decoys[kind].append(art.target)
            return art

        plain("zcjd", "qa", "通道县部门预算公开工作问答", date(2021, 3, 2), [
            "问：县直部门预算公开的时间有什么要求？答：应在县人民代表大会批准预算后20日内公开。",
            "问：部门预算公开哪些表格？答：收支总表、收入总表、支出总表、财政拨款收支总表、“三公”经费表等。",
            "问：没有“三公”经费的部门如何公开？答：应当公开空表并作出说明。",
        ], self._meta("431230-0006/2021-00020", fin, date(2021, 3, 2)))
        plain("tzgg", "notice", "关于做好2021年部门预算公开工作的通知", date(2021, 1, 29), [
            "县直各单位：",
            "为进一步推进预算公开，现就做好2021年部门预算公开工作通知如下：各单位应于2月底前在县政府门户网站公开本部门2021年部门预算，公开内容包括部门预算说明及公开表格。",
            "通道侗族自治县财政局　2021年1月29日",
        ], self._meta("431230-0006/2021-00009", fin, date(2021, 1, 29), doc_no="通财预〔2021〕2号"))
        plain("zcjd", "interpretation", "图解通道县2021年财政预算", date(2021, 2, 1), [
            "一图读懂：全县2021年一般公共预算收入预计5.2亿元，一般公共预算支出安排25.6亿元。",
            "重点保障教育、卫生健康、社会保障和乡村振兴支出。",
        ], self._meta("431230-0006/2021-00011", fin, date(2021, 2, 1)))
        report = Document(
            department=fin, fiscal_year=2021, kind="budget",
            title="关于通道侗族自治县2020年财政预算执行情况和2021年预算草案的报告",
            paragraphs=("——2021年1月20日在通道侗族自治县第十七届人民代表大会第六次会议上",
                        "一、2020年财政预算执行情况", "全县一般公共预算收入完成4.96亿元，完成预算的101.2%。",
                        "二、2021年预算草案", "全县一般公共预算收入预计5.2亿元，增长4.8%。"),
            tables=(SeedTable("2021年全县一般公共预算收支预算表", (
                ("项目", "2020年执行数", "2021年预算数"), ("一般公共预算收入", "49600", "52000"),
                ("一般公共预算支出", "248000", "256000"))),),
        )
        gov = plain("zfys", "government_budget", "全县2020年财政预算执行情况和2021年预算草案的报告", date(2021, 1, 26), [
            "《关于通道侗族自治县2020年财政预算执行情况和2021年预算草案的报告》已经县第十七届人民代表大会第六次会议审查批准，现予公开。",
        ], self._meta("431230-0006/2021-00005", fin, date(2021, 1, 26)), lambda n: [
            self._file("/attach/0/2101261630007.docx", report.title + ".docx", "docx", lambda: make_file(report, "docx"))])
        p.decoy_attachments += [a.target for a in gov.attachments]

    def _news(self) -> None:
        p = self.portal
        office = "通道侗族自治县人民政府办公室"
        for n, (title, day) in enumerate([
            ("通道县召开2021年经济工作会议", date(2021, 1, 8)),
            ("通道县政务服务中心开展“一件事一次办”业务培训", date(2020, 6, 12)),
            ("县委中心组学习会召开", date(2020, 9, 3)),
            ("通道县推进侗锦文化产业发展", date(2022, 4, 21)),
        ]):
            paras = [f"{title}。", "会议要求，各乡镇、各部门要切实把思想和行动统一到县委、县政府决策部署上来。"]
            art = self.new_article("gzdt", title, day, self._meta(f"431230-0001/{day.year}-{n + 40:05d}", office, day),
                                   partial(common.paragraphs_html, paras), delay=2.0 if n == 2 else 0.0)
            p.news.append(art.target)
            if n == 2:
                p.slow = art.target
        # A record whose article page was deleted.
        missing = Article(target="/art/2020/5/6/art_1250_2999.html", title="通道县部分路段停电检修公告",
                          published=date(2020, 5, 6), column="1250", body_html=lambda: "")
        self.columns["gzdt"].entries.append(missing)
        p.not_found = missing.target

    def _fixed_pages(self) -> None:
        p = self.portal
        for col in self.columns.values():
            if col.colid == 1229:
                continue
            p.add(col.target, Resource(content_type="text/html; charset=utf-8",
                                       render=partial(self.column_page, col),
                                       modified=lambda: self.portal.revision))
        hub = "".join(f'<li><a href="{c.target}">{c.name}</a></li>' for k, c in self.columns.items() if k != "zwgk")
        zwgk = self.columns["zwgk"]
        p.add(zwgk.target, Resource(content_type="text/html; charset=utf-8", modified=lambda: self.portal.revision,
                                    render=lambda q: self.page(zwgk.name, [zwgk], f'<ul class="lm">{hub}</ul>').encode("utf-8")))
        home = (f'<div class="box"><h3>栏目导航</h3><ul>{hub}</ul></div>'
                f'<div class="box"><h3><a href="{zwgk.target}">政务公开</a></h3></div>')
        p.add("/index.html", Resource(content_type="text/html; charset=utf-8", modified=lambda: self.portal.revision,
                                      render=lambda q: self.page("首页", [], home).encode("utf-8")))
        p.add(PROXY, Resource(content_type="text/xml;charset=UTF-8", render=self.dataproxy, query_routed=True))
        results = "<p>检索结果：共 2 条</p>"
        for target in ("/jsearchfront/search.do", "/search/index.html"):
            p.add(target, Resource(content_type="text/html; charset=utf-8", query_routed=True,
                                   render=lambda q: self.page("检索", [], results).encode("utf-8")))
        p.add("/robots.txt", Resource(content_type="text/plain", modified=lambda: self.portal.revision,
                                      render=lambda q: b"User-agent: *\nDisallow: /search/\nDisallow: /jsearchfront/\n"))

    # --- generated disclosures (scale and the add-article hook) ------------------------

    def _generated_disclosure(self, newest: bool = False) -> Disclosure:
        """The next generated disclosure; `newest` dates it after everything published so far."""
        i = self.generated
        self.generated += 1
        kind, year, dept, day, fmt = common.generated_plan(
            i, "通道侗族自治县", [d.article.published for d in self.portal.disclosures], newest)
        title = f"{dept}{year}年{kind_label(kind)}"
        seed = self.seeds["zhuzhou"] if fmt == "pdf" else self.seeds["tongdao"]
        stamp = f"{day:%y%m%d}{i:07d}"

        def doc() -> Document:
            return vary(excerpt(seed), dept, year, kind)

        return self._disclosure("bmys" if kind == "budget" else "bmjs", Document(dept, year, kind, title, ()), day,
                                self._meta(f"431230-{i % 9000 + 1000:04d}/{day.year}-{i % 100000:05d}", dept, day),
                                lambda n: [self._downfile(stamp, fmt, f"{title}.{fmt}", lambda: make_file(doc(), fmt), "rfc5987")])


def build_hanweb(seeds: dict[str, Document], scale: int = 0, host: str = "127.0.0.2") -> Portal:
    return HanwebBuilder(seeds, scale, host).portal
