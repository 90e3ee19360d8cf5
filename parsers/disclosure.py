"""The extraction step: a disclosure's ExtractedFiles in, the record fields the parsers own out.

Pure: no network, no archive. Readers (parsers/readers/) have already turned bytes into
paragraphs and tables; here metadata is read, figures are located, readings reconciled and
every inconsistency flagged.
"""
from __future__ import annotations

from parsers import checks, doctype, figures, judge, metadata
from parsers.catalogue import FIGURE_TABLES
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
    verdict = doctype.classify(readable, metadata.names_department)
    # a notice or a report named …部门预算: only who issued it, as it says; no year or kind
    dept = metadata.department(readable, context) if verdict.is_disclosure else metadata.issuer(readable)
    region = metadata.region(dept, readable, context)
    year = metadata.fiscal_year(readable, context) if verdict.is_disclosure else None
    kind = metadata.kind(readable, context) if verdict.is_disclosure else None
    unit = _default_unit(readable)

    views = figures.build_views(readable, unit, year) if verdict.is_disclosure else []
    kinds = [figures.table_kind(v) for v in views]
    flags = checks.column_totals([v for v, k in zip(views, kinds) if k in FIGURE_TABLES])  # first: an OCR repair it confirms feeds the readings
    collected, labels = figures.table_readings(views, kind or "budget")
    if verdict.is_disclosure:
        figures.text_readings(readable, collected, kind, year)
    rejected = judge.apply_document_rules(collected, readable, kind)
    found, sources, reconcile_flags = checks.reconcile(collected)
    rejected += judge.choose_by_identities(found, sources, reconcile_flags, collected.readings, unit)
    flags += reconcile_flags
    flags += checks.parts_do_not_sum(collected.readings)
    flags += checks.part_exceeds_whole(found, collected.readings)
    flags += checks.label_errors(labels)
    flags += checks.unit_flags(figures.unit_errors(views))
    flows = figures.flows(readable)
    flags += checks.year_mismatch(flows, year)
    flags += checks.date_anomalies(flows, year, kind, context.published_date)
    flags = checks.drop_superseded(flags)
    tables = [{"title": v.title, "kind": k, "where": v.rows[0].where if v.rows else {}} for v, k in zip(views, kinds)]

    ocr = any(f.ocr or any(p.ocr for p in f.paragraphs) or any(t.ocr for t in f.tables) for f in readable)
    return {
        "is_disclosure": verdict.is_disclosure,
        "not_disclosure_reason": verdict.reason,
        "department": dept,
        "region": region.as_dict() if region else None,
        "fiscal_year": year,
        "kind": kind,
        "units_in_source": metadata.units_in_source(readable) or (unit if views else None),
        "figures": found,
        "figure_sources": sources,
        "figure_confidence": judge.confidence(found, collected.readings, unit),
        "figure_gaps": judge.gaps(found, collected.readings, rejected, flags, set(kinds), verdict.is_disclosure,
                                  collected.malformed),
        "flags": flags,
        "tables": tables,
        "ocr": ocr,
        "text": full_text(readable),
        "parser_version": PARSER_VERSION,
        "formats": {f.name: f.format for f in files},
        "errors": [{"file": f.name, "error": f.problem} for f in files if f.problem],
        # for `budgets parse --explain`: what was set aside and why (not part of the record)
        "explanation": {"rejected": [r.as_dict() for r in rejected]},
    }
