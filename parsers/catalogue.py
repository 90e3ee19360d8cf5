"""The figure catalogue: every contract figure key with where real disclosures print it.

One place for the knowledge that grows with every new city template. Per key: its Chinese
label, the row labels and column headings it is printed under (normalised: NFKC, no spaces,
no leading 一、/（一）), its 经济分类 code, the 说明's sentence forms, and the table kinds it
may be read from. The locators in `parsers/figures.py` apply these rules; the identities in
`parsers/identities.py` judge what they find. `docs/figures.md` says how to add a layout:
usually one pattern here and one gold case in `tests/data/real/`.

Patterns are regular expressions matched against the normalised label (`fullmatch` for rows
and headings unless they start with `^` … without `$`). Each carries its reason where the
reason is not obvious from the Chinese.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class FigureRule:
    """Where one figure key is printed."""

    key: str
    label: str  # the Chinese name a reader of the document knows it by
    meaning: str = ""  # what it is, as the record's documentation says it
    headcount: bool = False
    rows: tuple[str, ...] = ()  # row labels in 收支总表 / 收入总表 / 财政拨款收支总表 (label | amount layouts)
    columns: tuple[str, ...] = ()  # column headings in tables that print it as a column of a total row
    code: str | None = None  # 经济分类 code of its line
    # (section topic of the 说明, label before the amount, how many characters may stand between)
    # topic "any": a form specific enough to be read in every section but the glossary
    sentences: tuple[tuple[str, str, int], ...] = ()
    tables: tuple[str, ...] = ()  # table kinds it may be read from
    # headcounts: the 说明's words just before a count of people (…125人)
    counts: tuple[str, ...] = ()
    note: str = ""


# --- row labels shared by several keys ---------------------------------------------------------

# 本年收入合计 / 收入合计 / 合计 (the 收入 side of a 收支总表); 本年 marks this year's total where the
# table also prints a 总计 that adds 上年结转
SUMMARY_TOTAL = r"(本年|当年)?(收入|支出)?(合计|总计|小计)"

FIGURES: tuple[FigureRule, ...] = (
    FigureRule(
        "income_total", "本年收入合计", meaning="本年收入合计 (this year's income, without carry-over)",
        rows=(r"((本年|当年)?收入)?(合计|总计)",),
        columns=(r"(总计|合计|本年收入合计|本年收入)",),
        sentences=(("income", r"年初(?:预算数|决算数)(?:为)?|本年收入(?:预算|决算)?(?:合计)?(?:为)?", 3),),
        tables=("summary", "income"),
        note="without 上年结转 (budgets) or 年初结转和结余 (final accounts)",
    ),
    FigureRule(
        "income_general_budget", "一般公共预算拨款", meaning="一般公共预算拨款 / 一般公共预算财政拨款收入",
        rows=(r"(一般公共预算(财政)?拨款(收入)?|一般公共预算(资金|收入)?|公共财政拨款(收入)?|财政拨款[(（]?一般公共预算[)）]?(收入)?|一般公共预算财政拨款收入)",),
        columns=(r"^(一般公共预算(财政)?拨款|一般公共预算(资金|收入)?$|公共财政拨款|财政拨款[(（]?一般公共预算)",),
        sentences=(
            ("income", r"一般公共预算(?:财政)?拨款(?:收入)?|一般公共预算(?:财政拨款)?收入(?:预算)?|公共财政拨款(?:收入)?", 3),
            ("general_budget", r"一般公共预算(?:财政)?拨款收入|公共财政拨款收入", 3),
        ),
        tables=("summary", "fiscal_summary", "income"),
    ),
    FigureRule(
        "income_gov_fund", "政府性基金预算拨款", meaning="政府性基金预算拨款",
        rows=(r"政府性基金(预算)?(财政)?(拨款|资金)?(收入)?",),
        columns=(r"^政府性基金",),
        sentences=(("income", r"政府性基金(?:预算)?(?:财政)?拨款(?:收入)?", 3),),
        tables=("summary", "fiscal_summary", "income"),
    ),
    FigureRule(
        "income_other", "其他收入", meaning="其他收入",
        rows=(r"其他收入(资金)?",),  # 九、其他收入资金: Chongqing
        columns=(r"^其他收入$",),
        sentences=(("income", r"(?<![税])其他收入", 3),),
        tables=("summary", "income"),
        note="the enumerated line labelled 其他收入 only (一、…九、其他收入), never a 其中 line",
    ),
    FigureRule(
        "income_carryover", "上年结转 / 年初结转和结余", meaning="上年结转 (budgets) / 年初结转和结余 (final accounts)",
        rows=(r"(上年结转(和结余|结余)?|年初结转(和结余|结余)?|上年结余[、和及]?结转)(资金)?(小计)?",),  # 上年结余、结转: Shenzhen
        columns=(r"^(上年结转|年初结转)",),
        sentences=(("income", r"上年结转(?:和结余)?|年初结转和结余", 3),),
        tables=("summary", "income"),
    ),
    FigureRule(
        "expenditure_total", "本年支出合计", meaning="本年支出合计 (without 年末结转和结余)",
        rows=(r"((本年|当年)?支出)?(合计|总计)",),
        columns=(r"(总计|合计)",),
        # 2026 年支出预算 9626.78 万元 (Beijing), 2026年部门预算总支出…元 (Kunming): the year stands
        # before the label, where the other-year test reads it
        sentences=(("expenditure", r"年初(?:预算数|决算数)(?:为)?|本年支出(?:预算|决算)?(?:合计)?(?:为)?"
                    r"|(?<=年)度?支出(?:预算|决算)(?:总额|合计)?(?:为|是)?|(?:预算|决算)总支出(?:为|是)?", 3),),
        tables=("summary", "expenditure", "performance"),
        note="without 年末结转和结余",
    ),
    FigureRule(
        "expenditure_basic", "基本支出", meaning="基本支出",
        rows=(r"基本支出", r"人员经费和公用经费(支出)?"),  # Xi'an's 收支总表 names the two parts by content
        columns=(r"^基本支出",),
        sentences=(
            ("expenditure", r"基本支出(?:预算数|决算数)?(?:为)?", 3),
            ("basic", r"基本支出(?:预算数|决算数)?(?:为)?|(?:预算数|决算数)(?:为)?", 3),
        ),
        tables=("summary", "expenditure", "performance"),
        note="a 基本支出 heading over 人员支出 / 公用支出 with no total column of its own prints no 基本支出",
    ),
    FigureRule(
        "expenditure_project", "项目支出", meaning="项目支出",
        rows=(r"项目支出", r"专项业务经费(支出)?"),
        columns=(r"^项目支出",),
        sentences=(
            ("expenditure", r"项目支出(?:预算数|决算数)?(?:为)?", 3),
            ("project", r"项目支出(?:预算数|决算数)?(?:为)?|(?:预算数|决算数)(?:为)?", 3),
        ),
        tables=("summary", "expenditure", "performance", "project_list"),
    ),
    FigureRule(
        "three_public_total", "“三公”经费", meaning="“三公”经费 (预算数 for budgets, 决算数 for final accounts)",
        columns=(r"三公.*(小计|合计|总计)$|三公[^/]*经费(合计)?$|三公[^/]*总额$",),  # “三公”经费财政拨款预算总额: Beijing
        sentences=(("three_public", r"[“”\"‘’']?三公[“”\"‘’']?经费(?:预算数|决算数|支出|预算)?(?:为)?", 3),),
        tables=("three_public",),
        note="预算数 for budgets, 决算数 for final accounts",
    ),
    FigureRule(
        "three_public_overseas", "因公出国（境）费", meaning="因公出国（境）费",
        # brackets a text layer may lose or move; 因公出国（境）经费; a heading cut at its bracket
        # where the reader split a wrapped heading (因公出国（ | 境）费用), never 因公出国团组数
        columns=(r"因公出国([(（]?境[)）]?(经)?费|[(（]$)",),
        code="30212",
        sentences=(("three_public", r"因公出国[（(]境[)）](?:经)?费(?:用)?", 3),),
        tables=("three_public",),
    ),
    FigureRule(
        "three_public_vehicle_purchase", "公务用车购置费", meaning="公务用车购置费",
        columns=(r"公务用车购置(经)?费|公务用车购置(经费?)?$",),  # 公务用车购置经费: Xi'an 2019
        code="31013",
        sentences=(("three_public", r"公务用车购置费", 3),),
        tables=("three_public",),
    ),
    FigureRule(
        "three_public_vehicle_operation", "公务用车运行维护费", meaning="公务用车运行维护费",
        columns=(r"公务用车运行(维护)?(经)?费|公务用车运行维护$",),  # its 费 wrapped into the next heading
        code="30231",
        sentences=(("three_public", r"公务用车运行(?:维护)?费", 3),),
        tables=("three_public",),
    ),
    FigureRule(
        "three_public_reception", "公务接待费", meaning="公务接待费",
        columns=(r"公务接待费",),
        code="30217",
        sentences=(("three_public", r"公务接待费", 3),),
        tables=("three_public",),
    ),
    FigureRule(
        "operating_expenses", "机关运行经费", meaning="机关运行经费",
        sentences=(("operating", r"运行经费", 25),),
        tables=(),
        note="as the 说明 states it; tables that print it vary too much to be read alone",
    ),
    FigureRule(
        "procurement_total", "政府采购", meaning="政府采购 total",
        columns=(r"^(总计|合计|(预算)?金额)$",),
        sentences=(("procurement", r"(?:预算数|决算数|预算总额|采购(?:预算)?总额|采购(?:预算)?金额"
                                   r"|采购(?:项目|预算)(?:资金)?(?:共有|共计|合计|共)|采购安排)(?:为)?", 3),),
        tables=("procurement",),
        note="the stated total: a table's 合计 row or the 说明's sentence, never one line of a table",
    ),
    FigureRule(
        "meeting_expenses", "会议费", meaning="会议费",
        columns=(r"(^|/)会议费$",),
        code="30215",
        sentences=(("three_public", r"会议费(?![（(][类款项])", 6), ("meeting_training", r"会议费(?![（(][类款项])", 6),
                   ("any", r"会议费(?:预算|决算)(?:数)?(?:为)?", 1)),
        tables=("three_public",),
        note="会议费（款）is a 功能分类 line named like the expense, not the expense",
    ),
    FigureRule(
        "training_expenses", "培训费", meaning="培训费",
        columns=(r"(^|/)培训费$",),
        code="30216",
        sentences=(("three_public", r"培训费(?![（(][类款项])", 6), ("meeting_training", r"培训费(?![（(][类款项])", 6),
                   ("any", r"培训费(?:预算|决算)(?:数)?(?:为)?", 1)),
        tables=("three_public",),
    ),
    FigureRule(
        "staff_authorized", "编制人数", meaning="编制人数 (headcount)", headcount=True,
        columns=(r"^编制(人数|数)",),
        counts=(r"编制(?:人数)?(?:为|共有|共计|共)?",),
        tables=("staff",),
    ),
    FigureRule(
        "staff_actual", "实有人数", meaning="实有人数 (headcount)", headcount=True,
        columns=(r"^实有(在职)?人数",),
        # 在职实有177人, 实有人员119人; 编制在职人员共有145人 counts the people, not the posts
        counts=(r"实有(?:在职)?(?:人数|人员)?(?:为|共有|共计|共)?", r"在职人员(?:共有|共计|共|为)"),
        tables=("staff",),
    ),
)

RULES = {r.key: r for r in FIGURES}
FIGURE_KEYS: tuple[str, ...] = tuple(r.key for r in FIGURES)
HEADCOUNT_KEYS: tuple[str, ...] = tuple(r.key for r in FIGURES if r.headcount)
AMOUNT_KEYS: tuple[str, ...] = tuple(r.key for r in FIGURES if not r.headcount)
FIGURE_LABELS: dict[str, str] = {r.key: r.label for r in FIGURES}

# Read for the identities and checks, not part of the record.
VEHICLE = "three_public_vehicle"  # 公务用车购置及运行费 as one amount
EXPENDITURE_OTHER = "expenditure_other"  # a third top-level category beside 基本 and 项目 (其他支出)
AUX_LABELS = {VEHICLE: "公务用车购置及运行费", EXPENDITURE_OTHER: "其他支出"}
# 经济分类 lines that the 三公 items and 会议费 / 培训费 are part of: key -> (code, name)
ECON_LINES = {
    "econ_overseas": ("30212", r"因公出国[(（]境[)）]费用?"),
    "econ_vehicle_operation": ("30231", r"公务用车运行维护费"),
    "econ_reception": ("30217", r"公务接待费"),
    "econ_vehicle_purchase": ("31013", r"公务用车购置费?"),
    "meeting_expenses": ("30215", r"会议费"),
    "training_expenses": ("30216", r"培训费"),
}


def label(key: str) -> str:
    """A key's Chinese name, for flags and explanations."""
    return FIGURE_LABELS.get(key) or AUX_LABELS.get(key) or key


# --- table kinds ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TableKind:
    """A standard table: recognised by its title, else by its structure (row labels and
    column headings that only it prints), since titles vary, wrap or go missing."""

    kind: str
    label: str
    title: str  # regex on the normalised title
    title_not: str | None = None  # words that make a title match some other kind
    rows: tuple[str, ...] = ()  # row labels (regex, search) that together mark it
    heads: tuple[str, ...] = ()  # column headings (regex, search) that together mark it
    figures: bool = True  # whether contract figures may come from it (绩效 tables carry none)


# Order matters: the first kind whose title matches wins, so narrower kinds come first.
TABLE_KINDS: tuple[TableKind, ...] = (
    TableKind("three_public", "“三公”经费支出表", r"三公",
              heads=(r"三公", r"公务接待费", r"因公出国")),
    TableKind("fiscal_summary", "财政拨款收支总表",
              r"财政拨款收入?支出?",
              rows=(r"^(一、)?一般公共预算", r"(本年)?收入(合计|总计)|收入总计")),
    TableKind("summary", "收支总表",
              r"收支(预算|决算)?(总表|总体情况表|情况表|表)$|收入支出(预算|决算)?(总表|表)$|收支(预算|决算)?总表|部门收支",
              title_not=r"财政拨款|一般公共预算|政府性基金|国有资本",
              rows=(r"本年收入合计|收入总计", r"本年支出合计|支出总计")),
    TableKind("staff", "人员情况表", r"人员|编制", title_not=r"人员经费|人员支出"),
    TableKind("procurement", "政府采购预算表", r"政府采购"),
    TableKind("performance", "整体绩效目标表", r"绩效.*整体|整体.*绩效", figures=False),
    TableKind("project_list", "项目支出表", r"绩效|专项资金|项目支出(预算|决算)?(表|明细|情况)", figures=False),
    TableKind("income", "收入总表", r"收入(预算|决算)?(总表|表|汇总表|情况表|总体情况表)",
              title_not=r"财政拨款|一般公共预算|政府性基金|专户|经费拨款|基本支出|非税|国有资本|支出",
              heads=(r"^(一般公共预算|公共财政)", r"^(上年结转|年初结转)")),
    TableKind("expenditure", "支出总表", r"支出(预算|决算)?(总表|分类|汇总|表|情况表|总体情况表)",
              title_not=r"财政拨款|一般公共预算|政府性基金|专户|经费拨款|基本支出|非税|国有资本|三公|项目|采购|收入",
              heads=(r"^基本支出", r"^项目支出")),
)
# A title that names one source of money (财政拨款, 政府性基金 …) or one part of the spending
# (基本支出) is a part table: never taken for a whole table by its structure.
PART_TITLE = re.compile(r"财政拨款|一般公共预算|政府性基金|国有资本|专户|经费拨款|非税|基本支出")
# kinds whose arithmetic is about the contract's figures: only these are checked row by row
FIGURE_TABLES = frozenset(t.kind for t in TABLE_KINDS if t.figures) | {"other"}
TABLE_KIND_LABELS = {t.kind: t.label for t in TABLE_KINDS} | {"other": "未识别"}

# A 说明 that says the carry-over is counted inside each source of income: its income total
# is not this year's income (Chongqing: 结转金额已纳入相应性质的资金收入中进行反映).
CARRYOVER_INSIDE = re.compile(r"结转(?:金额|资金)?(?:已|均)?(?:纳入|计入|包含在)[^。；\n]{0,12}收入")

# Sources of this year's income that a 说明 may also give with their own carry-over, as parts of
# the department's whole (收入预算515,665.27万元，其中：一般公共预算收入19,828.57万元 where
# 本年一般公共预算拨款收入 is 19,756.66 and 上年结转 408.11): such a part is not this year's income.
FUND_INCOME_KEYS = ("income_general_budget", "income_gov_fund")

# A count of people that is not the department's: a breakdown after 其中 (其中行政编制111人) or
# a named unit's own (…服务保障中心编制人数8人), the department's being stated for 本部门 or unnamed.
COUNT_BREAKDOWN = re.compile(r"其中")
# the name of an organisation ends with what it is (…局, …服务保障中心, …执法监察支队)
UNIT_NAME = re.compile(r"(中心|站|所|院|队|馆|校|社|会|局|委|办|处|室|厅|园|台|场)$")

# A 说明 that says the department has none of a kind of money states that figure: zero. The
# disclosure rules make a department without 政府性基金 say so (and publish the table empty):
# 本部门无当年政府性基金预算收支, …无政府性基金收入. (无…安排的支出 speaks of spending only.)
NONE_STATEMENTS = {
    "income_gov_fund": r"(?:无|没有)(?:当年)?政府性基金(?:预算)?(?:财政)?(?:拨款)?(?:收入|收支)",
}

# Money brought forward under another name, the carry-over where the 上年结转 line prints nothing:
# Xi'an's 上年实户资金余额 (last year's balance in the unit's own accounts, spent this year; 本年支出
# exceeds 本年收入 by exactly it).
CARRYOVER_FALLBACK = r"上年实户资金余额"

# Columns that print another year or a change, never this year's figure.
EXCLUDED_COLUMN = re.compile(r"上年(?!结转|结余|实户资金余额)|增减|同比|变动|增长|比较|差额")
# The column a final account's figures come from; a budget's are its 预算数.
FINAL_ACCOUNT_COLUMN = re.compile(r"决算")
BUDGET_ONLY_COLUMN = re.compile(r"预算")


@dataclass(frozen=True)
class Identity:
    """An accounting identity of the standard tables: `total` = sum of `parts` (+ `optional`)."""

    name: str
    label: str
    total: str
    parts: tuple[str, ...]
    optional: tuple[str, ...] = field(default=())
    # whether it may decide between conflicting readings: only the tables' own sums may; an
    # identity that holds only under assumptions (no carry-over, no year-end balance) corroborates
    decides: bool = True


IDENTITIES: tuple[Identity, ...] = (
    Identity("expenditure_parts", "基本支出 + 项目支出 = 本年支出合计", "expenditure_total",
             ("expenditure_basic", "expenditure_project"), (EXPENDITURE_OTHER,)),
    Identity("three_public_parts", "“三公”四项之和 = “三公”经费合计", "three_public_total",
             ("three_public_overseas", "three_public_vehicle_purchase", "three_public_vehicle_operation",
              "three_public_reception")),
    Identity("vehicle_parts", "公务用车购置费 + 运行维护费 = 公务用车购置及运行费", VEHICLE,
             ("three_public_vehicle_purchase", "three_public_vehicle_operation")),
    Identity("balanced_budget", "本年收入合计 = 本年支出合计（无结转时）", "income_total", ("expenditure_total",),
             decides=False),
)
