"""Reading numbers as printed in disclosures: exact Decimal values, never guesses.

Printed noise (thousands separators, stray spaces, full-width digits) is normalised away;
a dash or an empty cell means "not stated" (never zero); anything that looks like a number
but cannot be read one way only (`260..27`) is reported as malformed rather than repaired.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

Status = Literal["ok", "blank", "malformed", "text"]

WAN = Decimal(10000)
CENT = Decimal("0.01")

# Cells that mean "not stated": empty, dashes of every width, a slash.
_BLANK = re.compile(r"^[\s\-‐‑‒–—―－﹣/／]*$")
_UNIT = re.compile(r"(万元|元|万)$")
_CURRENCY = re.compile(r"^[¥￥]")
_VALID = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$")
_NUMBERISH = re.compile(r"^[+-]?[\d.,]*\d[\d.,]*$")


@dataclass(frozen=True)
class Number:
    """One printed number: its text, its value if readable, and the unit printed with it."""

    text: str
    value: Decimal | None
    status: Status
    unit: str | None = None

    @property
    def decimals(self) -> int:
        """Decimal places as printed (the precision a rounded figure claims)."""
        if self.value is None:
            return 0
        exponent = self.value.as_tuple().exponent
        return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def normalise(text: str) -> str:
    """NFKC (full-width digits and punctuation become ASCII) and no whitespace at all."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))


def parse_number(text: str) -> Number:
    """Read one cell or amount; the unit (元/万元) is kept apart when printed with the number."""
    raw = text if text is not None else ""
    s = normalise(raw)
    if _BLANK.match(s):
        return Number(raw, None, "blank")
    unit = None
    m = _UNIT.search(s)
    if m:
        unit = "万元" if m.group(1) in ("万元", "万") else "元"
        s = s[: m.start()]
    s = _CURRENCY.sub("", s)
    if not s:
        return Number(raw, None, "text", unit)
    if _VALID.match(s):
        return Number(raw, Decimal(s.replace(",", "")), "ok", unit)
    if _NUMBERISH.match(s):
        return Number(raw, None, "malformed", unit)
    return Number(raw, None, "text", unit)


def to_yuan(value: Decimal, unit: str) -> Decimal:
    """An amount in the given unit as yuan, exactly (万元 × 10000)."""
    return value * WAN if unit == "万元" else value


def format_yuan(value: Decimal) -> str:
    """The contract's amount string: yuan with exactly two decimals."""
    return str(value.quantize(CENT))


def tolerance(number: Number, unit: str) -> Decimal:
    """How far a 万元 figure may lie from the exact yuan, in yuan: half its last digit.

    Disclosures round 万元 to two decimals and drop trailing zeros (438.7 is 438.70), so a
    figure with fewer printed decimals is taken at two: 28.5万元 is 285000 ± 50.
    """
    step = Decimal(1).scaleb(-max(number.decimals, 2))
    return to_yuan(step, unit) / 2 if unit == "万元" else Decimal(0)


def ocr_variants(text: str) -> list[Decimal]:
    """Values an OCR'd number may have meant: `,` and `.` swapped or confused, full-width marks.

    Only candidates; a caller keeps one only when the table's own sums confirm it.
    """
    s = normalise(text)
    s = _UNIT.sub("", s)
    if not re.fullmatch(r"[\d.,]*\d[\d.,]*", s):
        return []
    seen: list[Decimal] = []
    swapped = s.translate(str.maketrans(",.", ".,"))
    last_sep = max(s.rfind(","), s.rfind("."))
    candidates = [swapped]
    if last_sep > 0:
        head, tail = s[:last_sep], s[last_sep + 1:]
        candidates.append(re.sub(r"[.,]", "", head) + "." + tail)
        candidates.append(re.sub(r"[.,]", "", s))
    for c in candidates:
        if _VALID.match(c):
            v = Decimal(c.replace(",", ""))
            if v not in seen:
                seen.append(v)
    original = parse_number(text)
    return [v for v in seen if v != original.value]


# An amount in running text: a number, then its unit. Spaces may split the number (`5, 845. 98`).
_AMOUNT = re.compile(r"(?<![\d.])([0-9０-９](?:[0-9０-９,，.．]|\s(?=[0-9０-９,，.．]))*)\s*(万元|元|万)")


@dataclass(frozen=True)
class TextAmount:
    """An amount found in a sentence, with its span in that sentence."""

    number: Number
    start: int
    end: int


def find_amounts(text: str) -> list[TextAmount]:
    """All `number + unit` amounts in a piece of running text, in order."""
    out = []
    for m in _AMOUNT.finditer(text):
        out.append(TextAmount(parse_number(m.group(0)), m.start(), m.end()))
    return out
