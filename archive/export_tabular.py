"""Flat tables from the contract's records: a wide one (one row per disclosure) and a long one
(one row per figure with where it was read), written as CSV or Parquet while streaming.

Each table is a list of typed `Column`s; the same list drives the CSV text, the Arrow types
(amounts `decimal128(20, 2)`, headcounts `int64`) and the Frictionless schema
(`archive.datapackage`), so the three cannot drift apart. Amounts go from the record's
strings to `Decimal` and back, never through a float.
"""
from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import IO, Any, BinaryIO

from archive.parse_status import PARSE_STATUSES
from parsers.catalogue import AMOUNT_KEYS, FIGURE_KEYS, HEADCOUNT_KEYS, RULES

AMOUNT_NOTE = ("Yuan (元), exact to the fen with two decimals; where the document prints 万元 "
               "(see units_in_source) the value was converted with decimal arithmetic. "
               "Empty when the document does not state it.")
PAGE_METADATA = ("index_no", "publisher", "publish_date", "doc_no", "source")
WHERE_TEXT = ("file", "sheet", "table", "row", "column")
WHERE_INT = ("page", "row_number", "paragraph")


@dataclass(frozen=True)
class Column:
    """One column: `type` is string, integer, amount, boolean, date or list (of strings)."""

    name: str
    type: str
    description: str
    pattern: str | None = None  # a regular expression every non-empty value matches
    enum: tuple[str, ...] | None = None


@dataclass(frozen=True)
class TableSpec:
    name: str
    title: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    rows: Callable[[dict], Iterable[dict]]  # record -> rows (typed values by column name)


def _amount(value: Any) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def _int(value: Any) -> int | None:
    return None if value in (None, "") else int(value)


def _date(value: Any) -> date | None:
    """An ISO date, or None when the page gave something that is not one."""
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _figure_value(key: str, value: Any) -> Decimal | int | None:
    return _int(value) if key in HEADCOUNT_KEYS else _amount(value)


# -- the wide table: one row per disclosure ---------------------------------------------
WIDE_COLUMNS = (
    Column("id", "string", "Stable identifier of the disclosure (same across re-crawls and re-parses)."),
    Column("detail_url", "string", "Article page that publishes the disclosure (the first seen)."),
    Column("duplicate_urls", "list", "Other article pages publishing the same disclosure."),
    Column("attachment_urls", "list", "Attachment URLs, exactly as requested."),
    Column("title", "string", "Article title."),
    Column("department", "string", "The department as the document names it."),
    Column("province", "string", "Province (省级) of the publishing government."),
    Column("city", "string", "City (地级) of the publishing government."),
    Column("county", "string", "County (县级); empty where the disclosure is not county level."),
    Column("admin_code", "string", "6-digit administrative division code, as text (leading zeros kept).",
           pattern="[0-9]{6}"),
    Column("fiscal_year", "integer", "The year the budget or final account is for (not the publication year)."),
    Column("kind", "string", "budget (部门预算) or final_account (部门决算).", enum=("budget", "final_account")),
    Column("units_in_source", "string", "The unit the document's tables print: 元 or 万元.", enum=("元", "万元")),
    Column("published_date", "date", "Publication date of the article page."),
    Column("parse_status", "string", "parsed, not_parsed, failed or stale: whether the figures are what the "
           "current parsers read from the files the archive holds (see the record's parse_status).",
           enum=PARSE_STATUSES),
    *(Column(f"page_{name}", "string", f"Article page metadata `{name}` as printed on the page.")
      for name in PAGE_METADATA),
    Column("ocr", "boolean", "True when any text or figure came from OCR."),
    Column("file_count", "integer", "Number of attachments."),
    Column("file_formats", "list", "Formats the attachments were read as (pdf, xls, docx ...)."),
    Column("flag_count", "integer", "Number of inconsistencies flagged in the document."),
    Column("flag_error_count", "integer", "Number of flags of severity `error`."),
    Column("flag_types", "list", "The distinct flag types raised (see the contract's flag types)."),
    Column("corroborated_figures", "list", "The figure keys whose value is corroborated (figure_confidence): "
                                           "printed in two independent places or satisfying an identity."),
    *(Column(key, "amount", f"{RULES[key].meaning}. {AMOUNT_NOTE}") for key in AMOUNT_KEYS),
    *(Column(key, "integer", f"{RULES[key].meaning}; persons.") for key in HEADCOUNT_KEYS),
)


def wide_rows(record: dict) -> Iterator[dict]:
    region = record.get("region") or {}
    page = record.get("page_metadata") or {}
    flags = record.get("flags") or []
    files = record.get("files") or []
    figures = record.get("figures") or {}
    yield {
        **{name: record.get(name) for name in ("id", "detail_url", "title", "department", "kind", "units_in_source")},
        "duplicate_urls": list(record.get("duplicate_urls") or []),
        "attachment_urls": list(record.get("attachment_urls") or []),
        **{name: region.get(name) for name in ("province", "city", "county")},
        "admin_code": None if region.get("admin_code") is None else str(region["admin_code"]),
        "fiscal_year": _int(record.get("fiscal_year")),
        "published_date": _date(record.get("published_date")),
        "parse_status": record.get("parse_status"),
        **{f"page_{name}": page.get(name) for name in PAGE_METADATA},
        "ocr": bool(record.get("ocr")),
        "file_count": len(files),
        "file_formats": sorted({f["format"] for f in files if f.get("format")}),
        "flag_count": len(flags),
        "flag_error_count": sum(f.get("severity") == "error" for f in flags),
        "flag_types": sorted({f["type"] for f in flags if f.get("type")}),
        "corroborated_figures": sorted(k for k, c in (record.get("figure_confidence") or {}).items() if c.get("corroborated")),
        **{key: _figure_value(key, figures.get(key)) for key in FIGURE_KEYS},
    }


# -- the long table: one row per figure --------------------------------------------------
FIGURE_COLUMNS = (
    Column("id", "string", "The disclosure's id (column id of the wide table)."),
    Column("key", "string", "Figure key (see the contract's figure keys).", enum=FIGURE_KEYS),
    Column("value", "amount", "The figure: yuan (元) with two decimals for amounts, persons for headcounts "
                              "(see unit). Exact: 万元 in the source was converted with decimal arithmetic."),
    Column("unit", "string", "Unit of value: 元 for amounts, 人 for headcounts.", enum=("元", "人")),
    Column("units_in_source", "string", "The unit the document's tables print: 元 or 万元.", enum=("元", "万元")),
    Column("file", "string", "File the figure was read from (article.html for the article page itself)."),
    Column("page", "integer", "PDF page (1-based)."),
    Column("sheet", "string", "Spreadsheet sheet name."),
    Column("table", "string", "Table title as printed."),
    Column("row", "string", "Row label as printed."),
    Column("column", "string", "Column heading as printed."),
    Column("row_number", "integer", "Row number in the sheet or the page's table (1-based)."),
    Column("paragraph", "integer", "Paragraph number of the 说明 text the figure was read from."),
    Column("text", "string", "The source as printed."),
    Column("witnesses", "integer", "How many independent places (tables, the 说明) print this value."),
    Column("identities", "list", "The accounting identities the value satisfies with the other figures "
                                 "(expenditure_parts, three_public_parts, vehicle_parts, balanced_budget)."),
    Column("corroborated", "boolean", "Printed in two independent places, or satisfying an identity: keep only "
                                      "these rows for figures the document confirms."),
)


def figure_rows(record: dict) -> Iterator[dict]:
    sources = record.get("figure_sources") or {}
    for key, value in (record.get("figures") or {}).items():
        source = sources.get(key) or {}
        where = source.get("where") or {}
        yield {
            "id": record["id"], "key": key, "value": _figure_value(key, value),
            "unit": "人" if key in HEADCOUNT_KEYS else "元", "units_in_source": record.get("units_in_source"),
            **{name: None if where.get(name) is None else str(where[name]) for name in WHERE_TEXT},
            **{name: _int(where.get(name)) for name in WHERE_INT},
            "text": source.get("text"),
            **_confidence(record, key),
        }


def _confidence(record: dict, key: str) -> dict:
    """How the value was established (`figure_confidence`): witnesses, identities, corroborated."""
    c = (record.get("figure_confidence") or {}).get(key) or {}
    return {"witnesses": c.get("witnesses"), "identities": c.get("identities") or [],
            "corroborated": bool(c.get("corroborated"))}


TABLES = {
    "disclosures": TableSpec("disclosures", "Disclosures: one row per disclosure, one column per figure",
                             WIDE_COLUMNS, ("id",), wide_rows),
    "figures": TableSpec("figures", "Figures: one row per figure, with where it was read",
                         FIGURE_COLUMNS, ("id", "key"), figure_rows),
}


def table_rows(spec: TableSpec, records: Iterable[dict]) -> Iterator[dict]:
    for record in records:
        yield from spec.rows(record)


# -- writers -------------------------------------------------------------------------------
def csv_text(column: Column, value: Any) -> str:
    """A value as CSV text: plain numbers (58459800.00), true/false, ISO dates, lists space-separated."""
    if value is None:
        return ""
    if column.type == "boolean":
        return "true" if value else "false"
    if column.type == "list":
        return inert_text(" ".join(value))
    if column.type == "date":
        return value.isoformat()
    return inert_text(str(value)) if column.type == "string" else str(value)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert_text(text: str) -> str:
    """Text a spreadsheet will not run: a cell that starts like a formula (= + - @ tab CR, as a
    crawled title can: `=cmd|' /C calc'!A0`) gets a leading single quote, as OWASP advises for
    CSV. Only text columns pass here: amounts, including negative ones, stay numbers."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def json_value(value: Any) -> Any:
    """A value for a JSON line: amounts as the contract's strings, dates as ISO text."""
    return str(value) if isinstance(value, (Decimal, date)) else value


def write_jsonl_rows(spec: TableSpec, rows: Iterable[dict], out: IO[str]) -> int:
    """Rows of a flat table as JSON lines (UTF-8, Chinese as is), keys in column order."""
    n = 0
    for row in rows:
        out.write(json.dumps({c.name: json_value(row[c.name]) for c in spec.columns}, ensure_ascii=False) + "\n")
        n += 1
    return n


def write_csv(spec: TableSpec, rows: Iterable[dict], out: IO[str]) -> int:
    """Write a header and then each row as it comes; `out` must be opened with newline=''."""
    writer = csv.writer(out)
    writer.writerow([c.name for c in spec.columns])
    n = 0
    for row in rows:
        writer.writerow([csv_text(c, row[c.name]) for c in spec.columns])
        n += 1
    return n


def arrow_schema(spec: TableSpec):
    import pyarrow as pa

    types = {"string": pa.string(), "integer": pa.int64(), "amount": pa.decimal128(20, 2),
             "boolean": pa.bool_(), "date": pa.date32(), "list": pa.list_(pa.string())}
    return pa.schema([pa.field(c.name, types[c.type], nullable=c.name not in spec.primary_key,
                               metadata={"description": c.description}) for c in spec.columns],
                     metadata={"title": spec.title})


def write_parquet(spec: TableSpec, rows: Iterable[dict], sink: str | BinaryIO, row_group: int = 5000) -> int:
    """Write rows in row groups of `row_group`, so memory holds one group at a time."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = arrow_schema(spec)
    n = 0
    with pq.ParquetWriter(sink, schema, compression="zstd") as writer:
        batch: dict[str, list] = {c.name: [] for c in spec.columns}
        for row in rows:
            for name, values in batch.items():
                values.append(row[name])
            n += 1
            if n % row_group == 0:
                writer.write_batch(pa.RecordBatch.from_pydict(batch, schema=schema))
                batch = {c.name: [] for c in spec.columns}
        if n % row_group or n == 0:
            writer.write_batch(pa.RecordBatch.from_pydict(batch, schema=schema))
    return n
