"""The search interface both backends implement, and the shapes they exchange."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal, Protocol, Self

FACET_FIELDS = ("province", "city", "county", "admin_code", "fiscal_year", "kind", "department")
KINDS = ("budget", "final_account")


class SearchError(Exception):
    """A search backend could not do what was asked; the message is for a person."""


@dataclass(frozen=True)
class Filters:
    """Exact-value filters; `year` is one fiscal year or an inclusive (first, last) range."""

    province: str | None = None
    city: str | None = None
    county: str | None = None
    admin_code: str | None = None
    year: int | tuple[int, int] | None = None
    kind: str | None = None
    department: str | None = None

    def equals(self) -> dict[str, str]:
        """The string fields that are set, by record field name."""
        names = ("province", "city", "county", "admin_code", "kind", "department")
        return {n: getattr(self, n) for n in names if getattr(self, n) is not None}

    def year_range(self) -> tuple[int, int] | None:
        if self.year is None:
            return None
        if isinstance(self.year, int):
            return (self.year, self.year)
        first, last = self.year
        return (int(first), int(last))


@dataclass(frozen=True)
class SearchQuery:
    """What to look for; an empty `text` lists everything the filters let through."""

    text: str = ""
    filters: Filters = field(default_factory=Filters)
    facets: tuple[str, ...] | list[str] = ()
    limit: int = 20
    offset: int = 0
    sort: Literal["relevance", "date"] = "relevance"

    def __post_init__(self) -> None:
        unknown = [f for f in self.facets if f not in FACET_FIELDS]
        if unknown:
            raise ValueError(f"cannot facet on {unknown}; facets are {list(FACET_FIELDS)}")
        if self.sort not in ("relevance", "date"):
            raise ValueError(f"sort must be 'relevance' or 'date', not {self.sort!r}")
        if self.limit < 0 or self.offset < 0:
            raise ValueError("limit and offset must not be negative")


@dataclass(frozen=True)
class Hit:
    """One found disclosure, as `budgets search --json` prints it."""

    id: str
    title: str
    department: str
    region: dict
    fiscal_year: int | None
    kind: str
    detail_url: str
    snippet: str
    score: float

    def as_dict(self) -> dict:
        return {
            "id": self.id, "title": self.title, "department": self.department,
            "region": self.region, "fiscal_year": self.fiscal_year, "kind": self.kind,
            "detail_url": self.detail_url, "snippet": self.snippet, "score": self.score,
        }


@dataclass(frozen=True)
class SearchResult:
    """A page of hits, how many match in all, and per facet field its value counts."""

    hits: list[Hit]
    total: int
    facets: dict[str, dict] = field(default_factory=dict)


def no_hits(query: SearchQuery) -> SearchResult:
    """The answer to text that holds no searchable word (only punctuation, say)."""
    return SearchResult(hits=[], total=0, facets={f: {} for f in query.facets})


class Backend(Protocol):
    """A full-text index of disclosure records (the contract's export record)."""

    def upsert(self, records: Iterable[dict]) -> int:
        """Add or replace records by `id`; returns how many were written."""

    def delete(self, ids: Iterable[str]) -> None:
        """Remove records by `id`; unknown ids are ignored."""

    def search(self, query: SearchQuery) -> SearchResult:
        """Run a query; never raises for odd user text."""

    def clear(self) -> None:
        """Remove every record."""

    def count(self) -> int:
        """How many records are indexed."""

    def close(self) -> None:
        """Release connections."""

    def stamps(self) -> dict[str, str | None]:
        """Per indexed id, the stamp its record carried (index.sync)."""

    def build_aside(self) -> Self:
        """A new, empty index of the same kind that searches do not see yet."""

    def swap_in(self, built: Self) -> None:
        """Make `built` (from build_aside) this index, in one step; the old content is dropped."""


def flatten(record: dict) -> dict:
    """The fields the index keeps from a contract record, region flattened."""
    region = record.get("region") or {}
    year = record.get("fiscal_year")
    return {
        "id": str(record["id"]),
        "title": record.get("title") or "",
        "department": record.get("department") or "",
        "province": region.get("province"),
        "city": region.get("city"),
        "county": region.get("county"),
        "admin_code": region.get("admin_code"),
        "fiscal_year": int(year) if year is not None else None,
        "kind": record.get("kind") or "",
        "published_date": record.get("published_date") or "",
        "detail_url": record.get("detail_url") or "",
        "text": record.get("text") or "",
        "stamp": record.get("stamp"),  # what the record was built from (index.sync)
    }


def region_of(row: dict) -> dict:
    """The contract's region object from flattened fields."""
    return {k: row.get(k) for k in ("province", "city", "county", "admin_code")}
