"""Zip archives of attachments (a 说明 and its tables zipped together): each member read.

Members are read by the same readers, one level deep (an archive inside an archive is
reported, not opened); names written by Chinese Windows tools are GBK without the zip's
UTF-8 flag and are decoded as such.
"""
from __future__ import annotations

import io
import zipfile

from parsers.model import ExtractedFile
from parsers.readers import zipguard
from parsers.sniff import sniff

UTF8_FLAG = 0x800


def member_name(info: zipfile.ZipInfo) -> str:
    """The member's name as its writer meant it (UTF-8 if flagged, else GBK, else as read)."""
    if info.flag_bits & UTF8_FLAG:
        return info.filename
    raw = info.filename.encode("cp437", errors="replace")
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return info.filename


def read_zip(name: str, data: bytes) -> ExtractedFile:
    from parsers.readers import read_file

    result = ExtractedFile(name=name, format="zip")
    if problem := zipguard.check(data):
        result.error = problem
        return result
    archive = zipfile.ZipFile(io.BytesIO(data))
    for info in archive.infolist():
        if info.is_dir():
            continue
        inner = f"{name}/{member_name(info)}"
        try:
            content = archive.read(info)
        except (zipfile.BadZipFile, OSError, NotImplementedError, RuntimeError) as exc:  # encrypted, damaged
            result.warnings.append(f"{inner}: not extracted: {exc}"[:300])
            continue
        if sniff(content) == "zip":
            result.warnings.append(f"{inner}: an archive inside the archive, not opened")
            continue
        member = read_file(inner, content)
        result.paragraphs += member.paragraphs
        result.tables += member.tables
        result.ocr = result.ocr or member.ocr
        result.warnings += [f"{inner}: {w}" for w in member.warnings]
        if member.error:
            result.warnings.append(f"{inner}: {member.error}")
    if not result.paragraphs and not result.tables:
        result.error = "no readable file in the archive"
    return result
