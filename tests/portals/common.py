"""Helpers both portal builders use: regions, URL forms, HTML for document content."""
from __future__ import annotations

import posixpath
from datetime import date, timedelta
from html import escape
from urllib.parse import quote

from .seeds import Document

ZHUZHOU = {"province": "湖南省", "city": "株洲市", "county": None, "admin_code": "430200"}
TONGDAO = {"province": "湖南省", "city": "怀化市", "county": "通道侗族自治县", "admin_code": "431230"}

# Formats of bulk-generated attachments, PDF most common as on real portals.
BULK_FORMATS = ("pdf", "xls", "pdf", "xlsx", "pdf", "docx", "xls", "pdf")

EXTERNAL = ["http://www.gov.cn/", "http://www.hunan.gov.cn/", "https://beian.miit.gov.cn/"]

# Sub-units used to name bulk-generated departments (x years x kinds = many disclosures).
_BUREAUS = (
    "教育局", "科学技术局", "工业和信息化局", "民政局", "司法局", "财政局", "人力资源和社会保障局",
    "自然资源和规划局", "生态环境局", "住房和城乡建设局", "交通运输局", "水利局", "农业农村局", "商务局",
    "文化旅游广电体育局", "卫生健康委员会", "退役军人事务局", "应急管理局", "审计局", "市场监督管理局",
    "统计局", "医疗保障局", "林业局", "城市管理综合执法局", "机关事务管理局", "信访局", "档案馆", "气象局",
    "发展和改革委员会", "公安局", "人民检察院", "人民法院", "总工会", "团委", "妇女联合会", "科学技术协会",
    "残疾人联合会", "供销合作社", "住房公积金管理中心", "政务服务中心",
)
_SUBUNITS = ("", "机关服务中心", "信息中心", "综合执法大队", "事务中心", "培训中心", "监测站", "后勤服务中心")


def browser_target(path: str) -> str:
    """A unicode path as a browser requests it: percent-encoded UTF-8, '/' and safe marks kept."""
    return quote(path, safe="/:@!$&'()*+,;=-._~%?")


def relative(from_target: str, to_target: str) -> str:
    """The relative link TRS writes from one page to another (./x, ../../y/)."""
    start = posixpath.dirname(from_target)
    rel = posixpath.relpath(to_target, start)
    if rel == ".":
        return "./"
    if to_target.endswith("/") and not rel.endswith("/"):
        rel += "/"
    return rel if rel.startswith("../") else "./" + rel


def department_name(place: str, i: int) -> str:
    """The i-th generated department of a place, e.g. 株洲市教育局机关服务中心."""
    bureau = _BUREAUS[i % len(_BUREAUS)]
    sub = _SUBUNITS[(i // len(_BUREAUS)) % len(_SUBUNITS)]
    cycle = i // (len(_BUREAUS) * len(_SUBUNITS))
    return f"{place}{bureau}{sub}" + (f"第{cycle + 1}分部" if cycle else "")


def publication_date(fiscal_year: int, kind: str, i: int) -> date:
    """Budgets are published early in their year, final accounts in autumn of the next."""
    if kind == "budget":
        return date(fiscal_year, 1, 15) + timedelta(days=i % 60)
    return date(fiscal_year + 1, 8, 20) + timedelta(days=i % 40)


def document_html(doc: Document, tables: bool = True) -> str:
    """A document's 说明 as <p> and its tables as ruled <table>, as editors paste them."""
    parts = [f'<p style="text-indent:2em">{escape(p)}</p>' for p in doc.paragraphs]
    if tables:
        for t in doc.tables:
            parts.append(f'<p style="text-align:center"><strong>{escape(t.title)}</strong></p>')
            rows = "".join(
                "<tr>" + "".join(f"<td>{escape(c)}</td>" for c in r) + "</tr>" for r in t.rows
            )
            parts.append(f'<table border="1" cellspacing="0" cellpadding="2" class="MsoNormalTable">{rows}</table>')
    return "\n".join(parts)


def paragraphs_html(paragraphs: list[str]) -> str:
    return "\n".join(f'<p style="text-indent:2em">{escape(p)}</p>' for p in paragraphs)


def generated_plan(i: int, place: str, published: list[date], newest: bool) -> tuple[str, int, str, date, str]:
    """Kind, fiscal year, department, publication day and file format of the i-th generated
    disclosure; `newest` dates it after everything in `published`."""
    kind = "budget" if i % 2 == 0 or newest else "final_account"
    year = 2019 + (i // 2) % 4
    if newest:
        year = max(published).year + 1
    day = publication_date(year, kind, i)
    if newest:
        day = max(max(published) + timedelta(days=1), day)
    return kind, year, department_name(place, i // 8), day, BULK_FORMATS[i % len(BULK_FORMATS)]
