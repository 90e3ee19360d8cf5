"""Hanweb column pages: datastore records, jpage sources, dataproxy paging."""

from __future__ import annotations

import threading
import urllib.parse
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from crawler.discovery.hanweb import (
    DataproxyRequest,
    JpageSource,
    dataproxy_requests,
    extract_datastore_links,
    find_jpage_sources,
    parse_dataproxy,
)
from crawler.discovery.links import Link, extract_links

FORM = {
    "col": "1",
    "appid": "1",
    "webid": "3001",
    "path": "/",
    "columnid": "1229019364",
    "sourceContentType": "1",
    "unitid": "4892867",
    "webname": "株洲市人民政府",
    "permissiontype": "0",
}
COLUMN_URL = "http://www.zhuzhou.gov.cn/col/col1229019364/index.html"


def record(n: int) -> str:
    return (
        f'<record><![CDATA[<li><a href="/art/2020/1/{n}/art_1229019364_{5600 + n}.html" '
        f'title="第{n}个部门2020年部门预算" target="_blank">第{n}个部门2020年部门预算</a>'
        f"<span>2020-01-{n:02d}</span></li>]]></record>"
    )


def column_page(records: range, script: str) -> str:
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>部门预算</title>
<script language="javascript" src="/module/jslib/jquery/jpage/jquery.page.min.js"></script>
</head><body><div class="list">
<div id="4892867"><script type="text/xml"><datastore>
<nextgroup><![CDATA[<a href="/module/web/jpage/dataproxy.jsp?page=1&appid=1&webid=3001&path='/'&columnid=1229019364&unitid=4892867&webname='株洲市人民政府'&permissiontype=0"></a>]]></nextgroup>
<recordset>
{"".join(record(n) for n in records)}
</recordset></datastore></script></div>
{script}
</div></body></html>"""


PARAM_SCRIPT = """<script type="text/javascript">
var param_4892867 = {col:1,appid:1,webid:3001,path:'/',columnid:1229019364,sourceContentType:1,unitid:'4892867',webname:'株洲市人民政府',permissiontype:0};
var pageDataStore = 'ds_4892867';
$(function(){$('#4892867').jpage({dataStore:pageDataStore,perPage:%(per)d,totalRecord:%(total)d,openCookies:false,groupSize:%(group)d,proxyUrl:'/module/web/jpage/dataproxy.jsp',ajaxParam:param_4892867,dataBefore:'<ul class="list">',dataAfter:'</ul>',barPosition:'bottom'});});
</script>"""


def test_datastore_links_exact() -> None:
    html = column_page(range(1, 3), "")
    assert extract_datastore_links(html, COLUMN_URL, "utf-8") == [
        Link(
            "http://www.zhuzhou.gov.cn/art/2020/1/1/art_1229019364_5601.html",
            "第1个部门2020年部门预算",
            "hanweb",
            False,
        ),
        Link(
            "http://www.zhuzhou.gov.cn/art/2020/1/2/art_1229019364_5602.html",
            "第2个部门2020年部门预算",
            "hanweb",
            False,
        ),
    ]
    # The ordinary extractor does not see records hidden in the XML island.
    assert not [link for link in extract_links(html, COLUMN_URL, "utf-8") if "/art/" in link.url]


def test_record_attachments_are_flagged() -> None:
    html = column_page(range(0), "").replace(
        "<recordset>",
        '<recordset><record><![CDATA[<li><a href="/module/download/downfile.jsp?classid=0&filename=1.xls">'
        "2020年预算表</a></li>]]></record>",
    )
    assert extract_datastore_links(html, COLUMN_URL, "utf-8") == [
        Link(
            "http://www.zhuzhou.gov.cn/module/download/downfile.jsp?classid=0&filename=1.xls",
            "2020年预算表",
            "hanweb",
            True,
        )
    ]


def test_jpage_source_from_param_variable() -> None:
    html = column_page(range(1, 7), PARAM_SCRIPT % {"per": 3, "total": 14, "group": 2})
    assert find_jpage_sources(html, COLUMN_URL) == [
        JpageSource(
            proxy_url="http://www.zhuzhou.gov.cn/module/web/jpage/dataproxy.jsp",
            form=FORM,
            per_page=3,
            group_size=2,
            total_record=14,
            embedded=6,
        )
    ]


def test_jpage_source_with_inline_ajax_param() -> None:
    script = """<script>
    $(document).ready(function(){ $("#4892867").jpage({ perPage: 15, totalRecord: 100, groupSize: 3,
      proxyUrl: "dataproxy.jsp", ajaxParam: {col:1, appid:1, webid:3001, path:'/', columnid:1229019364,
      sourceContentType:1, unitid:'4892867', webname:'株洲市人民政府', permissiontype:0} }); });
    </script>"""
    (source,) = find_jpage_sources(column_page(range(1, 46), script), COLUMN_URL)
    assert source.proxy_url == "http://www.zhuzhou.gov.cn/col/col1229019364/dataproxy.jsp"
    assert (source.form, source.per_page, source.group_size, source.total_record, source.embedded) == (
        FORM,
        15,
        3,
        100,
        45,
    )


def test_jpage_source_from_nextgroup_only() -> None:
    (source,) = find_jpage_sources(column_page(range(1, 11), ""), COLUMN_URL)
    assert source.form == {k: v for k, v in FORM.items() if k != "sourceContentType"}
    assert (source.per_page, source.group_size, source.total_record, source.embedded) == (10, 1, None, 10)


def test_no_datastore_no_source() -> None:
    assert find_jpage_sources("<html><body><a href='/a'>a</a></body></html>", COLUMN_URL) == []


def test_dataproxy_requests_skip_embedded_records() -> None:
    source = JpageSource("http://h.gov.cn/module/web/jpage/dataproxy.jsp", FORM, 3, 2, 14, 6)
    requests = dataproxy_requests(source)
    assert requests == [
        DataproxyRequest(
            f"http://h.gov.cn/module/web/jpage/dataproxy.jsp?startrecord={s}&endrecord={e}&perpage=3", FORM
        )
        for s, e in ((7, 12), (13, 14))
    ]
    assert requests[0].method == "POST"


def test_dataproxy_requests_without_total_ask_one_group() -> None:
    source = JpageSource("http://h.gov.cn/dp.jsp", FORM, 10, 1, None, 10)
    assert [r.url for r in dataproxy_requests(source)] == [
        "http://h.gov.cn/dp.jsp?startrecord=11&endrecord=20&perpage=10"
    ]
    assert [r.url for r in dataproxy_requests(source, total_record=25)] == [
        "http://h.gov.cn/dp.jsp?startrecord=11&endrecord=20&perpage=10",
        "http://h.gov.cn/dp.jsp?startrecord=21&endrecord=25&perpage=10",
    ]


def test_dataproxy_requests_are_bounded() -> None:
    source = JpageSource("http://h.gov.cn/dp.jsp", FORM, 15, 3, 10**9, 0)
    assert len(dataproxy_requests(source)) == 500
    assert len(dataproxy_requests(source, max_requests=7)) == 7


def test_parse_dataproxy_answer() -> None:
    xml = f"""<?xml version="1.0" encoding="utf-8"?>
<datastore><totalrecord>1928</totalrecord><totalpage>129</totalpage>
<nextgroup><![CDATA[<a href="/module/web/jpage/dataproxy.jsp?page=4"></a>]]></nextgroup>
<recordset>{record(7)}{record(8)}</recordset></datastore>"""
    page = parse_dataproxy(xml, "http://www.zhuzhou.gov.cn/module/web/jpage/dataproxy.jsp?startrecord=7")
    assert (page.total_record, page.total_page) == (1928, 129)
    assert [link.url for link in page.links] == [
        "http://www.zhuzhou.gov.cn/art/2020/1/7/art_1229019364_5607.html",
        "http://www.zhuzhou.gov.cn/art/2020/1/8/art_1229019364_5608.html",
    ]
    assert parse_dataproxy("<html>error</html>", "http://h/").total_record is None


class _Dataproxy(BaseHTTPRequestHandler):
    """A dataproxy.jsp that serves records 1..TOTAL of column 1229019364 only."""

    TOTAL = 23
    seen: ClassVar[list[tuple[dict[str, str], dict[str, str]]]] = []

    def do_POST(self) -> None:
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
        length = int(self.headers["Content-Length"])
        form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode("utf-8")))
        self.seen.append((query, form))
        if form.get("columnid") != "1229019364" or form.get("webname") != "株洲市人民政府":
            body = "<datastore><totalrecord>0</totalrecord><recordset></recordset></datastore>"
        else:
            start, end = int(query["startrecord"]), min(int(query["endrecord"]), self.TOTAL)
            records = "".join(record(n) for n in range(start, end + 1))
            body = f"<datastore><totalrecord>{self.TOTAL}</totalrecord><recordset>{records}</recordset></datastore>"
        data = body.encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "text/xml;charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def dataproxy_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Dataproxy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Dataproxy.seen = []
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _send(request: DataproxyRequest) -> str:
    body = urllib.parse.urlencode(request.formdata).encode("utf-8")
    with urllib.request.urlopen(
        urllib.request.Request(request.url, data=body, method=request.method), timeout=10
    ) as r:
        return r.read().decode("utf-8")


def test_paging_a_column_through_a_loopback_dataproxy(dataproxy_server: str) -> None:
    column = dataproxy_server + "/col/col1229019364/index.html"
    html = column_page(
        range(1, 6), (PARAM_SCRIPT % {"per": 5, "total": 0, "group": 1}).replace("totalRecord:0,", "")
    )
    found = {link.url for link in extract_datastore_links(html, column, "utf-8")}
    (source,) = find_jpage_sources(html, column)
    pending = dataproxy_requests(source)
    answered: set[str] = set()
    while pending:
        request = pending.pop(0)
        answered.add(request.url)
        page = parse_dataproxy(_send(request), request.url)
        found |= {link.url for link in page.links}
        pending += [
            r
            for r in dataproxy_requests(source, total_record=page.total_record)
            if r.url not in answered and r not in pending
        ]
    assert found == {
        f"{dataproxy_server}/art/2020/1/{n}/art_1229019364_{5600 + n}.html"
        for n in range(1, _Dataproxy.TOTAL + 1)
    }
    assert [q["startrecord"] for q, _ in _Dataproxy.seen] == ["6", "11", "16", "21"]
    assert all(form == FORM for _, form in _Dataproxy.seen)


def test_requests_do_not_share_the_source_form() -> None:
    source = JpageSource("http://h.gov.cn/dp.jsp", dict(FORM), 10, 1, 30, 0)
    request = dataproxy_requests(source)[0]
    request.formdata["columnid"] = "changed"
    assert source.form["columnid"] == "1229019364"


def test_two_lists_on_one_page_are_kept_apart() -> None:
    side = (
        """<div id='777'><script type="text/xml"><datastore>
    <nextgroup><![CDATA[<a href="/module/web/jpage/dataproxy.jsp?page=1&amp;webid=3001&amp;columnid=42&amp;unitid=777"></a>]]></nextgroup>
    <recordset>"""
        + record(30)
        + """</recordset></datastore></script></div>
    <script>$('#777').jpage({perPage:1,totalRecord:4,proxyUrl:'/module/web/jpage/dataproxy.jsp'});</script>"""
    )
    html = column_page(range(1, 7), PARAM_SCRIPT % {"per": 3, "total": 14, "group": 2} + side)
    main, aside = find_jpage_sources(html, COLUMN_URL)
    assert (main.form["columnid"], main.embedded, main.total_record) == ("1229019364", 6, 14)
    assert (aside.form, aside.embedded, aside.per_page) == (
        {"webid": "3001", "columnid": "42", "unitid": "777", "col": "1"},
        1,
        1,
    )
    assert [r.url.rsplit("?", 1)[1] for r in dataproxy_requests(aside)] == [
        f"startrecord={n}&endrecord={n}&perpage=1" for n in (2, 3, 4)
    ]
