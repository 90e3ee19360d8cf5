"""Decide whether an article page publishes ONE department's yearly budget or final account.

Portals file disclosures among look-alikes: notices about the disclosure work, Q&As,
picture summaries, index pages linking every department's disclosure, the government's
own budget reports, and news.  Every decision is made by tables of patterns below
(`EXCLUSIONS`, `TERMS`), read in a fixed order, so a rule can be audited or added without
touching the logic; the decision quotes the words that made it.

Order of evidence: the title decides when it speaks (an exclusion or a budget term in
the title is final); a title without budget words defers to the attachment names, then
to the first lines of the body.

Both kinds in one title (2019年部门决算和2020年部门预算): a term in brackets or after
附/含 is secondary; otherwise the first-named term is the subject, since titles name the
document they publish first and append what comes with it.  预决算 reads as 预算 first.
`detail` names the other term.

fiscal_year is the year printed nearest before the subject term (else just after it), so
2019年部门决算和2020年部门预算 gives 2019 for the 决算; never the publication date.  A page
whose title, attachments and body give no year is a column page, not a disclosure.

Index pages: when the page's links name three or more other departments' disclosures, the
page is an index unless it names its own department and has attachments or real text.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from crawler.discovery.article import ascii_digits

BUDGET = "budget"
FINAL_ACCOUNT = "final_account"
REASON_BY_KIND = {BUDGET: "department_budget", FINAL_ACCOUNT: "department_final_account"}


@dataclass(frozen=True)
class Decision:
    """The verdict on one article, with the words that decided it."""

    is_disclosure: bool
    kind: str | None
    fiscal_year: int | None
    department: str | None
    reason: str
    detail: str


@dataclass(frozen=True)
class Rule:
    """A pattern that, found in a title, makes it not a single department's disclosure.

    `only_without_department`: applies only when no department precedes the year, so
    江苏省委办公厅2018年省级部门预算 stays a disclosure while 2018年省级部门预算 does not.
    `only_without_term`: applies only when the title has no disclosure term (部门预算 …),
    for words that also occur inside genuine disclosure titles.
    """

    reason: str
    pattern: re.Pattern
    why: str
    only_without_department: bool = False
    only_without_term: bool = False


def _rule(reason: str, pattern: str, why: str, **flags: bool) -> Rule:
    return Rule(reason, re.compile(pattern), why, **flags)


# Evaluated in this order; the first match decides.
EXCLUSIONS: tuple[Rule, ...] = (
    _rule("qa", r"问答|答记者问|答问|问与答|有问必答|你问我答|答疑|问题解答|常见问题",
          "a Q&A about the disclosure"),
    _rule("interpretation", r"图解|解读|一图(?:读懂|看懂|了解)|图说|读懂|看懂|H5|长图|视频",
          "a summary or interpretation of a disclosure"),
    _rule("notice",
          r"通知|通报|的函|复函|提醒函|征求意见|工作方案|实施方案|管理办法|暂行办法|实施细则|操作规程|"
          r"关于印发|关于做好|关于开展|关于加强|关于进一步",
          "a notice about the disclosure work, not a disclosure"),
    _rule("index_page",
          r"汇总(?!表)|目录|一览(?!表)|专栏|专题|索引|各部门|各单位|所属单位名单|\d+个(?:部门|单位)|"
          r"(?:市|县|区|省|州)直(?:各)?(?:部门|单位)|部门预决算公开平台|集中公开",
          "a page gathering many departments' disclosures"),
    _rule("index_page", r"(?:省|市|州|县|区)级(?:各)?(?:部门|单位)",
          "a page gathering many departments' disclosures", only_without_department=True),
    _rule("government_level",
          r"(?:省|市|州|县|区|旗|乡|镇)本级|全(?:省|市|州|县|区|旗)(?!县)|一般公共预算|财政(?:预|决)算(?!评审|编审|绩效|中心|局|处|科|所)|"
          r"(?<!部门)(?<!单位)预算报告|决算报告(?=.*(?:人大|审议|草案))|预算执行|决算草案|预算草案|总预算|总决算|政府预算|政府决算|"
          r"政府债务|政府债券|债务限额|政府性基金预算|国有资本经营预算|社会保险基金预算|预算调整方案|"
          r"转移支付|财政收支|(?:省|市|州|县|区)级(?:预算|决算)|(?:省|市|州|县|区)级财政",
          "the government's own budget or report, not one department's"),
    _rule("audit", r"审计(?:工作)?(?:报告|结果|公告|发现|整改)", "an audit report, not a disclosure"),
    _rule("performance", r"绩效", "a performance evaluation, not a disclosure", only_without_term=True),
    _rule("news",
          r"工作动态|召开|(?<!协商)会议(?!中心)|调研|培训班|培训会|座谈|部署|动员(?:会|大会)|督查(?!室|局|办)|(?<!纪律)检查(?!站)|"
          r"视察|考察|莅临|走访|"
          r"慰问|讲话|发布会|举办|举行|开展|推进会|圆满|顺利|荣获|获评|表彰|签约|启动|答复|建议|提案",
          "news or correspondence, not a disclosure"),
    # Titles about the disclosure work that are neither a notice's form nor news.
    _rule("notice", r"(?<!政府信息)公开工作|公开情况(?!说明)|编制工作|编报工作|工作要求",
          "a notice about the disclosure work, not a disclosure"),
)


@dataclass(frozen=True)
class Term:
    """Words that name a disclosure: `kinds` they name, in the order printed."""

    kinds: tuple[str, ...]
    pattern: re.Pattern
    strong: bool


_T = r"(?:信息)?公开|说明|报告|报表|公开表|表格?|情况"
# Strong terms name a department disclosure on their own; weak ones (bare 预算/决算) only
# together with a year and a department.  Earlier entries win where two overlap.
TERMS: tuple[Term, ...] = (
    Term((BUDGET, FINAL_ACCOUNT), re.compile(rf"(?:部门|单位)预决算|预决算(?:{_T})"), True),
    Term((FINAL_ACCOUNT,), re.compile(rf"(?:部门|单位)决算|决算(?:{_T})"), True),
    Term((BUDGET,), re.compile(rf"(?:部门|单位)预算|预算(?:{_T})"), True),
    Term((BUDGET, FINAL_ACCOUNT), re.compile(r"预决算"), False),
    Term((FINAL_ACCOUNT,), re.compile(r"决算"), False),
    Term((BUDGET,), re.compile(r"预算"), False),
)

# A year the document is for: 2020年, 2020年度, 2020度, bare 2020; not a 文号's 〔2020〕.
_YEAR = re.compile(r"(?<![\d〔\[])((?:19|20)\d{2})(?![\d〕\]）)\-/.])\s*(?:年度|年|度)?")
_SECONDARY_MARK = re.compile(r"[（(【\[][^）)】\]]*$|(?:附|含)[^，,。）)】\]和及与]*$")
# Last character of a department or unit name (ignoring a trailing bracket group).
_ORG_END = set("局委办院厅室会部处所站队馆校社团联协府关司署台园场圃厂地行组庭宫库科股学狱镇乡道中")
_REGION_END = set("省市县区州旗盟")
_TRIM_HEAD = re.compile(r"^(?:关于|公开|转发|印发|发布|公示|[#*\s:：、，,.。·\-—_|【】\[\]《》“”\"'])+")
_TRIM_TAIL = re.compile(r"(?:关于|的|公开|发布|部门|单位|[\s:：、，,.。·\-—_|【】\[\]《》“”\"'(（])+$")
_BUDGET_ASIDE = re.compile(r"[（(【\[][^（()）【】\[\]]*(?:预算|决算)[^（()）【】\[\]]*[）)】\]]")
_LEADING_TAG = re.compile(r"^[【\[][^】\]]{1,12}[】\]](.+)$")  # 【转载】…; kept when the tag is all
_BRACKET_TAIL = re.compile(r"[（(][^（()）]*[）)]$")
_ATTACHMENT_HEAD = re.compile(r"^附件\s*\d*\s*[:：.、]?\s*")
_FILE_EXT = re.compile(r"\.(?:pdf|docx?|xlsx?|wps|et|zip|rar|7z|ofd|jpe?g|png|html?)$", re.I)
_GAP = "[\\s\u3000\xa0]*"
_GAP_RE = re.compile("[\\s\u3000\xa0]+")
_BODY_LINES = 12  # body lines read as title candidates
_INDEX_MIN_DEPARTMENTS = 3  # distinct departments among link titles that make an index page
_SHORT_BODY = 300  # characters under which a page with links is mostly links


@dataclass
class _Reading:
    """What one line (a title, an attachment name, a body line) says."""

    line: str
    exclusion: tuple[Rule, str] | None = None
    kind: str | None = None
    term: str | None = None
    strong: bool = False
    other_term: str | None = None
    year: int | None = None
    department: str | None = None
    region: str | None = None


def _normalise(text: str) -> str:
    """One line, ASCII digits, no spaces (titles print 株洲市 2020 年 部门预算 with gaps)."""
    return _GAP_RE.sub("", ascii_digits(text or ""))


def _restore_spaces(name: str, original: str) -> str:
    """Put back a space the title prints between two names (纪委 监委), not a stray one.

    A space is kept where the text before it is itself a department name.
    """
    m = re.search(_GAP.join(map(re.escape, name)), ascii_digits(original))
    if not m:
        return name
    parts = _GAP_RE.split(m.group())
    out, segment = parts[0], parts[0]
    for part in parts[1:]:
        if _name_kind(segment) == "department":
            out, segment = f"{out} {part}", part
        else:
            out, segment = out + part, segment + part
    return out


def _terms(line: str) -> list[tuple[Term, re.Match]]:
    """Non-overlapping disclosure terms in reading order, stronger entries first on overlap."""
    taken: list[tuple[Term, re.Match]] = []
    for term in TERMS:
        for m in term.pattern.finditer(line):
            if all(m.end() <= t.start() or m.start() >= t.end() for _, t in taken):
                taken.append((term, m))
    return sorted(taken, key=lambda tm: tm[1].start())


def _subject(line: str, found: list[tuple[Term, re.Match]]) -> tuple[Term, re.Match, str | None]:
    """Pick the subject term; return it and the other kind's term if the line names both."""
    strong = [tm for tm in found if tm[0].strong] or found
    primary = [tm for tm in strong if not _SECONDARY_MARK.search(line[: tm[1].start()])] or strong
    term, m = primary[0]
    other = next((t[1].group() for t in strong if t[0].kinds[0] != term.kinds[0]), None)
    return term, m, other


def _year_for(line: str, start: int, end: int) -> re.Match | None:
    """The year printed nearest before the term, else just after it (部门预算（2020年）)."""
    before = [y for y in _YEAR.finditer(line) if y.end() <= start]
    if before:
        return before[-1]
    after = _YEAR.search(line, end)
    return after if after and after.start() - end <= 4 else None


def _clean_name(text: str) -> str:
    """Trim a candidate name of lead-in words, punctuation, tags and bracketed budget asides."""
    text = _BUDGET_ASIDE.sub("", text)
    tagged = _LEADING_TAG.match(text)
    if tagged:
        text = tagged.group(1)
    previous = None
    while previous != text:
        previous = text
        text = _TRIM_TAIL.sub("", _TRIM_HEAD.sub("", text))
    return text


def _name_kind(name: str) -> str | None:
    """'department', 'region' or None for a candidate name."""
    if len(name) < 2 or len(name) > 40 or not re.search(r"[\u4e00-\u9fff]", name):
        return None
    if any(term.strong and term.pattern.search(name) for term in TERMS):
        return None
    core = re.sub(r"本级$", "", _BRACKET_TAIL.sub("", name))
    if len(core) < 2:
        return None
    if core.endswith("中心") or core[-1] in _ORG_END:
        return "department"
    if core[-1] in _REGION_END:
        return "region"
    return None


def _department(line: str, year: re.Match | None, term_start: int) -> tuple[str | None, str | None]:
    """Department (or region) named around the year and term: before the year, else between."""
    if year is not None and year.end() <= term_start:
        candidates = [line[: year.start()], line[year.end(): term_start]]
    else:
        candidates = [line[:term_start]]
    region = None
    for raw in candidates:
        # 株洲市人民政府关于株洲市民政局…: the name after the last 关于 is the subject.
        for part in reversed(raw.split("关于")):
            name = _clean_name(part)
            kind = _name_kind(name)
            if kind == "department":
                return name, region
            if kind == "region" and region is None:
                region = name
    return None, region


def _read(text: str) -> _Reading:
    line = _normalise(text)
    reading = _Reading(line=line)
    found = _terms(line)
    if found:
        term, m, other = _subject(line, found)
        reading.kind = term.kinds[0]
        reading.term = m.group()
        reading.strong = term.strong
        reading.other_term = other
        year = _year_for(line, m.start(), m.end())
        reading.year = int(year.group(1)) if year else None
        reading.department, reading.region = _department(line, year, m.start())
        if reading.department:
            reading.department = _restore_spaces(reading.department, text)
    for rule in EXCLUSIONS:
        if rule.only_without_department and reading.department:
            continue
        if rule.only_without_term and reading.strong:
            continue
        hit = rule.pattern.search(line)
        if hit:
            reading.exclusion = (rule, hit.group())
            break
    return reading


def _attachment_line(name: str) -> str:
    return _FILE_EXT.sub("", _ATTACHMENT_HEAD.sub("", name.strip()))


def _index_departments(link_titles: Sequence[str], own: str | None) -> list[str]:
    """Distinct departments whose own disclosures the links name."""
    seen: list[str] = []
    for title in link_titles:
        r = _read(title)
        if _usable(r) and r.department and r.department not in [*seen, own]:
            seen.append(r.department)
    return seen


def _quote(text: str, limit: int = 60) -> str:
    return f"“{text if len(text) <= limit else text[:limit] + '…'}”"


def _negative(reading: _Reading, where: str) -> Decision:
    assert reading.exclusion is not None
    rule, words = reading.exclusion
    return Decision(False, reading.kind, reading.year, None, rule.reason,
                    f"{where} {_quote(reading.line)} says {_quote(words)}: {rule.why}")


def _positive(reading: _Reading, where: str, department: str | None, dept_where: str,
              year: int, year_where: str) -> Decision:
    assert reading.kind is not None
    detail = f"{where} {_quote(reading.line)} names {_quote(reading.term or '')}"
    detail += f" for {year}" + (f" (year from the {year_where})" if year_where != where else "")
    if department:
        detail += f" of {_quote(department)}" + (f" (from the {dept_where})" if dept_where != where else "")
    if reading.other_term:
        detail += f"; also names {_quote(reading.other_term)}, taken as secondary"
    return Decision(True, reading.kind, year, department, REASON_BY_KIND[reading.kind], detail)


def _body_lines(text: str) -> list[str]:
    return [line for line in (text or "").splitlines() if line.strip()][:_BODY_LINES]


def _usable(reading: _Reading) -> bool:
    """A line names a disclosure: a strong term, or a weak one with its year and department."""
    if reading.exclusion or not reading.kind or (reading.department is None and reading.region):
        return False
    return reading.strong or (reading.year is not None and reading.department is not None)


def classify(title: str, text: str = "", attachment_names: Sequence[str] = (),
             link_titles: Sequence[str] = ()) -> Decision:
    """Decide whether an article is one department's budget or final-account disclosure.

    `text` is the article body, `attachment_names` the names (link texts or file names) of
    its attachments, `link_titles` the titles of the other links on the page, which
    reveal index pages.
    """
    text = text or ""
    head = _read(title)
    if head.exclusion:
        return _negative(head, "title")
    if head.kind and head.department is None and head.region:
        return Decision(False, head.kind, head.year, None, "government_level",
                        f"title {_quote(head.line)} names {_quote(head.term or '')} of the region "
                        f"{_quote(head.region)}, not of one department")
    attachments = [_read(_attachment_line(n)) for n in attachment_names]
    # Body lines that are link texts name other pages, not this one.
    linked_lines = {_normalise(t) for t in link_titles}
    body = [_read(line) for line in _body_lines(text) if _normalise(line) not in linked_lines]

    source: _Reading | None
    if _usable(head):
        source, where = head, "title"
    else:
        source, where = None, ""
        for reading, place in [(a, "attachment") for a in attachments] + [(b, "body") for b in body]:
            if _usable(reading):
                source, where = reading, place
                break
        if source is None:
            excluded = next((a for a in attachments if a.exclusion and a.kind), None)
            if excluded:
                return _negative(excluded, "attachment")
            return Decision(False, None, None, None, "no_budget_terms",
                            f"title {_quote(head.line)}, its attachments and body name no department "
                            "budget or final account")

    department, dept_where = source.department, where
    if department is None:
        for reading, place in [(b, "body") for b in body] + [(a, "attachment") for a in attachments]:
            if reading.kind and reading.department and not reading.exclusion:
                department, dept_where = reading.department, place
                break

    linked = _index_departments(link_titles, department)
    if len(linked) >= _INDEX_MIN_DEPARTMENTS and (
        department is None or (not attachment_names and len(text) < _SHORT_BODY)
    ):
        return Decision(False, source.kind, source.year, None, "index_page",
                        f"links name the disclosures of {len(linked)} departments: "
                        + "、".join(_quote(d) for d in linked[:4]))

    year, year_where = source.year, where
    if year is None:
        for reading, place in [(head, "title")] + [(b, "body") for b in body] + [(a, "attachment") for a in attachments]:
            if reading.kind == source.kind and reading.year and not reading.exclusion:
                year, year_where = reading.year, place
                break
    if year is None:
        # A disclosure is one year's; a yearless 部门预算 is a column or list page.
        return Decision(False, source.kind, None, department, "no_fiscal_year",
                        f"{where} {_quote(source.line)} names {_quote(source.term or '')} but neither it, "
                        "the attachments nor the body give the year it is for")
    return _positive(source, where, department, dept_where, year, year_where)
