"""The labelled real disclosures (tests/data/real/): every figure a person read in the
document, compared figure by figure with what `budgets parse DOC --json` gives.

A value the gold does not have is a failure (a wrong figure is worse than a missing one), and
so is a flag the gold's reader did not find (a false alarm). Both must be zero; the few the
parser still gets wrong are listed, with their reason, in tests/data/real/known_gaps.json, so
that a new one fails and a fixed one must be taken off the list. Missing figures are counted
over the whole set against a floor that only rises.
"""
from __future__ import annotations

import hashlib
import json

import pytest

from tests.realgold import REAL, documents, gold_of, parsed, score

DOCS = documents()
KNOWN = json.loads((REAL / "known_gaps.json").read_text(encoding="utf-8"))
# share of the stated figures found over the whole set; raise it as the rules improve
FOUND_FLOOR = 0.95


def test_the_set_is_what_the_issue_asks():
    golds = [gold_of(d) for d in DOCS]
    assert len(DOCS) >= 40
    assert len({g["city"] for g in golds}) >= 10
    assert sum(1 for d in DOCS if d.suffix == ".html" and gold_of(d)["is_disclosure"]) >= 3
    assert sum(1 for d in DOCS if d.stem.endswith("-scan")) >= 2


@pytest.mark.parametrize("doc", DOCS, ids=lambda d: d.stem)
def test_document_is_the_labelled_one(doc):
    assert hashlib.sha256(doc.read_bytes()).hexdigest() == gold_of(doc)["sha256"]


@pytest.mark.parametrize("doc", DOCS, ids=lambda d: d.stem)
def test_no_wrong_value_and_no_false_flag(doc):
    s = score(gold_of(doc), parsed(doc))
    known = KNOWN.get(doc.stem, {})
    assert sorted(s.wrong) == sorted(known.get("wrong", []))
    assert sorted(f.split(":")[0] for f in s.false_flags) == sorted(known.get("false_flags", []))


def test_figures_found_over_the_set():
    stated = found = 0
    for doc in DOCS:
        s = score(gold_of(doc), parsed(doc))
        stated += s.stated
        found += len(s.found)
    print(f"found {found} of {stated} stated figures ({found / stated:.1%})")
    assert found / stated >= FOUND_FLOOR
