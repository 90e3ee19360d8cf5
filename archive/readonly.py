"""The archive opened read-only: readers (search, export, serve, plain verify) never change a
data directory, not even archive.db's schema, and still work where it cannot be written.

`ArchiveDB()` creates missing tables and columns and sets pragmas, which is right for a
crawl and wrong for a reader; `ReadOnlyArchiveDB` keeps every query method and opens the
file with SQLite's `mode=ro`, so any write fails in SQLite itself. On a directory that
cannot be written (a read-only mount, a copy on a DVD), SQLite cannot make the `-shm` file
WAL mode needs, so a database without a write-ahead log is opened `immutable` instead.
"""
from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import sqlite_utils

from archive.blobs import BlobStore
from archive.db import ArchiveDB


def writable(directory: Path) -> bool:
    """Whether files can be made in `directory` (False on a read-only filesystem, even for root)."""
    return os.access(directory, os.W_OK)


def needs_immutable(path: Path) -> bool:
    """A database SQLite can only read as `immutable`: in a directory that cannot be written and
    with no write-ahead log to read (an immutable open would ignore one, and miss its rows)."""
    return not writable(Path(path).parent) and not _has_wal(Path(path))


def connect_ro(path: Path) -> sqlite3.Connection:
    """A read-only connection (the file must exist; a crawl may go on writing beside it).

    A full disk fails the `-shm` file WAL mode needs too (SQLITE_IOERR_SHMSIZE); a database
    with no write-ahead log to read is then opened `immutable`, so it can still be read."""
    path = Path(path).resolve()
    if not path.is_file():
        raise sqlite3.OperationalError(f"unable to open database file {path}")
    conn = _connect(path, "immutable=1" if needs_immutable(path) else "mode=ro")
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.OperationalError as exc:
        if not getattr(exc, "sqlite_errorname", "").startswith(("SQLITE_IOERR", "SQLITE_CANTOPEN")) \
                or _has_wal(path):
            raise
        conn.close()
        conn = _connect(path, "immutable=1")
    return conn


def _connect(path: Path, mode: str) -> sqlite3.Connection:
    conn = sqlite3.connect(f"file:{quote(str(path))}?{mode}", uri=True, check_same_thread=False)
    conn.execute("PRAGMA query_only = 1")
    return conn


def _has_wal(path: Path) -> bool:
    """Whether `path` has a write-ahead log holding changes not yet in the file."""
    wal = path.with_name(path.name + "-wal")
    return wal.is_file() and wal.stat().st_size > 0


class ReadOnlyArchiveDB(ArchiveDB):
    """ArchiveDB's queries over a read-only connection; usable from any thread, one at a time."""

    def __init__(self, path: Path) -> None:
        # not super().__init__(): that one creates tables and columns
        self.path = Path(path)
        self.db = sqlite_utils.Database(connect_ro(self.path))


def open_for_reading(path: Path) -> ArchiveDB:
    """The archive for a command that only reads: as usual where the directory can be written
    (an older archive gains its new columns), read-only where it cannot or the disk is full."""
    if not writable(Path(path).parent):
        return ReadOnlyArchiveDB(path)
    try:
        return ArchiveDB(path)
    except sqlite3.OperationalError as exc:  # a full disk: no room for the -shm file WAL mode needs
        if not getattr(exc, "sqlite_errorname", "").startswith(("SQLITE_IOERR", "SQLITE_FULL")):
            raise
        return ReadOnlyArchiveDB(path)


@dataclass
class ReadOnlyArchive:
    """What readers of archived bytes need of `Archive` (its database and blobs), opened without writing."""

    db: ArchiveDB
    blobs: BlobStore
