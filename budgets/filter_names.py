"""Filters as people type them, made into the exact values the records hold.

湖南 → 湖南省, 株洲 → 株洲市, 通道 and 通道县 → 通道侗族自治县 (through the division table),
财政局 → the one department whose name holds it, 预算 / 部门决算 → budget / final_account. The
values the index holds decide: a typed value that fits several of them is ambiguous, and the
caller shows the candidates instead of guessing.
"""
from __future__ import annotations

from collections.abc import Collection, Mapping

from index import Backend, Filters, SearchQuery
from parsers.regions import names_matching

REGION_LEVELS = ("province", "city", "county")
HELD_FIELDS = (*REGION_LEVELS, "department")
KIND_NAMES = {"budget": "budget", "预算": "budget", "部门预算": "budget",
              "final_account": "final_account", "决算": "final_account", "部门决算": "final_account"}


class Ambiguous(ValueError):
    """A typed filter value that fits several held values."""

    def __init__(self, field: str, typed: str, candidates: list[str]) -> None:
        super().__init__(f"{field} {typed!r} is ambiguous: it may mean {', '.join(candidates)}")
        self.field, self.typed, self.candidates = field, typed, candidates


def kind_of(typed: str) -> str:
    """budget or final_account, from either name or its Chinese (预算, 部门预算, 决算, 部门决算)."""
    kind = KIND_NAMES.get(typed.strip())
    if kind is None:
        raise ValueError(f"kind {typed!r} is not one of {', '.join(KIND_NAMES)}")
    return kind


def held_values(backend: Backend, within: Filters | None = None) -> dict[str, set[str]]:
    """The region names and departments the index holds (its facet values), `within` some filters."""
    result = backend.search(SearchQuery(filters=within or Filters(), facets=HELD_FIELDS, limit=0))
    return {f: {str(v) for v in (result.facets.get(f) or {}) if v not in (None, "")} for f in HELD_FIELDS}


def region_value(typed: str, level: str, held: Collection[str]) -> str:
    """The held name at `level` that `typed` means; `typed` itself when nothing held fits."""
    typed = typed.strip()
    if typed in held:
        return typed
    official = names_matching(typed, level)
    candidates = sorted({h for h in held if h.startswith(typed) or h in official})
    if len(candidates) > 1:
        raise Ambiguous(level, typed, candidates)
    if candidates:
        return candidates[0]
    return official[0] if len(official) == 1 else typed


def department_value(typed: str, held: Collection[str]) -> str:
    """The held department whose name holds `typed` (财政局 → 通道县财政局)."""
    typed = typed.strip()
    if typed in held:
        return typed
    candidates = sorted(h for h in held if typed in h)
    if len(candidates) > 1:
        raise Ambiguous("department", typed, candidates)
    return candidates[0] if candidates else typed


def region_anywhere(typed: str, held: Mapping[str, Collection[str]]) -> tuple[str, str] | None:
    """(level, held name) for a region name of any level; None when no held name fits."""
    found: dict[str, str] = {}
    for level in REGION_LEVELS:
        try:
            names = [region_value(typed, level, held.get(level, ()))]
        except Ambiguous as exc:
            names = exc.candidates
        for name in names:
            if name in held.get(level, ()):
                found.setdefault(name, level)  # 北京市 is a province and its own city: the higher level
    if len(found) > 1:
        raise Ambiguous("region", typed.strip(), sorted(found))
    return next(((level, name) for name, level in found.items()), None)


def resolve(values: Mapping[str, str | None], backend: Backend | None) -> dict[str, str | None]:
    """`values` (province, city, county, kind, department) with each typed name resolved; the
    department among those of the regions and kind asked for (财政局 with 通道 is 通道县's).
    Without an index, region names resolve through the division table alone."""
    held = held_values(backend) if backend is not None else {}
    out = dict(values)
    for level in REGION_LEVELS:
        if typed := out.get(level):
            out[level] = region_value(typed, level, held.get(level, ()))
    if typed := out.get("kind"):
        out["kind"] = kind_of(typed)
    if (typed := out.get("department")) and backend is not None:
        scope = Filters(province=out.get("province"), city=out.get("city"), county=out.get("county"),
                        kind=out.get("kind"))
        out["department"] = department_value(typed, held_values(backend, scope)["department"])
    return out
