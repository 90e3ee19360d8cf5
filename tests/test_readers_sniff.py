"""Formats are told by content, never by name."""
from __future__ import annotations

import pytest

from parsers.sniff import sniff
from tests.docgen import cache


@pytest.mark.parametrize(
    ("make", "fmt"),
    [
        (lambda: cache.seed_pdf()[0].read_bytes(), "pdf"),
        (lambda: cache.seed_xls()[0].read_bytes(), "xls"),
        (lambda: cache.seed_xlsx()[0].read_bytes(), "xlsx"),
        (lambda: cache.seed_docx()[0].read_bytes(), "docx"),
        (lambda: cache.seed_doc()[0].read_bytes(), "doc"),
        (lambda: cache.seed_html()[0], "html"),
        (lambda: cache.bad_inputs()["html_as_pdf"].read_bytes(), "html"),
        (lambda: cache.bad_inputs()["wps_ole"].read_bytes(), "ole"),
        (lambda: cache.bad_inputs()["garbage"].read_bytes(), "unknown"),
        (lambda: b"", "empty"),
        (lambda: b" \r\n", "empty"),
        (lambda: "单位：万元\n合计 356.99\n".encode("gb18030"), "text"),
        (lambda: b"\x89PNG\r\n\x1a\n" + b"\0" * 20, "image"),
        (lambda: b"PK\x05\x06" + b"\0" * 18, "zip"),
        (lambda: b"BM\x46\x00\x00\x00\x00\x00\x00\x00" + b"\0" * 60, "image"),
        (lambda: b"BMW report 2020\n", "text"),
        (lambda: b"Rar!\x1a\x07\x00" + b"\0" * 16, "rar"),
    ],
)
def test_sniff(make, fmt):
    assert sniff(make()) == fmt
