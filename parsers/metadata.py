"""What the disclosure is: department, region, fiscal year, kind and the unit its tables print.

The document's own heading (`株洲市人民政府办公室 2020 年部门预算`) is the first witness; the
article title and the portal's region hint only fill what the document leaves out or ambiguous.
"""
from __future__ import annotations

import re
from collections import Counter

from parsers.model import Context, ExtractedFile, Table
from parsers.regions import Region, lookup, places_in, region_for

_HEADING = re.compile(
    r"^(?:关于|现将|现对|兹将|特将)?(?P<dept>[\u4e00-\u9fff（）()“”·\w]{2,40}?)\s*(?P<year>(?:19|20)\d{2})\s*年?度?\s*(?:部门)?\s*(?P<kind>预算|决算)"
)
_YEAR_FIRST = re.compile(
    r"^(?P<year>(?:19|20)\d{2})\s*年度?\s*(?P<dept>[\u4e00-\u9fff（）()“”·\w]{2,40}?)\s*部门\s*(?P<kind>预算|决算)"
)
_PART = re.compile(r"^第[一二三四五六七八九十]+部分[:：]?\s*")
_YEAR_ONLY = re.compile(r"^(?:19|20)\d{2}\s*年度?\s*(?:部门)?\s*(?:预算|决算)")
_ORG = re.compile(r"[\u4e00-\u9fff（）()]{4,30}")
_DOC_YEAR = re.compile(r"((?:19|20)\d{2})\s*年?度?\s*部门\s*(预算|决算)")
# the name ends where the line does, or where OCR ran the 单位：万元 beside it into the same line
_ISSUER = re.compile(r"^(?:部门|部门名称|单位名称|编制单位|预算单位)\s*[:：]\s*(?P<dept>[\u4e00-\u9fff（）()“”]{2,40}?)(?=\s*单位\s*[:：]|[^\u4e00-\u9fff（）()“”]|$)")


def _fallback_text(files: list[ExtractedFile], context: Context) -> str:
    """Where year and kind are sought when no heading names them: the text, the tables'
    titles and the article title (for a table-only file, its file name)."""
    titles = [t.title for f in files for t in f.tables if t.title]
    return "\n".join([f.text for f in files] + titles + [context.title or ""])


def _headings(files: list[ExtractedFile], context: Context) -> list[re.Match]:
    """Heading-like lines naming department, year and kind: the files' first paragraphs, then the article title."""
    lines = [p.text for f in files for p in f.paragraphs[:40]]
    # a cover page a reader took for a one-cell table
    lines += [ln for f in files for t in f.tables if len(t.rows) == 1 and sum(1 for c in t.rows[0] if c.strip()) == 1
              for ln in next(c for c in t.rows[0] if c.strip()).split("\n")]
    lines += [t.title for f in files for t in f.tables if t.title]
    if context.title:
        lines.append(context.title)
    found = []
    previous = ""
    for line in lines:
        s = _PART.sub("", re.sub(r"\s+", " ", line).strip())
        # a title broken over two lines: 江苏省人民检察院 / 2019年度部门预算公开
        if _YEAR_ONLY.match(s) and _ORG.fullmatch(previous) and not previous.endswith("表"):  # a table's title names no one
            s = previous + s
        m = _HEADING.match(s) or _YEAR_FIRST.match(s)
        if m:
            found.append(m)
        previous = s.replace(" ", "")
    return found


def department(files: list[ExtractedFile], context: Context) -> str | None:
    """The department as the document names it, e.g. 株洲市人民政府办公室."""
    def named(matches: list[re.Match]) -> list[str]:
        names = [re.sub(r"\s+", "", m.group("dept")) for m in matches]
        return [n for n in names if not re.fullmatch(r"\d*年?度?", n)]

    # the document's headings; for a table-only file the `部门：…` line over its tables;
    # the article title (a file name, for a file parsed alone) only when the file names none
    names = (named(_headings(files, Context()))
             or [m.group("dept") for f in files for p in f.paragraphs if (m := _ISSUER.match(p.text.strip()))]
             or named(_headings([], context)))
    if not names:
        return None
    # a name that starts with its place (江苏省人大常委会办公厅) over a short form (省人大办公厅)
    counts = Counter(names)
    return max(counts, key=lambda n: (bool(places_in(n)), counts[n]))


def fiscal_year(files: list[ExtractedFile], context: Context) -> int | None:
    """The year the budget or final account is for, as its heading says (not the publication year)."""
    years = [int(m.group("year")) for m in _headings(files, context)]
    if not years:
        years = [int(y) for y, _ in _DOC_YEAR.findall(_fallback_text(files, context))]
    return Counter(years).most_common(1)[0][0] if years else None


def kind(files: list[ExtractedFile], context: Context) -> str | None:
    """budget (预算) or final_account (决算)."""
    kinds = [m.group("kind") for m in _headings(files, context)]
    if not kinds:
        text = _fallback_text(files, context)
        kinds = ["决算"] * text.count("决算") + ["预算"] * text.count("预算")
    if not kinds:
        return None
    return "final_account" if Counter(kinds).most_common(1)[0][0] == "决算" else "budget"


# a unit line, above a table or left by the reader inside its grid (单位名称：… | 单位：元)
UNIT_IN_ROW = re.compile(r"单位\s*[:：]\s*(万元|元)")


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
