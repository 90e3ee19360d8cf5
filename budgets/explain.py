"""`budgets parse FILE --explain`: for every figure key, its value and witnesses, or why none.

Reads only the record (and the parser's `explanation`), so what it says is what the record
holds: which tables were recognised as what, which were not (with their titles), each
figure with the places that print it and the identities it satisfies, the readings set aside
and why, and for each missing key the reason.
"""
from __future__ import annotations

import json
from collections.abc import Callable

from budgets.web.labels import where_text
from parsers.catalogue import FIGURE_KEYS, IDENTITIES, TABLE_KIND_LABELS, label

_IDENTITY_LABELS = {i.name: i.label for i in IDENTITIES}


def explain(record: dict, echo: Callable[[str], None]) -> None:
    """Print the explanation of one parsed record."""
    if not record.get("is_disclosure", True):
        echo(f"Not a disclosure: {record.get('not_disclosure_reason')}")
        return
    echo(f"{record.get('department') or '(department not found)'} · {record.get('fiscal_year')} · "
         f"{record.get('kind')} · tables in {record.get('units_in_source')}")
    tables = record.get("tables") or []
    echo(f"Tables ({len(tables)}):")
    for t in tables:
        kind = t["kind"]
        shown = TABLE_KIND_LABELS.get(kind, kind)
        echo(f"  {'✓' if kind != 'other' else '·'} {shown:<10} {t['title'] or '(no title)'}   {where_text(t.get('where') or {})}")
    confidence = record.get("figure_confidence") or {}
    sources = record.get("figure_sources") or {}
    gaps = record.get("figure_gaps") or {}
    rejected = (record.get("explanation") or {}).get("rejected", [])
    echo("Figures:")
    for key in FIGURE_KEYS:
        head = f"  {key:<31} {label(key)}"
        if key in record.get("figures", {}):
            c = confidence.get(key, {})
            ids = ", ".join(_IDENTITY_LABELS.get(i, i) for i in c.get("identities", []))
            mark = "corroborated" if c.get("corroborated") else "single source"
            echo(f"{head}\n      = {record['figures'][key]}  ({mark}: {c.get('witnesses', 0)} witness(es)"
                 + (f"; {ids}" if ids else "") + ")")
            src = sources.get(key, {})
            echo(f"      read at {where_text(src.get('where', {}))}: {src.get('text', '')!r}")
        else:
            echo(f"{head}\n      — {gaps.get(key, 'not stated')}")
        for r in rejected:
            if r.get("key") == key:
                echo(f"      set aside {r['value']} ({where_text(r.get('where', {}))}): {r['reason']}")
    flags = record.get("flags") or []
    if flags:
        echo(f"Flags ({len(flags)}): " + json.dumps(sorted({f['type'] for f in flags}), ensure_ascii=False))
