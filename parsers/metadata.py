"""What the disclosure is: department, region, fiscal year, kind and the unit its tables print.

The document's own heading (`株洲市人民政府办公室 2020 年部门预算`) is the first witness; the
article title and the portal's region hint only fill what the document leaves out or ambiguous.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from itertools import pairwise

from parsers.model import Context, ExtractedFile, Table
from parsers.regions import Region, lookup, places_in, region_for

# How a document names itself, as data: the words around a department's name in its title.
# Lead-ins are dropped before a name, trailing words after it; each with why.
LEAD_INS: tuple[tuple[str, str], ...] = (
    (r"^(?:[-—–－]+\d{1,3}[-—–－]+|\d{1,3}(?![\d年]))", "a page number printed above the title (- 1 -, — 1 —)"),
    (r"^附件\d*[:：、.]?", "an attachment label (附件1：)"),
    (r"^第[一二三四五六七八九十]+部分[:：、]?", "a part heading (第一部分)"),
    (r"^[一二三四五六七八九十]+[、.．]", "a section number (一、)"),
    (r"^(?:关于|现将|现对|兹将|特将|对)", "the lead-in of a sentence or title (关于…的说明, 现将…予以公开)"),
    (r"^(?:19|20)\d{2}(?:年度|年|度)", "a year before the name (2026年XX局部门预算)"),
)
TRAILING: tuple[tuple[str, str], ...] = (
    (r"(?:部门|单位)$", "the 部门/单位 of 部门预算 printed after the name (XX局部门 2026 年度部门预算)"),
    (r"(?:预算|决算)(?:信息)?(?:公开|说明|情况说明|报表|表)*$", "the disclosure's own words (…部门预算公开)"),
    (r"(?:公开|情况说明|说明|报表)$", "the disclosure's own words"),
)
# Lines that state who compiled the tables: 部门：北京市统计局, 单位名称：…, 编制部门：…
_ISSUER = re.compile(r"^(?:部门|部门名称|单位名称|编制单位|编制部门|预算单位|预算部门|公开部门|公开单位)[:：]"
                     r"(?P<dept>[\u4e00-\u9fff（）()“”]{2,40}?)(?=单位[:：]|金额单位|[^\u4e00-\u9fff（）()“”]|$)")
_ISSUER_LABEL = re.compile(r"(?:部门|部门名称|部门（单位）名称|单位名称|编制单位|编制部门|预算单位|预算部门)[:：]?")
# the 说明's first sentence: 北京市住房和城乡建设委员会是市政府组成部门… (only a name that starts with its place)
_SELF_DESCRIBED = re.compile(r"^(?P<dept>[\u4e00-\u9fff（）()]{4,40}?)(?:是|为|作为|系|属于|(?:的)?主要职(?:责|能)|职责是)"
                             r"(?!.*(?:部门|单位)(?:预算|决算))")
_YEAR = r"(?P<year>(?:19|20)\d{2})(?:年度|年|度)?"
# 部门预算, 单位预算, 部门综合预算; a 说明's own heading: 关于XX局2026年收入预算情况说明
_TERM = r"(?P<term>(?:部门|单位)?(?:综合)?(?:收入|支出|收支)?(?P<kind>预算|决算))"
# dept first (北京市统计局 2026 年度部门预算), year first (2026 年度苏州市科学技术局单位预算公开)
_NAME_FIRST = re.compile(rf"^(?P<dept>.{{2,40}}?){_YEAR}{_TERM}")
_YEAR_FIRST = re.compile(rf"^{_YEAR}(?P<dept>.{{2,40}}?){_TERM}")
# a name without its year (a reader lost the digits: 重庆市商务委员会 年部门预算情况说明)
_NO_YEAR = re.compile(r"^(?P<dept>.{2,40}?)(?:年度|年)?(?P<term>(?:部门|单位)(?:综合)?(?P<kind>预算|决算))")
# a title without a name (第一部分 2026 年度部门预算情况说明), for year and kind only
_TITLE_END = r"(?:信息)?(?:公开)?(?:[\u4e00-\u9fff“”\"]{0,16}表|情况说明|说明|情况的说明)?$"  # …公开报表, …收支总表
_YEAR_TERM = re.compile(rf"{_YEAR}{_TERM}{_TITLE_END}")
# last character of an organisation's name (ignoring a bracketed tail): 局 委 办 院 厅 …, or 中心
_ORG_END = set("局委办院厅室会部处所站队馆校社团联协府关司署台园场圃厂行组庭宫库科股学狱镇乡道")
_BRACKET_TAIL = re.compile(r"[（(][^（()）]*[）)]$")
_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


@dataclass(frozen=True)
class Heading:
    """What one title line says: who (None when it names no one), for which year, which kind."""

    department: str | None
    year: int | None
    kind: str  # 预算 or 决算


def _squeeze(text: str) -> str:
    """One line without spaces, ASCII digits (titles print 部 门 预 算 and 2 0 2 6 年)."""
    return re.sub(r"\s+", "", (text or "").translate(_DIGITS))


def clean_name(raw: str) -> str:
    """A candidate name without lead-in and trailing words."""
    previous = None
    name = raw
    while previous != name:
        previous = name
        for pattern, _ in LEAD_INS:
            name = re.sub(pattern, "", name)
        for pattern, _ in TRAILING:
            name = re.sub(pattern, "", name)
    return name


def is_organisation(name: str) -> bool:
    """Whether a cleaned candidate reads as a department's or unit's name (not a region, a heading, a sentence)."""
    if not 2 <= len(name) <= 40 or re.search(r"[\d，,。；;:：、%]|预算|决算|部分|目录|表$|^[本我该各全]", name):
        return False
    core = _BRACKET_TAIL.sub("", name)
    return core.endswith("中心") or (len(core) >= 2 and core[-1] in _ORG_END)


def read_heading(line: str) -> Heading | None:
    """The department, year and kind a title line names, e.g. 株洲市人民政府办公室2020年部门预算."""
    s = _squeeze(line)
    for _ in range(3):  # lead-ins may stack: - 1 - 附件1：关于…
        for lead_in, _why in LEAD_INS[:-1]:
            s = re.sub(lead_in, "", s)
    for pattern in (_NAME_FIRST, _YEAR_FIRST, _NO_YEAR):
        m = pattern.match(s)
        if m:
            name = clean_name(m.group("dept"))
            if is_organisation(name):
                return Heading(name, int(m["year"]) if "year" in pattern.groupindex else None, m.group("kind"))
    m = _YEAR_TERM.search(s)
    if m and (m.group("term") != m.group("kind") or len(s) <= 20):  # bare 预算 only in a short title
        return Heading(None, int(m.group("year")), m.group("kind"))
    return None


def names_department(line: str) -> bool:
    """Whether a title line names one department's budget or final account."""
    h = read_heading(line)
    return bool(h and h.department)


JOIN_LINES = 4  # a cover title may be broken over up to four lines
JOIN_CHARS = 40  # lines joined while what is joined is this short


def _joins(lines: list[str]) -> list[str]:
    """A title broken over lines: 2026 年度 / 泉州市市场监管综合监测 / 与技术保障中心 / 单位预算."""
    out, joined = [], _squeeze(lines[0]) if lines else ""
    for line in lines[1:]:
        if len(joined) > JOIN_CHARS:
            break
        joined += _squeeze(line)
        out.append(joined)
    return out


def _title_lines(files: list[ExtractedFile]) -> list[str]:
    """Where a document names itself: each file's first paragraphs (a title broken over two or
    three lines joined), a cover page read as a one-cell table, the tables' titles."""
    lines = []
    for f in files:
        head = [p.text for p in f.paragraphs[:40]]
        lines += head
        # 2026年 / 广州市司法局部门预算; 江苏省人民检察院 / 2019年度部门预算公开
        lines += [joined for i in range(len(head)) for joined in _joins(head[i:i + JOIN_LINES])]
        lines += [ln for t in f.tables if len(t.rows) == 1 and sum(1 for c in t.rows[0] if c.strip()) == 1
                  for ln in next(c for c in t.rows[0] if c.strip()).split("\n")]
        lines += [t.title for t in f.tables if t.title]
    return lines


def headings(files: list[ExtractedFile], context: Context | None = None) -> list[Heading]:
    """Every title line of the document (then of the article title, if given) that names a year and kind."""
    lines = _title_lines(files) + ([context.title] if context and context.title else [])
    return [h for line in lines if (h := read_heading(line))]


def _issuers(files: list[ExtractedFile]) -> list[str]:
    """Names on the 部门：/单位名称：/编制部门： lines over the tables (paragraphs, table titles, first rows)."""
    lines = [p.text for f in files for p in f.paragraphs]
    lines += [x for f in files for t in f.tables for x in [t.title or ""] + [c for r in t.rows[:3] for c in r]]
    names = [clean_name(m.group("dept")) for line in lines if (m := _ISSUER.match(_squeeze(line)))]
    # the same as a label cell and the cell after it: 部门名称 | 北京市重大项目建设指挥部办公室
    for f in files:
        for t in f.tables:
            for row in t.rows[:4]:
                cells = [_squeeze(c) for c in row]
                for i, cell in enumerate(cells):
                    if _ISSUER_LABEL.fullmatch(cell):
                        value = next((c for c in cells[i + 1:] if c and c != cell), "")
                        names.append(clean_name(value))
                        break
    return [n for n in names if is_organisation(n)]


def _self_described(files: list[ExtractedFile]) -> list[str]:
    """The 说明's sentence that names the department: 北京市气象局是…; only a name that starts with its place."""
    names = []
    for f in files:
        for p in f.paragraphs[:120]:
            m = _SELF_DESCRIBED.match(_squeeze(p.text))
            if m and places_in(m.group("dept")) and is_organisation(clean_name(m.group("dept"))):
                names.append(clean_name(m.group("dept")))
    return names


def _most_cited(names: list[str]) -> str | None:
    """The name given most often; a name that starts with its place (江苏省人大常委会办公厅) over a short form (省人大办公厅)."""
    if not names:
        return None
    counts = Counter(names)
    return max(counts, key=lambda n: (bool(places_in(n)), counts[n]))


def department(files: list[ExtractedFile], context: Context) -> str | None:
    """The department as the document names it, e.g. 株洲市人民政府办公室.

    The document's own title lines first, then the 部门：… line over its tables, then the
    article title (the portal's statement; never a file name), then the 说明's sentence that
    describes the department.
    """
    return (_most_cited([h.department for h in headings(files) if h.department])
            or _most_cited(_issuers(files))
            or _most_cited([h.department for h in headings([], context) if h.department])
            or _most_cited(_self_described(files)))


# who issued a document that is not a disclosure: 嘉兴市人民政府办公室关于公布…的通知; or its signature,
# a name on the line before the date at the end (中共宁波市委巡察工作领导小组办公室 / 2025 年 9 月 9 日)
_ISSUED_BY = re.compile(r"^(?P<dept>[\u4e00-\u9fff（）()]{4,40}?)(?:等\w{0,3}部门)?关于")
_DATE_LINE = re.compile(r"^(?:19|20)\d{2}年\d{1,2}月\d{1,2}日$")


def issuer(files: list[ExtractedFile]) -> str | None:
    """The body that issued a document (a notice, a table), as the document names it."""
    def usable(name: str) -> bool:
        return is_organisation(name) and bool(places_in(name) or name.startswith(("中共", "中国共产党")))

    titled = [clean_name(m.group("dept")) for line in _title_lines(files)
              if (m := _ISSUED_BY.match(_squeeze(line)))]
    lines = [_squeeze(p.text) for f in files for p in f.paragraphs]
    signed = [a for a, b in pairwise(lines) if _DATE_LINE.match(b)]
    return _most_cited([n for n in _issuers(files) + titled if usable(n)]) or next(
        (n for n in reversed(signed) if usable(n)), None)


def _from_headings(files: list[ExtractedFile], context: Context, attr: str):
    """A heading's year or kind: the document's headings that name a department, then any of its
    headings, then the article title's."""
    own = headings(files)
    for group in ([h for h in own if h.department], own, headings([], context)):
        values = [v for h in group if (v := getattr(h, attr)) is not None]
        if values:
            return Counter(values).most_common(1)[0][0]
    return None


def fiscal_year(files: list[ExtractedFile], context: Context) -> int | None:
    """The year the budget or final account is for, as its title says (not the publication year)."""
    year = _from_headings(files, context, "year")
    if year is None:
        # a table's period line, printed under its title: （2026年度）
        years = [int(m.group(1)) for f in files for t in f.tables for r in t.rows[:3] for c in r
                 if (m := _PERIOD.fullmatch(_squeeze(c)))]
        # a title-sized line naming the year's 部门预算 (not a sentence: 比2025年部门预算增加…)
        years = years or [int(y) for line in _short_lines(files) for y in _DOC_YEAR.findall(line)]
        year = Counter(years).most_common(1)[0][0] if years else None
    return year


# Words that mark a final account's or a budget's tables when no title names the kind; 年初预算数
# and 调整预算数 are columns of a final account, not a budget's.
KIND_MARKS: tuple[tuple[str, str, str], ...] = (
    ("决算", r"决算数|决算\d{0,2}表|(?:部门|单位)决算|收入支出决算", "a final account's columns and tables"),
    ("预算", r"(?<!年初)(?<!调整)(?<!全年)预算数|预算\d{1,2}表|(?:部门|单位)预算", "a budget's columns and tables"),
)
_PERIOD = re.compile(r"[（(]((?:19|20)\d{2})年度?[)）]")
_DOC_YEAR = re.compile(rf"((?:19|20)\d{{2}})年?度?(?:部门|单位)(?:综合)?(?:预算|决算){_TITLE_END}")


def _short_lines(files: list[ExtractedFile]) -> list[str]:
    """Title-sized lines of text and table titles."""
    lines = [p.text for f in files for p in f.paragraphs] + [t.title or "" for f in files for t in f.tables]
    return [s for s in map(_squeeze, lines) if s and len(s) <= JOIN_CHARS]


def _text(files: list[ExtractedFile]) -> str:
    """The text, the tables' titles and their first rows, spaces dropped."""
    parts = [f.text for f in files] + [x for f in files for t in f.tables
                                       for x in [t.title or ""] + [c for r in t.rows[:3] for c in r]]
    return _squeeze("\n".join(parts))


def kind(files: list[ExtractedFile], context: Context) -> str | None:
    """budget (预算) or final_account (决算): the title's word, else the tables' columns and titles."""
    word = _from_headings(files, context, "kind")
    if word is None:
        text = _text(files)
        votes = {w: len(re.findall(pattern, text)) for w, pattern, _ in KIND_MARKS}
        word = max(votes, key=lambda w: votes[w]) if any(votes.values()) else None
    return {"决算": "final_account", "预算": "budget"}.get(word)


# a unit line, above a table or left by the reader inside its grid (单位名称：… | 单位：元)
UNIT_IN_ROW = re.compile(r"单位(?:\s*[:：]\s*|[ \t]+)(万元|元)")


def table_unit(table: Table) -> str | None:
    """The unit a table states: the reader's, else a unit line in its first rows."""
    if table.unit in ("元", "万元"):
        return table.unit
    return next((m.group(1) for r in table.rows[:4] if (m := UNIT_IN_ROW.search(" ".join(r)))), None)


def table_unit_votes(files: list[ExtractedFile]) -> Counter:
    """How many tables state each unit."""
    return Counter(u for f in files for t in f.tables if (u := table_unit(t)))


def units_in_source(files: list[ExtractedFile]) -> str | None:
    """The unit the tables print: the one most tables state."""
    votes = table_unit_votes(files)
    return votes.most_common(1)[0][0] if votes else None


def _hint_code(hint: dict) -> str | None:
    code = str(hint.get("admin_code") or "")
    if re.fullmatch(r"\d{6}", code) and region_for(code):
        return code
    scope = None
    for field in ("province", "city", "county"):
        if hint.get(field):
            scope = lookup(hint[field], scope) or scope
    return scope


def region(dept: str | None, files: list[ExtractedFile], context: Context) -> Region | None:
    """The region the department belongs to, from its name, narrowed and completed by the portal's hint."""
    hint = _hint_code(context.region_hint or {})
    hint_province = hint[:2] + "0000" if hint else None
    code = None
    for place in places_in(dept or ""):
        scopes = [code] if code else [hint, hint_province, None]
        found = next((c for c in (lookup(place, sc) for sc in scopes) if c), None)
        if found:
            code = found
    if code is None:
        code = hint
    return region_for(code) if code else None
