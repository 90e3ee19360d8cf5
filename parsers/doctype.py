"""Is this document a department's (or unit's) own budget or final account, or something else?

Portals file notices, policies, government budget reports, recruitment notices, annual
website reports and inspection notices under names such as `…部门预算.pdf`, so the file name
says nothing. The document does: a disclosure prints the standard tables (收支总表 …) or a
说明 with the standard sections (收入预算, 支出预算, “三公”经费, 机关运行经费 …); the others
say what they are in their title (…的通知, …办法, …预算执行情况的报告).

Every judgement is made by the tables of patterns below (`TABLES`, `SECTIONS`, `TITLES`),
each with the reason it stands for, so a rule can be audited or added without touching the
logic. Order of evidence:

1. a title naming a whole government's budget (总预算, 预算执行情况的报告 …) decides: such
   documents print budget tables too, but of a region, not of one department;
2. otherwise enough standard tables or 说明 sections make a disclosure, whatever else the
   first lines say (a disclosure's own title may contain 公告 or 通知 wording); so does one
   of them under a title naming one department's budget or final account (a part published alone);
   but only if the document states amounts: a portal's list of links or headlines names the
   tables and sections too (2017年“三公”经费预算表 2017-02-10), and states none;
3. otherwise the title says what the document is (通知, 办法, 招聘 …), else it is reported
   as having no budget tables and no 说明 sections.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise

from parsers.model import ExtractedFile


@dataclass(frozen=True)
class Rule:
    """A pattern with what a match means."""

    name: str
    pattern: re.Pattern
    why: str


def _rule(name: str, pattern: str, why: str) -> Rule:
    return Rule(name, re.compile(pattern), why)


# Titles of the standard tables of a department budget or final account (a table's title,
# or a line of text above or inside it). Each distinct rule counts once.
TABLES: tuple[Rule, ...] = (
    _rule("income_expenditure", r"收支(?:预算|决算)?总(?:表|体情况表)|收入支出决算(?:总)?表",
          "the 收支总表 every disclosure opens its tables with"),
    _rule("income", r"(?<!支)收入(?:预算|决算)?总(?:表|体情况表)|收入决算表",
          "the 收入总表"),
    _rule("expenditure", r"(?<!收)支出(?:预算|决算)?总(?:表|体情况表)|支出决算表",
          "the 支出总表"),
    _rule("appropriation", r"财政拨款收支(?:预算|决算)?总(?:表|体情况表)|财政拨款收入支出决算(?:总)?表",
          "the 财政拨款收支总表"),
    _rule("general_budget", r"一般公共预算(?:财政拨款)?(?:基本)?支出(?:预算|决算)?(?:情况)?表",
          "the 一般公共预算支出表"),
    _rule("gov_fund", r"政府性基金预算(?:财政拨款)?(?:收入|支出)(?:预算|决算)?(?:情况)?表",
          "the 政府性基金预算支出表"),
    _rule("three_public", r"三公.{0,12}(?:预算|决算|支出)(?:情况|统计)?表",
          "the “三公”经费 table"),
    _rule("numbered", r"(?:预算|决算|公开)\s*\d{1,2}\s*表",
          "a table numbered as the disclosure templates number them (预算01表, 公开02表)"),
)
# Section headings of a disclosure's 说明 (a line that starts with them, after its number).
SECTIONS: tuple[Rule, ...] = (
    _rule("overview", r"^(?:部门|单位)(?:基本)?(?:情况|概况)|^主要职(?:责|能)|^(?:部门|单位)职责",
          "the 部门概况 / 主要职责 section"),
    _rule("income", r"收入(?:预算|决算)|收支(?:预算|决算)?(?:总体)?情况",
          "the income section (收入预算 / 收入决算情况)"),
    _rule("expenditure", r"支出(?:预算|决算)",
          "the expenditure section (支出预算 / 支出决算情况)"),
    _rule("three_public", r"三公.{0,3}经费",
          "the “三公”经费 section"),
    _rule("operating", r"机关运行经费",
          "the 机关运行经费 section"),
    _rule("procurement", r"政府采购",
          "the 政府采购 section"),
    _rule("assets", r"国有资产占用",
          "the 国有资产占用 section"),
)
# A section heading: numbered (一、 （二） 1. 第三部分), its words read up to SECTION_CHARS (the
# heading may run on into its text: （一）收入预算：2026年年初预算数…); or a short line standing alone.
_NUMBER = r"(?:第[一二三四五六七八九十]+部分[:：、\s]*|[一二三四五六七八九十]+\s*[、.．]|[（(][一二三四五六七八九十\d]+[)）]|\d{1,2}\s*[、.．])"
_SECTION_LINE = re.compile(rf"^\s*(?:{_NUMBER}\s*(?P<numbered>.+)|(?P<alone>\S.{{0,40}}))$")
SECTION_CHARS = 16
# A disclosure states amounts: in its tables (cells that are numbers) or its 说明 (…万元).
_AMOUNT_SENTENCE = re.compile(r"\d[\d,，]*(?:\.\d+)?\s*(?:万元|元)")
_NUMBER_CELL = re.compile(r"^\s*-?[\d,]+(?:\.\d+)?\s*$")
MIN_AMOUNTS = 2  # numbers in 元 / 万元 in the text, or number cells in the tables
MIN_TABLES = 2  # distinct standard tables that make a disclosure
MIN_SECTIONS = 3  # distinct 说明 sections that make a disclosure (one of them income, expenditure or 三公)
_CORE_SECTIONS = {"income", "expenditure", "three_public"}

# What a title says the document is, when it is not a disclosure. `GOVERNMENT` decides even
# over budget tables (step 1); `TITLES` only when the document shows no disclosure structure.
GOVERNMENT: tuple[Rule, ...] = (
    _rule("government_budget",
          r"预算执行情况|(?:预算|决算)草案|(?<![收支])总(?:预算|决算)|政府(?:预算|决算)|(?:本级|财政)(?:预算|决算)(?:报告|的报告)?$|"
          r"预算调整方案|(?:预算|决算)(?:的)?报告|(?:省|市|县|区)级(?:预算|决算)",
          "a report on a whole government's budget or its execution (总预算, 预算执行情况的报告), "
          "not one department's"),
)
_TAIL = r"(?:[（(][^（()）]*[）)])?$"  # a title may end in a bracket: …的通知（2025年度）
TITLES: tuple[Rule, ...] = (
    _rule("website_report", r"网站工作年度报表|政府网站.{0,6}年度报",
          "an annual government-website report (政府网站工作年度报表)"),
    _rule("annual_report", rf"(?:政府信息公开|政务公开)(?:工作)?年度报告|工作(?:总结|要点){_TAIL}",
          "an annual work report (政府信息公开工作年度报告, 工作总结)"),
    _rule("recruitment", r"(?:招聘|招录|招考|选调|遴选).{0,20}(?:公告|简章|通知|公示)|报名简章|考试.{0,10}简章",
          "a recruitment or examination notice"),
    _rule("inspection", rf"(?:巡视|巡察|督查|检查|抽查|审计|整改).{{0,30}}(?:通报|通告|公告|报告|情况表?){_TAIL}|^巡[视察]通告",
          "an inspection, audit or rectification notice"),
    _rule("performance", rf"绩效(?:自评|评价|目标).{{0,12}}表{_TAIL}|自评(?:表|报告){_TAIL}",
          "a performance evaluation or target table (绩效), not the budget's 说明 or tables"),
    _rule("notice", rf"(?:通知|通告|公告|通报|的函|复函|批复|决定){_TAIL}|公报.{{0,20}}刊登",
          "a notice (通知/公告/通报)"),
    _rule("policy", rf"(?:办法|意见|规定|细则|规划|方案|指南|预案|标准|规范|清单|协议|制度|规程|流程图){_TAIL}",
          "a policy, plan, standard or procedure (办法/意见/规定…)"),
    _rule("official_document", r"[〔\[]\d{4}[〕\]]\d+号",
          "an official document with a 文号 (a notice, letter or policy)"),
    _rule("form", rf"(?:申请表|登记表|报名表){_TAIL}", "a form"),
    _rule("statistics", r"主要指标|统计公报", "statistics, not a budget"),
)
TITLE_LINES = 20  # lines at the top of each file read as its title block
TITLE_CHARS = 80  # longer lines are sentences, not titles


@dataclass(frozen=True)
class Verdict:
    """Whether the files are one department's budget or final account, and if not, why."""

    is_disclosure: bool
    reason: str | None  # None for a disclosure


def _lines(files: list[ExtractedFile]) -> list[str]:
    """Every line of text, table titles and cells, spaces dropped (titles print 部 门 预 算)."""
    out = []
    for f in files:
        out += [ln for p in f.paragraphs for ln in p.text.splitlines()]
        for t in f.tables:
            out += [t.title or ""] + [c for r in t.rows[:3] for c in r]
    return [s for s in (re.sub(r"\s+", "", x) for x in out) if s]


def title_block(files: list[ExtractedFile]) -> list[str]:
    """The first lines of each file, and each with the next (a title broken over two lines):
    where a document says what it is. Only title-sized lines: a sentence is not a title."""
    out = []
    for f in files:
        head = [s for s in (re.sub(r"\s+", "", p.text) for p in f.paragraphs[:TITLE_LINES]) if s]
        out += [s for s in head + [a + b for a, b in pairwise(head)] if len(s) <= TITLE_CHARS]
    return out


def _table_evidence(files: list[ExtractedFile]) -> set[str]:
    found = set()
    for line in _lines(files):
        found |= {r.name for r in TABLES if r.pattern.search(line)}
    return found


def _section_evidence(files: list[ExtractedFile]) -> set[str]:
    found = set()
    for f in files:
        for p in f.paragraphs:
            m = _SECTION_LINE.match(p.text.strip())
            if m:
                head = (m.group("numbered") or "")[:SECTION_CHARS] or m.group("alone")
                found |= {r.name for r in SECTIONS if r.pattern.search(head)}
    return found


def _states_amounts(files: list[ExtractedFile]) -> bool:
    sentences = sum(len(_AMOUNT_SENTENCE.findall(p.text)) for f in files for p in f.paragraphs)
    cells = sum(bool(_NUMBER_CELL.match(c)) for f in files for t in f.tables for r in t.rows for c in r)
    return sentences >= MIN_AMOUNTS or cells >= MIN_AMOUNTS


def _first_hit(rules: tuple[Rule, ...], lines: list[str], skip=lambda line: False) -> tuple[Rule, str] | None:
    for line in lines:
        if skip(line):
            continue
        for rule in rules:
            if rule.pattern.search(line):
                return rule, line
    return None


_SENTENCE = re.compile(r"。|\d+(?:\.\d+)?万?元")


def _quote(line: str) -> str:
    return f"“{line if len(line) <= 50 else line[:50] + '…'}”"


def classify(files: list[ExtractedFile], names_department=lambda line: False) -> Verdict:
    """The verdict on a document's readable files.

    `names_department(line)` says whether a title line names one department's budget or final
    account (metadata's heading reader): such a line is never read as a government's report.
    """
    if not any(f.paragraphs or f.tables for f in files):
        return Verdict(False, "no readable text (an image-only scan OCR could not read, or an empty file)")
    titles = title_block(files)
    # a title, not a sentence of the 说明 (…收支总预算6256.31万元。)
    government = _first_hit(GOVERNMENT, titles, skip=lambda t: names_department(t) or bool(_SENTENCE.search(t)))
    if government and not any(names_department(t) for t in titles):
        rule, line = government
        return Verdict(False, f"{rule.why}: {_quote(line)}")
    tables = _table_evidence(files)
    sections = _section_evidence(files)
    structure = len(tables) >= MIN_TABLES or (len(sections) >= MIN_SECTIONS and sections & _CORE_SECTIONS)
    # a part published alone under its department's title (XX局2020年部门预算 over its 三公 table)
    part = bool(tables or sections & _CORE_SECTIONS) and any(names_department(t) for t in titles)
    if structure or part:
        if _states_amounts(files):
            return Verdict(True, None)
        return Verdict(False, "names budget tables or sections but states no amount (no sum in 元 or 万元, "
                              "no table of numbers): a list of links or headlines")
    said = _first_hit(TITLES, titles)
    if said:
        rule, line = said
        return Verdict(False, f"{rule.why}, no budget tables: {_quote(line)}")
    first = _quote(titles[0]) if titles else "(no text lines)"
    return Verdict(False, f"no budget tables and no 说明 sections (收入预算, 支出预算, 三公经费 …): {first}")
