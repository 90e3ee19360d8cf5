"""A corpus of hostile and broken inputs, each one a way real attachments go wrong."""
from __future__ import annotations

import zipfile
import zlib
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.lib.pdfencrypt import StandardEncryption
from reportlab.pdfgen import canvas

from .sheetgen import big_xlsx

MiB = 1024 * 1024


def encrypted_pdf(path: Path) -> None:
    pdf = canvas.Canvas(str(path), pagesize=A4, encrypt=StandardEncryption("secret", canPrint=0))
    pdf.drawString(72, 720, "budget 2020")
    pdf.save()


def many_pages_pdf(path: Path, pages: int = 2000) -> None:
    pdf = canvas.Canvas(str(path), pagesize=A4)
    for n in range(1, pages + 1):
        pdf.drawString(72, 720, f"page {n} of the appendix")
        pdf.showPage()
    pdf.save()


def flate_bomb_pdf(path: Path, megabytes: int = 2048) -> None:
    """A one-page PDF whose content stream is a few MB compressed and `megabytes` MB inflated."""
    chunk = zlib.compressobj(9)
    stream = chunk.compress(b"BT /F1 12 Tf 72 712 Td (2021) Tj ET\n")
    blank = b" " * (1024 * 1024)
    stream += b"".join(chunk.compress(blank) for _ in range(megabytes)) + chunk.flush()
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    path.write_bytes(bytes(out))


def zip_bomb(path: Path, member: str, size: int) -> None:
    """An Office-looking zip whose `member` inflates to `size` bytes of zeros (about 1000:1)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("xl/workbook.xml" if member.startswith("xl/") else "word/document.xml", "<x/>")
        with archive.open(member, "w", force_zip64=True) as stream:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(size // len(chunk)):
                stream.write(chunk)


def xxe_docx(source_docx: Path, path: Path) -> None:
    """The docx with an external entity to /etc/passwd referenced from its body text."""
    src = zipfile.ZipFile(source_docx)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "word/document.xml":
                head, _, rest = data.partition(b"?>")
                doctype = b'<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
                data = head + b"?>" + doctype + rest.replace(b"<w:t>", b"<w:t>&xxe;", 1)
            out.writestr(item, data)


def ole_without_streams(source_xls: Path, path: Path) -> None:
    """An OLE2 file whose Workbook stream is renamed: what WPS's own formats look like."""
    name = "Workbook".encode("utf-16-le")
    path.write_bytes(source_xls.read_bytes().replace(name, "Wpsbook!".encode("utf-16-le")))


def bad_inputs(directory: Path, seed_pdf: Path, seed_docx: Path, seed_xls: Path) -> dict[str, Path]:
    """Write the corpus into `directory`; returns case name -> file (named as served)."""
    directory.mkdir(parents=True, exist_ok=True)
    cases = {
        "encrypted": directory / "encrypted.pdf",
        "truncated": directory / "truncated.pdf",
        "empty": directory / "empty.pdf",
        "html_as_pdf": directory / "notice.pdf",
        "xlsx_bomb": directory / "bomb.xlsx",
        "docx_bomb": directory / "bomb.docx",
        "xxe": directory / "xxe.docx",
        "big_sheet": directory / "big.xlsx",
        "many_pages": directory / "many.pdf",
        "wps_ole": directory / "table.et",
        "garbage": directory / "data.xls",
    }
    encrypted_pdf(cases["encrypted"])
    data = seed_pdf.read_bytes()
    cases["truncated"].write_bytes(data[: len(data) // 3])
    cases["empty"].write_bytes(b"")
    cases["html_as_pdf"].write_bytes(
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>404</title></head>"
        "<body><p>您访问的页面不存在</p></body></html>".encode()
    )
    zip_bomb(cases["xlsx_bomb"], "xl/worksheets/sheet1.xml", 300 * MiB)  # too big in all
    zip_bomb(cases["docx_bomb"], "word/media/image1.xml", 64 * MiB)  # small enough, but 1000:1
    xxe_docx(seed_docx, cases["xxe"])
    big_xlsx(cases["big_sheet"])
    many_pages_pdf(cases["many_pages"])
    ole_without_streams(seed_xls, cases["wps_ole"])
    cases["garbage"].write_bytes(bytes(range(256)) * 64)
    return cases
