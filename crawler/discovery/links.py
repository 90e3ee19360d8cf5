"""Find every URL a page links to, including the ones only its scripts know.

TRS WCM and Hanweb article pages hide attachments in places a plain
``a/@href`` scan misses: ``document.write`` strings, ``window.open`` calls,
``OLDSRC`` attributes, frames. URLs come back as a browser would request them
(``w3lib.url.safe_url_string``: path as UTF-8, query in the page encoding),
with the variants old servers expect as fallbacks; but a host written as an
address in an unusual form (``2130706433``, ``0x7f.1``, ``127.1``) is kept as
written, so it never passes for the crawl's own host (``crawler.addresses``).
"""

from __future__ import annotations

import html as htmllib
import re
from dataclasses import dataclass, replace
from posixpath import splitext
from urllib.parse import parse_qsl, unquote, urljoin, urlsplit, urlunsplit

import lxml.etree
import lxml.html
from w3lib.url import safe_url_string

from charsets import wider_codec
from crawler.addresses import unusual_address
from crawler.discovery.jstext import string_chains, strip_comments, unescape

ATTACHMENT_EXTENSIONS = frozenset(".pdf .xls .xlsx .doc .docx .et .wps .zip .rar .7z .txt .csv .ofd".split())
_DOWNLOAD_SEGMENT = re.compile(r"down(?:load)?file|download|filedown", re.I)
_PAGE_EXTENSIONS = frozenset(".html .htm .shtml .xhtml".split())
_SKIPPED_SCHEMES = ("javascript:", "mailto:", "tel:", "data:", "vbscript:", "about:", "file:")
JS_SCRIPT_TYPES = frozenset(
    {"", "text/javascript", "application/javascript", "text/ecmascript", "module", "javascript"}
)
# Parts of an href a browser ignores: ASCII tab and newlines anywhere.
_IGNORED_CHARS = re.compile(r"[\t\n\r]")
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
# Tags inside JavaScript strings; only complete tags (a closing ">") count, so a
# literal cut by a concatenated expression is not misread.
_JS_TAG = re.compile(r"<(a|area|iframe|frame|embed)\b([^<>]*)>", re.I)
_JS_ATTR = re.compile(r"""([\w:-]+)\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]+)""")
_JS_ANCHOR_END = re.compile(r"</a\s*>", re.I)
_TAGS = re.compile(r"<[^>]*>")
_ENTITY = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")
# window.open('..'), location.href = '..', location.replace("..") and kin.
_JS_NAVIGATION = re.compile(
    r"""(?:\bwindow\.open|\blocation\.(?:replace|assign))\s*\(\s*(?P<q1>["'])(?P<u1>(?:\\.|(?!(?P=q1)).)*)(?P=q1)\s*[,)]"""
    r"""|\b(?:window\.|document\.|self\.|top\.|parent\.)?location(?:\.href)?\s*=\s*(?P<q2>["'])(?P<u2>(?:\\.|(?!(?P=q2)).)*)(?P=q2)\s*(?:[;\n}]|$)""",
    re.S,
)
_URLISH_LITERAL = re.compile(r"^[^\s<>\"'()]+$")


@dataclass(frozen=True)
class Link:
    """One URL found on a page.

    ``url`` is what a browser would request; ``fallback_urls`` are other
    spellings worth trying when it fails (path in the page encoding, TRS
    ``OLDSRC``). ``source`` says where it was found: ``a``, ``area``,
    ``iframe``, ``frame``, ``embed``, ``object``, ``oldsrc``, ``script``
    (string literals and ``on*``/``javascript:`` handlers) or ``hanweb``.
    """

    url: str
    text: str
    source: str
    is_attachment: bool
    fallback_urls: tuple[str, ...] = ()


def page_encoding(encoding: str | None) -> str:
    """Normalise an encoding label; GBK and GB2312 widen to GB18030."""
    return wider_codec(encoding) or "utf-8"


def is_attachment_url(url: str) -> bool:
    """Whether a URL names a downloadable document rather than a page.

    By extension of the path or of a query value (``downfile.jsp?filename=x.pdf``),
    by the JEECMS upload folder ``/u/cms/``, or by a download endpoint name.
    """
    parts = urlsplit(url)
    path = unquote(parts.path).lower()
    if splitext(path)[1] in ATTACHMENT_EXTENSIONS or "/u/cms/" in path:
        return True
    if _DOWNLOAD_SEGMENT.search(path.rsplit("/", 1)[-1]):
        return True
    if splitext(path)[1] in _PAGE_EXTENSIONS:  # a viewer page, not the file it shows
        return False
    return any(
        splitext(value.lower())[1] in ATTACHMENT_EXTENSIONS
        for _, value in parse_qsl(parts.query, keep_blank_values=True)
    )


def safe_url(url: str, encoding: str, path_encoding: str = "utf-8") -> str:
    """``safe_url_string``, except that a host written as an address in an unusual form
    (``2130706433``, ``0x7f.1``, ``127.1``, ``127.0.0.1.``) stays as written: w3lib, as browsers,
    would make it ``127.0.0.1``, and a link to it would look like a loopback crawl's own host.
    Raises ValueError for a host no browser accepts (``08.1.1.1``)."""
    safe = safe_url_string(url, encoding=encoding, path_encoding=path_encoding)
    host = urlsplit(url).hostname or ""
    if not unusual_address(host):
        return safe
    parts = urlsplit(safe)
    netloc = parts.netloc.rsplit("@", 1)[-1]  # no credentials: such a link is recorded, never fetched
    return urlunsplit(parts._replace(netloc=host + netloc[len(parts.hostname or ""):]))


def resolve_href(href: str, base_url: str, encoding: str) -> tuple[str, tuple[str, ...]] | None:
    """Resolve an href as a browser would; ``None`` for what is not a fetchable page.

    Returns ``(url, fallbacks)``. Fragments are dropped. When the raw href held
    non-ASCII characters and the page is not UTF-8, the fallback spells the
    path in the page encoding too, as pre-UTF-8 servers expect.
    """
    href = _IGNORED_CHARS.sub("", href).strip()
    if not href or href.startswith("#") or href.lower().startswith(_SKIPPED_SCHEMES):
        return None
    if "\\" in href:  # browsers read "\\" as "/" before the query of an http(s) URL
        head, sep, query = href.partition("?")
        href = head.replace("\\", "/") + sep + query
    joined = urljoin(base_url, href).split("#", 1)[0]
    if urlsplit(joined).scheme not in ("http", "https"):
        return None
    encoding = page_encoding(encoding)
    try:
        url = safe_url(joined, encoding)
    except ValueError:  # a host no browser accepts, e.g. "08.1.1.1"
        return None
    fallbacks: tuple[str, ...] = ()
    if not href.isascii() and encoding != "utf-8":
        legacy = safe_url(joined, encoding, path_encoding=encoding)
        if legacy != url:
            fallbacks = (legacy,)
    return url, fallbacks


def decode_entities(value: str) -> str:
    """Decode character references in raw attribute text, only ``;``-terminated ones.

    Browsers leave ``&para=1`` in an attribute alone; ``html.unescape`` would
    turn it into ``¶=1`` and break the query.
    """
    return _ENTITY.sub(lambda m: htmllib.unescape(m.group(0)), value)


def _clean_text(text: str) -> str:
    return " ".join(text.split())


class LinkCollector:
    """Accumulates links in document order, merging repeats of one URL."""

    def __init__(self, base_url: str, encoding: str) -> None:
        self.base_url = base_url
        self.encoding = encoding
        self.links: dict[str, Link] = {}

    def add(self, href: str | None, text: str, source: str, extra: tuple[str, ...] = ()) -> None:
        resolved = resolve_href(href or "", self.base_url, self.encoding)
        if resolved is None:
            return
        url, fallbacks = resolved
        for raw in extra:
            other = resolve_href(raw, self.base_url, self.encoding)
            if other is not None:
                fallbacks += (other[0], *other[1])
        fallbacks = tuple(dict.fromkeys(f for f in fallbacks if f != url))
        link = Link(url, _clean_text(text), source, is_attachment_url(url), fallbacks)
        old = self.links.get(url)
        if old is None:
            self.links[url] = link
        else:
            self.links[url] = replace(
                old,
                text=old.text or link.text,
                is_attachment=old.is_attachment or link.is_attachment,
                fallback_urls=tuple(dict.fromkeys(old.fallback_urls + link.fallback_urls)),
            )
        self._add_viewer_target(url, link.text, source)

    def _add_viewer_target(self, url: str, text: str, source: str) -> None:
        """A PDF viewer page (``viewer.html?file=/u/cms/x.pdf``) also links its file."""
        for name, value in parse_qsl(urlsplit(url).query):
            if name.lower() == "file" and is_attachment_url(value):
                self.add(urljoin(url, value), text, source)


def _scan_script(code: str, collector: LinkCollector, text: str = "") -> None:
    """Collect URLs from script text: HTML in strings, navigation calls, file paths.

    ``text`` labels the URLs not inside an HTML string (an ``onclick``'s element text).
    """
    for match in _JS_NAVIGATION.finditer(strip_comments(code)):
        raw = match.group("u1") if match.group("u1") is not None else match.group("u2")
        collector.add(unescape(raw), text, "script")
    for chain in string_chains(code):
        for piece in chain:
            if piece is None:
                continue
            if "<" in piece:
                _scan_html_string(piece, collector)
            elif len(chain) == 1 and _URLISH_LITERAL.match(piece) and is_attachment_url(piece):
                collector.add(piece, text, "script")


def _scan_html_string(fragment: str, collector: LinkCollector) -> None:
    """Collect links from HTML held in a JavaScript string (``document.write``)."""
    for tag in _JS_TAG.finditer(fragment):
        attrs = {
            name.lower(): decode_entities(value.strip("\"'"))
            for name, value in _JS_ATTR.findall(tag.group(2))
        }
        name = tag.group(1).lower()
        text = ""
        if name == "a":
            end = _JS_ANCHOR_END.search(fragment, tag.end())
            if end:
                text = htmllib.unescape(_TAGS.sub(" ", fragment[tag.end() : end.start()]))
            text = text.strip() or attrs.get("title", "")
        url_attr = "href" if name in ("a", "area") else "src"
        oldsrc = attrs.get("oldsrc")
        if attrs.get(url_attr):
            collector.add(attrs[url_attr], text, "script", (oldsrc,) if oldsrc else ())
        elif oldsrc:
            collector.add(oldsrc, text, "script")


def parse_html(html: str) -> lxml.html.HtmlElement | None:
    """Parse a page or fragment leniently; ``None`` when there is nothing to parse."""
    html = _XML_DECL.sub("", html, count=1)
    if not html.strip():
        return None
    try:
        return lxml.html.document_fromstring(html)
    except (lxml.etree.ParserError, ValueError):
        return None


def base_href(root: lxml.html.HtmlElement, page_url: str) -> str:
    """The URL relative links resolve against: ``<base href>`` if present."""
    for base in root.iter("base"):
        href = base.get("href")
        if href and href.strip():
            return urljoin(page_url, _IGNORED_CHARS.sub("", href.strip()))
    return page_url


def _element_text(el: lxml.html.HtmlElement) -> str:
    return _clean_text(el.text_content()) or _clean_text(el.get("title") or "")


def _scan_handlers(el: lxml.html.HtmlElement, collector: LinkCollector) -> None:
    """Collect URLs from ``on*`` attributes and ``javascript:`` hrefs."""
    scripts = [value for name, value in el.attrib.items() if name.startswith("on") and value]
    href = (el.get("href") or "").strip()
    if href.lower().startswith("javascript:"):
        scripts.append(href[len("javascript:") :])
    if scripts:
        text = _element_text(el) if el.tag in ("a", "area", "button") else ""
        for code in scripts:
            _scan_script(code, collector, text)


def collect_links(root: lxml.html.HtmlElement, collector: LinkCollector) -> None:
    """Walk a parsed document and feed every URL it holds to ``collector``."""
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        tag = el.tag.lower()
        if tag == "script":
            if (el.get("type") or "").strip().lower() in JS_SCRIPT_TYPES and el.text:
                _scan_script(el.text, collector)
            continue
        _scan_handlers(el, collector)
        oldsrc = el.get("oldsrc")
        extra = (oldsrc,) if oldsrc else ()
        if tag in ("a", "area"):
            href = el.get("href")
            if href and href.strip() and not href.strip().lower().startswith("javascript:"):
                collector.add(href, _element_text(el), tag, extra)
                continue
        elif tag in ("iframe", "frame", "embed") and el.get("src"):
            collector.add(el.get("src"), el.get("title") or "", tag, extra)
            continue
        elif tag == "object" and el.get("data"):
            collector.add(el.get("data"), el.get("title") or "", tag, extra)
            continue
        if oldsrc and tag != "img":
            collector.add(oldsrc, _element_text(el), "oldsrc")


def extract_links(html: str, base_url: str, encoding: str) -> list[Link]:
    """Every fetchable URL in ``html``, in document order, one ``Link`` per URL.

    ``base_url`` is the page's URL (a ``<base href>`` in the page overrides it
    for resolution); ``encoding`` is the page encoding from ``decode_html``.
    """
    root = parse_html(html)
    if root is None:
        return []
    collector = LinkCollector(base_href(root, base_url), encoding)
    collect_links(root, collector)
    return list(collector.links.values())
