"""The name a download was served under, from Content-Disposition or its URL.

Endpoints like ``downfile.jsp?classid=0&id=123`` name the file only in
``Content-Disposition``, and Chinese servers spell that header every way:
RFC 5987 ``filename*=UTF-8''%E9%83%A8…``, raw GBK or UTF-8 bytes in
``filename="…"``, percent-encoded (Java ``URLEncoder``, with ``+`` for space)
or RFC 2047 encoded words. The name is metadata (a title hint, a format
hint), never a path we write to, and is returned sanitised.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from email.header import decode_header, make_header
from os.path import splitext
from urllib.parse import parse_qsl, unquote_to_bytes, urlsplit

_PARAM = re.compile(r"""(?P<name>[^\s=;]+)\s*=\s*(?:"(?P<quoted>(?:\\.|[^"\\])*)"|(?P<token>[^;]*))""", re.S)
_PERCENT = re.compile(r"%[0-9A-Fa-f]{2}")
_ENCODED_WORD = re.compile(r"=\?[\w-]+\?[BbQq]\?.*?\?=")
_WINDOWS_RESERVED = re.compile(r'[<>:"|?*]')
_DEVICE_NAMES = frozenset(
    ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"]
    + [f"{kind}{n}" for kind in ("COM", "LPT") for n in "0123456789¹²³"]
)
_URL_NAME_PARAMS = ("filename", "fileName", "file_name", "name", "file", "fname")
_SCRIPT_SUFFIXES = (".jsp", ".asp", ".aspx", ".php", ".do", ".action", ".cgi", ".ashx")
_MAX_BYTES = 240

HeaderValue = bytes | str | Sequence[bytes | str]


def _decode_bytes(raw: bytes) -> str:
    """Header bytes as text: UTF-8 when valid, else GB18030 (what GBK servers send)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("gb18030", errors="replace")


def _header_text(value: bytes | str) -> str:
    if isinstance(value, bytes):
        return _decode_bytes(value)
    # A str header may be bytes read as Latin-1 by an HTTP library; undo that.
    if not value.isascii() and all(ord(ch) < 256 for ch in value):
        return _decode_bytes(value.encode("latin-1"))
    return value


def _content_disposition(headers: Mapping[bytes | str, HeaderValue]) -> str | None:
    for key, value in headers.items():
        name = key.decode("latin-1") if isinstance(key, bytes) else key
        if name.strip().lower() != "content-disposition":
            continue
        values = [value] if isinstance(value, bytes | str) else list(value)
        for item in values:
            if item:
                return _header_text(item)
    return None


def _percent_decoded(text: str) -> str:
    """Undo percent-encoding made from UTF-8 or GBK bytes; ``+`` is a space then (Java)."""
    if not _PERCENT.search(text):
        return text
    return _decode_bytes(unquote_to_bytes(text.replace("+", " ")))


def _ext_value(value: str) -> str | None:
    """Decode an RFC 5987 ext-value ``charset'lang'pct-encoded``."""
    charset, sep, rest = value.partition("'")
    if not sep:
        return None
    _lang, sep, encoded = rest.partition("'")
    if not sep:
        return None
    raw = unquote_to_bytes(encoded)
    try:
        return raw.decode(charset.strip() or "utf-8")
    except (LookupError, UnicodeDecodeError):
        return _decode_bytes(raw)


def _plain_value(value: str) -> str:
    if _ENCODED_WORD.search(value):
        try:
            return str(make_header(decode_header(value)))
        except (LookupError, UnicodeDecodeError, ValueError):
            pass
    return _percent_decoded(value)


def _from_disposition(header: str) -> str | None:
    """``filename*`` wins over ``filename``, as RFC 6266 says."""
    params: dict[str, str] = {}
    for match in _PARAM.finditer(header):
        name = match.group("name").lower()
        if match.group("quoted") is not None:
            # Only \" and \\ are unescaped: servers send Windows paths with bare backslashes.
            value = re.sub(r'\\(["\\])', r"\1", match.group("quoted"))
        else:
            value = (match.group("token") or "").strip()
        params.setdefault(name, value)
    if params.get("filename*"):
        decoded = _ext_value(params["filename*"].strip("\"'"))
        if decoded:
            return decoded
    if params.get("filename"):
        return _plain_value(params["filename"])
    return None


def _from_url(url: str) -> str | None:
    parts = urlsplit(url)
    # Latin-1 keeps the bytes, so a GBK-encoded value can be decoded as such.
    query = dict(parse_qsl(parts.query.replace("+", "%20"), encoding="latin-1"))
    for key in _URL_NAME_PARAMS:
        if "." in query.get(key, ""):
            return _decode_bytes(query[key].encode("latin-1"))
    leaf = parts.path.rsplit("/", 1)[-1]
    if not leaf or leaf.lower().endswith(_SCRIPT_SUFFIXES):
        return None
    return _percent_decoded(leaf)


def sanitize_filename(name: str) -> str | None:
    """Make a served name safe to show or store as metadata; ``None`` if nothing is left.

    Keeps Chinese; drops directories (both separators), control characters,
    characters Windows forbids, trailing dots and spaces; defuses device names
    (``CON``, ``NUL``, ``COM1``…); bounds the length, keeping the extension.
    """
    name = unicodedata.normalize("NFC", name)
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp"))
    name = _WINDOWS_RESERVED.sub("_", name).strip().rstrip(". ").lstrip()
    if not name or set(name) <= {"."}:
        return None
    if name.split(".", 1)[0].rstrip(" ").upper() in _DEVICE_NAMES:
        name = "_" + name
    if len(name.encode("utf-8")) > _MAX_BYTES:
        root, ext = splitext(name)
        if len(ext.encode("utf-8")) > 16:
            root, ext = name, ""
        budget = _MAX_BYTES - len(ext.encode("utf-8"))
        name = root.encode("utf-8")[:budget].decode("utf-8", "ignore") + ext
    return name


def filename_from_headers(headers: Mapping[bytes | str, HeaderValue], url: str) -> str | None:
    """The download's file name, sanitised; ``None`` when neither header nor URL names it.

    ``headers`` may be Scrapy ``Headers`` (bytes keys, lists of bytes values)
    or any mapping of str/bytes to str/bytes or lists of them.
    """
    header = _content_disposition(headers)
    for candidate in (_from_disposition(header) if header else None, _from_url(url)):
        if candidate:
            cleaned = sanitize_filename(candidate)
            if cleaned:
                return cleaned
    return None
