"""Hanweb (大汉) column pages: records kept in an XML data island, paged by jpage.

A Hanweb column page ships its first records inside
``<script type="text/xml"><datastore>…<record><![CDATA[<li>…</li>]]></record>…``,
which an HTML parser sees as script text, and the jQuery ``jpage`` plugin
fetches the rest by POSTing the column's parameters (``ajaxParam``: webid,
columnid, unitid, …) to ``/module/web/jpage/dataproxy.jsp?startrecord=S&
endrecord=E&perpage=P``, one group of ``perPage × groupSize`` records at a
time; the answer is the same ``<datastore>`` XML with ``<totalrecord>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from urllib.parse import parse_qsl, urljoin, urlsplit

import chompjs
from w3lib.url import add_or_replace_parameter

from crawler.discovery.links import (
    Link,
    LinkCollector,
    collect_links,
    decode_entities,
    parse_html,
)

MAX_REQUESTS = 500

_DATASTORE = re.compile(r"<datastore\b[^>]*>(.*?)</datastore\s*>", re.I | re.S)
_RECORD = re.compile(r"<record\b[^>]*>(.*?)</record\s*>", re.I | re.S)
_NEXTGROUP = re.compile(r"<nextgroup\b[^>]*>(.*?)</nextgroup\s*>", re.I | re.S)
_CDATA = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.S)
_HREF = re.compile(r"""href\s*=\s*(["'])(.*?)\1""", re.I | re.S)
_TOTAL_RECORD = re.compile(r"<totalrecord>\s*(\d+)\s*</totalrecord>", re.I)
_TOTAL_PAGE = re.compile(r"<totalpage>\s*(\d+)\s*</totalpage>", re.I)
_JPAGE_CALL = re.compile(r"""(?:\$|jQuery)\(\s*(["'])#?([^"']*)\1\s*\)\s*\.jpage\(\s*(?=\{)""")
_OBJECT_VAR = re.compile(r"""(?:var|let|const)\s+([A-Za-z_$][\w$]*)\s*=\s*(?=\{)""")
_KEY_VALUE = re.compile(r"""([A-Za-z_$][\w$]*)\s*:\s*(?:'([^']*)'|"([^"]*)"|([^,'"{}\s][^,{}]*))""")
_DEFAULT_PROXY = "/module/web/jpage/dataproxy.jsp"
# The parameters the dataproxy reads from the form; the nextgroup link carries most of them.
_FORM_KEYS = "col appid webid path columnid sourceContentType unitid webname permissiontype".split()


@dataclass(frozen=True)
class JpageSource:
    """One jpage list on a column page and how to ask its dataproxy for records."""

    proxy_url: str
    form: dict[str, str]
    per_page: int
    group_size: int
    total_record: int | None
    embedded: int


@dataclass(frozen=True)
class DataproxyRequest:
    """A dataproxy call: POST ``formdata`` (form-encoded) to ``url``."""

    url: str
    formdata: dict[str, str]
    method: str = "POST"


@dataclass(frozen=True)
class DataproxyPage:
    """A parsed dataproxy answer (or a page's own datastore)."""

    links: list[Link]
    total_record: int | None
    total_page: int | None


def _cdata(text: str) -> str:
    """The content of ``text`` with CDATA wrappers removed."""
    parts = _CDATA.findall(text)
    return "".join(parts) if parts else text


def _records(html: str) -> list[str]:
    return [_cdata(record) for store in _DATASTORE.findall(html) for record in _RECORD.findall(store)]


def extract_datastore_links(html: str, base_url: str, encoding: str) -> list[Link]:
    """Links inside the ``<record>`` CDATA of every ``<datastore>`` in ``html`` (``source="hanweb"``).

    Works on a column page and on a dataproxy XML answer alike.
    """
    collector = LinkCollector(base_url, encoding)
    for record in _records(html):
        root = parse_html(record)
        if root is not None:
            collect_links(root, collector)
    return [replace(link, source="hanweb") for link in collector.links.values()]


def parse_dataproxy(xml: str, base_url: str, encoding: str = "utf-8") -> DataproxyPage:
    """Read a dataproxy answer: its record links and the totals it reports."""
    total_record, total_page = _TOTAL_RECORD.search(xml), _TOTAL_PAGE.search(xml)
    return DataproxyPage(
        links=extract_datastore_links(xml, base_url, encoding),
        total_record=int(total_record.group(1)) if total_record else None,
        total_page=int(total_page.group(1)) if total_page else None,
    )


def _balanced_object(code: str, start: int) -> str | None:
    """The ``{…}`` literal starting at ``start``, skipping braces inside strings."""
    depth, quote, i = 0, "", start
    while i < len(code):
        ch = code[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return code[start : i + 1]
        i += 1
    return None


def _js_object(text: str) -> dict[str, object]:
    """Parse a JavaScript object literal; fall back to its flat ``key: value`` pairs."""
    try:
        value: object = chompjs.parse_js_object(text)
        if isinstance(value, dict):
            return value
    except ValueError:
        pass
    return {
        key: next(v for v in values if v is not None).strip()
        for key, *values in _KEY_VALUE.findall(text[1:-1])
    }


def _objects_by_name(code: str) -> dict[str, dict[str, object]]:
    """Object literals assigned to variables (``var param_4892867 = {col:1,…}``)."""
    found: dict[str, dict[str, object]] = {}
    for match in _OBJECT_VAR.finditer(code):
        literal = _balanced_object(code, match.end())
        if literal:
            found.setdefault(match.group(1), _js_object(literal))
    return found


def _nextgroup_params(store: str) -> dict[str, str]:
    """Query parameters of a datastore's ``<nextgroup>`` dataproxy link (values may be quoted)."""
    for block in _NEXTGROUP.findall(store):
        href = _HREF.search(_cdata(block))
        if href:
            query = urlsplit(decode_entities(href.group(2))).query
            return {key: value.strip("'\"") for key, value in parse_qsl(query, keep_blank_values=True)}
    return {}


def _datastore_for(html: str, container_id: str) -> str:
    """The datastore inside the element ``container_id``, else the page's first one."""
    for quote in "\"'":
        at = html.find(f"id={quote}{container_id}{quote}") if container_id else -1
        if at >= 0:
            match = _DATASTORE.search(html, at)
            if match:
                return match.group(1)
    match = _DATASTORE.search(html)
    return match.group(1) if match else ""


def _as_int(value: object, default: int | None) -> int | None:
    try:
        number = int(str(value).strip())
    except ValueError:
        return default
    return number if number > 0 else default


def _form(params: dict[str, object]) -> dict[str, str]:
    form = {key: str(params[key]) for key in _FORM_KEYS if params.get(key) not in (None, "")}
    form.setdefault("col", "1")
    return form


def find_jpage_sources(html: str, base_url: str) -> list[JpageSource]:
    """The jpage lists of a Hanweb column page, read from its scripts.

    The column parameters come from the jpage call's ``ajaxParam`` (inline or
    a ``var param_… = {…}``), else from its datastore's ``<nextgroup>`` link.
    A page with a datastore but no jpage call still yields one source, paged
    by the number of records it embeds.
    """
    named = _objects_by_name(html)
    sources: list[JpageSource] = []
    for call in _JPAGE_CALL.finditer(html):
        literal = _balanced_object(html, call.end())
        if literal is None:
            continue
        config = _js_object(literal)
        container = call.group(2)
        store = _datastore_for(html, container)
        ajax = config.get("ajaxParam") or f"param_{container}"
        if isinstance(ajax, str):
            ajax = named.get(ajax, {})
        params = {**_nextgroup_params(store), **(ajax if isinstance(ajax, dict) else {})}
        if "columnid" not in params:
            continue
        embedded = len(_RECORD.findall(store))
        sources.append(
            JpageSource(
                proxy_url=urljoin(base_url, str(config.get("proxyUrl") or _DEFAULT_PROXY)),
                form=_form(params),
                per_page=_as_int(config.get("perPage"), None) or max(embedded, 1),
                group_size=_as_int(config.get("groupSize"), 1) or 1,
                total_record=_as_int(config.get("totalRecord"), None),
                embedded=embedded,
            )
        )
    store = _datastore_for(html, "")
    params = _nextgroup_params(store)
    embedded = len(_RECORD.findall(store))
    if not sources and embedded and "columnid" in params:
        params = {**params, **named.get(f"param_{params.get('unitid')}", {})}
        sources.append(
            JpageSource(
                proxy_url=urljoin(base_url, _DEFAULT_PROXY),
                form=_form(params),
                per_page=embedded,
                group_size=1,
                total_record=None,
                embedded=embedded,
            )
        )
    return sources


def dataproxy_requests(
    source: JpageSource, *, total_record: int | None = None, max_requests: int = MAX_REQUESTS
) -> list[DataproxyRequest]:
    """The dataproxy calls that fetch the records the column page does not embed.

    ``total_record`` (from a dataproxy answer) overrides the page's figure.
    With no total known, only the next group is returned: read its
    ``<totalrecord>`` and call again. Never more than ``max_requests`` calls.
    """
    total = total_record if total_record is not None else source.total_record
    group = source.per_page * source.group_size
    requests: list[DataproxyRequest] = []
    start = 1
    while len(requests) < max_requests and (total is None or start <= total):
        end = start + group - 1 if total is None else min(start + group - 1, total)
        if end > source.embedded:
            url = source.proxy_url
            for key, value in (("startrecord", start), ("endrecord", end), ("perpage", source.per_page)):
                url = add_or_replace_parameter(url, key, str(value))
            requests.append(DataproxyRequest(url=url, formdata=dict(source.form)))
            if total is None:
                break
        start += group
    return requests
