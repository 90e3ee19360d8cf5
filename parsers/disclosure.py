"""The extraction step: a disclosure's ExtractedFiles in, the record fields the parsers own out.

Pure: no network, no archive. Readers (parsers/readers/) have already turned bytes into
paragraphs and tables; here metadata is read, figures are located, readings reconciled and
every inconsistency flagged.
"""
from __future__ import annotations

from parsers import checks, figures, metadata
from parsers.model import Context, ExtractedFile
from parsers.numbers import find_amounts, parse_number
from parsers.version import PARSER_VERSION


def _default_unit(files: list[ExtractedFile]) -> str:
    """The unit for tables that state none: the one other tables state; else 万元 when the
    tables' numbers are the 说明's (non-zero) 万元 amounts, else 元."""
    stated = metadata.units_in_source(files)
    if stated:
        return stated
    wan = {a.number.value for f in files for p in f.paragraphs for a in find_amounts(p.text) if a.number.unit == "万元"}
    cells = {parse_number(c).value for f in files for t in f.tables for r in t.rows for c in r}
    return "万元" if (wan & cells) - {None, 0} else "元"


def full_text(files: list[ExtractedFile]) -> str:
    """Everything read, for search: each file's paragraphs, then its tables row by row."""
    parts = []
    for f in files:
        parts.append(f.text)
        for t in f.tables:
            if t.title:
                parts.append(t.title)
            parts.extend("\t".join(r) for r in t.rows)
    return "\n".join(p for p in parts if p)


def parse_disclosure(files: list[ExtractedFile], context: Context) -> dict:
    """The record fields of one disclosure (department … text, parser_version) from its files."""
    readable = [f for f in files if f.error is None]
    dept = metadata.department(readable, context)
    region = metadata.region(dept, readable, context)
    year = metadata.fiscal_year(readable, context)
    kind = metadata.kind(readable, context)
    unit = _default_unit(readable)

    views = figures.build_views(readable, unit)
    flags = checks.column_totals(views)  # first: an OCR repair it confirms feeds the readings
    collected, labels = figures.table_readings(views, kind or "budget")
    figures.text_readings(readable, collected)
    found, sources, reconcile_flags = checks.reconcile(collected)
    flags += reconcile_flags
    flags += checks.parts_do_not_sum(collected.readings)
    flags += checks.part_exceeds_whole(found, collected.readings)
    flags += checks.label_errors(labels)
    flags += checks.unit_flags(figures.unit_errors(views))
    flows = figures.flows(readable)
    flags += checks.year_mismatch(flows, year)
    flags += checks.date_anomalies(flows, year, kind, context.published_date)

    ocr = any(f.ocr or any(p.ocr for p in f.paragraphs) or any(t.ocr for t in f.tables) for f in readable)
    return {
        "department": dept,
        "region": region.as_dict() if region else None,
        "fiscal_year": year,
        "kind": kind,
        "units_in_source": metadata.units_in_source(readable) or (unit if views else None),
        "figures": found,
        "figure_sources": sources,
        "flags": checks.drop_superseded(flags),
        "ocr": ocr,
        "text": full_text(readable),
        "parser_version": PARSER_VERSION,
        "formats": {f.name: f.format for f in files},
        "errors": [{"file": f.name, "error": f.problem} for f in files if f.problem],
    }
