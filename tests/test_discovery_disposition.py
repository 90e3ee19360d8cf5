"""filename_from_headers: Content-Disposition as Chinese servers send it, URL fallback."""

from __future__ import annotations

import pytest
from scrapy.http.headers import Headers

from crawler.discovery.disposition import filename_from_headers, sanitize_filename

DOWNFILE = "http://www.zhuzhou.gov.cn/module/download/downfile.jsp?classid=0&id=4567"
NAME = "株洲市人民政府办公室2020年部门预算.pdf"


def cd(value: bytes | str) -> Headers:
    return Headers({b"Content-Type": b"application/octet-stream", b"Content-Disposition": value})


def test_rfc5987_preferred_over_plain_filename() -> None:
    value = "attachment; filename=\"download.pdf\"; filename*=UTF-8''" + (
        "%E6%A0%AA%E6%B4%B2%E5%B8%82%E4%BA%BA%E6%B0%91%E6%94%BF%E5%BA%9C%E5%8A%9E%E5%85%AC%E5%AE%A4"
        "2020%E5%B9%B4%E9%83%A8%E9%97%A8%E9%A2%84%E7%AE%97.pdf"
    )
    assert filename_from_headers(cd(value), DOWNFILE) == NAME


def test_rfc5987_in_gbk_charset() -> None:
    value = "attachment; filename*=GBK'zh-cn'%B2%BF%C3%C5%D4%A4%CB%E3.xls"
    assert filename_from_headers(cd(value), DOWNFILE) == "部门预算.xls"


def test_raw_gbk_bytes() -> None:
    value = f'attachment; filename="{NAME}"'.encode("gbk")
    assert filename_from_headers(cd(value), DOWNFILE) == NAME


def test_raw_utf8_bytes_unquoted() -> None:
    value = f"attachment;filename={NAME}".encode()
    assert filename_from_headers(cd(value), DOWNFILE) == NAME


def test_utf8_bytes_read_as_latin1_by_a_library() -> None:
    value = f'attachment; filename="{NAME}"'.encode().decode("latin-1")
    assert filename_from_headers({"Content-Disposition": value}, DOWNFILE) == NAME


def test_java_urlencoder_filename() -> None:
    value = "attachment;filename=%E9%83%A8%E9%97%A8%E9%A2%84%E7%AE%97+%E8%AF%B4%E6%98%8E.doc"
    assert filename_from_headers({"content-disposition": [value]}, DOWNFILE) == "部门预算 说明.doc"


def test_percent_encoded_gbk_filename() -> None:
    value = 'inline; filename="%B2%BF%C3%C5%BE%F6%CB%E3.pdf"'
    assert filename_from_headers({b"content-disposition": value.encode()}, DOWNFILE) == "部门决算.pdf"


def test_rfc2047_encoded_word() -> None:
    value = 'attachment; filename="=?UTF-8?B?6YOo6Zeo6aKE566XLnBkZg==?="'
    assert filename_from_headers({"Content-Disposition": value}, DOWNFILE) == "部门预算.pdf"


def test_quoted_escapes_and_windows_paths() -> None:
    assert (
        filename_from_headers({"Content-Disposition": r'attachment; filename="a \"b\".pdf"'}, DOWNFILE)
        == "a _b_.pdf"
    )
    value = r'attachment; filename="D:\upload\2020\预算.xls"'
    assert filename_from_headers({"Content-Disposition": value}, DOWNFILE) == "预算.xls"


def test_url_filename_parameter_fallback() -> None:
    url = "http://www.tongdao.gov.cn/downfile.jsp?classid=0&filename=2004100930587.pdf"
    assert filename_from_headers(Headers({}), url) == "2004100930587.pdf"
    url = "http://a.gov.cn/downfile.jsp?filename=%B2%BF%C3%C5%D4%A4%CB%E3.xls"
    assert filename_from_headers({}, url) == "部门预算.xls"
    assert filename_from_headers(cd("attachment"), url) == "部门预算.xls"


def test_url_last_segment_fallback() -> None:
    url = "http://a.gov.cn/u/cms/www/202001/%E9%83%A8%E9%97%A8%E9%A2%84%E7%AE%97%E8%A1%A8.xls"
    assert filename_from_headers({}, url) == "部门预算表.xls"
    assert filename_from_headers({}, "http://a.gov.cn/zwgk/P020200110.pdf?v=2") == "P020200110.pdf"


def test_nothing_names_the_file() -> None:
    assert filename_from_headers({}, DOWNFILE) is None
    assert filename_from_headers({}, "http://a.gov.cn/") is None
    assert filename_from_headers(cd('attachment; filename=""'), DOWNFILE) is None
    assert filename_from_headers(cd('attachment; filename=".."'), "http://a.gov.cn/x/..") is None


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\win.ini", "win.ini"),
        ("预算\x00.pdf", "预算.pdf"),
        ("预算\r\n表.xls", "预算表.xls"),
        ("\u202e预算fdp.exe", "预算fdp.exe"),
        ("CON", "_CON"),
        ("nul.txt", "_nul.txt"),
        ("com1.pdf", "_com1.pdf"),
        ("Lpt9 .doc", "_Lpt9 .doc"),
        ("console.pdf", "console.pdf"),
        ("部门预算.pdf. . ", "部门预算.pdf"),
        ("a<b>c|d?.pdf", "a_b_c_d_.pdf"),
        ("..", None),
        (".", None),
        ("   ", None),
        ("/", None),
    ],
)
def test_sanitize(raw: str, clean: str | None) -> None:
    assert sanitize_filename(raw) == clean


def test_long_names_keep_their_extension() -> None:
    name = sanitize_filename("预" * 300 + ".xlsx")
    assert name is not None
    assert name.endswith(".xlsx") and name.startswith("预预")
    assert len(name.encode("utf-8")) <= 240
