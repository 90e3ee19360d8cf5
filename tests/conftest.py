"""Shared fixtures: real servers on loopback, started once per test session."""
from __future__ import annotations

import pytest

from services import meilisearch_binary, start_meilisearch, start_redis


@pytest.fixture(scope="session")
def meili_server() -> tuple[str, str]:
    """A Meilisearch server: (url, master key).  Fails, never skips, without the binary."""
    url, key, stop = start_meilisearch(meilisearch_binary())
    yield url, key
    stop()


@pytest.fixture(scope="session")
def redis_url() -> str:
    """A redis-server without persistence: its redis:// URL."""
    url, stop = start_redis()
    yield url
    stop()
