"""Where the tests find their real-data inputs: tests/data/ inside the repository, so a
clone on its own runs the whole suite (tests/data/SOURCES.tsv says where each file came from)."""
from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data"
SEEDS = DATA / "seeds"
JIANGSU = DATA / "jiangsu"
