"""One reader per format, chosen by sniffing the bytes: `read_file(name, data)`.

Whatever goes wrong inside a reader becomes `ExtractedFile.error`, so one bad attachment
never stops the rest of a disclosure. Crashes and hangs of the libraries themselves are
contained one level up, by `parsers.isolation`.
"""
from __future__ import annotations

import hashlib
import importlib
import logging
from collections.abc import Callable
from pathlib import PurePath

from parsers.model import ExtractedFile
from parsers.sniff import ole_streams, sniff

log = logging.getLogger(__name__)

Reader = Callable[[str, bytes], ExtractedFile]

OFFICE_SUFFIXES = {".pdf", ".xls", ".xlsx", ".doc", ".docx", ".et", ".wps", ".html", ".htm"}


# format -> (module, function); modules are imported on first use, so that a worker
# reading spreadsheets never loads the OCR engine.
READERS = {
    "pdf": ("pdf", "read_pdf"),
    "xls": ("sheets", "read_xls"),
    "xlsx": ("sheets", "read_xlsx"),
    "docx": ("word", "read_docx"),
    "doc": ("word", "read_doc"),
    "html": ("html", "read_html"),
    "text": ("text", "read_text"),
    "image": ("image", "read_image_file"),
    "zip": ("archive", "read_zip"),
}


def _reader(fmt: str) -> Reader | None:
    if fmt not in READERS:
        return None
    module, function = READERS[fmt]
    return getattr(importlib.import_module(f"parsers.readers.{module}"), function)


def _unreadable(fmt: str, data: bytes) -> str:
    if fmt == "empty":
        return "empty file (0 bytes or only whitespace)"
    if fmt == "ole":
        streams = ", ".join(ole_streams(data)[:12]) or "none readable"
        return (
            "OLE2 file without a Workbook or WordDocument stream (a WPS .et/.wps or other "
            f"proprietary format that is not supported); streams: {streams}"
        )
    if fmt in ("rar", "7z"):
        return f"{fmt} archive: not supported (only zip archives are unpacked)"
    return f"unknown file format (first bytes {data[:8]!r})"


def read_file(name: str, data: bytes) -> ExtractedFile:
    """Read one file's bytes into text and tables, or an ExtractedFile with `error` set.

    Only MemoryError escapes (it is the worker's memory limit, see `parsers.isolation`).
    """
    fmt = sniff(data)
    digest = hashlib.sha256(data).hexdigest()
    try:
        reader = _reader(fmt)
    except ImportError as exc:  # an optional library of this format is not installed
        return ExtractedFile(name=name, format=fmt, sha256=digest, error=f"{fmt} reader unavailable: {exc}")
    if reader is None:
        return ExtractedFile(name=name, format=fmt, sha256=digest, error=_unreadable(fmt, data))
    try:
        result = reader(name, data)
    except MemoryError:
        raise  # a memory limit is the isolating worker's to report
    except Exception as exc:  # a reader bug or a library failure on odd input
        log.exception("reading %s as %s failed", name, fmt)
        result = ExtractedFile(name=name, format=fmt, error=f"{fmt} reader failed: {type(exc).__name__}: {exc}"[:300])
    result.sha256 = digest
    suffix = PurePath(name).suffix.lower()
    if suffix in OFFICE_SUFFIXES and not _suffix_fits(suffix, fmt):
        result.warnings.append(f"named {suffix} but the content is {fmt}; read as {fmt}")
    return result


def _suffix_fits(suffix: str, fmt: str) -> bool:
    expected = {".htm": "html", ".et": "xls", ".wps": "doc"}.get(suffix, suffix.lstrip("."))
    return fmt.startswith(expected) or (suffix in {".xls", ".doc"} and fmt in {"xlsx", "docx"})
