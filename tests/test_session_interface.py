"""Both crawl sessions give the spider and middlewares the same interface, and they use no more.

A member only the local session has (its `db`) once crashed every distributed worker on an
unchanged article; the crawl tests now also fail on any logged error (tests/crawlrun.py).
"""
from __future__ import annotations

import ast
import inspect
from pathlib import Path

import redis

from archive.blobs import BlobStore
from crawler.distributed.keys import Keys
from crawler.distributed.session import RedisSession
from crawler.session import CrawlSession
from crawler.session_interface import Session
from tests.crawlrun import REPO

# code that runs in a local crawl and in a distributed worker alike
SHARED = ["crawler/spiders/portal.py", "crawler/middlewares/archive.py", "crawler/middlewares/guard.py",
          "crawler/middlewares/retry_after.py", "crawler/middlewares/host_limit.py", "crawler/resolver.py"]


def _members() -> set[str]:
    return {name for name in vars(Session) if not name.startswith("_")}


def _sessions(tmp_path: Path, redis_url: str) -> list:
    local = CrawlSession(tmp_path / "data", ["http://127.0.0.1:9/"])
    worker = RedisSession(redis.Redis.from_url(redis_url), Keys("interface-test"), BlobStore(tmp_path / "blobs"), "w1")
    return [local, worker]


def test_both_sessions_satisfy_the_interface_with_its_signatures(tmp_path, redis_url):
    for session in _sessions(tmp_path, redis_url):
        assert isinstance(session, Session), type(session)
        for name in _members():
            declared = inspect.getattr_static(Session, name)
            if isinstance(declared, property):
                continue
            got = getattr(session, name)
            want = list(inspect.signature(declared).parameters)[1:]  # without self
            assert list(inspect.signature(got).parameters) == want, (type(session).__name__, name)
            assert inspect.iscoroutinefunction(got) == inspect.iscoroutinefunction(declared), name


def _session_uses(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, member) of every `self.session.X`, `session.X` and `session_of(...).X`."""
    uses = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        owner = node.value
        if (isinstance(owner, ast.Attribute) and owner.attr == "session") or \
                (isinstance(owner, ast.Name) and owner.id == "session") or \
                (isinstance(owner, ast.Call) and isinstance(owner.func, ast.Name) and owner.func.id == "session_of"):
            uses.append((node.lineno, node.attr))
    return uses


def test_shared_code_uses_only_the_interface():
    members = _members()
    seen = set()
    for path in SHARED:
        for line, member in _session_uses(ast.parse((REPO / path).read_text(encoding="utf-8"))):
            assert member in members, f"{path}:{line} uses session.{member}, which is not in Session"
            seen.add(member)
    assert {"plan", "store_fetch", "article_complete", "allows"} <= seen  # the scan does see the uses


def test_the_session_class_is_a_setting(tmp_path):
    """A local crawl gets the archive's session and a worker the Redis one, by BUDGETS_SESSION_CLASS."""
    from scrapy.utils.misc import load_object

    from crawler.distributed.worker import worker_settings
    from crawler.settings import crawl_settings

    assert load_object(crawl_settings(tmp_path)["BUDGETS_SESSION_CLASS"]) is CrawlSession
    worker = worker_settings("redis://127.0.0.1:9", tmp_path / "blobs")
    assert load_object(worker["BUDGETS_SESSION_CLASS"]) is RedisSession
    assert "crawler.sessions.SessionExtension" in worker.getdict("EXTENSIONS")


def test_the_scan_catches_a_member_outside_the_interface():
    tree = ast.parse("def f(self):\n    return self.session.db.article_complete(url)\n")
    assert (2, "db") in _session_uses(tree) and "db" not in _members()
