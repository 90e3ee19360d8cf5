"""Each flag type of the record with the Chinese label and sentence a reader sees beside it.

The one place that says what a flag type means in Chinese: the web page and the CLI show
these beside the type (which stays English, as the record's key), docs/record.md lists them.
"""
from __future__ import annotations

FLAG_TYPES: dict[str, tuple[str, str]] = {
    "conflicting_values": ("数值冲突", "同一数字在文件中有两个不同的值，无法判断哪个正确，故未采用。"),
    "text_table_mismatch": ("说明与表格不符", "说明文字中的数字与表格中的数字不一致。"),
    "cross_table_mismatch": ("表间不符", "两张表格中的同一数字不一致。"),
    "parts_do_not_sum": ("分项之和不等于合计", "各分项（如基本支出与项目支出）相加不等于所列的合计。"),
    "column_total_mismatch": ("合计行与明细不符", "表格的合计行与该表各行之和不一致。"),
    "malformed_number": ("数字无法识读", "数字印刷有误（如“260..27”），无法确定其值。"),
    "unit_error": ("单位错误", "所印单位与表格注明的单位相矛盾。"),
    "year_mismatch": ("年度不符", "文中的年份与预算或决算所属年度相矛盾。"),
    "date_anomaly": ("日期异常", "日期不可能正确（如预算的日期晚于公开日期）。"),
    "label_error": ("行列名称错误", "行或列的名称与其所在位置不符。"),
    "rounding": ("取整差异", "说明以万元取整的数字与表格中以元为单位的精确数字存在取整差异。"),
}
SEVERITY_LABELS = {"error": "错误", "minor": "轻微", "info": "提示"}


def flag_label(type_: str) -> str:
    """The Chinese label of a flag type; an unknown type reads as itself."""
    return FLAG_TYPES.get(type_, (type_, ""))[0]


def flag_sentence(type_: str) -> str:
    """The Chinese sentence saying what a flag type means ("" for an unknown type)."""
    return FLAG_TYPES.get(type_, ("", ""))[1]
