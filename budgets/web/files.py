"""Serving archived attachments: always as a download, under a name that cannot misbehave.

Archived files are hostile input (an attachment may be HTML with scripts), so they are
never rendered in the page's origin: `attachment` disposition, no sniffing, and a CSP
sandbox for browsers that open them anyway. The name comes from the crawl and is reduced
to a plain file name, with an ASCII fallback plus the RFC 6266 / 5987 UTF-8 form.
"""
from __future__ import annotations

import mimetypes
import re
import unicodedata
from urllib.parse import quote

_UNSAFE = re.compile(r'[\x00-\x1f\x7f"\\/:*?<>|;]+')
_CONTENT_TYPE = re.compile(r"[A-Za-z0-9.+-]+/[A-Za-z0-9.+-]+")
_MAX_NAME = 150


def safe_filename(name: str | None, sha256: str, content_type: str | None) -> str:
    """The last path segment of `name`, without control or reserved characters; never empty."""
    base = re.split(r"[/\\]", name or "")[-1]
    base = _UNSAFE.sub("_", unicodedata.normalize("NFC", base)).strip(" ._")
    if not base:
        base = sha256[:16] + (mimetypes.guess_extension(content_type or "") or "")
    if len(base) > _MAX_NAME:
        stem, dot, ext = base.rpartition(".")
        base = (stem[:_MAX_NAME - len(ext) - 1] + "." + ext) if dot and len(ext) <= 10 else base[:_MAX_NAME]
    return base


def content_disposition(filename: str) -> str:
    """`attachment` with an ASCII fallback name and the exact name percent-encoded in UTF-8."""
    ascii_name = filename.encode("ascii", "replace").decode("ascii").replace("?", "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def media_type(content_type: str | None) -> str:
    """The stored type without parameters, if it is a well-formed type; else octet-stream."""
    bare = (content_type or "").split(";", 1)[0].strip().lower()
    return bare if _CONTENT_TYPE.fullmatch(bare) else "application/octet-stream"


def download_headers(filename: str) -> dict[str, str]:
    return {
        "content-disposition": content_disposition(filename),
        "x-content-type-options": "nosniff",
        "content-security-policy": "sandbox; default-src 'none'",
        "cache-control": "private, max-age=3600",
    }
