"""The site model shared by both imitation portals: routes, pages, attachments, hooks.

A portal is a table of routes from a request target to a `Resource` whose body is
rendered when requested, so even a portal with thousands of generated articles holds
only small descriptions in memory. Targets are matched after percent-decoding the path
as UTF-8 (what browsers and Scrapy send) or, failing that, as GBK (what some old
clients send), with query parameters compared in any order.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, parse_qsl, unquote_to_bytes, urlencode

Query = dict[str, list[str]]


def route_key(target: str) -> str:
    """Canonical form of a request target: decoded path, '/' → index.html, sorted query."""
    target = target.split("#", 1)[0]
    path, _, query = target.partition("?")
    raw = path.encode("utf-8") if any(ord(c) > 255 for c in path) else path.encode("latin-1")
    raw = unquote_to_bytes(raw)
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError:
        decoded = raw.decode("gbk", errors="replace")
    if decoded.endswith("/"):
        decoded += "index.html"
    if not query:
        return decoded
    return decoded + "?" + urlencode(sorted(parse_qsl(query, keep_blank_values=True)))


def http_time(moment: datetime) -> datetime:
    """A modification time at HTTP-date resolution (whole seconds, UTC)."""
    return moment.astimezone(UTC).replace(microsecond=0)


def day_time(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


@dataclass
class Resource:
    """What one route answers: a body rendered on demand, and how to serve it."""

    content_type: str
    render: Callable[[Query], bytes]
    modified: Callable[[], datetime] | None = None  # None: dynamic page, no validators
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering
    fail_first: int = 0  # answer 503 + Retry-After this many times before the real answer
    query_routed: bool = False  # the route matches any query string and reads it
    failures_served: int = 0


@dataclass
class Attachment:
    """One file linked from an article, and how the page links it."""

    target: str  # request target as a browser sends it (percent-encoded UTF-8 path)
    href: str  # the link as written in the page (may be relative, raw Chinese, ...)
    filename: str  # the file's real name (from the URL or Content-Disposition)
    fmt: str  # pdf, xls, xlsx, docx
    source: Callable[[], bytes]
    style: str = "href"  # href | oldsrc (only in oldsrc=) | jsvar (inside a JS string)
    oldsrc: str | None = None  # TRS editor path written beside href as OLDSRC=
    disposition: str | None = None  # None | rfc5987 | gbk | utf8 (Content-Disposition form)
    fail_first: int = 0
    modified: datetime | None = None


@dataclass
class Article:
    """An article page: title, 信息公开 metadata, body and attachments."""

    target: str
    title: str
    published: date
    column: str
    body_html: Callable[[], str]
    metadata: dict[str, str] = field(default_factory=dict)  # index_no, publisher, publish_date, doc_no, source
    attachments: list[Attachment] = field(default_factory=list)
    charset: str = "utf-8"  # the body's bytes and its <meta charset>
    header_charset: str | None = None  # charset in the HTTP header when it disagrees
    delay: float = 0.0
    list_href: str | None = None  # how list pages link it, when not by its target


@dataclass
class Disclosure:
    """A genuine department budget/final-account disclosure and where it is published."""

    article: Article
    department: str
    kind: str  # budget | final_account
    fiscal_year: int
    region: dict
    duplicates: list[Article] = field(default_factory=list)


class BytesCache:
    """A small thread-safe LRU of generated file bytes, so big sites stay memory-light."""

    def __init__(self, size: int = 64) -> None:
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: str, make: Callable[[], bytes]) -> bytes:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        data = make()
        with self._lock:
            self._items[key] = data
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return data

    def drop(self, key: str) -> None:
        with self._lock:
            self._items.pop(key, None)


@dataclass
class Portal:
    """One imitation portal: its routes plus what the manifest reports about it."""

    name: str
    cms: str  # trs | hanweb
    host: str  # loopback address it is served on
    routes: dict[str, Resource] = field(default_factory=dict)
    files: dict[str, Attachment] = field(default_factory=dict)  # attachments by route key
    start_targets: list[str] = field(default_factory=list)
    disclosures: list[Disclosure] = field(default_factory=list)
    decoys: dict[str, list[str]] = field(default_factory=dict)
    decoy_attachments: list[str] = field(default_factory=list)
    news: list[str] = field(default_factory=list)
    disallowed: list[str] = field(default_factory=list)
    external_urls: list[str] = field(default_factory=list)
    not_found: str = ""
    slow: str = ""
    retry_once: str = ""
    latency: float = 0.0  # seconds every answer takes (so that requests overlap, in politeness tests)
    revision: datetime = field(default_factory=lambda: datetime(2022, 9, 1, tzinfo=UTC))
    new_disclosure: Callable[[], Disclosure] | None = None  # set by the builder: the add-article hook
    lock: threading.RLock = field(default_factory=threading.RLock)
    cache: BytesCache = field(default_factory=BytesCache)

    def add(self, target: str, resource: Resource) -> None:
        self.routes[route_key(target)] = resource

    def resolve(self, target: str) -> tuple[Resource | None, Query]:
        """The resource a request target names, and the query it carries."""
        key = route_key(target)
        query = parse_qs(target.partition("?")[2].split("#", 1)[0], keep_blank_values=True)
        with self.lock:
            if key in self.routes:
                return self.routes[key], query
            resource = self.routes.get(key.partition("?")[0])
        if resource is not None and resource.query_routed:
            return resource, query
        return None, query

    def add_attachment(self, att: Attachment) -> None:
        """Route an attachment; its bytes are made when first asked for and kept in the LRU."""
        key = route_key(att.target)
        self.files[key] = att
        self.add(att.target, Resource(
            content_type=_content_type(att.fmt), render=lambda q: self.cache.get(key, att.source),
            modified=lambda: att.modified or self.revision, headers=_disposition(att), fail_first=att.fail_first,
        ))

    # --- hooks that change the site between passes ---------------------------------

    def touch(self) -> datetime:
        """Advance the site's revision time (list pages' Last-Modified) past the last one."""
        with self.lock:
            now = http_time(datetime.now(UTC))
            self.revision = max(now, self.revision + timedelta(seconds=1))
            return self.revision

    def add_disclosure(self) -> Disclosure:
        """Publish one more generated disclosure; its column's list pages change."""
        assert self.new_disclosure is not None
        with self.lock:
            disclosure = self.new_disclosure()
            self.touch()
            return disclosure

    def replace_attachment(self, target: str, data: bytes) -> None:
        """Give an attachment new bytes (new ETag, new Last-Modified) at the same URL."""
        key = route_key(target)
        with self.lock:
            att = self.files[key]
            att.source = lambda: data
            att.modified = self.touch()
            self.cache.drop(key)

    def remove(self, target: str) -> None:
        """Make a page or file answer 404 (links to it stay, as on real sites)."""
        with self.lock:
            del self.routes[route_key(target)]
            self.touch()


def _content_type(fmt: str) -> str:
    from .files import CONTENT_TYPES

    return CONTENT_TYPES[fmt]


def _disposition(att: Attachment) -> dict[str, str]:
    """Content-Disposition in the forms real download scripts send.

    http.server writes header values as latin-1, so raw GBK/UTF-8 bytes are passed as
    the latin-1 string of those bytes and reach the wire unchanged.
    """
    from urllib.parse import quote

    if att.disposition is None:
        return {}
    if att.disposition == "rfc5987":
        fallback = "download." + att.fmt
        value = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(att.filename)}"
    elif att.disposition == "gbk":
        value = 'attachment; filename="' + att.filename.encode("gbk").decode("latin-1") + '"'
    elif att.disposition == "utf8":
        value = 'attachment; filename="' + att.filename.encode("utf-8").decode("latin-1") + '"'
    else:
        raise ValueError(att.disposition)
    return {"Content-Disposition": value}
