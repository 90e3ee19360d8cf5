"""What the spider and its middlewares may ask of a crawl session, whoever provides it.

A local crawl's `crawler.session.CrawlSession` reaches the archive through archive.db; a
distributed worker's `crawler.distributed.session.RedisSession` through Redis and the ingest
writer. Code that runs in both (the spider, the downloader middlewares, the resolver) holds a
`Session` and uses nothing else: a member only one of them has (such as the local `db`) would
crash the other. `crawler.sessions` checks each session it makes against this, and
tests/test_session_interface.py checks the signatures and the code that uses them.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from crawler.hosts import PrivateRule
    from crawler.items import AttachmentResult


@runtime_checkable
class Session(Protocol):
    @property
    def private(self) -> PrivateRule:
        """Which hosts may be reached on a private, loopback or link-local address."""

    # -- what the crawl may fetch
    def allows(self, url: str) -> bool:
        """`url` is on one of the crawl's hosts."""

    def excluded(self, url: str) -> bool:
        """The portal registry excludes `url`'s path on its host."""

    def private_allowed(self, url: str) -> bool:
        """`url` may go to a private address."""

    # -- the archive's answers
    def plan(self, url: str) -> tuple[str, dict | None]:
        """How to get `url`: "fetch", "revalidate", or from the archive ("resume", "fresh")."""

    def blob(self, sha256: str) -> bytes:
        """An archived body."""

    def article_complete(self, url: str) -> bool:
        """An article handled in an earlier pass, with its decision, document and all its files."""

    # -- what the archive is told
    def served(self, url: str) -> None:
        """`url` was answered from the archive."""

    def not_modified(self, row: dict) -> None:
        """A 304: the archived body is still current."""

    def store_fetch(self, row: dict, body: bytes) -> str:
        """Keep a fetched body and log its fetch; its sha256."""

    def record_failure(self, request, error: str) -> None:
        """Log a request that failed, once per attempt."""

    def request_done(self, request) -> None:
        """A request ended in its errback."""

    # -- attachments shared between crawl processes
    async def attachment_claim(self, url: str) -> AttachmentResult | None:
        """Another process's result for attachment `url`, or None: fetch it here."""

    def attachment_done(self, url: str, result: AttachmentResult) -> None:
        """The result of fetching attachment `url`."""
