"""The one charset decoder (charsets.py): header vs <meta> charsets, GBK widening, BOMs, plain text."""

from __future__ import annotations

import codecs

from charsets import decode_html, decode_text

TEXT = "株洲市人民政府办公室2020年部门预算公开，“三公”经费预算数为12.50万元。"


def page(meta: str) -> str:
    return (
        f"<html><head>{meta}<title>部门预算</title></head>"
        f"<body><div class='TRS_Editor'><p>{TEXT}</p></div></body></html>"
    )


def test_gbk_page_declared_gbk_is_read_as_gb18030() -> None:
    body = page('<meta http-equiv="Content-Type" content="text/html; charset=gbk">').encode("gbk")
    text, encoding = decode_html(body, "gbk")
    assert encoding == "gb18030"
    assert TEXT in text


def test_gb18030_only_character_survives_a_gb2312_label() -> None:
    # 𠀀 (U+20000) exists in GB18030 only; a page labelled gb2312 may still carry it.
    body = page('<meta charset="gb2312">').replace("株洲", "株洲𠀀").encode("gb18030")
    text, encoding = decode_html(body, None)
    assert encoding == "gb18030"
    assert "株洲𠀀市" in text


def test_header_utf8_but_meta_and_bytes_gbk() -> None:
    body = page('<meta http-equiv="Content-Type" content="text/html; charset=gb2312">').encode("gbk")
    text, encoding = decode_html(body, "utf-8")
    assert encoding == "gb18030"
    assert TEXT in text


def test_tomcat_default_latin1_header_loses_to_gbk_meta() -> None:
    body = page('<meta http-equiv="Content-Type" content="text/html; charset=GBK">').encode("gbk")
    text, encoding = decode_html(body, b"text/html; charset=ISO-8859-1")
    assert encoding == "gb18030"
    assert TEXT in text


def test_header_gbk_but_bytes_utf8() -> None:
    body = page('<meta charset="utf-8">').encode("utf-8")
    text, encoding = decode_html(body, "GBK")
    assert encoding == "utf-8"
    assert TEXT in text


def test_meta_wrong_header_right() -> None:
    body = page('<meta charset="utf-8">').encode("gbk")
    text, encoding = decode_html(body, "text/html;charset=gb2312")
    assert encoding == "gb18030"
    assert TEXT in text


def test_undeclared_gbk_is_recognised() -> None:
    body = page("").encode("gbk")
    text, encoding = decode_html(body, None)
    assert encoding == "gb18030"
    assert TEXT in text


def test_one_broken_byte_does_not_flip_the_choice() -> None:
    body = page('<meta charset="gbk">').encode("gbk") + b"\xb2"  # a cut-off last character
    text, encoding = decode_html(body, "utf-8")
    assert encoding == "gb18030"
    assert TEXT in text


def test_utf8_page_with_a_broken_sequence_stays_utf8() -> None:
    raw = page('<meta charset="utf-8">').encode("utf-8")
    body = raw.replace("部门预算公开".encode(), "部门预算公开".encode()[:-1], 1)
    text, encoding = decode_html(body, "utf-8")
    assert encoding == "utf-8"
    assert "株洲市人民政府办公室2020年部门预算公" in text


def test_utf8_bom_wins_and_is_stripped() -> None:
    body = codecs.BOM_UTF8 + page('<meta charset="gbk">').encode("utf-8")
    text, encoding = decode_html(body, "gbk")
    assert encoding == "utf-8"
    assert text.startswith("<html>")
    assert TEXT in text


def test_utf16_bom() -> None:
    body = codecs.BOM_UTF16_LE + page("").encode("utf-16-le")
    text, encoding = decode_html(body, None)
    assert encoding == "utf-16-le"
    assert text.startswith("<html>")


def test_ascii_page_reports_the_declared_encoding() -> None:
    body = b"<html><head><meta charset='gb2312'></head><body><a href='/a.pdf'>a</a></body></html>"
    text, encoding = decode_html(body, None)
    assert encoding == "gb18030"
    assert text == body.decode("ascii")
    assert decode_html(body, "utf-8")[1] == "utf-8"  # the header wins when nothing disagrees
    assert decode_html(b"<p>x</p>", None) == ("<p>x</p>", "utf-8")


def test_large_gbk_page() -> None:
    body = page('<meta charset="gbk">').replace(TEXT, TEXT * 20000).encode("gbk")
    text, encoding = decode_html(body, "iso-8859-1")
    assert encoding == "gb18030"
    assert text.count(TEXT) == 20000


def test_bomless_utf16_label_is_ignored() -> None:
    body = page('<meta charset="gbk">').encode("gbk")
    text, encoding = decode_html(body, "utf-16")
    assert encoding == "gb18030"
    assert TEXT in text


def test_plain_text_utf8_gb18030_and_boms() -> None:
    assert decode_text(TEXT.encode("utf-8")) == TEXT
    assert decode_text(TEXT.encode("gb18030")) == TEXT
    assert decode_text(codecs.BOM_UTF8 + TEXT.encode("utf-8")) == TEXT
    assert decode_text(TEXT.encode("utf-16")) == TEXT  # BOM first, stripped
    assert decode_text(b"") == ""
