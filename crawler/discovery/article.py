"""Read one article page of a government portal: title, date, metadata block and body.

Portals are built on a few content systems (TRS WCM, Hanweb/大汉, and home-grown copies
of them), so the page parts sit in a handful of well-known places: standard `<meta>`
tags (ArticleTitle, PubDate, ContentSource), a 政务公开 metadata block of label/value
pairs (索引号, 发布机构, …), and a body container (`TRS_Editor`, `#zoom`, …).  We read
those places first and fall back to generic cues (`<h1>`, `<title>`, printed dates,
text density) only when a page lacks them.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import lxml.html
import trafilatura
from lxml import etree

_SPACE = "[\\s\u3000\xa0]*"
_WS = re.compile(r"[\s\u3000\xa0]+")
_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
_CN_DIGITS = {"〇": 0, "零": 0, "○": 0, "Ｏ": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5,
              "六": 6, "七": 7, "八": 8, "九": 9}
_CN_DIGIT_CLASS = "〇零○Ｏ一二三四五六七八九"
# A year written digit by digit in Chinese numerals: 二〇二〇年.
_CN_YEAR = re.compile(f"[{_CN_DIGIT_CLASS}]{{4}}(?=年)")


def ascii_digits(text: str) -> str:
    """Return `text` with full-width digits and Chinese-numeral years (二〇二〇年) as ASCII digits.

    Keeps the length unchanged, so positions found in the result index the original too.
    """
    text = text.translate(_FULLWIDTH_DIGITS)
    return _CN_YEAR.sub(lambda m: "".join(str(_CN_DIGITS[c]) for c in m.group()), text)


def _cn_number(token: str) -> int | None:
    """Read a month or day written as digits or Chinese numerals (十, 十二, 二十一)."""
    if token.isdigit():
        return int(token)
    if "十" not in token:
        return _CN_DIGITS.get(token) if len(token) == 1 else None
    tens, _, units = token.partition("十")
    tens_value = _CN_DIGITS.get(tens, 0) if tens else 1
    units_value = _CN_DIGITS.get(units, 0) if units else 0
    return tens_value * 10 + units_value


_NUM = f"(\\d{{1,2}}|[{_CN_DIGIT_CLASS}十]{{1,3}})"
_DATE = re.compile(
    r"((?:19|20)\d{2})\s*(?:[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})(?!\d)"
    f"|年\\s*{_NUM}\\s*月\\s*{_NUM}\\s*日?)"
)


def parse_date(text: str) -> str | None:
    """Return the first date in `text` as YYYY-MM-DD (2020-1-10, 2020年01月10日, 二〇二〇年一月十日)."""
    for m in _DATE.finditer(ascii_digits(text)):
        month = m.group(2) or m.group(4)
        day = m.group(3) or m.group(5)
        month_n, day_n = _cn_number(month), _cn_number(day)
        if month_n is None or day_n is None:
            continue
        try:
            return dt.date(int(m.group(1)), month_n, day_n).isoformat()
        except ValueError:
            continue
    return None


def _clean(text: str | None) -> str:
    return _WS.sub(" ", text or "").strip()


# ---------------------------------------------------------------------------
# Metadata block: labels and where their values end.

# Output key -> printed labels, best first (发布日期 beats 成文日期 for publish_date).
METADATA_LABELS: dict[str, tuple[str, ...]] = {
    "index_no": ("信息索引号", "索引号"),
    "publisher": ("发布机构", "发文机关", "发文单位", "发布单位"),
    "publish_date": ("发布日期", "成文日期", "发文日期"),
    "doc_no": ("发文字号", "文号"),
    "source": ("信息来源", "来源"),
}
# Labels we do not report but must recognise, so that a value stops where they start;
# the title labels also give a title candidate.
_TITLE_LABELS = ("文件名称", "标题", "名称")
_OTHER_LABELS = (
    "发布时间", "发表时间", "更新时间", "时间", "日期", "作者", "编辑", "责任编辑", "浏览次数",
    "浏览量", "点击数", "字体", "点击量", "阅读次数", "访问次数", "字号", "分享到", "打印", "关闭",
    "主题分类", "体裁分类", "组配分类", "信息分类", "分类", "公开方式", "公开范围", "公开时限",
    "有效性", "生效日期", "废止日期", "关键词", "主题词", "所属主题", "服务对象", "内容概述",
)


def _label_pattern(label: str) -> str:
    """Match a label even when printed with spaces between its characters (索 引 号)."""
    return _SPACE.join(re.escape(ch) for ch in label)


_ALL_LABELS: list[tuple[str, str]] = sorted(
    [(key, label) for key, labels in METADATA_LABELS.items() for label in labels]
    + [("title", label) for label in _TITLE_LABELS]
    + [("", label) for label in _OTHER_LABELS],
    key=lambda kl: -len(kl[1]),
)
# A label starts a chunk or follows a space or bracket, and ends at a colon, a space or the
# chunk's end, so 资金来源 in running text is not the label 来源.
_LABEL_RE = re.compile(
    "(?:^|(?<=[\\s\u3000\xa0|｜【\\[]))(?:"
    + "|".join(f"(?P<l{i}>{_label_pattern(label)})" for i, (_, label) in enumerate(_ALL_LABELS))
    + ")" + _SPACE + "(?:[:：]|(?=[\\s\u3000\xa0])|$)"
)


def _label_key(match: re.Match) -> tuple[str, str]:
    """(output key, label as listed) of a label match; the key is "" for labels not reported."""
    group = match.lastgroup
    assert group is not None  # each label is its own named group
    return _ALL_LABELS[int(group[1:])]


def _value(text: str) -> str:
    """A printed value without the colon before it or the bracket of a following widget."""
    return _clean(text).strip(":：|｜【[ ")


def _next_value(chunks: list[str], start: int) -> str:
    """The value printed after a bare label: the next chunk, past a lone colon, unless a label."""
    for chunk in chunks[start:start + 2]:
        if _LABEL_RE.match(chunk):
            return ""
        value = _value(chunk)
        if value:
            return value
    return ""


def _metadata_from_chunks(chunks: list[str]) -> dict[str, tuple[str, str]]:
    """Read label/value pairs from text chunks in reading order; first value per label wins.

    A value is the text after its label up to the next label in the same chunk, or, when
    that is empty (label and value in separate cells), the next chunk that is not a label.
    Returns {key: (label, value)} keeping, per key, the best-ranked label found.
    """
    found: dict[str, tuple[str, str]] = {}
    for i, chunk in enumerate(chunks):
        matches = list(_LABEL_RE.finditer(chunk))
        for j, m in enumerate(matches):
            key, label = _label_key(m)
            if not key:
                continue
            end = matches[j + 1].start() if j + 1 < len(matches) else len(chunk)
            value = _value(chunk[m.end():end])
            if not value and j + 1 == len(matches):
                value = _next_value(chunks, i + 1)
            if not value:
                continue
            labels = METADATA_LABELS.get(key, _TITLE_LABELS)
            previous = found.get(key)
            if previous is None or labels.index(label) < labels.index(previous[0]):
                found[key] = (label, value)
    return found


# ---------------------------------------------------------------------------
# Page parts.

# Body containers of the content systems, best first.
_BODY_XPATHS = (
    "//div[contains(concat(' ', normalize-space(@class), ' '), ' TRS_Editor ')]",
    "//div[contains(@class, 'TRS_UEDITOR')]",
    "//*[@id='zoom' or @id='Zoom' or @id='ZOOM']",
    "//*[@id='UCAP-CONTENT']",
    "//div[contains(@class, 'Custom_UnionStyle') or contains(@class, 'pages_content')"
    " or contains(@class, 'my_doccontent')]",
    "//div[contains(@class, 'article_content') or contains(@class, 'article-content')"
    " or @id='article_content' or contains(@class, 'wz_zoom')]",
)
# Hanweb marks its body with comments or empty meta tags: (start, end) tests on a node.
_BODY_MARKERS = (
    (lambda n: n.tag is etree.Comment and "ZJEG_RSS.content.begin" in (n.text or ""),
     lambda n: n.tag is etree.Comment and "ZJEG_RSS.content.end" in (n.text or "")),
    (lambda n: n.tag == "meta" and (n.get("name") or "").lower() == "contentstart",
     lambda n: n.tag == "meta" and (n.get("name") or "").lower() == "contentend"),
)
# Title elements of the content systems' article templates.
_TITLE_XPATH = (
    "//*[contains(@class, 'article-title') or contains(@class, 'article_title')"
    " or contains(@class, 'xxgk_title') or contains(@class, 'detail-title')"
    " or contains(@class, 'detail_title') or contains(@class, 'news_title')"
    " or contains(@class, 'content-title') or contains(@class, 'content_title')"
    " or @id='ArticleTitle' or @id='title']"
)
_SITE_SUFFIX = re.compile(
    r"\s*(?:_|\||｜|——|—|--|\s-\s|-(?=[^-]*(?:政府|门户|网站|网)$)).*$"
)
_PRINTED_DATE = re.compile(
    f"(?<!成文)(?<!发文)(?:发布时间|发布日期|发表时间|更新时间|时间|日期){_SPACE}[:：]?{_SPACE}(.{{6,24}})"
)
_ARTICLE_LINK_MIN = 6  # characters a link text needs to look like an article title
_ITEM_DATE = re.compile(r"(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}")
_ATTACHMENT_HREF = re.compile(
    r"\.(?:pdf|docx?|xlsx?|wps|et|zip|rar|7z|ofd)(?:$|[?#])|down(?:load)?file|download", re.I)
# Hanweb column pages carry their list only as records of an XML data island.
_DATASTORE = re.compile(r"<datastore\b", re.I)
_LIST_PAGE_LINKS = 10
_LIST_PAGE_BODY_CHARS = 200
_DROP_TAGS = ("script", "style", "noscript", "template")


@dataclass
class Article:
    """What an article page says about itself; `body_html` is None when no body was found."""

    url: str
    title: str
    published_date: str | None
    page_metadata: dict[str, str]
    text: str
    body_html: str | None
    is_list_page: bool
    link_titles: list[str] = field(default_factory=list)


def _parse(html: str) -> lxml.html.HtmlElement:
    """Parse into a tree without scripts and styles, which only add false text."""
    # lxml refuses str input that carries an XML encoding declaration (XHTML pages do).
    html = re.sub(r"^\s*<\?xml[^>]*\?>", "", html)
    root = lxml.html.document_fromstring(html if html.strip() else "<html></html>")
    for bad in root.xpath("|".join(f"//{tag}" for tag in _DROP_TAGS)):
        bad.drop_tree()
    return root


def _wrap_marked_body(root: lxml.html.HtmlElement) -> lxml.html.HtmlElement | None:
    """Gather the nodes between Hanweb's begin and end markers into one `<div>`, in place."""
    for is_start, is_end in _BODY_MARKERS:
        start = next((n for n in root.iter() if is_start(n)), None)
        if start is None:
            continue
        parent = start.getparent()
        siblings = list(start.itersiblings())
        end = next((i for i, n in enumerate(siblings) if is_end(n)), None)
        if parent is None or end is None:
            continue
        wrapper = lxml.html.Element("div")
        wrapper.text, start.tail = start.tail, None
        for node in siblings[:end]:
            wrapper.append(node)  # moves the node, tail included
        start.addnext(wrapper)
        return wrapper
    return None


def _meta(root: lxml.html.HtmlElement, *names: str) -> str:
    lowered = [n.lower() for n in names]
    for name in lowered:
        for el in root.iter("meta"):
            if (el.get("name") or "").lower() == name and _clean(el.get("content")):
                return _clean(el.get("content"))
    return ""


def _find_body(root: lxml.html.HtmlElement) -> tuple[lxml.html.HtmlElement | None, bool]:
    """The body container, and whether a content system marked it (else guessed by density)."""
    for xp in _BODY_XPATHS:
        hits = root.xpath(xp)
        if hits:
            return hits[0], True
    wrapped = _wrap_marked_body(root)
    if wrapped is not None:
        return wrapped, True
    return _densest(root), False


def _densest(root: lxml.html.HtmlElement) -> lxml.html.HtmlElement | None:
    """The element whose own paragraphs carry the most text: the body of unknown templates."""
    best, best_len = None, 0
    for el in root.iter("div", "td", "article", "section"):
        size = sum(len(_clean(p.text_content())) for p in el if p.tag == "p")
        if size > best_len:
            best, best_len = el, size
    return best


def _chunks(el: lxml.html.HtmlElement, skip: lxml.html.HtmlElement | None) -> list[str]:
    """Non-empty text nodes of `el` in reading order, leaving out the subtree `skip`."""
    out: list[str] = []

    def walk(node: lxml.html.HtmlElement) -> None:
        if node is skip:
            if node.tail and node.tail.strip():
                out.append(node.tail.strip())
            return
        if isinstance(node.tag, str) and node.text and node.text.strip():
            out.append(node.text.strip())
        for child in node:
            walk(child)
        if node is not el and node.tail and node.tail.strip():
            out.append(node.tail.strip())

    walk(el)
    return out


def _title(root: lxml.html.HtmlElement, meta_block: dict[str, tuple[str, str]]) -> str:
    title = _meta(root, "ArticleTitle", "title")
    if not title and "title" in meta_block:
        title = meta_block["title"][1]
    if not title:
        texts = (_clean(el.text_content()) for el in root.xpath(_TITLE_XPATH))
        title = next((t for t in texts if 4 <= len(t) <= 200), "")
    head_title = root.xpath("//title")
    raw = _clean(head_title[0].text_content()) if head_title else ""
    stripped = _SITE_SUFFIX.sub("", raw)
    if not title:
        title = _heading(root, stripped, raw[len(stripped):])
    if not title:
        title = stripped if len(stripped) >= 4 else raw
    return title


def _heading(root: lxml.html.HtmlElement, head_title: str, site_part: str) -> str:
    """The `<h1>` that is the article's title, not the site logo (often also an `<h1>`).

    A logo heading names the site (SiteName, the `<title>` suffix) or is a link home; among
    the rest, one repeated in the `<title>` wins.
    """
    site = _meta(root, "SiteName")
    candidates = []
    for h1 in root.iter("h1"):
        text = _clean(h1.text_content())
        linked = "".join(_clean(a.text_content()) for a in h1.iter("a"))
        if len(text) < 4 or text == site or (site_part and text in site_part) or linked == text:
            continue
        candidates.append(text)
    return next((t for t in candidates if t in head_title), candidates[0] if candidates else "")


def _published(root: lxml.html.HtmlElement, meta_block: dict[str, tuple[str, str]],
               chunks: list[str]) -> str | None:
    candidates = [_meta(root, "PubDate", "publishdate", "firstpublishedtime")]
    label_value = meta_block.get("publish_date")
    if label_value and label_value[0] == "发布日期":
        candidates.append(label_value[1])
    for chunk in chunks:
        m = _PRINTED_DATE.search(chunk)
        if m:
            candidates.append(m.group(1))
    if label_value:
        candidates.append(label_value[1])
    for text in candidates:
        date = parse_date(text) if text else None
        if date:
            return date
    return None


def _text(body: lxml.html.HtmlElement | None, html: str) -> str:
    """Body text via trafilatura; the container's own text when trafilatura loses part of it."""
    if body is None:
        return _clean_lines(trafilatura.extract(html, include_tables=True, favor_recall=True) or "")
    own = _element_text(body)
    extracted = trafilatura.extract(
        f"<html><body>{lxml.html.tostring(body, encoding='unicode', with_tail=False)}</body></html>",
        include_tables=True, favor_recall=True, deduplicate=False,
    ) or ""
    if len(_WS.sub("", extracted)) < 0.9 * len(_WS.sub("", own)):
        return own
    return _clean_lines(extracted)


def _element_text(el: lxml.html.HtmlElement) -> str:
    """Text of a container, one line per block and table row (cells joined by tabs)."""
    lines: list[str] = []
    for row_or_block in _blocks(el):
        if isinstance(row_or_block, list):
            line = "\t".join(row_or_block)
        else:
            line = row_or_block
        if line.strip():
            lines.append(line.strip())
    return "\n".join(lines)


_BLOCK_TAGS = {"p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "br", "section", "article",
               "table", "tr", "ul", "ol", "dl", "dt", "dd", "blockquote", "pre"}


def _blocks(el: lxml.html.HtmlElement) -> list:
    """Split a container into text blocks: strings, or lists of cell strings for table rows."""
    out: list = []
    current: list[str] = []

    def flush() -> None:
        text = _clean("".join(current))
        if text:
            out.append(text)
        current.clear()

    def walk(node: lxml.html.HtmlElement) -> None:
        tag = node.tag if isinstance(node.tag, str) else ""
        if tag == "tr":
            flush()
            cells = [_clean(c.text_content()) for c in node if c.tag in ("td", "th")]
            if any(cells):
                out.append(cells)
        else:
            if tag in _BLOCK_TAGS:
                flush()
            if node.text:
                current.append(node.text)
            for child in node:
                walk(child)
                if child.tail:
                    current.append(child.tail)
            if tag in _BLOCK_TAGS:
                flush()

    walk(el)
    flush()
    return out


def _clean_lines(text: str) -> str:
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def _link_titles(scope: lxml.html.HtmlElement) -> list[str]:
    titles = []
    for a in scope.iter("a"):
        href = (a.get("href") or "").strip().lower()
        if not href or href.startswith(("javascript", "#", "mailto")):
            continue
        text = _clean(a.get("title") or a.text_content())
        if len(text) >= _ARTICLE_LINK_MIN:
            titles.append(text)
    return titles


def _dated_items(root: lxml.html.HtmlElement) -> int:
    """List items (li, tr, dd) that hold an article-like link and a date: a column's entries."""
    count = 0
    for item in root.iter("li", "tr", "dd"):
        titled = any(len(_clean(a.get("title") or a.text_content())) >= _ARTICLE_LINK_MIN for a in item.iter("a"))
        if titled and _ITEM_DATE.search(item.text_content()):
            count += 1
    return count


def parse_article(html: str, url: str) -> Article:
    """Read an article page (already decoded to text) into an `Article`."""
    root = _parse(html)
    body, marked = _find_body(root)
    etree.strip_elements(root, etree.Comment, with_tail=False)
    outside = _chunks(root, skip=body)
    meta_block = _metadata_from_chunks(outside)
    page_metadata = {key: value for key, (_, value) in meta_block.items() if key in METADATA_LABELS}
    if "publish_date" in page_metadata:
        page_metadata["publish_date"] = parse_date(page_metadata["publish_date"]) or page_metadata["publish_date"]
    if "source" not in page_metadata and _meta(root, "ContentSource"):
        page_metadata["source"] = _meta(root, "ContentSource")
    text = _text(body, html)
    body_chars = len(_WS.sub("", text)) if body is not None else 0
    body_links = _link_titles(body) if body is not None else []
    page_links = _link_titles(root)
    # A page its content system marks as an article is one, however many links surround it;
    # otherwise a page of dated entries or many links, with little text and no files, is a
    # column's list (an article of one attachment link has little text too).
    is_article = marked or bool(_meta(root, "ArticleTitle"))
    listing = _dated_items(root) > 0 or len(page_links) >= _LIST_PAGE_LINKS
    has_files = any(_ATTACHMENT_HREF.search(a.get("href") or "") for a in root.iter("a"))
    is_list = not is_article and (
        bool(_DATASTORE.search(html)) or (listing and not has_files and body_chars < _LIST_PAGE_BODY_CHARS)
    )
    return Article(
        url=url,
        title=_title(root, meta_block),
        published_date=_published(root, meta_block, outside),
        page_metadata=page_metadata,
        text=text,
        body_html=lxml.html.tostring(body, encoding="unicode", with_tail=False) if body is not None else None,
        is_list_page=is_list,
        link_titles=page_links if is_list else body_links,
    )
