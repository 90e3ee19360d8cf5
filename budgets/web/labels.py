"""How figures, kinds and source locations read on the page: Chinese labels, yuan with separators.

Amounts arrive as the contract's strings ("58459800.00", yuan); they are formatted with
Decimal only, so what the page shows is exactly what the record holds.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from parsers.catalogue import FIGURE_LABELS, HEADCOUNT_KEYS

METADATA_LABELS = {"index_no": "索引号", "publisher": "发布机构", "publish_date": "发布日期", "doc_no": "文号",
                   "source": "信息来源"}
KIND_LABELS = {"budget": "部门预算", "final_account": "部门决算"}
SEVERITY_ORDER = {"error": 0, "minor": 1, "info": 2}
# the parts of a source location, in reading order, with their labels
WHERE_PARTS = (("file", "文件"), ("page", "页"), ("sheet", "工作表"), ("table", "表"), ("row", "行"),
               ("column", "列"), ("row_number", "行号"), ("paragraph", "段"))


def figure_label(key: str | None) -> str:
    return FIGURE_LABELS.get(key or "", key or "")


def is_headcount(key: str) -> bool:
    return key in HEADCOUNT_KEYS


def format_value(key: str, value) -> str:
    """A figure as a person reads it: `58,459,800.00 元`, or `12 人` for headcounts."""
    if value is None:
        return ""
    if is_headcount(key):
        return f"{value} 人"
    return format_yuan(value)


def format_yuan(value) -> str:
    """Yuan with thousands separators; text that is not a number is shown as it is."""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    return f"{amount:,.2f} 元"


def where_text(where: dict | None) -> str:
    """A source location on one line: `file · 页 3 · 表 收支总表 · 行 本年支出合计 · 列 本年决算`."""
    where = where or {}
    parts = []
    for name, label in WHERE_PARTS:
        if where.get(name) not in (None, ""):
            parts.append(str(where[name]) if name == "file" else f"{label} {where[name]}")
    return " · ".join(parts)
