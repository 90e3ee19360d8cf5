"""Faults of the disk and the archive, met by the real command line: a cut-short archive.db, a
read-only data directory, a full disk, a search server that is down, and `verify --deep`
finding what plain verify cannot (a parse rewritten with its checksum, fetch rows that
disagree with their WARC records).

A read-only directory is made with a read-only bind mount and a full disk with a small tmpfs
filled to the last byte: the tests run as root, where `chmod` stops no write, so only the
filesystem itself can refuse one. Where mounting is not permitted the tests skip, saying why.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from archive.db import record_checksum
from tests.crawlrun import FAST, REPO, budgets
from tests.portals import build_portals, serve_portals


@pytest.fixture(scope="module")
def processed(tmp_path_factory) -> Path:
    """The TRS portal crawled, parsed and indexed once (the portal is not needed afterwards)."""
    data = tmp_path_factory.mktemp("processed") / "data"
    with serve_portals(build_portals()[:1]) as servers:
        budgets("crawl", *servers[0].manifest().start_urls, *FAST, data=data)
    return data


@pytest.fixture
def copy(processed, tmp_path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(processed, target)
    return target


def run(*args: str, data: Path, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """`budgets ARGS --data DATA` whatever its exit code (the search server only from `env`)."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MEILI_")}
    environ.update(PYTHONPATH=str(REPO), **(env or {}))
    return subprocess.run([sys.executable, "-m", "budgets.cli", *args, "--data", str(data)], cwd=REPO,
                          env=environ, capture_output=True, text=True, timeout=timeout)


def assert_message(proc: subprocess.CompletedProcess, *words: str) -> None:
    """Stopped with a message, not a traceback."""
    assert proc.returncode != 0, proc.stdout
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.startswith("Error: ") and all(w in proc.stderr for w in words), proc.stderr


def _mount(*args: str) -> None:
    proc = subprocess.run(["mount", *args], capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount here (needs root): {proc.stderr.strip()}")


@contextmanager
def read_only(source: Path, where: Path):
    """`source` seen read-only at `where`, through a read-only bind mount."""
    where.mkdir()
    _mount("--bind", str(source), str(where))
    try:
        _mount("-o", "remount,bind,ro", str(where))
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def _blob_count(data: Path) -> int:
    return sum(1 for p in (data / "blobs").rglob("*") if p.is_file())


# -- a cut-short archive.db --------------------------------------------------------------

def test_cut_short_archive_db_gives_messages_and_verify_checks_the_rest(copy):
    db = copy / "archive.db"
    with db.open("r+b") as fh:
        fh.truncate(db.stat().st_size // 2)
    blob = next(p for p in sorted((copy / "blobs").rglob("*")) if p.is_file())
    blob.write_bytes(blob.read_bytes() + b"rot")

    out = run("verify", data=copy)
    assert out.returncode == 1 and "Traceback" not in out.stderr, out.stderr
    assert "archive.db cannot be read" in out.stdout
    assert f"Blobs: {_blob_count(copy)} files" in out.stdout  # still hashed, each against its name
    assert f"corrupt blob: {blob.name}" in out.stdout
    assert re.search(r"WARC: 1 files, [1-9]\d* records read", out.stdout)
    assert "Archive intact." not in out.stdout

    for args in (("export", "--format", "jsonl"), ("status",), ("crawl", "http://127.0.0.1:9/", *FAST),
                 ("serve", "--port", "0")):
        assert_message(run(*args, data=copy, timeout=120), "archive.db is cut short")


# -- a read-only data directory ----------------------------------------------------------

def test_readers_work_on_a_read_only_data_directory(processed, tmp_path):
    shutil.copytree(processed, tmp_path / "source")
    with read_only(tmp_path / "source", tmp_path / "ro") as data:
        verified = run("verify", data=data)
        assert verified.returncode == 0 and "Archive intact." in verified.stdout, verified.stdout + verified.stderr
        exported = run("export", "--format", "jsonl", data=data)
        assert exported.returncode == 0, exported.stderr
        ids = {json.loads(line)["id"] for line in exported.stdout.splitlines()}
        assert len(ids) == 6
        found = run("search", "预算", "--json", data=data)
        assert found.returncode == 0 and {json.loads(line)["id"] for line in found.stdout.splitlines()} <= ids
        assert run("status", data=data).returncode == 0

        serve = subprocess.Popen([sys.executable, "-m", "budgets.cli", "serve", "--port", "0", "--data", str(data)],
                                 cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
        try:
            line = serve.stderr.readline()
            url = re.search(r"(http://\S+/)", line)
            assert url, line + serve.stderr.read()
            page = httpx.get(url.group(1) + "browse/disclosures.csv", params={"_stream": "on"}, timeout=60)
            assert page.status_code == 200 and len(page.text.strip().splitlines()) == 7
            assert httpx.get(url.group(1) + "-/search", params={"q": "预算"}, timeout=60).status_code == 200
        finally:
            serve.terminate()
            serve.wait(timeout=30)

        for args in (("reparse",), ("verify", "--repair"), ("index",)):
            assert_message(run(*args, data=data), "cannot be written", "read-only data directory")
    assert sorted(p.name for p in (tmp_path / "source").iterdir()) == sorted(p.name for p in processed.iterdir())


# -- a full disk -------------------------------------------------------------------------

def test_full_disk_verify_and_readers_go_on_writers_say_why(processed, tmp_path):
    mnt = tmp_path / "small"
    mnt.mkdir()
    _mount("-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mnt))
    try:
        data = mnt / "data"
        shutil.copytree(processed, data)
        with (mnt / "filler").open("wb") as fh:  # every last block taken
            try:
                while True:
                    fh.write(b"\0" * 65536)
                    fh.flush()
            except OSError:
                pass
        assert shutil.disk_usage(mnt).free == 0
        verified = run("verify", data=data)
        assert verified.returncode == 0 and "Archive intact." in verified.stdout, verified.stdout + verified.stderr
        exported = run("export", "--format", "jsonl", data=data)
        assert exported.returncode == 0 and len(exported.stdout.splitlines()) == 6, exported.stderr
        assert run("search", "预算", data=data).returncode == 0
        assert_message(run("reparse", data=data), "no space left")
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


# -- the search server down --------------------------------------------------------------

def test_verify_with_meilisearch_down_is_not_intact(copy, start_meili):
    url, key, stop = start_meili()
    env = {"MEILI_URL": url, "MEILI_MASTER_KEY": key}
    try:
        assert run("index", data=copy, env=env).returncode == 0
        up = run("verify", data=copy, env=env)
        assert up.returncode == 0 and "Search index: 6 disclosures indexed" in up.stdout, up.stdout + up.stderr
    finally:
        stop()
    down = run("verify", data=copy, env=env)
    assert down.returncode == 1 and "Traceback" not in down.stderr, down.stderr
    assert "could not check the search index" in down.stdout and url in down.stdout
    assert "Archive NOT fully checked" in down.stdout and "Archive intact." not in down.stdout


# -- verify --deep -----------------------------------------------------------------------

def test_deep_verify_parses_again_and_matches_fetches_to_warc_records(copy):
    with sqlite3.connect(copy / "archive.db") as db:
        (altered, record), (aged, _) = db.execute("select document_id, record from parses order by document_id "
                                                  "limit 2").fetchall()
        figures = json.loads(record)["figures"]
        key = next(k for k, v in figures.items() if isinstance(v, str))
        forged = json.loads(record)
        forged["figures"][key] = "1.00"
        forged = json.dumps(forged, ensure_ascii=False)
        # a change that plain verify cannot see: the checksum written again with it
        db.execute("update parses set record = ?, checksum = ? where document_id = ?",
                   [forged, record_checksum(forged), altered])
        resized, moved = [r[0] for r in db.execute(
            "select id from fetches where warc_file is not null and bytes > 0 order by id limit 2")]
        db.execute("update fetches set bytes = bytes + 1 where id = ?", [resized])
        db.execute("update fetches set url = url || '?moved' where id = ?", [moved])
    plain = run("verify", data=copy)
    assert plain.returncode == 0 and "Archive intact." in plain.stdout, plain.stdout

    with sqlite3.connect(copy / "archive.db") as db:  # an older parser's record: it differs, as staleness
        (old_record,) = db.execute("select record from parses where document_id = ?", [aged]).fetchone()
        older = json.dumps({**json.loads(old_record), "department": "旧部门"}, ensure_ascii=False)
        db.execute("update parses set record = ?, checksum = ?, parser_version = 'extract-0' where document_id = ?",
                   [older, record_checksum(older), aged])
    deep = run("verify", "--deep", data=copy)
    assert deep.returncode == 1, deep.stdout + deep.stderr
    lines = deep.stdout.splitlines()
    forged_line = next(line for line in lines if f"parse differs from a new parse: {altered}" in line)
    assert "[CORRUPT]" in forged_line and f"{key} 1.00 -> {figures[key]}" in forged_line
    assert "same parser version and files" in forged_line
    aged_line = next(line for line in lines if f"parse differs from a new parse: {aged}" in line)
    assert "[notice]" in aged_line and "parser version changed (stored extract-0" in aged_line
    assert "department '旧部门' -> " in aged_line
    assert re.search(rf"\[CORRUPT\] fetch disagrees with its WARC record: fetch {resized} — .*payload is \d+ bytes, "
                     r"the row says \d+", deep.stdout)
    assert re.search(rf"\[CORRUPT\] fetch disagrees with its WARC record: fetch {moved} — the record is for \S+, "
                     r"the row says \S+\?moved", deep.stdout)
    assert re.search(r"Parses: 4 documents parsed again from their archived files give what is stored", deep.stdout)
