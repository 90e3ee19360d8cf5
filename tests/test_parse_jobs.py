"""Parsing on several cores: the records do not depend on how many documents parse at once,
no more worker processes run than jobs, a `budgets reparse --jobs 2` killed with kill -9
mid-way loses nothing it wrote and repeats nothing when run again, and Ctrl-C stops the
workers at once."""
from __future__ import annotations

import shutil
import signal
import sqlite3
import time
from pathlib import Path

import pytest

from tests.crawlrun import FAST, budgets, start_budgets
from tests.portals import build_portals, serve_portals

# every write of a parse, kept beside the parses table by triggers (a parse is written once per
# document and input; a repeated one shows up as a second row)
PARSE_LOG = """
create table parse_log (document_id text, input_fingerprint text);
create trigger parse_inserted after insert on parses when new.record is not null begin
  insert into parse_log values (new.document_id, new.input_fingerprint); end;
create trigger parse_updated after update on parses when new.record is not null begin
  insert into parse_log values (new.document_id, new.input_fingerprint); end;
"""


@pytest.fixture(scope="module")
def unparsed(tmp_path_factory) -> Path:
    """Both portals crawled and archived, nothing parsed yet."""
    data = tmp_path_factory.mktemp("unparsed") / "data"
    with serve_portals(build_portals()) as servers:
        start = [u for server in servers for u in server.manifest().start_urls]
        budgets("crawl", *start, *FAST, "--no-process", data=data)
    return data


def _copy(unparsed: Path, where: Path) -> Path:
    shutil.copytree(unparsed, where)
    return where


def _rows(data: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(data / "archive.db", timeout=5) as db:
        return db.execute(sql).fetchall()


def _count(data: Path, sql: str) -> int:
    return _rows(data, sql)[0][0]


def _spawned_workers(pid: int) -> list[Path]:
    """The worker processes (multiprocessing spawn, not its resource tracker) `pid` has now."""
    found = []
    for child in Path("/proc").glob("[0-9]*"):
        try:
            ppid = int((child / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (child / "cmdline").read_bytes()
        except (OSError, ValueError, IndexError):
            continue
        if ppid == pid and b"spawn_main" in cmdline and b"resource_tracker" not in cmdline:
            found.append(child)
    return found


def test_records_are_the_same_with_one_job_and_two(unparsed, tmp_path):
    one, two = _copy(unparsed, tmp_path / "one"), _copy(unparsed, tmp_path / "two")
    documents = _count(one, "select count(*) from documents")
    assert documents >= 10
    for data, jobs in ((one, "1"), (two, "2")):
        out = budgets("reparse", "--jobs", jobs, data=data)
        assert f"Parsed {documents} documents (0 unchanged)" in out.stdout
    sql = "select document_id, parser_version, record, errors, input_fingerprint, checksum from parses order by 1"
    assert _rows(one, sql) == _rows(two, sql)
    versions = "select document_id, version, record from document_versions order by 1, 2"
    assert _rows(one, versions) == _rows(two, versions)
    assert all(record for _, _, record in _rows(two, versions))


def test_jobs_from_the_environment_cap_the_worker_processes(unparsed, tmp_path, monkeypatch):
    data = _copy(unparsed, tmp_path / "data")
    monkeypatch.setenv("BUDGETS_JOBS", "2")
    proc = start_budgets("reparse", data=data)
    most = 0
    while proc.poll() is None:
        most = max(most, len(_spawned_workers(proc.pid)))
        time.sleep(0.01)
    out, err = proc.communicate()
    assert proc.returncode == 0, err
    assert most == 2
    assert "0 files could not be read" in out


def test_reparse_killed_midway_loses_nothing_and_repeats_nothing(unparsed, tmp_path):
    data = _copy(unparsed, tmp_path / "data")
    with sqlite3.connect(data / "archive.db") as db:
        db.executescript(PARSE_LOG)
    documents = _count(data, "select count(*) from documents")
    proc = start_budgets("reparse", "--stale-only", "--jobs", "2", data=data)
    while _count(data, "select count(*) from parse_log") < 2:
        assert proc.poll() is None, "the reparse ended before it could be killed"
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    written = dict(_rows(data, "select document_id, parsed_at from parses where record is not null"))
    assert 2 <= len(written) < documents
    out = budgets("reparse", "--stale-only", "--jobs", "2", data=data)
    assert f"Parsed {documents - len(written)} documents ({len(written)} unchanged)" in out.stdout
    # each document parsed once, from its current inputs, and what the killed run wrote kept as it was
    log = _rows(data, "select document_id, input_fingerprint from parse_log order by 1")
    assert log == _rows(data, "select document_id, input_fingerprint from parses order by 1")
    assert len(log) == documents
    assert written.items() <= dict(_rows(data, "select document_id, parsed_at from parses")).items()
    assert _count(data, "select count(*) from document_versions where record is null") == 0
    assert "Archive intact." in budgets("verify", data=data).stdout


def test_ctrl_c_stops_the_workers_at_once_and_keeps_what_was_saved(unparsed, tmp_path):
    data = _copy(unparsed, tmp_path / "data")
    documents = _count(data, "select count(*) from documents")
    proc = start_budgets("reparse", "--jobs", "2", data=data)
    while _count(data, "select count(*) from parses") < 1:
        assert proc.poll() is None, "the reparse ended before it could be stopped"
        time.sleep(0.01)
    workers = _spawned_workers(proc.pid)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode != 0 and "Aborted!" in err
    assert "failed" not in err and "Traceback" not in err
    time.sleep(1)
    assert workers and not [worker for worker in workers if worker.exists()]
    kept = _count(data, "select count(*) from parses where record is not null")
    out = budgets("reparse", "--stale-only", "--jobs", "2", data=data)
    assert f"Parsed {documents - kept} documents ({kept} unchanged)" in out.stdout
