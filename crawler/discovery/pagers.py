"""Find the other pages of a paginated list page.

TRS WCM list pages write their pager with ``createPageHTML(count, current,
"index", "html")`` or hand-rolled ``document.write`` loops, so page 2 is
``index_1.html`` and nothing in the static HTML links it. Other portals page
with ``?pageIndex=N`` and print the total as ``共5页``. We read those scripts
and texts instead of running them.

Every family is bounded: never more than ``max_pages`` URLs, never a page
number above ``max_pages``, so a pager that always offers a "next" page (a
calendar, a broken counter) cannot lead the crawl on forever.
"""

from __future__ import annotations

import math
import re
from itertools import pairwise
from urllib.parse import parse_qsl, urljoin, urlsplit

import lxml.html
from w3lib.url import add_or_replace_parameter, safe_url_string, url_query_cleaner

from crawler.discovery.jstext import string_chains, unescape
from crawler.discovery.links import (
    JS_SCRIPT_TYPES,
    base_href,
    page_encoding,
    parse_html,
    safe_url,
)

MAX_PAGES = 500

_CALL_ARGS = re.compile(r"\bcreatePageHTML\s*\(([^()]*)\)")
_ARG = re.compile(r"""\s*("(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'|[^,]*)\s*(?:,|$)""")
_NUMBER = re.compile(r"-?\d+")
_IDENT = re.compile(r"[A-Za-z_$][\w$]*")
_ASSIGN = re.compile(
    r"""(?<![\w$.])([A-Za-z_$][\w$]*)\s*=\s*(-?\d+|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*')\s*(?=[;,\n}]|//|$)"""
)
_COUNT_VARS = frozenset(
    name.lower()
    for name in (
        "countPage pageCount totalPage totalPages pageTotal page_count totalpage maxPage "
        "nPageCount pageSum pages_count totalPageCount"
    ).split()
)
_CURRENT_VARS = frozenset(("currentpage", "curpage", "ncurrindex", "pageindex", "currpage"))
_TOTAL_TEXT = (
    re.compile(r"共\s*(\d+)\s*页"),
    re.compile(r"总页数\s*[:：]?\s*(\d+)"),
    re.compile(r"\d+\s*/\s*(\d+)\s*页"),
)
_RECORDS_TEXT = re.compile(r"共\s*(\d+)\s*条")
_PER_PAGE_TEXT = re.compile(r"每页\s*(\d+)\s*条")
_QUERY_PARAMS = frozenset(
    "page pageindex pageno pagenum pagenumber currentpage curpage currpage cpage pn".split()
)
_PAGER_WORDS = frozenset("首页 上一页 下一页 尾页 末页 上页 下页 next prev last first > < >> << » «".split())
_TEMPLATE_HEAD = re.compile(r"""(?:href\s*=\s*\\?["']?|^)([\w./:-]*[_-])$""")
# Only a literal's last characters can hold a template's head; bounding the
# slice keeps the anchored search linear on long literals.
_HEAD_WINDOW = 300
_TEMPLATE_TAIL = re.compile(r"^\.(\w{2,6})\b")
_INDEX_LEAF = re.compile(r"index\.\w+")
_NUMBERED = re.compile(r"^(?P<stem>.+?)(?:_(?P<n>\d+))?\.(?P<ext>s?html?|jsp|php|aspx?)$", re.I)


def _script_text(root: lxml.html.HtmlElement) -> str:
    return "\n".join(
        el.text or ""
        for el in root.iter("script")
        if (el.get("type") or "").strip().lower() in JS_SCRIPT_TYPES
    )


def _variables(code: str) -> dict[str, int | str]:
    """Literal assignments in script (``var countPage = 5``); the first one wins."""
    found: dict[str, int | str] = {}
    for name, value in _ASSIGN.findall(code):
        if name in found:
            continue
        found[name] = int(value) if _NUMBER.fullmatch(value) else unescape(value[1:-1])
    return found


def _count_from_vars(variables: dict[str, int | str]) -> int | None:
    for name, value in variables.items():
        if name.lower() in _COUNT_VARS and isinstance(value, int) and value > 0:
            return value
    return None


def _count_from_text(text: str) -> int | None:
    """Total pages as the page prints it: 共5页, 1/5页, 总页数：5, or 共N条 / 每页M条."""
    for pattern in _TOTAL_TEXT:
        match = pattern.search(text)
        if match:
            return int(match.group(1))
    records, per_page = _RECORDS_TEXT.search(text), _PER_PAGE_TEXT.search(text)
    if records and per_page and int(per_page.group(1)) > 0:
        return math.ceil(int(records.group(1)) / int(per_page.group(1)))
    return None


def _evaluate(arg: str, variables: dict[str, int | str]) -> int | str | None:
    arg = arg.strip()
    if _NUMBER.fullmatch(arg):
        return int(arg)
    if len(arg) >= 2 and arg[0] == arg[-1] and arg[0] in "'\"":
        return unescape(arg[1:-1])
    if _IDENT.fullmatch(arg):
        return variables.get(arg)
    return None


def _trs_pages(count: int, stem: str, ext: str, base: str, max_pages: int) -> list[str]:
    """TRS numbering: page 0 is ``stem.ext``, page i is ``stem_i.ext``."""
    names = [f"{stem}.{ext}"] + [f"{stem}_{i}.{ext}" for i in range(1, min(count, max_pages))]
    return [urljoin(base, name) for name in names]


def _create_page_html(code: str, variables: dict[str, int | str], base: str, max_pages: int) -> list[str]:
    """Pages named by ``createPageHTML([div,] count, current, name, ext[, total])`` calls."""
    urls: list[str] = []
    for call in _CALL_ARGS.finditer(code):
        args = [_evaluate(m.group(1), variables) for m in _ARG.finditer(call.group(1)) if m.group(0)]
        for i in range(len(args) - 3):
            count, current, stem, ext = args[i : i + 4]
            if (
                isinstance(count, int)
                and isinstance(current, int)
                and isinstance(stem, str)
                and isinstance(ext, str)
                and stem
                and ext
            ):
                urls += _trs_pages(count, stem, ext.lstrip("."), base, max_pages)
                break
    return urls


def _written_pagers(
    code: str, variables: dict[str, int | str], count: int | None, base: str, max_pages: int
) -> list[str]:
    """Pages from concatenated templates such as ``"<a href=\\"index_" + i + ".htm\\">"``.

    With a known page count, every page; TRS numbering (page 0 without a
    number) when the script also spells the unnumbered page, else 1..count.
    Without a count, only the page after the current one.
    """
    chains = string_chains(code)
    joined_literals = "\n".join(piece for chain in chains for piece in chain if piece)
    current = next(
        (v for k, v in variables.items() if k.lower() in _CURRENT_VARS and isinstance(v, int)), None
    )
    urls: list[str] = []
    for chain in chains:
        for i in range(len(chain) - 2):
            head, gap, tail = chain[i : i + 3]
            if gap is not None or not isinstance(head, str) or not isinstance(tail, str):
                continue
            head_match = _TEMPLATE_HEAD.search(head[-_HEAD_WINDOW:])
            tail_match = _TEMPLATE_TAIL.match(tail)
            if not head_match or not tail_match:
                continue
            prefix, ext = head_match.group(1), tail_match.group(1)
            stem = prefix[:-1]
            if not stem.rsplit("/", 1)[-1]:
                continue
            if count is not None:
                pages = min(count, max_pages)
                zero_based = f"{stem}.{ext}" in joined_literals
                numbers = range(1, pages) if zero_based else range(1, pages + 1)
                names = ([f"{stem}.{ext}"] if zero_based else []) + [f"{prefix}{n}.{ext}" for n in numbers]
            elif current is not None and 0 <= current < max_pages:
                names = [f"{prefix}{current + 1}.{ext}"]
            else:
                continue
            urls += [urljoin(base, name) for name in names]
    return urls


def _is_pager_label(anchor: lxml.html.HtmlElement) -> bool:
    label = " ".join(anchor.text_content().split()).lower()
    return label in _PAGER_WORDS or label.isdigit()


def _pager_param(url: str) -> tuple[str, int] | None:
    for name, value in parse_qsl(urlsplit(url).query, keep_blank_values=True):
        if name.lower() in _QUERY_PARAMS and value.isdigit():
            return name, int(value)
    return None


def _query_pagers(
    root: lxml.html.HtmlElement, code: str, base: str, url: str, count: int | None, max_pages: int
) -> list[str]:
    """``?pageIndex=N`` pages 1..count, when the page states its page count.

    Templates come from the page's own URL, from pager links (same path, or
    labelled 下一页/尾页/a digit) and from script literals ending in ``page=``.
    """
    if count is None:
        return []
    templates: dict[tuple[str, str], int] = {}

    def consider(candidate: str) -> None:
        found = _pager_param(candidate)
        if found:
            name, value = found
            key = (url_query_cleaner(candidate, [name], remove=True), name)
            templates[key] = min(templates.get(key, value), value)

    consider(url)
    own_path = urlsplit(url).path
    for anchor in root.iter("a"):
        href = anchor.get("href")
        if not href:
            continue
        target = urljoin(base, href.strip())
        if urlsplit(target).path == own_path or _is_pager_label(anchor):
            consider(target)
    for chain in string_chains(code):
        for piece, after in pairwise(chain):
            if isinstance(piece, str) and after is None and piece.endswith("="):
                name = piece.rsplit("?", 1)[-1].rsplit("&", 1)[-1][:-1]
                if name.lower() in _QUERY_PARAMS:
                    consider(urljoin(base, piece + "1"))
    own_template = None if _pager_param(url) else url_query_cleaner(url, [], remove=True)
    urls: list[str] = []
    for (template, name), lowest in templates.items():
        first = 0 if lowest == 0 else 1
        for n in range(first, first + min(count, max_pages)):
            if n == first and template == own_template:
                continue  # the first page is the page itself, without the parameter
            urls.append(add_or_replace_parameter(template, name, str(n)))
    return urls


def _numbered_siblings(root: lxml.html.HtmlElement, base: str, url: str, max_pages: int) -> list[str]:
    """Fill ``index_1.html`` .. ``index_M.html`` from the highest pager link on the page.

    Only links labelled as a pager (a digit, 下一页, 尾页 …) count, so related
    articles named ``t20200110_45.html`` are not taken for pages.
    """
    directory, _, name = urlsplit(url).path.rpartition("/")
    own = _NUMBERED.match(name) if name else None
    stem = own.group("stem") if own else "index"
    highest, ext = 0, own.group("ext") if own else None
    for anchor in root.iter("a"):
        href = anchor.get("href")
        if not href:
            continue
        if not _is_pager_label(anchor):
            continue
        parts = urlsplit(urljoin(base, href.strip()))
        folder, _, leaf = parts.path.rpartition("/")
        match = _NUMBERED.match(leaf)
        if folder != directory or not match or match.group("stem") != stem or not match.group("n"):
            continue
        if ext is None:
            ext = match.group("ext")
        if match.group("ext") == ext and int(match.group("n")) <= max_pages:
            highest = max(highest, int(match.group("n")))
    if not highest:
        return []
    page_dir = urljoin(url, "./")
    names = [f"{stem}.{ext}"] + [f"{stem}_{n}.{ext}" for n in range(1, highest + 1)]
    return [urljoin(page_dir, n) for n in names]


def extract_pager_urls(
    html: str, url: str, *, encoding: str = "utf-8", max_pages: int = MAX_PAGES
) -> list[str]:
    """Absolute URLs of the other pages of the list page ``html`` fetched from ``url``.

    Covers TRS ``createPageHTML`` calls, ``document.write`` pagers,
    ``?page=N``-style pagers whose page states the total, and numbered
    ``index_N.html`` siblings. The page's own URL is left out.
    """
    root = parse_html(html)
    if root is None:
        return []
    base = base_href(root, url)
    code = _script_text(root)
    variables = _variables(code)
    count = _count_from_vars(variables) or _count_from_text(root.text_content())
    found = (
        _create_page_html(code, variables, base, max_pages)
        + _written_pagers(code, variables, count, base, max_pages)
        + _query_pagers(root, code, base, url, count, max_pages)
        + _numbered_siblings(root, base, url, max_pages)
    )
    encoding = page_encoding(encoding)
    own = safe_url_string(url.split("#", 1)[0], encoding=encoding)
    result: dict[str, None] = {}
    for candidate in found:
        try:  # a host written as an unusual address stays so, off the crawl's hosts
            safe = safe_url(candidate.split("#", 1)[0], encoding)
        except ValueError:  # a host no browser accepts
            continue
        if safe != own and not _serves_as(own, safe) and urlsplit(safe).scheme in ("http", "https"):
            result[safe] = None
    return list(result)


def _serves_as(own: str, candidate: str) -> bool:
    """Whether ``candidate`` is the ``index.*`` page that the directory URL ``own`` serves."""
    return (
        own.endswith("/")
        and candidate.startswith(own)
        and _INDEX_LEAF.fullmatch(candidate[len(own) :]) is not None
    )
