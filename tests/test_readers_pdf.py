"""Text PDFs, pictures of tables, scans and garbled text layers, from the city seed."""
from __future__ import annotations

import socket

import pytest

from parsers.readers import ocr, read_file
from tests.docgen import cache


@pytest.fixture(scope="module")
def seed():
    path, printed = cache.seed_pdf()
    return read_file(path.name, path.read_bytes()), printed


def _by_title(result, title):
    found = [t for t in result.tables if t.title == title]
    assert found, f"no table titled {title}; titles: {[t.title for t in result.tables]}"
    return found[0]


def test_text_pdf_tables_have_seed_cells_titles_units_and_pages(seed):
    result, printed = seed
    assert result.error is None and result.format == "pdf" and result.pages == printed[-1].pages[-1]
    for expected in (t for t in printed if not t.picture):
        table = _by_title(result, expected.title)
        assert table.rows == expected.rows, expected.title
        assert table.unit == expected.unit == "万元"
        assert table.where.page == expected.pages[0]
        assert not table.ocr


def test_three_public_total_row_reads_as_printed(seed):
    table = _by_title(seed[0], "一般公共预算拨款“三公”经费预算表")
    assert ["合计", "356.99", "86.39", "200.2", "91", "109.2", "70.4"] in table.rows
    assert table.rows[0][1:5] == ["三公经费预算数(一般公共预算拨款)"] * 4  # merged heading repeated
    assert table.header_rows == 3


def test_table_running_over_three_pages_is_joined_once(seed):
    result, printed = seed
    expected = next(t for t in printed if t.title == "一般公共预算基本支出情况表")
    assert len(expected.pages) == 3
    assert [t.title for t in result.tables].count("一般公共预算基本支出情况表") == 1
    assert _by_title(result, expected.title).rows == expected.rows
    assert all(t.where.page not in expected.pages[1:] for t in result.tables)


def test_paragraphs_carry_text_and_page_numbers(seed):
    result, _ = seed
    text = result.text
    assert "2020 年一般公共预算拨款“三公”经费预算数 356.99 万元" in text
    assert "260..27" not in text  # that is the county seed, not this one
    page_of = {p.text: p.where.page for p in result.paragraphs}
    assert page_of["一、部门职能职责"] == 1
    assert all(p.where.file == result.name and p.where.page for p in result.paragraphs)
    assert not any(p.text.startswith("单 位") for p in result.paragraphs)


def test_picture_of_table_on_text_page_is_read_by_ocr(seed):
    result, printed = seed
    expected = next(t for t in printed if t.picture)
    table = _by_title(result, expected.title)
    assert table.ocr and result.ocr
    assert table.unit == "万元" and table.where.page == expected.pages[0]
    assert table.rows == expected.rows
    assert any("picture of a table" in w for w in result.warnings)


def test_scanned_pdf_is_read_by_ocr():
    path, printed = cache.scanned_pdf()
    result = read_file(path.name, path.read_bytes())
    assert result.error is None and result.format == "pdf-ocr" and result.ocr
    three = _by_title(result, "一般公共预算拨款“三公”经费预算表")
    assert three.ocr and three.unit == "万元" and three.where.page == 2
    assert ["合计", "356.99", "86.39", "200.2", "91", "109.2", "70.4"] in three.rows
    summary = _by_title(result, "部门收支总表")
    amounts = [c for row in summary.rows for c in row if c[:1].isdigit()]
    expected = [c for row in printed[0].rows for c in row if c[:1].isdigit()]
    assert amounts == expected


def test_garbled_text_layer_goes_to_ocr():
    path, expected = cache.garbled_pdf()
    result = read_file(path.name, path.read_bytes())
    assert any("garbled text" in w for w in result.warnings)
    assert "(cid:" not in result.text
    table = _by_title(result, expected.title)
    assert table.ocr and table.unit == "万元"
    assert ["合计", "356.99", "86.39", "200.2", "91", "109.2", "70.4"] in table.rows


@pytest.mark.parametrize("rotation", [90, 270])
def test_sideways_pages_are_turned_upright(tmp_path, rotation):
    from tests.docgen import pdfgen

    source, printed = cache.seed_pdf()
    path = tmp_path / "sideways.pdf"
    pdfgen.sideways_pdf(source, path, rotation)
    result = read_file(path.name, path.read_bytes())
    assert result.error is None
    for expected in printed:  # the picture of a table too: the page image is turned alike
        assert _by_title(result, expected.title).rows == expected.rows
    assert "2020 年一般公共预算拨款“三公”经费预算数 356.99 万元" in result.text


def test_ocr_models_ship_with_the_package_and_nothing_is_fetched(monkeypatch):
    from pathlib import Path

    import rapidocr

    models = list((Path(rapidocr.__file__).parent / "models").glob("*.onnx"))
    assert len(models) >= 2

    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(ocr, "_engine", None)  # load afresh with the network refused
    from tests.docgen.pictures import table_image

    content = ocr.read_image(table_image([["项目", "金额"], ["合计", "5,845.98"]]))
    assert content.rows == [["项目", "金额"], ["合计", "5,845.98"]]
