"""Judging readings with what the document says of itself and with the accounting identities.

The locators (`parsers/figures.py`) find every candidate; `parsers/checks.py` decides per key
and flags disagreements. Here the candidates are judged as a whole:

- document rules reject readings before any decision (a 说明 that says its income totals
  include the carry-over: no such total is this year's income);
- where a key's readings conflict, the identities of the standard tables (基本 + 项目 = 支出
  合计, the 三公 items = their total, …; `parsers.catalogue.IDENTITIES`) choose the reading
  that satisfies one when the others satisfy none;
- every figure gets its confidence: how many independent places print it and which
  identities it satisfies; a researcher can keep only corroborated figures.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from parsers.catalogue import (
    AUX_LABELS,
    CARRYOVER_INSIDE,
    FIGURE_KEYS,
    FUND_INCOME_KEYS,
    IDENTITIES,
    RULES,
    Identity,
    label,
)
from parsers.checks import PART_SCOPES, reading_dict, value_str
from parsers.figures import Collector, Malformed, Reading, norm
from parsers.model import ExtractedFile

# 万元 printed with two decimals is exact to 100 yuan; a sum of such figures may drift by
# half of that per member
_WAN_SLACK = Decimal(50)


@dataclass(frozen=True)
class Rejection:
    """A reading set aside, and why."""

    reading: Reading
    reason: str

    def as_dict(self) -> dict:
        return dict(reading_dict(self.reading), key=self.reading.key, reason=self.reason)


def _agreed(readings: list[Reading], key: str) -> Decimal | None:
    """A key's value where all its readings agree (to the rounding of 万元)."""
    values = [Decimal(r.value) for r in readings if r.key == key]
    if values and max(values) - min(values) <= 2 * _WAN_SLACK:
        return values[0]
    return None


def _with_carryover(readings: list[Reading]) -> tuple[Decimal, Decimal] | None:
    """(the department's whole including the carry-over, the carry-over) where the carry-over is
    not nil: 本年收入合计 + 上年结转, which a budget spends as 本年支出合计 (it plans no 结转下年)."""
    carry = _agreed(readings, "income_carryover")
    if not carry:
        return None
    income = _agreed(readings, "income_total")
    whole = income + carry if income is not None else _agreed(readings, "expenditure_total")
    return None if whole is None else (whole, carry)


def _parts_with_carryover(readings: list[Reading], doc_kind: str | None) -> list[Rejection]:
    """A source of income given as a part of the whole including the carry-over holds its own
    carry-over: it is not this year's income from that source."""
    found = _with_carryover(readings) if doc_kind == "budget" else None
    if found is None:
        return []
    whole, carry = found
    return [Rejection(r, f"a part of {value_str('income_total', r.whole)}, the whole with the carry-over "
                         f"({value_str('income_carryover', carry)}): "
                         "this source's money with its carry-over, not this year's income")
            for r in readings
            if r.key in FUND_INCOME_KEYS and r.whole is not None and abs(r.whole - whole) <= 2 * _WAN_SLACK]


def apply_document_rules(collected: Collector, files: list[ExtractedFile], doc_kind: str | None = None) -> list[Rejection]:
    """Readings the document itself says are not what their label suggests."""
    rejected = _parts_with_carryover(collected.readings, doc_kind)
    if rejected:
        parts = {id(x.reading) for x in rejected}
        collected.readings = [r for r in collected.readings if id(r) not in parts]
    said = next((m.group(0) for f in files if (m := CARRYOVER_INSIDE.search(f.text))), None)
    if said:
        keep = []
        for r in collected.readings:
            labelled = norm(str(r.where.get("row", "")) + r.text)
            if r.key == "income_total" and "本年" not in labelled:
                rejected.append(Rejection(r, f"the 说明 says “{said}”: this total includes the carry-over, it is not this year's income"))
            else:
                keep.append(r)
        collected.readings = keep
    return rejected


def identity_holds(identity: Identity, values: dict[str, Decimal], slack: Decimal) -> bool | None:
    """Whether the identity holds for these values (its optional parts counted where known);
    None when it cannot be checked."""
    if identity.total not in values or not all(p in values for p in identity.parts):
        return None
    members = list(identity.parts) + [p for p in identity.optional if p in values]
    summed = sum((values[m] for m in members), Decimal(0))
    return abs(summed - values[identity.total]) <= slack * (len(members) + 1)


def _holds_any_reading(identity: Identity, values: dict[str, Decimal], slack: Decimal) -> bool:
    """Whether the identity holds counting its optional parts or leaving them out: a 其他支出
    beside 基本 and 项目 may be printed as a third part or be inside 项目支出."""
    optional = [p for p in identity.optional if p in values]
    without = {k: v for k, v in values.items() if k not in optional}
    return bool(identity_holds(identity, values, slack) or identity_holds(identity, without, slack))


def _slack(unit: str | None) -> Decimal:
    return _WAN_SLACK if unit == "万元" else Decimal(0)


def choose_by_identities(figures: dict, sources: dict, flags: list[dict], readings: list[Reading],
                         unit: str | None) -> list[Rejection]:
    """Keys left out as conflicting whose readings an identity can decide: the one value that
    satisfies an identity with the other figures is kept (the disagreement stays flagged) and
    the others are rejected."""
    rejected: list[Rejection] = []
    slack = _slack(unit)
    conflicted = [f["key"] for f in flags if f["type"] == "conflicting_values" and f.get("key")]
    # amounts read for the identities only (其他支出, 公务用车购置及运行费), where all readings agree
    aux = {}
    for key in AUX_LABELS:
        seen = {Decimal(r.value) for r in readings if r.key == key}
        if len(seen) == 1:
            aux[key] = seen.pop()
    for key in dict.fromkeys(conflicted):
        if key in figures:
            continue
        values = {k: Decimal(str(v)) for k, v in figures.items()} | aux
        candidates = list(dict.fromkeys(Decimal(r.value) for r in readings if r.key == key))
        holding = {}
        for value in candidates:
            trial = dict(values, **{key: value})
            holding[value] = [i.name for i in IDENTITIES if i.decides and key in (i.total, *i.parts, *i.optional)
                              and _holds_any_reading(i, trial, slack)]
        winners = [v for v in candidates if holding[v]]
        if len(winners) != 1:
            continue  # none, or more than one reading makes sense: the document must say
        value = winners[0]
        chosen = next(r for r in readings if r.key == key and Decimal(r.value) == value)
        figures[key] = value_str(key, value)
        sources[key] = {"where": chosen.where, "text": chosen.text}
        flags[:] = [f for f in flags if not (f["type"] == "conflicting_values" and f.get("key") == key)]
        for r in readings:
            if r.key == key and Decimal(r.value) != value:
                rejected.append(Rejection(r, f"breaks what {', '.join(holding[value])} says of {label(key)} ({value_str(key, value)})"))
    return rejected


def _witness(r: Reading) -> str:
    """Readings of one table (whatever its column) or of the 说明 are one witness."""
    return r.origin.split(":")[0]


def confidence(figures: dict, readings: list[Reading], unit: str | None) -> dict[str, dict]:
    """Per figure: the independent places that print its value, the identities it satisfies,
    and whether it is corroborated (two witnesses, or one and an identity)."""
    values = {k: Decimal(str(v)) for k, v in figures.items()}
    slack = _slack(unit)
    out: dict[str, dict] = {}
    for key, value in values.items():
        agreeing = [r for r in readings if r.key == key and abs(Decimal(r.value) - value) <= max(r.tolerance, slack)]
        witnesses = list(dict.fromkeys(_witness(r) for r in agreeing))
        holds = [i.name for i in IDENTITIES if key in (i.total, *i.parts, *i.optional) and identity_holds(i, values, slack)]
        out[key] = {
            "witnesses": len(witnesses),
            "identities": holds,
            "corroborated": len(witnesses) >= 2 or bool(holds),
        }
    return out


def gaps(figures: dict, readings: list[Reading], rejected: list[Rejection], flags: list[dict],
         kinds_found: set[str], is_disclosure: bool, malformed: list[Malformed]) -> dict[str, str]:
    """Why each figure key the record leaves out is missing."""
    if not is_disclosure:
        return {}
    out: dict[str, str] = {}
    for key in FIGURE_KEYS:
        if key in figures:
            continue
        rule = RULES[key]
        misread = next((m for m in malformed if m.key == key and m.ocr), None)
        if misread and not any(r.key == key for r in readings):
            page = f" on page {misread.where['page']}" if misread.where.get("page") else ""
            out[key] = (f"OCR could not read the number printed{page} ({misread.text!r}); "
                        "a misreading of a scan is left out rather than guessed")
        elif any(f.get("key") == key and f["type"] == "conflicting_values" for f in flags):
            out[key] = "the document gives different values and none can be preferred (see flags)"
        elif any(r.reading.key == key for r in rejected):
            out[key] = "every reading was rejected: " + next(r.reason for r in rejected if r.reading.key == key)
        elif any(r.key == key for r in readings) and all(r.scope in PART_SCOPES for r in readings if r.key == key):
            out[key] = "only its 基本支出 and 项目支出 lines are printed, in separate tables; their sum is not stated"
        elif any(r.key == key for r in readings):
            out[key] = "its readings were left out (see flags)"
        elif rule.tables and not kinds_found & set(rule.tables):
            out[key] = (f"no table it is printed in ({', '.join(rule.tables)}) was recognised, "
                        "and no sentence of the 说明 states it")
        elif rule.tables:
            out[key] = f"the tables it is printed in were recognised but none prints {rule.label}; no sentence states it"
        else:
            out[key] = f"no sentence of the 说明 states {rule.label}"
    return out
