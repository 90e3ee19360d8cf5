"""The imitation portals serve what their manifest says, with the quirks they promise."""
from __future__ import annotations

import io
import re
import urllib.error
import urllib.request
from datetime import timedelta
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import quote, unquote, urlsplit
from urllib.robotparser import RobotFileParser

import pytest

from tests.portals import build_portals, serve_portals
from tests.portals.manifest import AttachmentEntry, DisclosureEntry

MAGIC = {"pdf": b"%PDF-", "xls": bytes.fromhex("D0CF11E0A1B11AE1"), "xlsx": b"PK\x03\x04", "docx": b"PK\x03\x04"}


def fetch(url: str, headers: dict | None = None, method: str = "GET", data: bytes | None = None):
    """(status, headers, body) without raising on HTTP errors."""
    request = urllib.request.Request(url, headers=headers or {}, method=method, data=data)
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


@pytest.fixture(scope="module")
def served():
    with serve_portals(build_portals()) as servers:
        yield servers, [s.manifest() for s in servers]


@pytest.fixture()
def fresh():
    """Servers of their own for tests that change state (503 counters, hooks)."""
    with serve_portals(build_portals()) as servers:
        yield servers


def test_each_portal_on_its_own_loopback_host(served):
    _servers, manifests = served
    hosts = {urlsplit(m.base_url).hostname for m in manifests}
    assert hosts == {"127.0.0.1", "127.0.0.2"}
    assert [m.cms for m in manifests] == ["trs", "hanweb"]


def test_manifest_pages_and_files_are_served(served):
    _servers, manifests = served
    for m in manifests:
        assert len(m.disclosures) >= 6
        for url in m.start_urls + m.news_urls + [u for urls in m.decoys.values() for u in urls]:
            assert fetch(url)[0] == 200, url
        for d in m.disclosures:
            for url in [d.detail_url, *d.duplicate_urls]:
                status, _headers, body = fetch(url)
                assert status == 200, url
                assert d.title.encode("gbk") in body or d.title.encode("utf-8") in body
            for att in d.attachments:
                if att.url == m.retry_once_url:
                    continue
                status, _, body = fetch(att.url)
                assert status == 200 and body.startswith(MAGIC[att.format]), att.url
        assert fetch(m.not_found_url)[0] == 404
        assert {"notice", "qa", "interpretation", "government_budget"} <= set(m.decoys)
    assert manifests[0].decoys["index"]
    formats = {a.format for m in manifests for d in m.disclosures for a in d.attachments}
    assert formats == {"pdf", "xls", "xlsx", "docx"}
    assert any(d.inline for m in manifests for d in m.disclosures)
    assert any(len(d.attachment_urls) == 2 for m in manifests for d in m.disclosures)


def test_attachments_are_real_files_with_seed_content(served):
    import docx
    import openpyxl
    import xlrd
    from pdfminer.high_level import extract_text

    _, manifests = served
    by_format: dict[str, tuple[DisclosureEntry, AttachmentEntry]] = {}
    for d in (d for m in manifests for d in m.disclosures):
        for a in d.attachments:
            if a.url not in (manifests[0].retry_once_url, manifests[1].retry_once_url):
                by_format.setdefault(a.format, (d, a))
    d, a = by_format["pdf"]
    assert d.department in extract_text(io.BytesIO(fetch(a.url)[2]), maxpages=1)
    d, a = by_format["xls"]
    book = xlrd.open_workbook(file_contents=fetch(a.url)[2])
    assert book.nsheets > 1
    d, a = by_format["xlsx"]
    workbook = openpyxl.load_workbook(io.BytesIO(fetch(a.url)[2]), read_only=True)
    assert any(d.department in str(c) for row in next(iter(workbook.worksheets)).iter_rows(values_only=True) for c in row if c)
    d, a = by_format["docx"]
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(fetch(a.url)[2])).paragraphs)
    assert d.department in text


def test_same_disclosure_on_two_pages_same_bytes(served):
    _, manifests = served
    twice = [d for m in manifests for d in m.disclosures if d.duplicate_urls]
    assert len(twice) == 2
    same_url = [d for d in twice if not d.duplicate_attachment_urls]
    other_url = [d for d in twice if d.duplicate_attachment_urls]
    assert same_url and other_url
    d = same_url[0]
    page = fetch(d.duplicate_urls[0])[2]
    assert urlsplit(d.attachment_urls[0]).path.encode() in page
    d = other_url[0]
    for first, second in zip(d.attachment_urls, d.duplicate_attachment_urls):
        assert first != second and fetch(first)[2] == fetch(second)[2]


def test_gbk_and_disagreeing_charsets(served):
    _servers, manifests = served
    trs, hanweb = manifests
    _status, headers, body = fetch(trs.start_urls[0])
    assert "gbk" in headers["Content-Type"].lower()
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    assert "首页" in body.decode("gbk")
    gb18030 = next(d for d in trs.disclosures if d.detail_url == trs.slow_url)
    _, headers, body = fetch(gb18030.detail_url)
    assert "gb18030" in headers["Content-Type"].lower() and "䶮" in body.decode("gb18030")
    with pytest.raises(UnicodeDecodeError):
        body.decode("gbk")
    mismatched = {}
    for d in hanweb.disclosures:
        _, headers, body = fetch(d.detail_url)
        if b"charset=gbk" in body:
            mismatched[headers.get_content_charset()] = body
    assert set(mismatched) == {"utf-8", "iso-8859-1"}
    for body in mismatched.values():
        with pytest.raises(UnicodeDecodeError):
            body.decode("utf-8")
        assert "部门" in body.decode("gbk")


def test_raw_and_encoded_chinese_attachment_paths(served):
    _servers, manifests = served
    trs = manifests[0]
    raw = next(d for d in trs.disclosures if any("%E8%A1%A8.xls" in u for u in d.attachment_urls))
    xls_url = next(u for u in raw.attachment_urls if u.endswith(".xls"))
    path = unquote(urlsplit(xls_url).path)
    assert path.encode("gbk") in fetch(raw.detail_url)[2]  # raw Chinese bytes in the GBK page
    body = fetch(xls_url)[2]
    gbk_form = trs.base_url + quote(path.encode("gbk"))
    assert fetch(gbk_form)[2] == body
    scripted = next(d for d in trs.disclosures if any(u.endswith(".xlsx") for u in d.attachment_urls))
    page = fetch(scripted.detail_url)[2].decode("gbk")
    encoded = urlsplit(scripted.attachment_urls[0]).path
    assert re.search(r"var file_appendix = '<a href=\"" + re.escape(encoded), page)
    assert page.count(encoded) == 1  # only inside the script string


def test_content_disposition_forms(served):
    _, manifests = served
    hanweb = manifests[1]
    seen = {}
    for d in hanweb.disclosures:
        for a in d.attachments:
            if "downfile.jsp" not in a.url:
                continue
            value = fetch(a.url)[1]["Content-Disposition"].encode("latin-1")  # raw header bytes
            if b"filename*=UTF-8''" in value:
                seen["rfc5987"] = unquote(value.split(b"filename*=UTF-8''")[1].decode("ascii"))
                assert seen["rfc5987"] == a.filename
            else:
                raw = value.split(b'filename="')[1].rstrip(b'"')
                try:
                    seen["utf8"] = raw.decode("utf-8")
                    assert seen["utf8"] == a.filename
                except UnicodeDecodeError:
                    seen["gbk"] = raw.decode("gbk")
                    assert seen["gbk"] == a.filename
            assert a.filename not in a.url
    assert set(seen) == {"rfc5987", "utf8", "gbk"}


def test_retry_once_then_ok(fresh):
    for server in fresh:
        url = server.manifest().retry_once_url
        status, headers, _ = fetch(url)
        assert status == 503 and headers["Retry-After"] == "1"
        status, _, body = fetch(url)
        assert status == 200 and body
        assert [r.status for r in server.log.records()] == [503, 200]


def test_robots_disallows_linked_search_pages(served):
    _, manifests = served
    for m in manifests:
        robots = RobotFileParser()
        robots.parse(fetch(m.robots_url)[2].decode().splitlines())
        assert m.disallowed_urls
        home = fetch(m.start_urls[0])[2]
        for url in m.disallowed_urls:
            assert not robots.can_fetch("*", url)
            target = url.removeprefix(m.base_url).replace("&", "&amp;")
            assert target.encode() in home
        for url in m.start_urls + [d.detail_url for d in m.disclosures] + m.news_urls:
            assert robots.can_fetch("*", url)
        pages = home + b"".join(fetch(u)[2] for urls in m.decoys.values() for u in urls)
        for url in m.external_urls:
            assert url.encode() in pages


def test_pagers_list_every_column_article(served):
    _servers, manifests = served
    trs = manifests[0]
    first = fetch(trs.base_url + "/zwgk/czyjs/bmys/index.html")[2].decode("gbk")
    count = int(re.search(r'createPageHTML\((\d+), 0, "index", "html"\)', first).group(1))
    assert count >= 2
    pages = [first] + [fetch(trs.base_url + f"/zwgk/czyjs/bmys/index_{n}.html")[2].decode("gbk") for n in range(1, count)]
    assert "index_1.html" not in re.sub(r"<script.*?</script>", "", first, flags=re.S)
    listed = {href for p in pages for href in re.findall(r'<li><a href="\./([^"]+)"', p)}
    budgets = [d for d in trs.disclosures if "/bmys/" in d.detail_url]
    assert {d.detail_url.split("/bmys/")[1] for d in budgets} <= listed
    xxgk = fetch(trs.base_url + "/xxgk/xxgkml.jsp?pageIndex=1")[2].decode("gbk")
    assert 'href="?pageIndex=2"' in xxgk
    second = fetch(trs.base_url + "/xxgk/xxgkml.jsp?pageIndex=2")[2].decode("gbk")
    assert "content.jsp?id=" in second and "ETag" not in fetch(trs.base_url + "/xxgk/xxgkml.jsp?pageIndex=2")[1]


def test_hanweb_records_only_in_datastore_and_dataproxy():
    with serve_portals(build_portals(scale=100)) as (_, hanweb):
        m = hanweb.manifest()
        page = fetch(hanweb.url("/col/col1234/index.html"))[2].decode()
        outside = re.sub(r"<script type=\"text/xml\">.*?</script>", "", page, flags=re.S)
        assert "/art/" not in outside
        embedded = re.findall(r'<a href="(/art/[^"]+)"', page)
        assert len(embedded) == 45
        form = b"col=1&webid=1&path=/&columnid=1234&unitid=5678&permissiontype=0"
        xml = fetch(hanweb.url("/module/web/jpage/dataproxy.jsp?startrecord=46&endrecord=90&perpage=15"),
                    method="POST", data=form)[2].decode()
        rest = re.findall(r'<a href="(/art/[^"]+)"', xml)
        total = int(re.search(r"<totalrecord>(\d+)</totalrecord>", xml).group(1))
        assert len(embedded) + len(rest) == total and not set(embedded) & set(rest)
        budgets = {d.detail_url.removeprefix(m.base_url) for d in m.disclosures if "/art_1234_" in d.detail_url}
        assert budgets == set(embedded) | set(rest)


def test_conditional_requests(served):
    servers, manifests = served
    trs, hanweb = manifests
    for url in (trs.disclosures[0].detail_url, trs.disclosures[0].attachment_urls[0], hanweb.start_urls[0]):
        _status, headers, _body = fetch(url)
        etag, modified = headers["ETag"], headers["Last-Modified"]
        assert etag and modified
        assert fetch(url, {"If-None-Match": etag})[0] == 304
        assert fetch(url, {"If-Modified-Since": modified})[0] == 304
        assert fetch(url, {"If-None-Match": '"other"', "If-Modified-Since": modified})[0] == 200
        earlier = format_datetime(parsedate_to_datetime(modified) - timedelta(days=1), usegmt=True)
        assert fetch(url, {"If-Modified-Since": earlier})[0] == 200
    dynamic = trs.disclosures[0].duplicate_urls[0]
    assert "ETag" not in fetch(dynamic)[1]
    logged = [r for r in servers[0].log.records() if r.headers.get("If-None-Match")]
    assert logged and logged[0].status == 304


def test_hooks_change_the_site(fresh):
    trs, hanweb = fresh
    for server, list_url, decode in ((trs, "/zwgk/czyjs/bmys/index.html", "gbk"), (hanweb, "/col/col1234/index.html", "utf-8")):
        before = server.manifest()
        target = before.disclosures[1].attachment_urls[0]
        _, headers, _old = fetch(target)
        server.replace_attachment(target, b"%PDF-1.4 replaced")
        status, new_headers, body = fetch(target, {"If-None-Match": headers["ETag"]})
        assert status == 200 and body == b"%PDF-1.4 replaced" and new_headers["ETag"] != headers["ETag"]
        assert fetch(target, {"If-Modified-Since": headers["Last-Modified"]})[0] == 200

        _, list_headers, _ = fetch(server.url(list_url))
        added = server.add_disclosure()
        assert fetch(added.detail_url)[0] == 200
        assert added.detail_url in [d.detail_url for d in server.manifest().disclosures]
        status, _, page = fetch(server.url(list_url), {"If-None-Match": list_headers["ETag"]})
        assert status == 200
        assert urlsplit(added.detail_url).path.rsplit("/", 1)[1] in page.decode(decode)

        gone = before.disclosures[2].detail_url
        server.remove(gone)
        assert fetch(gone)[0] == 404


def test_log_keeps_raw_targets_and_headers(fresh):
    trs = fresh[0]
    target = "/was5/web/search?channelid=200001&searchword=%B2%BF%C3%C5"
    fetch(trs.url(target), {"If-Modified-Since": "Wed, 01 Jan 2020 00:00:00 GMT"})
    (record,) = trs.log.records()
    assert record.target == target and record.method == "GET" and record.status == 200
    assert record.headers["If-Modified-Since"] == "Wed, 01 Jan 2020 00:00:00 GMT"


def test_scale_adds_disclosures_without_rendering_them():
    portals = build_portals(scale=2500)
    from tests.portals.manifest import portal_manifest

    manifests = [portal_manifest(p, "http://127.0.0.1:1") for p in portals]
    disclosures = [d for m in manifests for d in m.disclosures]
    assert len(disclosures) >= 5000
    assert sum(len(d.attachment_urls) for d in disclosures) >= 5000
    assert len({d.detail_url for d in disclosures}) == len(disclosures)
    assert all(not p.cache._items for p in portals)  # nothing generated until asked
