"""The archive opened read-only: serving must never change archive.db, not even its schema.

`ArchiveDB()` creates missing tables and columns and sets pragmas, which is right for a
crawl and wrong for a viewer; this subclass keeps every query method and opens the file
with SQLite's `mode=ro`, so any write fails in SQLite itself.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import quote

import sqlite_utils

from archive.db import ArchiveDB


def connect_ro(path: Path) -> sqlite3.Connection:
    """A read-only connection (the file must exist; a crawl may go on writing beside it)."""
    uri = f"file:{quote(str(Path(path).resolve()))}?mode=ro"
    conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
    conn.execute("PRAGMA query_only = 1")
    return conn


class ReadOnlyArchiveDB(ArchiveDB):
    """ArchiveDB's queries over a read-only connection; usable from any thread, one at a time."""

    def __init__(self, path: Path) -> None:
        # not super().__init__(): that one creates tables and columns
        self.path = Path(path)
        self.db = sqlite_utils.Database(connect_ro(self.path))
