"""Read files in a worker process with a time and a memory limit.

PDF, Office and OCR libraries can crash the interpreter, loop, or allocate without end on
hostile or broken input. Each file is read in a separate (spawned) process whose address
space is capped with RLIMIT_AS; if it dies, overruns its time or hits its limit, the
caller gets `ExtractedFile(error=...)` naming the cause and goes on with the next file.
A worker is reused for several files (start-up costs about a second) and replaced after
`max_files` files, after any failure, or when another memory limit is asked for.
"""
from __future__ import annotations

import hashlib
import multiprocessing
import resource
import signal
import threading
from multiprocessing.connection import Connection

from parsers.model import ExtractedFile
from parsers.sniff import sniff

DEFAULT_TIMEOUT_S = 300.0
DEFAULT_MEMORY_MB = 3072
MAX_FILES_PER_WORKER = 50


def _serve(conn: Connection, memory_mb: int) -> None:
    """Worker loop: set the limit, then read each (name, data) received and send back the result."""
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    from parsers.readers import read_file

    while True:
        try:
            request = conn.recv()
        except EOFError:
            return
        if request is None:
            return
        name, data = request
        try:
            result = read_file(name, data)
        except MemoryError as exc:
            result = ExtractedFile(
                name=name, format=sniff(data), error=f"memory limit of {memory_mb} MB reached ({exc})"[:300]
            )
        conn.send(result)


class IsolatedReader:
    """A reusable worker process that reads one file at a time under limits."""

    def __init__(self, memory_mb: int = DEFAULT_MEMORY_MB, max_files: int = MAX_FILES_PER_WORKER):
        self.memory_mb = memory_mb
        self.max_files = max_files
        self._context = multiprocessing.get_context("spawn")
        self._process = None
        self._conn: Connection | None = None
        self._served = 0
        self._lock = threading.Lock()

    def __enter__(self) -> IsolatedReader:
        return self

    def __exit__(self, *_) -> None:
        self.close()

    def _start(self) -> None:
        parent, child = self._context.Pipe()
        self._process = self._context.Process(target=_serve, args=(child, self.memory_mb), daemon=True)
        self._process.start()
        child.close()
        self._conn = parent
        self._served = 0

    def _stop(self, force: bool) -> int | None:
        """End the worker; returns its exit code (negative: the signal that ended it)."""
        process, conn = self._process, self._conn
        self._process, self._conn = None, None
        if process is None:
            return None
        if not force and conn is not None:
            try:
                conn.send(None)
            except (BrokenPipeError, OSError):
                pass
            process.join(5)
        if process.is_alive():
            process.kill()
        process.join(5)
        if conn is not None:
            conn.close()
        return process.exitcode

    def close(self) -> None:
        with self._lock:
            self._stop(force=False)

    def read(self, name: str, data: bytes, timeout_s: float = DEFAULT_TIMEOUT_S) -> ExtractedFile:
        """Read one file in the worker; failures of the worker become the result's error."""
        with self._lock:
            if self._process is None or not self._process.is_alive() or self._served >= self.max_files:
                self._stop(force=False)
                self._start()
            self._served += 1
            try:
                self._conn.send((name, data))
                if self._conn.poll(timeout_s):
                    return self._conn.recv()
                self._stop(force=True)
                return self._failure(name, data, f"timed out after {timeout_s:g} s; worker killed")
            except (EOFError, BrokenPipeError, ConnectionResetError, OSError):
                code = self._stop(force=True)
                return self._failure(name, data, _death(code, self.memory_mb))

    @staticmethod
    def _failure(name: str, data: bytes, reason: str) -> ExtractedFile:
        return ExtractedFile(
            name=name,
            format=sniff(data),
            sha256=hashlib.sha256(data).hexdigest(),
            error=f"reader process failed: {reason}",
        )


def _death(code: int | None, memory_mb: int) -> str:
    if code is None:
        return "worker vanished"
    if code < 0:
        try:
            signame = signal.Signals(-code).name
        except ValueError:
            signame = f"signal {-code}"
        return f"worker crashed ({signame}); the memory limit is {memory_mb} MB"
    return f"worker exited with code {code}"


_shared: dict[int, IsolatedReader] = {}
_shared_lock = threading.Lock()


def read_file_isolated(
    name: str, data: bytes, timeout_s: float = DEFAULT_TIMEOUT_S, memory_mb: int = DEFAULT_MEMORY_MB
) -> ExtractedFile:
    """`parsers.readers.read_file` in a worker process with a wall-time and an address-space limit."""
    with _shared_lock:
        worker = _shared.get(memory_mb)
        if worker is None:
            worker = _shared[memory_mb] = IsolatedReader(memory_mb)
    return worker.read(name, data, timeout_s)
