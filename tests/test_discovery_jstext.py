"""The JavaScript string scanner behind script link and pager discovery."""

from __future__ import annotations

from crawler.discovery.jstext import string_chains, strip_comments, unescape


def test_concatenations_become_chains() -> None:
    code = r"""document.write("<a href=\"index"+"_" + nextPage + "."+"htm\">下一页</a>");
    var t = 'a' + foo(1, "b") + '\u4e2d' + (i+1) + `end`;"""
    assert string_chains(code) == [
        ['<a href="index_', None, '.htm">下一页</a>'],
        ["a", None, "中", None, "end"],
    ]


def test_comments_and_regex_literals_are_not_strings() -> None:
    code = r"""var re = /\/\//g, q = /'/; x = a / b / c; var s = "/u/cms/a.pdf"; // "not this"
    /* 'nor this' */ if (/^\d+$/.test(v)) { window.open('/b.pdf'); } return /"/.source + "end";"""
    assert string_chains(code) == [["/u/cms/a.pdf"], ["/b.pdf"], ["end"]]


def test_minified_line_keeps_going_after_a_regex() -> None:
    code = 'var w=/AppleWebKit\\//.test(ua);var f="/files/a.pdf";' * 3
    assert string_chains(code) == [["/files/a.pdf"]] * 3


def test_strip_comments_keeps_strings() -> None:
    code = 'a = "http://x/y"; // window.open("/z")\n/* c */ b = 1;'
    assert strip_comments(code) == 'a = "http://x/y";  \n  b = 1;'


def test_unescape() -> None:
    assert unescape(r"\x41\u4e2d\u{1F600}\'\"\\\/\n") == "A中\U0001f600'\"\\/\n"
