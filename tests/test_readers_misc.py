"""Zip archives of attachments, plain text, and photographed tables."""
from __future__ import annotations

import io
import zipfile

from parsers.readers import read_file
from parsers.readers.archive import member_name
from tests.docgen import cache
from tests.docgen.pictures import table_image


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_zip_members_are_read_with_their_names_in_provenance():
    xls, plans = cache.seed_xls()
    docx, (paragraphs, printed) = cache.seed_docx()
    inner = _zip({"x.txt": b"x"})
    data = _zip({"附件/预算公开表.xls": xls.read_bytes(), "说明.docx": docx.read_bytes(), "more.zip": inner})
    result = read_file("附件.zip", data)
    assert result.error is None and result.format == "zip"
    assert len(result.tables) == len(plans) + len(printed)
    sheets = [t for t in result.tables if t.where.sheet]
    assert {t.where.file for t in sheets} == {"附件.zip/附件/预算公开表.xls"}
    assert [t.rows for t in sheets] == [p.rows for p in plans]
    assert paragraphs[0] in [p.text for p in result.paragraphs]
    assert any("more.zip: an archive inside the archive" in w for w in result.warnings)


def test_gbk_member_names_without_utf8_flag_are_decoded():
    info = zipfile.ZipInfo("预算表.xls".encode("gbk").decode("cp437"))
    info.flag_bits = 0
    assert member_name(info) == "预算表.xls"


def test_tab_separated_text_gives_tables_with_titles_and_units():
    from tests.docgen import seeds

    result = read_file("000.txt", seeds.CITY.read_bytes())
    expected = {t.title: t for t in seeds.city().tables}
    for title in ("部门收支总表", "一般公共预算拨款“三公”经费预算表", "财政拨款收支总表"):
        table = next(t for t in result.tables if t.title == title)
        assert (table.rows, table.unit) == (expected[title].rows, "万元")
    assert ("2020 年一般公共预算拨款“三公”经费预算数 356.99 万元，其中：公务接待费 86.39 万元、公务用车购置费 91 万元，"
            "公务用车运行费 109.2 万元、因公出国（境）费 70.4 万元。2020 年公务用车购置数 4 台。") in result.text


def test_gbk_text_file():
    result = read_file("说明.txt", "单位：万元\r\n\r\n合计 356.99\r\n".encode("gb18030"))
    assert result.format == "text" and [p.text for p in result.paragraphs] == ["单位：万元", "合计 356.99"]


def test_photographed_table_image_is_read_by_ocr():
    image = table_image([["项目", "本年预算"], ["一般公共预算拨款", "5,845.98"], ["合计", "5,845.98"]])
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    result = read_file("表.jpg", buffer.getvalue())
    assert result.format == "image" and result.ocr and result.error is None
    assert result.tables[0].rows == [["项目", "本年预算"], ["一般公共预算拨款", "5,845.98"], ["合计", "5,845.98"]]
    assert result.tables[0].ocr


def test_rar_is_reported_not_guessed():
    result = read_file("附件.rar", b"Rar!\x1a\x07\x01\x00" + b"\0" * 64)
    assert result.format == "rar" and result.error and "not supported" in result.error


def test_unruled_table_image_is_split_by_the_gaps_between_columns():
    rows = [["项目", "小计", "公务接待费"], ["合计", "356.99", "86.39"], ["株洲市人民政府办公室机关", "290", "55"]]
    buffer = io.BytesIO()
    table_image(rows, ruled=False).save(buffer, "PNG")
    result = read_file("表.png", buffer.getvalue())
    assert result.tables[0].rows == rows
