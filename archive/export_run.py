"""One export from start to end: select records, stream them into a file, describe the file.

What `budgets export` and the benchmark run. Records flow one at a time from a cursor
over the archive to the writer; a file is written under a temporary name and renamed
when complete, then `datapackage.json` is written beside it.
"""
from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

from archive.datapackage import resource, sources, write_datapackage
from archive.db import ArchiveDB
from archive.export import iter_records, write_jsonl
from archive.export_tabular import TABLES, table_rows, write_csv, write_jsonl_rows, write_parquet
from index.base import Filters

FORMATS = ("jsonl", "csv", "parquet")


@dataclass
class ExportResult:
    rows: int
    package: Path | None = None


def _noting_origins(records: Iterable[dict], origins: set[str]) -> Iterator[dict]:
    """Pass records through, remembering the portals (scheme://host/) they were published on."""
    for record in records:
        if record.get("detail_url"):
            parts = urlsplit(record["detail_url"])
            origins.add(f"{parts.scheme}://{parts.netloc}/")
        yield record


def _write(fmt: str, table: str, records: Iterable[dict], sink: BinaryIO, excel: bool) -> int:
    spec = TABLES[table]
    if fmt == "parquet":
        return write_parquet(spec, table_rows(spec, records), sink)
    text = io.TextIOWrapper(sink, encoding="utf-8-sig" if excel else "utf-8", newline="", write_through=False)
    try:
        if fmt == "csv":
            return write_csv(spec, table_rows(spec, records), text)
        if table == "figures":
            return write_jsonl_rows(spec, table_rows(spec, records), text)
        return write_jsonl(records, text)
    finally:
        text.flush()
        text.detach()


def selection_text(filters: Filters | None, since: str | None) -> str:
    """The filters in words, for the package's description."""
    parts = [f"{k}={v}" for k, v in (filters.equals().items() if filters else [])]
    years = filters.year_range() if filters else None
    if years:
        parts.append(f"fiscal_year {years[0]}" if years[0] == years[1] else f"fiscal_year {years[0]}-{years[1]}")
    if since:
        parts.append(f"first seen in the archive since {since}")
    return ", ".join(parts)


def run_export(db: ArchiveDB, fmt: str, table: str = "disclosures", output: Path | None = None,
               stdout: BinaryIO | None = None, filters: Filters | None = None, since: str | None = None,
               excel: bool = False, on_document: Callable[[], None] | None = None,
               parsed_only: bool = False) -> ExportResult:
    """Export to `output` (and describe it in datapackage.json beside it), else to `stdout` (binary)."""
    if fmt not in FORMATS or table not in TABLES:
        raise ValueError(f"unknown format {fmt!r} or table {table!r}")
    origins: set[str] = set()
    records = _noting_origins(iter_records(db, filters, since, on_document, parsed_only), origins)
    if output is None:
        if stdout is None:
            raise ValueError("give an output file or a stream")
        return ExportResult(_write(fmt, table, records, stdout, excel))
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".part")
    try:
        with partial.open("wb") as sink:
            rows = _write(fmt, table, records, sink, excel)
        os.replace(partial, output)
    finally:
        partial.unlink(missing_ok=True)
    spec = None if fmt == "jsonl" and table == "disclosures" else TABLES[table]
    res = resource(output, fmt, spec, excel=excel and fmt == "csv", selection=selection_text(filters, since))
    return ExportResult(rows, write_datapackage(output, res, sources(origins)))
