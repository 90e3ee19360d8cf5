"""tests/data/SOURCES.tsv accounts for every file the tests read from tests/data (real/ has
its own list): same bytes, same sha256, an origin; and the test data stays small."""
from __future__ import annotations

import csv
import hashlib

from tests.paths import DATA, REPO

LIMIT_BYTES = 60 * 1024 * 1024


def test_sources_list_every_file_with_its_digest_and_origin() -> None:
    with open(DATA / "SOURCES.tsv", encoding="utf-8", newline="") as f:
        rows = {row["path"]: row for row in csv.DictReader(f, delimiter="\t")}
    files = {p.relative_to(DATA).as_posix(): p for p in DATA.rglob("*")
             if p.is_file() and p.relative_to(DATA).parts[0] != "real" and p.name != "SOURCES.tsv"}
    assert sorted(rows) == sorted(files)
    for rel, path in files.items():
        data = path.read_bytes()
        assert (rows[rel]["sha256"], int(rows[rel]["bytes"])) == (hashlib.sha256(data).hexdigest(), len(data)), rel
        assert rows[rel]["origin"].strip(), rel


def test_test_data_stays_under_its_limit() -> None:
    assert sum(p.stat().st_size for p in DATA.rglob("*") if p.is_file()) < LIMIT_BYTES


def _outside_references(name: str) -> tuple[str, ...]:
    """The ways a test could name a folder `name` beside the repository."""
    return (f"../{name}", str(REPO.parent / name), f'Path("..", "{name}")', f'parent / "{name}"')


def test_tests_read_nothing_outside_the_repository() -> None:
    # the folders actually beside this checkout (none in CI's clone, whatever the machine holds here)
    beside = [p.name for p in REPO.parent.iterdir() if p.is_dir() and p != REPO]
    forms = [form for name in beside for form in _outside_references(name)]
    sources = [p for p in (REPO / "tests").rglob("*.py") if p.name != "test_data_sources.py"]
    assert not [p for p in sources if any(form in p.read_text(encoding="utf-8") for form in forms)]
