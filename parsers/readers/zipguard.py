"""Checks on an Office zip before any library opens it: bombs and entity declarations.

Sizes and compression ratios come from the zip directory, so a bomb is refused without
inflating it; XML parts are refused if they declare a DTD (the door to XXE and entity
expansion), which genuine Office files never do.
"""
from __future__ import annotations

import io
import zipfile

from parsers.readers import common

XML_SUFFIXES = (".xml", ".rels", ".vml")
DTD_MARKERS = (b"<!DOCTYPE", b"<!ENTITY")


def check(data: bytes) -> str | None:
    """The reason to refuse this zip, or None if it is safe to open."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        return f"damaged zip container: {exc}"
    if len(members) > common.MAX_ZIP_MEMBERS:
        return f"zip holds {len(members)} members (more than {common.MAX_ZIP_MEMBERS}); refused"
    total = sum(m.file_size for m in members)
    if total > common.MAX_UNZIPPED_BYTES:
        return f"zip bomb suspected: {total} bytes uncompressed (limit {common.MAX_UNZIPPED_BYTES}); refused"
    for member in members:
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > 1024 * 1024 and ratio > common.MAX_ZIP_RATIO:
            return f"zip bomb suspected: {member.filename} compresses {ratio:.0f}:1; refused"
    for member in members:
        if not member.filename.lower().endswith(XML_SUFFIXES):
            continue
        try:
            with archive.open(member) as stream:
                head = stream.read(4096)
        except (zipfile.BadZipFile, OSError, NotImplementedError, RuntimeError) as exc:
            return f"damaged zip member {member.filename}: {exc}"
        if any(marker in head.upper() for marker in DTD_MARKERS):
            return f"{member.filename} declares a DTD or entities (possible XXE); refused"
    return None
