"""The archive keeps bodies once, logs fetches atomically and writes valid WARC files."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from archive import Archive
from archive.warc import WARC_DIR

WARCIO = str(Path(sys.executable).with_name("warcio"))


def _fetch(archive: Archive, url: str, body: bytes, status: int = 200, run_id: int = 1) -> str:
    sha = archive.blobs.put(body)
    archive.db.record_fetch({"run_id": run_id, "url": url, "final_url": url, "status": status,
                             "headers": json.dumps({"Content-Type": ["text/html; charset=gbk"]}),
                             "sha256": sha, "bytes": len(body), "role": "article"},
                            archive.blobs.relpath(sha))
    return sha


def test_blob_written_once_and_verifiable(tmp_path):
    archive = Archive(tmp_path)
    a = archive.blobs.put("部门预算".encode("gbk"))
    b = archive.blobs.put("部门预算".encode("gbk"))
    assert a == b
    assert len(list(archive.blobs.iter_hashes())) == 1
    assert archive.blobs.verify(a)
    archive.blobs.path(a).write_bytes(b"tampered")
    assert not archive.blobs.verify(a)


def test_partial_blob_writes_are_cleaned(tmp_path):
    archive = Archive(tmp_path)
    sha = archive.blobs.put(b"x")
    leftover = archive.blobs.path(sha).parent / ".tmp-killed"
    leftover.write_bytes(b"half")
    archive.recover()
    assert not leftover.exists()
    assert archive.blobs.exists(sha)


def test_only_successful_fetches_become_url_state(tmp_path):
    archive = Archive(tmp_path)
    _fetch(archive, "http://a/x", b"busy", status=503)
    assert archive.db.url_state("http://a/x") is None
    sha = _fetch(archive, "http://a/x", b"ok")
    state = archive.db.url_state("http://a/x")
    assert state is not None and state["sha256"] == sha and state["status"] == 200 and state["role"] == "article"
    assert archive.db.query("select count(*) as n from fetches")[0]["n"] == 2


def test_warc_checkpoints_pass_warcio_check_and_use_revisits(tmp_path):
    archive = Archive(tmp_path)
    _fetch(archive, "http://a/1", "一般公共预算".encode())
    _fetch(archive, "http://a/2", "一般公共预算".encode())  # same payload: a revisit
    assert archive.warc.checkpoint() == 2
    _fetch(archive, "http://a/3", "一般公共预算".encode())  # revisit across files
    assert archive.warc.checkpoint() == 1
    assert archive.warc.checkpoint() == 0
    files = sorted((tmp_path / WARC_DIR).glob("*.warc.gz"))
    assert len(files) == 2
    out = subprocess.run([WARCIO, "check", "-v", *map(str, files)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.count("> response") == 1 and out.stdout.count("> revisit") == 2
    assert "sha256" in subprocess.run([WARCIO, "index", "-f", "warc-payload-digest", str(files[0])],
                                      capture_output=True, text=True).stdout


def test_checkpoint_cut_short_is_rewritten_not_duplicated(tmp_path):
    archive = Archive(tmp_path)
    _fetch(archive, "http://a/1", b"one")
    archive.warc.checkpoint()
    written = sorted((tmp_path / WARC_DIR).glob("*.warc.gz"))[0]
    # a kill between marking the fetches and renaming the file leaves marks pointing at no file
    written.rename(written.with_suffix(".gz.tmp"))
    archive.recover()
    assert not list((tmp_path / WARC_DIR).glob("*.tmp"))
    assert archive.warc.checkpoint() == 1
    files = list((tmp_path / WARC_DIR).glob("*.warc.gz"))
    assert len(files) == 1
    assert subprocess.run([WARCIO, "check", str(files[0])]).returncode == 0


def test_resume_chain_points_at_first_interrupted_run(tmp_path):
    archive = Archive(tmp_path)
    first, resumed = archive.db.start_run(["http://a/"])
    assert resumed is None
    _second, resumed = archive.db.start_run(["http://a/"])
    assert resumed == first
    third, resumed = archive.db.start_run(["http://a/"])
    assert resumed == first
    archive.db.finish_run(third, {})
    fourth, resumed = archive.db.start_run(["http://a/"])
    assert resumed is None and fourth > third


def test_raw_non_ascii_headers_are_archived_byte_for_byte(tmp_path):
    from warcio.archiveiterator import ArchiveIterator

    archive = Archive(tmp_path)
    raw_name = 'attachment; filename="部门预算.xls"'.encode("gbk").decode("latin-1")
    body = b"\xd0\xcf\x11\xe0 fake xls"
    sha = archive.blobs.put(body)
    archive.db.record_fetch({"run_id": 1, "url": "http://a/downfile.jsp?id=1", "status": 200,
                             "headers": json.dumps({"Content-Disposition": [raw_name]}),
                             "sha256": sha, "bytes": len(body)}, archive.blobs.relpath(sha))
    archive.warc.checkpoint()
    (path,) = (tmp_path / WARC_DIR).glob("*.warc.gz")
    assert subprocess.run([WARCIO, "check", str(path)]).returncode == 0
    with path.open("rb") as fh:
        record = next(iter(ArchiveIterator(fh)))
        assert record.content_stream().read() == body
    assert 'filename="部门预算.xls"'.encode("gbk") in __import__("gzip").decompress(path.read_bytes())
