"""Parse workers through Redis: the writer hands documents out, `budgets parse-worker`
processes parse them, the writer saves what comes back.

Real Redis, real `budgets parse-worker` processes, an archive made by a real crawl of the
imitation portals. The records must be those `budgets reparse` makes; a parse worker killed
with kill -9 mid-way loses no document and no record is written twice; a result for inputs the
document no longer has is dropped; a worker of another parser version refuses the work.
"""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis

from archive import Archive
from budgets.parse_job import DocumentResult
from budgets.parse_queue import ParseQueue, decode_job, encode_job, encode_result
from crawler.distributed.keys import Keys
from tests.crawlrun import BUDGETS, REPO, budgets
from tests.test_parse_jobs import PARSE_LOG, _copy, _count, _rows
from tests.test_parse_jobs import unparsed as unparsed  # the fixture: a crawled, unparsed archive

KEYS = Keys()
RECORDS = "select document_id, parser_version, record, errors, input_fingerprint, checksum from parses order by 1"
VERSIONS = "select document_id, version, record from document_versions order by 1, 2"


@pytest.fixture
def server(fresh_redis):
    return redis.Redis.from_url(fresh_redis)


@pytest.fixture(scope="module")
def reference(unparsed, tmp_path_factory) -> Path:
    """The records `budgets reparse` makes of the same archive."""
    data = _copy(unparsed, tmp_path_factory.mktemp("reference") / "data")
    budgets("reparse", "--jobs", "2", data=data)
    return data


def _parse_worker(redis_url: str, data: Path, *extra: str, log: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with open(log, "w") as out:
        return subprocess.Popen([*BUDGETS, "parse-worker", "--redis", redis_url, "--heartbeat", "1", *extra,
                                 "--data", str(data)], cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)


def _collect_all(queue: ParseQueue, procs: list, timeout: float = 300) -> None:
    """Save results until every job handed out is settled."""
    deadline = time.monotonic() + timeout
    while queue.pending():
        assert time.monotonic() < deadline, "parse workers did not finish"
        assert any(p.poll() is None for p in procs), "every parse worker has stopped with jobs left"
        queue.requeue_dead()
        if not queue.collect():
            time.sleep(0.2)


@contextmanager
def writer_queue(unparsed: Path, where: Path, server) -> Iterator[tuple[Path, ParseQueue]]:
    """A copy of the unparsed archive, every write of a parse logged, and the writer's queue on it."""
    data = _copy(unparsed, where)
    with sqlite3.connect(data / "archive.db") as db:
        db.executescript(PARSE_LOG)
    archive = Archive(data)
    try:
        yield data, ParseQueue(server, KEYS, archive)
    finally:
        archive.close()


def test_parse_workers_make_the_records_reparse_makes(unparsed, reference, server, fresh_redis, tmp_path):
    with writer_queue(unparsed, tmp_path / "data", server) as (data, queue):
        documents = _count(data, "select count(*) from documents")
        assert queue.dispatch() == documents >= 10
        assert queue.dispatch() == 0  # already handed out for the same inputs
        procs = [_parse_worker(fresh_redis, data, "--jobs", "2", "--idle-exit", "2", log=tmp_path / f"w{i}.log")
                 for i in range(2)]
        _collect_all(queue, procs)
        for proc in procs:
            assert proc.wait(timeout=60) == 0
        assert queue.saved == documents and queue.dropped == 0
        assert queue.dispatch() == 0  # nothing stale is left
    logs = [(tmp_path / f"w{i}.log").read_text() for i in range(2)]
    parsed = [int(log.rsplit("Parsed ", 1)[1].split()[0]) for log in logs]
    assert sum(parsed) == documents, logs
    assert not any("Traceback" in log or "ERROR" in log for log in logs), logs
    assert _rows(data, RECORDS) == _rows(reference, RECORDS)
    assert _rows(data, VERSIONS) == _rows(reference, VERSIONS)
    assert _count(data, "select count(*) from parse_log") == documents  # each written once
    assert not server.exists(KEYS.parse_jobs, KEYS.parse_pending, KEYS.parse_results, KEYS.parse_workers)


def test_a_parse_worker_killed_mid_way_loses_and_repeats_nothing(unparsed, reference, server, fresh_redis, tmp_path):
    with writer_queue(unparsed, tmp_path / "data", server) as (data, queue):
        documents = queue.dispatch()
        first = _parse_worker(fresh_redis, data, "--jobs", "1", log=tmp_path / "first.log")
        deadline = time.monotonic() + 120
        while not server.llen(KEYS.parse_results):  # it has parsed something and holds more
            assert time.monotonic() < deadline and first.poll() is None, (tmp_path / "first.log").read_text()
            time.sleep(0.05)
        first.send_signal(signal.SIGKILL)
        first.wait()
        assert server.llen(KEYS.parse_inflight(next(iter(server.smembers(KEYS.parse_workers))).decode())) > 0
        # a second writer pass saves what the killed worker sent; its held jobs go back once its heartbeat lapses
        second = _parse_worker(fresh_redis, data, "--jobs", "2", "--idle-exit", "2", log=tmp_path / "second.log")
        _collect_all(queue, [second])
        assert second.wait(timeout=60) == 0
        assert queue.saved == documents
    assert _rows(data, RECORDS) == _rows(reference, RECORDS)
    log = _rows(data, "select document_id, input_fingerprint, count(*) from parse_log group by 1, 2")
    assert len(log) == documents and {n for _, _, n in log} == {1}  # nothing lost, nothing written twice


def test_a_writer_killed_with_results_in_hand_saves_each_once(unparsed, server, tmp_path):
    with writer_queue(unparsed, tmp_path / "data", server) as (data, queue):
        queue.dispatch()
        raw = server.lpop(KEYS.parse_jobs)
        _, job = decode_job(raw)
        result = encode_result(DocumentResult(job, json.dumps({"files": []}), {}), "w1")
        # the writer took the result into its processing list, saved it, and died before clearing the list
        server.rpush(KEYS.parse_results_processing, result)
        assert queue.collect() == 1
        server.rpush(KEYS.parse_results_processing, result)
        assert queue.collect() == 1  # taken again after a restart: already saved, not written again
        assert queue.saved == 1
        assert not server.hexists(KEYS.parse_pending, job.doc_id)
    assert _count(data, "select count(*) from parse_log") == 1


def test_a_result_for_inputs_the_document_no_longer_has_is_dropped(unparsed, server, tmp_path):
    with writer_queue(unparsed, tmp_path / "data", server) as (_, queue):
        queue.dispatch()
        _, job = decode_job(server.lpop(KEYS.parse_jobs))
        job.input_fingerprint = "0" * 64  # made from files the document has since replaced
        server.rpush(KEYS.parse_results, encode_result(DocumentResult(job, "{}", {}), "w1"))
        assert queue.collect() == 0 and queue.dropped == 1
        assert queue.archive.db.parse_of(job.doc_id) is None


def test_a_worker_of_another_parser_version_refuses_the_work(unparsed, server, fresh_redis, tmp_path):
    with writer_queue(unparsed, tmp_path / "data", server) as (data, queue):
        queue.dispatch()
    raw = server.lpop(KEYS.parse_jobs)
    _, job = decode_job(raw)
    old = json.dumps({**json.loads(encode_job(job)), "parser_version": "extract-0"}, ensure_ascii=False)
    server.lpush(KEYS.parse_jobs, old)
    queued = server.llen(KEYS.parse_jobs)
    proc = _parse_worker(fresh_redis, data, "--jobs", "1", log=tmp_path / "w.log")
    assert proc.wait(timeout=60) == 1
    assert "the writer asks for parser extract-0" in (tmp_path / "w.log").read_text()
    assert server.llen(KEYS.parse_jobs) == queued and server.lindex(KEYS.parse_jobs, 0).decode() == old
    assert not server.exists(KEYS.parse_workers)
