"""The archive: the source of truth for everything fetched and found.

`Archive(data_dir)` opens the three parts together: the blob store (bodies by sha256),
the SQLite database (fetches, pages, decisions, documents, parses) and the WARC spool.
"""
from __future__ import annotations

from pathlib import Path

from archive.blobs import BlobStore
from archive.db import ArchiveDB
from archive.warc import WarcSpool

DB_NAME = "archive.db"
BLOBS_DIR = "blobs"


class Archive:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.db = ArchiveDB(self.data_dir / DB_NAME)
        self.blobs = BlobStore(self.data_dir / BLOBS_DIR)
        self.warc = WarcSpool(self.data_dir, self.db, self.blobs)

    def recover(self) -> None:
        """Clean up after a process killed mid-way: partial blobs and cut-short WARC checkpoints."""
        self.blobs.remove_partial_writes()
        self.warc.recover()

    def close(self) -> None:
        self.db.close()


__all__ = ["Archive", "ArchiveDB", "BlobStore", "WarcSpool"]
