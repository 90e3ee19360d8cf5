"""Tables that follow the archive while `budgets serve` runs.

Before a request for the Datasette tables (`/browse...`), browse.db is made current for the
archive (`ensure_browse_db`: a cheap check, a rebuild only when documents or parses changed),
so a disclosure crawled, reparsed or ingested after the server started is in the tables as
soon as it is in the search.
"""
from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from budgets.web.browse import ensure_browse_db

TABLE_PREFIX = "/browse"


class BrowseRefresher:
    """One rebuild at a time per served data directory."""

    def __init__(self, archive_path: Path, browse_path: Path) -> None:
        self.archive_path, self.browse_path = archive_path, browse_path
        self._lock = threading.Lock()

    def refresh(self) -> None:
        with self._lock:
            ensure_browse_db(self.archive_path, self.browse_path)


def with_fresh_tables(app, refresher: BrowseRefresher):
    """An ASGI wrapper that refreshes browse.db before every request for its tables."""

    async def wrapped(scope, receive, send):
        if scope.get("type") == "http" and scope.get("path", "").startswith(TABLE_PREFIX):
            await asyncio.get_running_loop().run_in_executor(None, refresher.refresh)
        await app(scope, receive, send)

    return wrapped
