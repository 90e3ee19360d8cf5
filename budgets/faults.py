"""What a command says when the disk or the archive fails it: one line, no traceback.

A damaged archive.db, a full disk or a read-only data directory are the user's to mend, not
bugs in the tool: the message names the fault and what still works, and the command exits 1.
SQLite's errors do not name their file, so a damaged database is named as "one in DATA" and
`budgets verify` (which checks each part on its own) is pointed to.
"""
from __future__ import annotations

import errno
import shutil
import sqlite3
from pathlib import Path

DATABASES = ("archive.db", "search.db", "browse.db")
READ_ONLY = ("search, export, serve and plain verify read a read-only data directory; crawl, reparse, index, "
             "ingest and verify --repair need to write in it")


def explain(exc: BaseException, data_dir: Path | None) -> str | None:
    """A message for a fault of the disk or the archive, or None for anything else (a bug: its
    traceback is worth showing)."""
    where = str(data_dir) if data_dir else "the data directory"
    if isinstance(exc, sqlite3.DatabaseError):
        name = getattr(exc, "sqlite_errorname", "")
        if name == "SQLITE_FULL" or (name.startswith("SQLITE_IOERR") and _full(data_dir)):
            return (f"no space left on the device holding {where} ({exc}): free some space and run the command "
                    "again; nothing already archived is lost")
        if name.startswith("SQLITE_IOERR"):
            return f"the disk failed a read or write of a database in {where} ({exc}); `budgets verify` checks the archive"
        if name.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN")):
            return f"a database in {where} cannot be opened or written ({exc}): {READ_ONLY}"
        found = damaged_databases(data_dir) if data_dir else []
        named = "; ".join(found) if found else "archive.db, search.db or browse.db is damaged"
        return (f"a database in {where} cannot be read ({exc}): {named}. `budgets verify` checks what it "
                "still can (blobs, WARC files)")
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return (f"no space left on the device holding {exc.filename or where}: free some space and run the "
                "command again; nothing already archived is lost")
    if isinstance(exc, OSError) and exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return f"{exc.filename or where} cannot be written ({exc.strerror}): {READ_ONLY}"
    return None


def _full(data_dir: Path | None) -> bool:
    try:
        return data_dir is not None and shutil.disk_usage(data_dir).free == 0
    except OSError:
        return False


def damaged_databases(data_dir: Path) -> list[str]:
    """The data directory's SQLite files whose header shows damage: not a database, or shorter
    than the pages it declares (a copy or a write cut short). Reads 100 bytes of each."""
    found = []
    for name in DATABASES:
        path = Path(data_dir) / name
        if path.is_file():
            problem = header_problem(path)
            if problem:
                found.append(f"{name} {problem}")
    return found



def header_problem(path: Path) -> str | None:
    """What the SQLite header of `path` says is wrong with it, or None."""
    size = path.stat().st_size
    with path.open("rb") as fh:
        header = fh.read(100)
    if size == 0:
        return None  # an empty file is a database SQLite has not written yet
    if len(header) < 100 or not header.startswith(b"SQLite format 3\0"):
        return "is not a SQLite database"
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    valid = header[24:28] == header[92:96]  # the page count is only kept current when these agree
    if valid and pages * page_size > size:
        return f"is cut short ({size} of {pages * page_size} bytes)"
    return None
