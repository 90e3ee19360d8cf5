"""The search index converges to the archive: a crawl killed with kill -9 between parsing and
indexing, a deleted search.db, a rebuild killed mid-way. Every run mends what the index lacks,
`budgets verify` reports it, and a rebuild swaps a complete index in or leaves the old one."""
from __future__ import annotations

import shutil
import signal
import sqlite3
import time
from pathlib import Path

import pytest

from index import SearchQuery
from index.fts import FtsBackend
from tests.crawlrun import FAST, budgets, start_budgets
from tests.portals import build_portals, serve_portals


def _count(data: Path, sql: str) -> int:
    try:
        with sqlite3.connect(data / "archive.db", timeout=5) as db:
            return db.execute(sql).fetchone()[0]
    except sqlite3.OperationalError:  # not created yet
        return 0


def _ids(data: Path) -> set[str]:
    with sqlite3.connect(data / "archive.db") as db:
        return {i for (i,) in db.execute("select id from documents")}


def _searchable(data: Path) -> set[str]:
    """Ids that a search for the document's own title finds (the title is always indexed)."""
    with sqlite3.connect(data / "archive.db") as db:
        titles = dict(db.execute("select id, title from documents"))
    index = FtsBackend(data / "search.db")
    try:
        return {i for i, title in titles.items()
                if i in {h.id for h in index.search(SearchQuery(text=title, limit=1000)).hits}}
    finally:
        index.close()


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    """One portal crawled, parsed and indexed."""
    data = tmp_path_factory.mktemp("indexed") / "data"
    with serve_portals(build_portals()[:1]) as servers:
        budgets("crawl", *servers[0].manifest().start_urls, *FAST, data=data)
    return data


def test_crawl_killed_between_parsing_and_indexing(tmp_path):
    data = tmp_path / "data"
    with serve_portals(build_portals()[:1]) as servers:
        start = servers[0].manifest().start_urls
        proc = start_budgets("crawl", *start, *FAST, data=data)
        while _count(data, "select count(*) from parses") < 2:  # parsing has begun; indexing follows it
            assert proc.poll() is None, "the crawl ended before it could be killed"
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert not (data / "search.db").exists() or _count(data, "select count(*) from parses") < len(_ids(data))
        out = budgets("crawl", *start, *FAST, data=data)
    docs = _ids(data)
    assert f"indexed {len(docs)};" in out.stdout  # what the killed run parsed is indexed too
    assert _searchable(data) == docs
    assert "Archive intact." in budgets("verify", data=data).stdout


def test_verify_reports_a_lost_or_partial_index_and_repair_rebuilds_it(crawled, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(crawled, data)
    (data / "search.db").unlink()
    out = budgets("verify", data=data, check=False)
    assert out.returncode == 1 and "missing search index: search.db" in out.stdout
    budgets("index", data=data)
    with sqlite3.connect(data / "search.db") as db:  # one entry from an older parse
        gone = db.execute("select id from docs order by id limit 2").fetchall()
        db.execute("update docs set stamp = 'old' where id = ?", gone[0])
    index = FtsBackend(data / "search.db")  # and one never written, as in a half-done index
    index.delete(gone[1])
    index.close()
    out = budgets("verify", data=data, check=False)
    assert out.returncode == 1
    assert f"not in the search index: {gone[1][0]}" in out.stdout
    assert f"out of date in the search index: {gone[0][0]}" in out.stdout
    out = budgets("verify", "--repair", data=data)
    assert "[repaired: indexed again]" in out.stdout
    assert "Archive intact." in budgets("verify", data=data).stdout
    assert _searchable(data) == _ids(data)


def test_rebuild_killed_midway_leaves_the_old_index_answering(crawled, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(crawled, data)
    proc = start_budgets("index", "--rebuild", data=data)
    while not (data / "search.db.rebuild").exists():
        assert proc.poll() is None, "the rebuild ended before it could be killed"
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert _searchable(data) == _ids(data)
    out = budgets("index", "--rebuild", data=data)
    assert f"{len(_ids(data))} disclosures indexed" in out.stdout
    assert not (data / "search.db.rebuild").exists()
    assert _searchable(data) == _ids(data)
    assert "Archive intact." in budgets("verify", data=data).stdout


def test_meilisearch_converges_and_rebuilds_aside(crawled, meili_server, tmp_path):
    from archive import ArchiveDB
    from index.meili import MeiliBackend
    from index.sync import converge, index_gaps, rebuild

    db = ArchiveDB(crawled / "archive.db")
    url, key = meili_server
    index = MeiliBackend(url, key, index_uid="converging")
    try:
        assert converge(db, index) == len(_ids(crawled))  # an empty index gets everything
        assert index_gaps(db, index).none and converge(db, index) == 0
        one = sorted(_ids(crawled))[0]
        index.delete([one])
        assert index_gaps(db, index).missing == [one]
        assert rebuild(db, index) == len(_ids(crawled))
        assert index_gaps(db, index).none
        assert {h.id for h in index.search(SearchQuery(limit=1000)).hits} == _ids(crawled)
    finally:
        db.close()
