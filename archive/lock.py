"""One writer per data directory: an advisory lock on `DATA/.lock`, with its holder written in it.

Two crawls on one directory would each take the other's run for a killed one and fetch
everything twice; a reparse during a crawl would race it for the same parse rows. So every
command that writes (crawl, reparse, index, ingest, verify --repair) takes this lock first
and the second one stops at once, saying who holds it. Readers (search, export, serve)
never take it. `flock` is released by the kernel when the holder dies, even by kill -9, so
a stale lock file never blocks anyone; the holder text in it is only for the message.
"""
from __future__ import annotations

import fcntl
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

LOCK_NAME = ".lock"


class DataDirBusy(RuntimeError):
    """Another process is writing to the data directory; the message names it."""


class WriterLock:
    """The data directory's writer lock, held from `acquire()` until `release()` or process exit."""

    def __init__(self, data_dir: Path, command: str | None = None) -> None:
        self.path = Path(data_dir) / LOCK_NAME
        self.command = command or "budgets " + " ".join(sys.argv[1:])
        self._file: IO[str] | None = None

    def acquire(self) -> WriterLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held open as the lock until release()
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read()
            fh.close()
            raise DataDirBusy(f"{self.path.parent} is being written by {describe_holder(holder)}; "
                              "wait for it to end (readers such as search, export and serve can run meanwhile)") from None
        fh.seek(0)
        fh.truncate()
        fh.write(json.dumps({"pid": os.getpid(), "command": self.command,
                             "since": datetime.now(UTC).isoformat(timespec="seconds")}, ensure_ascii=False))
        fh.flush()
        self._file = fh
        return self

    def release(self) -> None:
        if self._file is not None:
            self._file.close()  # closing the descriptor releases the flock
            self._file = None

    def __enter__(self) -> WriterLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def describe_holder(text: str) -> str:
    """'pid 123 (`budgets crawl …`, since …)' from the lock file's text, as far as it can be read."""
    try:
        holder = json.loads(text)
        return f"pid {holder['pid']} (`{holder['command']}`, since {holder['since']})"
    except (ValueError, KeyError, TypeError):
        return "another process (it has not written its name yet)"
