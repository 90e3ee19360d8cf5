"""The command line as a new researcher meets it: filters as people type them, a crawl of an
unresolvable host told in one line, `budgets status` on the local archive, and every command
that reads an archive refusing a directory without one."""
from __future__ import annotations

import json

import pytest

from tests.crawlrun import FAST, budgets
from tests.portals import build_portals, serve_portals

UNRESOLVABLE = "http://no-such-host.invalid/"


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    data = tmp_path_factory.mktemp("frictions")
    with serve_portals(build_portals()) as servers:
        starts = [u for s in servers for u in s.manifest().start_urls]
        crawl = budgets("crawl", *starts, UNRESOLVABLE, *FAST, "--no-process", data=data, check=False)
    stale = budgets("status", "--json", data=data)
    budgets("reparse", data=data)
    return {"data": data, "crawl": crawl, "stale": json.loads(stale.stdout)}


def _hits(data, *args) -> list[dict]:
    return [json.loads(line) for line in budgets("search", *args, "--json", data=data).stdout.splitlines()]


def test_unresolvable_host_is_one_whole_line(crawled):
    crawl = crawled["crawl"]
    assert crawl.returncode == 0
    assert "Traceback" not in crawl.stderr
    dns_lines = [line for line in crawl.stderr.splitlines() if "DNS lookup failed" in line]
    assert len(dns_lines) == 1 and "no-such-host.invalid" in dns_lines[0]
    errors = crawl.stdout.split("Errors:")[1]
    assert "no results for hostname lookup: no-such-host.invalid." in errors  # whole, not cut


def test_status_shows_the_local_archive(crawled):
    stale = crawled["stale"]
    documents = sum(stale["documents"].values())
    assert documents > 0 and stale["stale"]["never_parsed"] == documents and stale["parsed"] == 0
    assert stale["runs"][0]["failed"] > 0
    assert any("no-such-host.invalid" in kind for kind in stale["failed"]["last_run_errors"])
    after = budgets("status", data=crawled["data"]).stdout
    assert f"Parsed: {documents}; stale: 0 never parsed, 0 with changed files" in after
    assert "run 1: finished" in after and "no-such-host.invalid" in after


def test_region_filters_take_short_forms(crawled):
    data = crawled["data"]
    hunan = _hits(data, "--province", "湖南")
    assert hunan and all(h["region"]["province"] == "湖南省" for h in hunan)
    tongdao = {h["id"] for h in _hits(data, "--county", "通道侗族自治县")}
    assert tongdao
    for typed in (["--county", "通道"], ["--county", "通道县"], ["--region", "通道县"], ["--region", "431230"]):
        assert {h["id"] for h in _hits(data, *typed)} == tongdao, typed
    assert {h["region"]["city"] for h in _hits(data, "--region", "株洲")} == {"株洲市"}


def test_kind_in_chinese(crawled):
    data = crawled["data"]
    budgets_only = {h["id"] for h in _hits(data, "--kind", "budget")}
    assert budgets_only and {h["id"] for h in _hits(data, "--kind", "预算")} == budgets_only
    assert {h["id"] for h in _hits(data, "--kind", "部门预算")} == budgets_only
    finals = _hits(data, "--kind", "决算")
    assert finals and all(h["kind"] == "final_account" for h in finals)
    refused = budgets("search", "--kind", "年报", data=data, check=False)
    assert refused.returncode == 2 and "部门决算" in refused.stderr


def test_department_by_part_of_its_name_and_ambiguity_listed(crawled):
    data = crawled["data"]
    [hit] = _hits(data, "--department", "统计局")
    assert hit["department"] == "株洲市统计局"
    ambiguous = budgets("search", "--department", "财政局", data=data, check=False)
    assert ambiguous.returncode == 2 and ambiguous.stdout == ""
    assert "株洲市财政局" in ambiguous.stderr and "通道侗族自治县财政局" in ambiguous.stderr
    narrowed = _hits(data, "--county", "通道", "--department", "财政局")
    assert narrowed and {h["department"] for h in narrowed} == {"通道侗族自治县财政局"}
    exported = budgets("export", "--department", "统计局", data=data).stdout.splitlines()
    assert [json.loads(line)["id"] for line in exported] == [hit["id"]]


READING = [["search", "x"], ["export"], ["reparse"], ["index"], ["verify"], ["serve"], ["status"],
           ["new", "--since", "2020-01-01"], ["versions", "abc"], ["feed"], ["alert", "list"],
           ["alert", "add", "三公"], ["alert", "remove", "1"]]


@pytest.mark.parametrize("args", READING, ids=lambda a: " ".join(a[:2]))
def test_reading_commands_refuse_a_directory_without_an_archive(tmp_path, args):
    proc = budgets(*args, data=tmp_path / "typo", check=False)
    assert proc.returncode == 2 and "no archive in" in proc.stderr
    assert not (tmp_path / "typo").exists()


def test_reparse_brings_the_served_tables_up_to_date(crawled):
    from budgets.web.browse import BROWSE_NAME, archive_state, browse_state, ensure_browse_db

    data = crawled["data"]
    ensure_browse_db(data / "archive.db", data / BROWSE_NAME)  # as `budgets serve` left it
    before = browse_state(data / BROWSE_NAME)
    budgets("reparse", data=data)  # parses everything again: the archive's parses change
    assert browse_state(data / BROWSE_NAME) == archive_state(data / "archive.db") != before
