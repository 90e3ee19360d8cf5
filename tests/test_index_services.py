"""The test-service helpers: they start real servers, stop them, and fail loudly."""
from __future__ import annotations

import socket
from pathlib import Path

import pytest
import redis

from tests.services import ServiceError, start_meilisearch, start_redis


def test_missing_meilisearch_binary_fails_with_the_fix(tmp_path):
    with pytest.raises(ServiceError, match=r"scripts/meilisearch\.sh"):
        start_meilisearch(tmp_path / "meilisearch")


def test_broken_binary_reports_its_exit(tmp_path):
    fake = tmp_path / "meilisearch"
    fake.write_text("#!/bin/sh\necho cannot start >&2\nexit 3\n")
    fake.chmod(0o755)
    with pytest.raises(ServiceError, match=r"(?s)exited with code 3.*cannot start"):
        start_meilisearch(fake)


def _port_open(url: str) -> bool:
    host, port = url.split("//")[1].split("/")[0].split(":")
    with socket.socket() as s:
        return s.connect_ex((host, int(port))) == 0


def test_redis_starts_serves_and_stops():
    url, stop = start_redis()
    client = redis.Redis.from_url(url)
    client.set("k", "值")
    assert client.get("k").decode() == "值"
    assert client.config_get("save")["save"] == "" and client.config_get("appendonly")["appendonly"] == "no"
    served_from = client.config_get("dir")["dir"]
    assert served_from
    workdir = Path(served_from)
    client.close()
    stop()
    assert not _port_open(url) and not workdir.exists()


def test_meilisearch_stops_cleanly(start_meili):
    url, _key, stop = start_meili()
    assert _port_open(url)
    stop()
    assert not _port_open(url)
