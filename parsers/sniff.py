"""Tell a file's format from its bytes, never from its name or served MIME type.

Portals serve HTML error pages as `.pdf`, Excel files as `application/octet-stream`,
and WPS files under Office extensions, so only the content can be trusted.
"""
from __future__ import annotations

import io
import zipfile

import xlrd.compdoc

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
IMAGE_MAGICS = (
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",
    b"GIF87a",
    b"GIF89a",
    b"II*\x00",
    b"MM\x00*",
)
HTML_MARKERS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<meta", b"<table", b"<div", b"<p>", b"<title")
TEXT_ENCODINGS = ("utf-8", "gb18030", "utf-16")


def ole_streams(data: bytes) -> list[str]:
    """Names of the streams and storages in an OLE2 compound file (empty if unreadable)."""
    try:
        doc = xlrd.compdoc.CompDoc(data, logfile=io.StringIO())
    except Exception:
        return []
    return [d.name for d in doc.dirlist if d.name]


def _sniff_ole(data: bytes) -> str:
    streams = {name.lower() for name in ole_streams(data)}
    if "workbook" in streams or "book" in streams:
        return "xls"
    if "worddocument" in streams:
        return "doc"
    return "ole"


def _sniff_zip(data: bytes) -> str:
    try:
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return "zip"
    if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
        return "xlsx"
    if "word/document.xml" in names:
        return "docx"
    return "zip"


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    for encoding in TEXT_ENCODINGS:
        try:
            text = head.decode(encoding)
        except UnicodeDecodeError:
            # A multi-byte character may be cut at the end of the sample.
            try:
                text = head[:-4].decode(encoding)
            except UnicodeDecodeError:
                continue
        controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\r\n\t\f")
        return controls <= len(text) // 100
    return False


def sniff(data: bytes) -> str:
    """One of: pdf, xls, doc, ole, xlsx, docx, zip, rar, 7z, html, text, image, empty, unknown."""
    if not data.strip():
        return "empty"
    head = data[:4096]
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(OLE_MAGIC):
        return _sniff_ole(data)
    if head.startswith(ZIP_MAGICS):
        return _sniff_zip(data)
    if head.startswith(b"Rar!\x1a\x07"):
        return "rar"
    if head.startswith(b"7z\xbc\xaf\x27\x1c"):
        return "7z"
    bmp = head[:2] == b"BM" and head[6:10] == b"\0\0\0\0"
    if head.startswith(IMAGE_MAGICS) or bmp or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        return "image"
    lowered = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if any(marker in lowered[:2048] for marker in HTML_MARKERS):
        return "html"
    if _looks_like_text(head):
        return "text"
    return "unknown"
