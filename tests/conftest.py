"""Shared fixtures: real servers on loopback, started once per test session."""
from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests import services


@pytest.fixture(scope="session")
def start_meili() -> Callable[[], tuple[str, str, Callable[[], None]]]:
    """Starts a fresh Meilisearch server: returns (url, master key, stop).  No binary: fails."""
    return lambda: services.start_meilisearch(services.meilisearch_binary())


@pytest.fixture(scope="session")
def meili_server(start_meili) -> Iterator[tuple[str, str]]:
    """A Meilisearch server for the session: (url, master key)."""
    url, key, stop = start_meili()
    yield url, key
    stop()


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A redis-server without persistence: its redis:// URL."""
    url, stop = services.start_redis()
    yield url
    stop()


@pytest.fixture
def fresh_redis(redis_url) -> Iterator[str]:
    """The session's Redis, emptied before and after the test: its URL."""
    import redis

    server = redis.Redis.from_url(redis_url)
    server.flushdb()
    yield redis_url
    server.flushdb()
