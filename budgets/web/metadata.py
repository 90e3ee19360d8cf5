"""Datasette metadata: titles, descriptions, units and default facets for the served tables.

Datasette's own `units` setting converts through Pint, which knows no currency, so the unit
of each column (元, 人) is stated in its description instead.
"""
from __future__ import annotations

from budgets.web.labels import FIGURE_LABELS, is_headcount
from parsers.catalogue import FIGURE_KEYS

CONTRACT_NOTE = ("Amounts are yuan (元), numbers that sort as numbers, converted exactly from 万元 where the source "
                 "printed 万元; the exact decimal text is in `budgets export`.")


def _figure_columns() -> dict[str, str]:
    return {key: f"{FIGURE_LABELS[key]} ({'人, headcount' if is_headcount(key) else '元, yuan'})"
            for key in FIGURE_KEYS}


def build_metadata() -> dict:
    return {
        "title": "部门预算 · 部门决算 — department budgets and final accounts",
        "description": "Disclosures found on government portals, archived with their original files. "
                       "Search them at /-/search; every table here can be faceted, filtered and downloaded as CSV. "
                       + CONTRACT_NOTE,
        "databases": {
            "browse": {
                "title": "Disclosures",
                "description": "One row per disclosure, flattened from the archive's parse records (kept "
                               "current with the archive: a crawl, reparse or ingest shows on the next page).",
                "tables": {
                    "disclosures": {
                        "title": "Disclosures (部门预算 / 部门决算)",
                        "description": "One disclosure per row, every figure in its own column. " + CONTRACT_NOTE,
                        "facets": ["province", "city", "fiscal_year", "kind"],
                        "sort_desc": "published_date",
                        "label_column": "title",
                        "columns": {
                            "id": "Stable disclosure id; opens the disclosure's page",
                            "province": "省 province", "city": "市 city",
                            "county": "县 county (empty above county level)",
                            "admin_code": "6-digit administrative division code",
                            "fiscal_year": "The year the budget or final account is for",
                            "kind": "budget (部门预算) or final_account (部门决算)",
                            "units_in_source": "The unit the document's tables print (元 or 万元); "
                                               "figures here are always 元",
                            "published_date": "Publication date (YYYY-MM-DD)",
                            "detail_url": "The article page that published it",
                            "n_flags": "How many inconsistencies were found",
                            "ocr": "1 when any text or figure came from OCR",
                            **_figure_columns(),
                        },
                    },
                    "figures": {
                        "title": "Figures with their sources",
                        "description": "Every figure of every disclosure, with where it was read and the text as "
                                       "printed. " + CONTRACT_NOTE,
                        "facets": ["label"],
                        "columns": {
                            "document_id": "The disclosure", "key": "Figure key (see docs/record.md)",
                            "label": "The figure as documents name it",
                            "value": "元 (yuan) for amounts, 人 for headcounts",
                            "file": "Attachment it was read from", "page": "Page of a PDF or Word file",
                            "sheet": "Worksheet of a spreadsheet", "table_title": "Table title",
                            "row": "Row label", "column": "Column label",
                            "paragraph": "Paragraph number, for figures read in the 说明 text",
                            "text": "The source as printed",
                        },
                    },
                    "flags": {
                        "title": "Flags: inconsistencies found",
                        "description": "Each inconsistency found in a disclosure, with the readings that disagree "
                                       "(JSON).",
                        "facets": ["type_label", "severity", "label"],
                        "columns": {"severity": "error, minor or info",
                                    "type_label": "The flag type in Chinese", "type_note": "What the type means",
                                    "readings": "The values read, each with where and the text as printed"},
                    },
                    "files": {
                        "title": "Archived files",
                        "description": "Each disclosure's attachments; the sha256 links to the archived original.",
                        "facets": ["format", "content_type"],
                        "columns": {"bytes": "Size in bytes", "sha256": "Content hash; downloads the archived file"},
                    },
                    "_meta": {"hidden": True},
                },
            },
            "archive": {
                "title": "Archive (raw)",
                "description": "The crawl's archive database, opened read-only: every fetch, page, detection "
                               "decision, document and parse.",
                "tables": {
                    "documents": {"description": "Disclosures as the crawl found them"},
                    "parses": {"description": "What the parsers made of each document (record as JSON)"},
                    "fetches": {"description": "Every network fetch, refusal and error, in order"},
                    "decisions": {"description": "Why each article page was or was not taken for a disclosure"},
                },
            },
        },
    }
