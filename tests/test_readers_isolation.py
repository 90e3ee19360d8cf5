"""Worker processes with limits: crashes, hangs and memory exhaustion become errors."""
from __future__ import annotations

import os
import signal
import threading

import pytest

from parsers.isolation import IsolatedReader, read_file_isolated
from parsers.readers import read_file
from tests.docgen import cache


@pytest.mark.parametrize("make", [cache.seed_xls, cache.seed_doc], ids=["xls", "doc-via-libreoffice"])
def test_worker_result_equals_in_process_result(make):
    path, _ = make()
    data = path.read_bytes()
    isolated = read_file_isolated(path.name, data, timeout_s=120)
    assert isolated == read_file(path.name, data)


def test_time_limit_kills_the_worker_and_the_next_file_is_read():
    scan, _ = cache.scanned_pdf()
    sheet, _ = cache.seed_xls()
    with IsolatedReader() as reader:
        slow = reader.read(scan.name, scan.read_bytes(), timeout_s=0.3)
        assert slow.error == "reader process failed: timed out after 0.3 s; worker killed"
        assert slow.format == "pdf" and len(slow.sha256) == 64
        after = reader.read(sheet.name, sheet.read_bytes(), timeout_s=120)
        assert after.error is None and len(after.tables) == 22


def test_a_killed_worker_is_reported_as_a_crash():
    scan, _ = cache.scanned_pdf()
    with IsolatedReader() as reader:
        reader.read("warm-up.txt", "单位：万元".encode(), timeout_s=120)
        pid = reader._process.pid
        killer = threading.Timer(0.5, os.kill, (pid, signal.SIGKILL))
        killer.start()
        result = reader.read(scan.name, scan.read_bytes(), timeout_s=120)
        killer.join()
    assert result.error and "SIGKILL" in result.error


def test_memory_limit_hit_fails_the_file_with_the_reason():
    scan, _ = cache.scanned_pdf()  # OCR needs well over 600 MB of address space
    with IsolatedReader(memory_mb=600) as reader:
        result = reader.read(scan.name, scan.read_bytes(), timeout_s=120)
    assert result.error and result.error.startswith("memory limit of 600 MB reached")
    assert not result.tables
