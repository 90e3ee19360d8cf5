"""Scoring a parse of a labelled real document against its gold file (tests/data/real/README.md).

Used by tests/test_figures_real.py, and by hand while working on the rules:

    python -m tests.realgold [STEM ...]      # every document's misses, wrong values and false flags
"""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

REAL = Path(__file__).resolve().parent / "data" / "real"
# flags that say how a figure was read rather than that the document contradicts itself
NOT_ALARMS = {"rounding"}


def documents() -> list[Path]:
    """Every labelled document (the file beside each gold file)."""
    out = []
    for gold in sorted(REAL.glob("*.gold.json")):
        stem = gold.name[: -len(".gold.json")]
        out += [p for p in REAL.glob(f"{stem}.*") if p != gold]
    return out


def gold_of(doc: Path) -> dict:
    return json.loads((doc.parent / f"{doc.stem}.gold.json").read_text(encoding="utf-8"))


@cache
def parsed(doc: Path) -> dict:
    """The record `budgets parse DOC --json` prints."""
    from budgets.process import parse_local_files

    return parse_local_files([doc])


@dataclass
class Score:
    """What a parse got right and wrong against the gold."""

    stated: int = 0
    found: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)  # "key: parsed X, gold Y" (or not in the gold at all)
    false_flags: list[str] = field(default_factory=list)


def score(gold: dict, record: dict) -> Score:
    s = Score()
    expected = gold.get("figures", {})
    disputed: dict[str, set[str]] = {}
    for c in gold.get("contradictions", []):
        if c.get("key"):
            disputed.setdefault(c["key"], set()).update(str(r["value"]) for r in c.get("readings", []))
    figures = record.get("figures") or {}
    for key, item in expected.items():
        s.stated += 1
        want = str(item["value"])
        got = figures.get(key)
        if got is None:
            s.missing.append(key)
        elif str(got) == want or str(got) in disputed.get(key, set()):
            s.found.append(key)
        else:
            s.wrong.append(f"{key}: parsed {got}, gold {want}")
    for key, got in figures.items():
        if key not in expected and str(got) not in disputed.get(key, set()):
            s.wrong.append(f"{key}: parsed {got}, not stated in the document")
    keyed = set(disputed) | {c["key"] for c in gold.get("contradictions", []) if c.get("key")}
    keyless = any(not c.get("key") for c in gold.get("contradictions", []))
    for f in record.get("flags") or []:
        if f["type"] in NOT_ALARMS:
            continue
        if (f.get("key") and f["key"] in keyed) or (not f.get("key") and keyless):
            continue
        s.false_flags.append(f"{f['type']} {f.get('key') or ''}: {f.get('detail', '')}"[:300])
    return s


def main(stems: list[str]) -> None:
    total = found = 0
    for doc in documents():
        if stems and doc.stem not in stems:
            continue
        gold = gold_of(doc)
        s = score(gold, parsed(doc))
        total += s.stated
        found += len(s.found)
        print(f"{doc.name}: {len(s.found)}/{s.stated}" + (f"  missing {s.missing}" if s.missing else ""))
        for w in s.wrong:
            print(f"    WRONG {w}")
        for f in s.false_flags:
            print(f"    FALSE FLAG {f}")
    print(f"found {found}/{total} = {found / max(total, 1):.1%}")


if __name__ == "__main__":
    main(sys.argv[1:])
