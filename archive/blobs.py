"""Content-addressed store: every response body kept once, named by its sha256.

Writes are atomic (temporary file, fsync, rename) so a crawl killed mid-write never
leaves a truncated blob under a real name, and a second write of the same bytes is a
no-op, which makes the store safe to share between workers. A crawl that commits its rows
in batches stages its blobs instead (`staging`): written to temporary files at once and
fsynced by a background thread meanwhile, then renamed together by `sync_staged` once every
fsync is done, just before the batch's rows are committed, so no row ever names a blob that
is not whole under its real name.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class BlobStore:
    """Blobs under `root/ab/cd/<sha256>`; paths handed out are relative to the data dir."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.staging = False
        # sha256 -> its temporary file, its bytes (written again should the fsync fail) and the fsync
        self._staged: dict[str, tuple[Path, bytes, Future[None]]] = {}
        self._syncer: ThreadPoolExecutor | None = None
        self._made_dirs: set[Path] = set()

    def path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def relpath(self, sha256: str) -> str:
        return f"{self.root.name}/{sha256[:2]}/{sha256[2:4]}/{sha256}"

    def exists(self, sha256: str) -> bool:
        return sha256 in self._staged or self.path(sha256).is_file()

    def put(self, data: bytes) -> str:
        """Store `data` and return its sha256; storing known bytes again writes nothing."""
        digest = sha256_hex(data)
        target = self.path(digest)
        if digest in self._staged or (target.is_file() and target.stat().st_size == len(data)):
            return digest
        fd, tmp = self._temporary(target.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                if not self.staging:
                    fh.flush()
                    os.fsync(fh.fileno())
            if self.staging:
                self._syncer = self._syncer or ThreadPoolExecutor(1, thread_name_prefix="blob-fsync")
                self._staged[digest] = (Path(tmp), data, self._syncer.submit(_fsync, Path(tmp)))
            else:
                os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return digest

    def sync_staged(self) -> None:
        """Make the staged blobs durable under their real names, each renamed once its fsync is done.
        A failed fsync may have dropped the written pages: the bytes are written and fsynced again."""
        for digest, (tmp, data, synced) in list(self._staged.items()):
            try:
                synced.result()
            except OSError:
                with tmp.open("wb") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
            os.replace(tmp, self.path(digest))
            del self._staged[digest]

    def stop_staging(self) -> None:
        """Sync what is staged and write each blob durably at once again."""
        self.sync_staged()
        self.staging = False
        if self._syncer is not None:
            self._syncer.shutdown()
            self._syncer = None

    def _temporary(self, folder: Path) -> tuple[int, str]:
        """A new temporary file in `folder`, made first if needed (checked once per folder, not per blob)."""
        if folder not in self._made_dirs:
            folder.mkdir(parents=True, exist_ok=True)
            self._made_dirs.add(folder)
        try:
            return tempfile.mkstemp(dir=folder, prefix=".tmp-")
        except FileNotFoundError:  # removed since
            folder.mkdir(parents=True, exist_ok=True)
            return tempfile.mkstemp(dir=folder, prefix=".tmp-")

    def get(self, sha256: str) -> bytes:
        staged = self._staged.get(sha256)
        return staged[1] if staged else self.path(sha256).read_bytes()

    def verify(self, sha256: str) -> bool:
        """True when the stored bytes still hash to their name."""
        p = self.path(sha256)
        if not p.is_file():
            return False
        h = hashlib.sha256()
        with p.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        return h.hexdigest() == sha256

    def iter_hashes(self):
        for p in self.root.glob("??/??/*"):
            if not p.name.startswith(".tmp-"):
                yield p.name

    def remove_partial_writes(self, older_than: float = 0.0) -> int:
        """Delete temporary files left by a process killed mid-write (those last written more
        than `older_than` seconds ago: in a shared store, another worker may be writing one now)."""
        n = 0
        cutoff = time.time() - older_than
        for p in self.root.glob("??/??/.tmp-*"):
            try:
                if older_than and p.stat().st_mtime > cutoff:
                    continue
            except FileNotFoundError:
                continue
            p.unlink(missing_ok=True)
            n += 1
        return n
