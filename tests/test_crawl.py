"""End to end: the real Scrapy crawl of the imitation TRS WCM and Hanweb portals."""
from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from tests.crawlrun import FAST, budgets, export_records
from tests.portals import build_portals, serve_portals

WARCIO = str(Path(sys.executable).with_name("warcio"))


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    data = tmp_path_factory.mktemp("data")
    with serve_portals(build_portals()) as servers:
        manifests = [s.manifest() for s in servers]
        starts = [u for m in manifests for u in m.start_urls]
        proc = budgets("crawl", *starts, *FAST, data=data)
        logs = [s.log.records() for s in servers]
    return {"data": data, "manifests": manifests, "logs": logs, "stdout": proc.stdout,
            "records": export_records(data)}


def _pages(record: dict) -> set[str]:
    return {record["detail_url"], *record["duplicate_urls"]}


def test_every_disclosure_found_with_all_its_attachments(crawled):
    by_page = {u: r for r in crawled["records"] for u in _pages(r)}
    expected = [d for m in crawled["manifests"] for d in m.disclosures]
    assert expected
    for d in expected:
        record = by_page.get(d.detail_url)
        assert record is not None, f"missed {d.title} at {d.detail_url}"
        assert _pages(record) == {d.detail_url, *d.duplicate_urls}
        wanted = d.attachment_urls if record["detail_url"] == d.detail_url else \
            d.duplicate_attachment_urls or d.attachment_urls
        assert sorted(record["attachment_urls"]) == sorted(wanted), d.title
        assert all(f["sha256"] and f["bytes"] > 0 for f in record["files"]), record["files"]
        assert record["title"] == d.title
        assert record["kind"] == d.kind and record["fiscal_year"] == d.fiscal_year
        assert record["department"] == d.department and record["region"] == d.region
        # every imitation disclosure re-tells one of the two seeds with its figures as printed
        seed_figures = {("58459800.00", "54072800.00"), ("2602664.00", "831064.00")}
        figures = record["figures"]
        assert (figures.get("income_total"), figures.get("expenditure_basic")) in seed_figures, d.title
        assert record["published_date"] == d.published_date
        for key, value in d.page_metadata.items():
            assert record["page_metadata"].get(key) == value, (d.title, key)


def test_one_record_per_disclosure_and_nothing_else(crawled):
    expected = [d for m in crawled["manifests"] for d in m.disclosures]
    assert len(crawled["records"]) == len(expected)
    found = {u for r in crawled["records"] for u in _pages(r)}
    for m in crawled["manifests"]:
        for kind, urls in m.decoys.items():
            assert not found & set(urls), f"decoy ({kind}) taken for a disclosure"
        assert not found & set(m.news_urls), "news taken for a disclosure"
    ids = [r["id"] for r in crawled["records"]]
    assert len(set(ids)) == len(ids)


def test_decoys_recorded_with_reasons(crawled):
    db = sqlite3.connect(crawled["data"] / "archive.db")
    decisions = dict(db.execute("select url, reason from decisions where is_disclosure = 0").fetchall())
    for m in crawled["manifests"]:
        for url in [u for urls in m.decoys.values() for u in urls] + m.news_urls:
            assert url in decisions, f"no decision recorded for {url}"
            assert decisions[url] not in ("", None)


def test_politeness_robots_offsite_and_single_requests(crawled):
    for manifest, log in zip(crawled["manifests"], crawled["logs"]):
        base = manifest.base_url
        targets = [base + r.target for r in log]
        counts = Counter(targets)
        assert not set(manifest.disallowed_urls) & set(targets), "fetched a robots.txt-disallowed page"
        retried = {u: n for u, n in counts.items() if n > 1}
        assert retried == {manifest.retry_once_url: 2}, retried
        assert counts[manifest.slow_url] == 1
    db = sqlite3.connect(crawled["data"] / "archive.db")
    offsite = {u for (u,) in db.execute("select url from offsite_links")}
    for m in crawled["manifests"]:
        assert set(m.external_urls) <= offsite


def test_every_fetch_logged_and_bodies_stored_once(crawled):
    data = crawled["data"]
    db = sqlite3.connect(data / "archive.db")
    total_requests = sum(len(log) for log in crawled["logs"])
    fetched = db.execute("select count(*) from fetches where status is not null").fetchone()[0]
    assert fetched == total_requests
    errors = dict(db.execute("select url, status from fetches where status >= 400").fetchall())
    for m in crawled["manifests"]:
        assert errors.get(m.not_found_url) == 404
    for _sha, path in db.execute("select sha256, path from blobs"):
        assert (data / path).is_file() and not Path(path).is_absolute()
    assert db.execute("select count(*) from blobs").fetchone()[0] == \
        db.execute("select count(distinct sha256) from fetches where sha256 is not null").fetchone()[0]


def test_warc_files_pass_warcio_check(crawled):
    files = sorted((crawled["data"] / "warc").glob("*.warc.gz"))
    assert files
    proc = subprocess.run([WARCIO, "check", *map(str, files)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_summary_printed(crawled):
    out = crawled["stdout"]
    assert "Disclosures per portal:" in out and "Pages judged not to be disclosures:" in out
    for m in crawled["manifests"]:
        host = m.base_url.split("//", 1)[1]
        assert host in out


def test_data_directory_is_relocatable(crawled, tmp_path):
    moved = tmp_path / "moved"
    subprocess.run(["cp", "-a", str(crawled["data"]), str(moved)], check=True)
    assert export_records(moved) == crawled["records"]
    db = sqlite3.connect(moved / "archive.db")
    for (path,) in db.execute("select path from blobs"):
        assert (moved / path).is_file()
