"""Passes over changing portals: conditional requests, new disclosures, revised files, withdrawn pages."""
from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import replace

import pytest

from tests.crawlrun import FAST, budgets, export_records
from tests.paths import SEEDS
from tests.portals import build_portals, serve_portals
from tests.portals.files import make_file
from tests.portals.seeds import SeedTable, load_seeds

# check every archived page and file on every pass, so changes show at once
EVERY_PASS = [*FAST, "-s", "BUDGETS_REVALIDATE_AFTER=0"]
OFFICE_2020 = "株洲市人民政府办公室2020年部门预算"


def _revised_pdf() -> bytes:
    """The 株洲市人民政府办公室 2020 budget with its 三公 total reprinted as 400.00 万元."""
    doc = load_seeds(SEEDS)["zhuzhou"]
    fix = lambda text: text.replace("356.99", "400.00")  # noqa: E731
    return make_file(replace(doc, paragraphs=tuple(fix(p) for p in doc.paragraphs),
                             tables=tuple(SeedTable(fix(t.title), tuple(tuple(fix(c) for c in r) for r in t.rows))
                                          for t in doc.tables)), "pdf")


def _parsed_counts(stdout: str) -> tuple[int, int]:
    m = re.search(r"Parsed (\d+) documents \((\d+) unchanged\)", stdout)
    assert m, stdout
    return int(m.group(1)), int(m.group(2))


@pytest.fixture(scope="module")
def passes(tmp_path_factory):
    data = tmp_path_factory.mktemp("data")
    with serve_portals(build_portals()) as servers:
        trs, hanweb = servers
        starts = [u for s in servers for u in s.manifest().start_urls]
        first = budgets("crawl", *starts, *EVERY_PASS, data=data)
        first_log = [r for s in servers for r in s.log.records()]
        for s in servers:
            s.log.clear()

        second = budgets("crawl", *starts, *EVERY_PASS, data=data)
        second_log = [r for s in servers for r in s.log.records()]
        for s in servers:
            s.log.clear()

        office = next(d for d in trs.manifest().disclosures if d.title == OFFICE_2020)
        old_pdf_url = office.attachment_urls[0]
        trs.replace_attachment(old_pdf_url, _revised_pdf())
        added = hanweb.add_disclosure()
        gone = next(d for d in hanweb.manifest().disclosures if not d.duplicate_urls and d.detail_url != added.detail_url)
        hanweb.remove(gone.detail_url)
        third = budgets("crawl", *starts, *EVERY_PASS, data=data)
    return {"data": data, "first": first.stdout, "second": second.stdout, "third": third.stdout,
            "first_log": first_log, "second_log": second_log, "office": office, "added": added, "gone": gone}


def test_unchanged_pass_downloads_no_archived_file_and_parses_nothing(passes):
    bodies = [r for r in passes["second_log"] if r.status == 200 and r.target != "/robots.txt"]
    conditional = [r for r in passes["second_log"] if "If-None-Match" in r.headers or "If-Modified-Since" in r.headers]
    assert conditional, "no conditional requests were sent"
    # only pages that cannot be validated (query-string routes without ETag) may come back with a body
    assert all("?" in r.target or r.method == "POST" for r in bodies), [r.target for r in bodies][:5]
    assert not [r for r in bodies if r.target.rsplit(".", 1)[-1] in ("pdf", "xls", "xlsx", "docx", "doc")]
    assert _parsed_counts(passes["second"]) == (0, 12)
    assert "0 new, 0 revised" in passes["second"]


def test_new_disclosure_appears(passes):
    records = export_records(passes["data"])
    added = passes["added"]
    assert any(r["detail_url"] == added.detail_url and r["title"] == added.title for r in records)
    assert "1 new" in passes["third"]


def test_replaced_attachment_is_a_new_version_and_old_bytes_stay(passes, tmp_path):
    data = passes["data"]
    db = sqlite3.connect(data / "archive.db")
    doc_id = db.execute("select document_id from document_pages where url = ?",
                        [passes["office"].detail_url]).fetchone()[0]
    versions = db.execute("select version, files from document_versions where document_id = ? order by version",
                          [doc_id]).fetchall()
    assert [v for v, _ in versions] == [1, 2]
    old_sha, new_sha = (json.loads(files)[0]["sha256"] for _, files in versions)
    assert old_sha != new_sha
    for sha in (old_sha, new_sha):
        assert (data / "blobs" / sha[:2] / sha[2:4] / sha).is_file()
    report = json.loads(budgets("versions", doc_id, "--json", data=data).stdout)
    changes = {c["key"]: (c["old"], c["new"]) for c in report[1]["figure_changes"]}
    assert changes["three_public_total"] == ("3569900.00", "4000000.00")
    record = next(r for r in export_records(data) if r["id"] == doc_id)
    assert record["figures"]["three_public_total"] == "4000000.00"
    assert "1 revised" in passes["third"]


def test_removed_page_marks_its_disclosure_withdrawn_not_deleted(passes):
    db = sqlite3.connect(passes["data"] / "archive.db")
    status, withdrawn_at = db.execute(
        "select status, withdrawn_at from documents where detail_url = ?", [passes["gone"].detail_url]).fetchone()
    assert status == "withdrawn" and withdrawn_at
    assert "1 withdrawn" in passes["third"]
