"""The crawl's one session, of the class the BUDGETS_SESSION_CLASS setting names.

`crawler.session.CrawlSession` (the default) for a crawl in one process,
`crawler.distributed.session.RedisSession` for a distributed worker (`worker_settings` names
it). `SessionExtension` is listed in EXTENSIONS, so Scrapy keeps one per crawler; it builds
the session on first use, as Scrapy builds its own components (`build_from_crawler`), and
checks it against `crawler.session_interface.Session`.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.utils.misc import build_from_crawler, load_object

from crawler.session_interface import Session

if TYPE_CHECKING:
    from crawler.distributed.session import RedisSession


class SessionExtension:
    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.session: Session | None = None

    @classmethod
    def from_crawler(cls, crawler) -> SessionExtension:
        return cls(crawler)

    def get(self) -> Session:
        if self.session is None:
            session = build_from_crawler(load_object(self.crawler.settings["BUDGETS_SESSION_CLASS"]), self.crawler)
            if not isinstance(session, Session):
                raise TypeError(f"{type(session).__name__} lacks part of crawler.session_interface.Session")
            self.session = session
        return self.session


def _extension(crawler) -> SessionExtension:
    extension = crawler.get_extension(SessionExtension)
    if extension is None:
        raise RuntimeError("crawler.sessions.SessionExtension is missing from the EXTENSIONS setting")
    return extension


def session_of(crawler) -> Session:
    """The crawler's session, created on first use from its settings and spider arguments."""
    return _extension(crawler).get()


def redis_session_of(crawler) -> RedisSession:
    """The session of a distributed worker's crawl, for the parts that only run there (its
    frontier, host leases and hand-off), which use what only the Redis session has."""
    from crawler.distributed.session import RedisSession

    session = session_of(crawler)
    if not isinstance(session, RedisSession):
        raise TypeError(f"the distributed crawl's components need a RedisSession, not {type(session).__name__}")
    return session


def built_session(crawler) -> Session | None:
    """The crawler's session if the crawl got as far as making one, else None."""
    try:
        extension = crawler.get_extension(SessionExtension)
    except RuntimeError:  # the crawl stopped before Scrapy made its extensions
        return None
    return extension.session if extension is not None else None
