"""`budgets verify`: damage a real crawled archive in each way a disk or a person can, and mend it."""
from __future__ import annotations

import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from archive.verify import verify_archive
from crawler.hosts import run_host_rule
from crawler.refetch import refetch
from tests.crawlrun import FAST, budgets, start_budgets
from tests.portals import build_portals, serve_portals

WARCIO = str(Path(sys.executable).with_name("warcio"))


@pytest.fixture(scope="module")
def portal_archive(tmp_path_factory):
    """The TRS portal crawled once; the portal keeps running so repairs can fetch from it."""
    data = tmp_path_factory.mktemp("crawled")
    with serve_portals(build_portals()[:1]) as servers:
        budgets("crawl", *servers[0].manifest().start_urls, *FAST, "--no-process", data=data)
        yield data, servers[0]


@pytest.fixture
def archive_copy(portal_archive, tmp_path):
    data, server = portal_archive
    copy = tmp_path / "data"
    shutil.copytree(data, copy)
    server.log.clear()
    return copy, server


def _db(data: Path) -> sqlite3.Connection:
    return sqlite3.connect(data / "archive.db")


def _attachment(data: Path) -> tuple[str, str]:
    """(url, sha256) of one fetched attachment."""
    with _db(data) as db:
        return db.execute("select url, sha256 from fetches where role = 'attachment' and status = 200 "
                          "order by id limit 1").fetchone()


def _fetched(data: Path) -> int:
    if not (data / "archive.db").exists():
        return 0
    try:
        with sqlite3.connect(data / "archive.db", timeout=5) as db:
            return db.execute("select count(*) from fetches where sha256 is not null").fetchone()[0]
    except sqlite3.OperationalError:  # schema not created yet
        return 0


def _blob(data: Path, sha: str) -> Path:
    return data / "blobs" / sha[:2] / sha[2:4] / sha


def _kinds(report) -> dict[str, str | None]:
    return {f"{p.kind}:{p.subject}": p.repaired for p in report.problems}


def test_intact_archive_passes(archive_copy):
    data, _ = archive_copy
    out = budgets("verify", data=data)
    assert "Archive intact." in out.stdout
    with _db(data) as db:
        n_blobs = db.execute("select count(*) from blobs").fetchone()[0]
        n_written = db.execute("select count(*) from fetches where warc_file is not null").fetchone()[0]
    assert f"Blobs: {n_blobs} files" in out.stdout
    assert f"{n_written} records" in out.stdout


def test_corrupt_and_missing_blobs_are_reported_then_restored_from_warc(archive_copy):
    data, server = archive_copy
    _url, sha = _attachment(data)
    with _db(data) as db:
        page_sha = db.execute("select sha256 from urls where role = 'article' order by url limit 1").fetchone()[0]
    blob = _blob(data, sha)
    damaged = bytearray(blob.read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF  # one flipped bit pattern, same size
    blob.write_bytes(bytes(damaged))
    _blob(data, page_sha).unlink()

    out = budgets("verify", data=data, check=False)
    assert out.returncode == 1
    assert f"corrupt blob: {sha}" in out.stdout and f"missing blob: {page_sha}" in out.stdout
    assert "Archive NOT intact: 2 problem(s) outstanding" in out.stdout

    out = budgets("verify", "--repair", data=data)
    assert out.stdout.count("repaired: restored from its WARC record") == 2
    assert server.log.records() == []  # the WARC copies sufficed: nothing fetched
    assert budgets("verify", data=data).returncode == 0
    assert _blob(data, page_sha).is_file()


def test_lost_blob_without_warc_is_fetched_again_only_if_bytes_match(archive_copy):
    data, server = archive_copy
    url, sha = _attachment(data)
    with _db(data) as db:
        other_url, other_sha = db.execute("select url, sha256 from fetches where role = 'attachment' and status = 200 "
                                          "and sha256 != ? order by id limit 1", [sha]).fetchone()
    for path in (data / "warc").glob("*.warc.gz"):
        path.unlink()
    original = _blob(data, other_sha).read_bytes()
    _blob(data, sha).unlink()
    _blob(data, other_sha).unlink()
    server.replace_attachment(other_url, b"%PDF-1.4 a different file now")
    try:
        report = verify_archive(data, repair=True, refetch=refetch)
    finally:
        server.replace_attachment(other_url, original)  # the portal is shared by the module's tests
    repaired = _kinds(report)
    assert repaired[f"missing blob:{sha}"] == "fetched again"
    assert repaired[f"missing blob:{other_sha}"] is None
    assert not report.ok and "unrecoverable" in next(p.detail for p in report.problems if p.subject == other_sha)
    assert not _blob(data, other_sha).exists()  # wrong bytes were not stored under the old name
    assert url in {server.base_url + t for t in server.log.targets()}
    # every fetch whose body exists was written to a new WARC file; the lost one waits for its body
    assert [p.repaired for p in report.problems if p.kind == "missing WARC file"] == ["written again"]
    with _db(data) as db:
        assert report.pending_warc == db.execute("select count(*) from fetches where sha256 = ?",
                                                 [other_sha]).fetchone()[0] > 0
    files = sorted((data / "warc").glob("*.warc.gz"))
    assert subprocess.run([WARCIO, "check", *map(str, files)], capture_output=True).returncode == 0


def test_unrecoverable_when_the_portal_is_gone(archive_copy):
    data, _ = archive_copy
    _, sha = _attachment(data)
    for path in (data / "warc").glob("*.warc.gz"):
        path.unlink()
    _blob(data, sha).unlink()
    refused: list[str] = []

    def offline(url: str, start_urls: list[str]) -> bytes | None:
        refused.append(url)
        return None

    report = verify_archive(data, repair=True, refetch=offline)
    assert refused and not report.ok
    assert [p.kind for p in report.problems if p.outstanding] == ["missing blob"]


@pytest.mark.parametrize("damage", ["cut short", "flipped byte"])
def test_damaged_warc_file_is_found_and_rewritten(archive_copy, damage):
    data, _ = archive_copy
    (warc,) = sorted((data / "warc").glob("*.warc.gz"))
    raw = bytearray(warc.read_bytes())
    if damage == "cut short":  # as a full disk or an interrupted copy leaves it
        del raw[len(raw) // 2:]
    else:
        raw[len(raw) // 3] ^= 0x01
    warc.write_bytes(bytes(raw))
    out = budgets("verify", data=data, check=False)
    assert out.returncode == 1 and f"invalid WARC file: warc/{warc.name}" in out.stdout

    budgets("verify", "--repair", data=data)
    assert warc.with_name(warc.name + ".corrupt").is_file()
    files = sorted((data / "warc").glob("*.warc.gz"))
    assert files and warc not in files
    check = subprocess.run([WARCIO, "check", "-v", *map(str, files)], capture_output=True, text=True)
    assert check.returncode == 0
    with _db(data) as db:
        with_body = db.execute("select count(*) from fetches where sha256 is not null").fetchone()[0]
    assert check.stdout.count("> response") + check.stdout.count("> revisit") == with_body
    assert budgets("verify", data=data).returncode == 0


def test_fetch_pointing_at_a_record_not_in_its_file(archive_copy):
    data, _ = archive_copy
    with _db(data) as db:
        db.execute("update fetches set warc_record_id = '<urn:uuid:00000000-0000-0000-0000-000000000000>' "
                   "where id = (select min(id) from fetches where warc_file is not null)")
    report = verify_archive(data)
    assert [p.kind for p in report.problems] == ["missing WARC record"]
    report = verify_archive(data, repair=True)
    assert report.ok and report.pending_warc == 0
    assert verify_archive(data).ok


def test_unregistered_blob_and_leftover_temporary_files(archive_copy):
    data, _ = archive_copy
    _, sha = _attachment(data)
    with _db(data) as db:
        db.execute("delete from blobs where sha256 = ?", [sha])
    stray = data / "blobs" / "00" / "00"
    stray.mkdir(parents=True)
    (stray / ".tmp-abc123").write_bytes(b"half a body")
    (data / "warc" / "crawl-x.warc.gz.tmp").write_bytes(b"half a checkpoint")

    report = verify_archive(data)
    kinds = sorted(p.kind for p in report.problems)
    assert kinds == ["temporary file", "temporary file", "unregistered reference"]
    assert not report.ok  # the temporary files alone are notices; the missing row is not
    report = verify_archive(data, repair=True)
    assert report.ok and all(p.repaired for p in report.problems)
    assert not (stray / ".tmp-abc123").exists() and not list((data / "warc").glob("*.tmp"))
    with _db(data) as db:
        assert db.execute("select path from blobs where sha256 = ?", [sha]).fetchone()[0] == \
            f"blobs/{sha[:2]}/{sha[2:4]}/{sha}"
    assert verify_archive(data).problems == []


def test_archive_of_a_crawl_killed_with_kill_9_verifies(tmp_path):
    data = tmp_path / "data"
    slow = ["--delay", "0.1", "--concurrency", "1", "-s", "AUTOTHROTTLE_ENABLED=False",
            "-s", "DOWNLOAD_DELAY_JITTER=0", "-s", "BUDGETS_WARC_EVERY=7", "--no-process"]
    with serve_portals(build_portals()[:1]) as servers:
        proc = start_budgets("crawl", *servers[0].manifest().start_urls, *slow, data=data)
        deadline = time.monotonic() + 60
        while _fetched(data) < 12:
            assert proc.poll() is None, "the crawl ended before it could be killed"
            assert time.monotonic() < deadline, "the crawl made no progress"
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    report = verify_archive(data)
    assert report.ok, [p for p in report.problems if p.outstanding]
    assert report.pending_warc > 0  # fetched since the last checkpoint
    report = verify_archive(data, repair=True)
    assert report.ok and report.pending_warc == 0
    assert verify_archive(data).problems == []


def test_refetch_keeps_to_the_crawl_host_rules(archive_copy):
    data, _server = archive_copy
    url, sha = _attachment(data)
    with _db(data) as db:  # as if the body had come through a redirect to another host
        db.execute("update fetches set final_url = 'http://10.0.0.1/file.pdf' where sha256 = ?", [sha])
    for path in (data / "warc").glob("*.warc.gz"):
        path.unlink()
    _blob(data, sha).unlink()
    asked: list[tuple[str, bool]] = []

    def spy(u: str, start_urls: list[str]) -> bytes | None:
        asked.append((u, run_host_rule(start_urls)(u)))
        return refetch(u, start_urls)

    report = verify_archive(data, repair=True, refetch=spy)
    assert ("http://10.0.0.1/file.pdf", False) in asked and (url, True) in asked
    assert _kinds(report)[f"missing blob:{sha}"] == "fetched again"  # from the start host, not the other one
