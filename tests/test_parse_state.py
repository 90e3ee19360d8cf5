"""What a record says about its parse: a missing input keeps the last parse and makes it stale,
and every record carries its parse status, in exports too."""
from __future__ import annotations

import csv
import io
import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from tests.crawlrun import FAST, budgets, export_records
from tests.portals import build_portals, serve_portals


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    """One portal crawled, parsed and indexed."""
    data = tmp_path_factory.mktemp("parsed") / "data"
    with serve_portals(build_portals()[:1]) as servers:
        budgets("crawl", *servers[0].manifest().start_urls, *FAST, data=data)
    return data


@pytest.fixture
def copy(crawled, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(crawled, data)
    return data


def _richest(records: list[dict]) -> dict:
    """The record with the most figures that has an attachment."""
    return max((r for r in records if any(f["sha256"] for f in r["files"])), key=lambda r: len(r["figures"]))


def _blob(data: Path, sha: str) -> Path:
    return data / "blobs" / sha[:2] / sha[2:4] / sha


def test_missing_blob_keeps_the_last_parse_and_makes_it_stale(copy):
    data = copy
    before = _richest(export_records(data))
    lost = next(f for f in before["files"] if f["sha256"])
    assert before["figures"]
    _blob(data, lost["sha256"]).unlink()
    out = budgets("reparse", data=data)
    assert "1 files could not be read" in out.stdout
    assert f"{before['id']}:{lost['url']}: archived bytes {lost['sha256']} are missing" in out.stdout
    after = {r["id"]: r for r in export_records(data)}[before["id"]]
    assert after["figures"] == before["figures"] and after["files"] == before["files"]
    assert before["parse_status"] == "parsed" and after["parse_status"] == "stale"
    with sqlite3.connect(data / "archive.db") as db:
        errors = json.loads(db.execute("select errors from parses where document_id = ?", [before["id"]]).fetchone()[0])
    assert "missing from blobs/" in errors[lost["url"]]

    assert "repaired: restored from its WARC record" in budgets("verify", "--repair", data=data).stdout
    out = budgets("reparse", "--stale-only", data=data)
    assert "Parsed 1 documents" in out.stdout and "0 files could not be read" in out.stdout
    again = {r["id"]: r for r in export_records(data)}[before["id"]]
    assert again["figures"] == before["figures"] and again["parse_status"] == "parsed"


def test_exports_say_what_is_not_parsed_yet_and_can_leave_it_out(tmp_path):
    data = tmp_path / "data"
    with serve_portals(build_portals()[:1]) as servers:
        budgets("crawl", *servers[0].manifest().start_urls, *FAST, "--no-process", data=data)
    records = export_records(data)
    assert records and {r["parse_status"] for r in records} == {"not_parsed"}
    rows = list(csv.DictReader(io.StringIO(budgets("export", "--format", "csv", data=data).stdout)))
    assert len(rows) == len(records) and {r["parse_status"] for r in rows} == {"not_parsed"}
    assert budgets("export", "--format", "csv", "--parsed-only", data=data).stdout.count("\n") == 1  # the header
    budgets("reparse", data=data)
    assert {r["parse_status"] for r in export_records(data)} == {"parsed"}
    out = budgets("export", "--format", "jsonl", "--parsed-only", data=data).stdout
    assert len(out.splitlines()) == len(records)
    budgets("export", "--format", "csv", "--output", str(tmp_path / "d.csv"), data=data)
    package = json.loads((tmp_path / "datapackage.json").read_text())
    fields = {f["name"]: f for f in package["resources"][0]["schema"]["fields"]}
    assert fields["parse_status"]["constraints"]["enum"] == ["parsed", "not_parsed", "failed", "stale"]


def test_verify_catches_a_figure_changed_in_archive_db(copy):
    data = copy
    record = _richest(export_records(data))
    key, value = next(iter(record["figures"].items()))
    wrong = value[:-4] + str((int(value[-4]) + 1) % 10) + value[-3:]  # one digit off, as a flipped byte makes it
    assert "Archive intact." in budgets("verify", data=data).stdout
    with sqlite3.connect(data / "archive.db") as db:
        db.execute("update parses set record = replace(record, ?, ?) where document_id = ?",
                   [f'"{key}": "{value}"', f'"{key}": "{wrong}"', record["id"]])
        assert db.execute("pragma integrity_check").fetchone()[0] == "ok"  # SQLite's own check cannot see it
    out = budgets("verify", data=data, check=False)
    assert out.returncode == 1 and f"corrupt parse record: {record['id']}" in out.stdout
    budgets("reparse", data=data)
    assert {r["id"]: r for r in export_records(data)}[record["id"]]["figures"][key] == value
    assert "Archive intact." in budgets("verify", data=data).stdout
