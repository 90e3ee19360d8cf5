"""Read files in a worker process with a time and a memory limit.

PDF, Office and OCR libraries can crash the interpreter, loop, or allocate without end on
hostile or broken input. Each file is read in a separate (spawned) process whose address
space is capped with RLIMIT_AS; if it dies, overruns its time or hits its limit, the
caller gets `ExtractedFile(error=...)` naming the cause and goes on with the next file.
A worker is reused for several files (start-up costs about a second) and replaced after
`max_files` files, after any failure, or when another memory limit is asked for.

The same worker runs other steps under the same limits (`IsolatedReader.call`): the
parallel parse (`budgets.parse_pool`) extracts a document's figures there too, so that one
worker per job is all the heavy processes a parse starts.
"""
from __future__ import annotations

import contextlib
import hashlib
import logging
import multiprocessing
import resource
import signal
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from parsers.model import ExtractedFile
from parsers.readers import read_file
from parsers.sniff import sniff

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 300.0
DEFAULT_MEMORY_MB = 3072
MAX_FILES_PER_WORKER = 50


@dataclass
class Failure:
    """Why a call gave no result: it raised in the worker (`trace` set), hit the memory limit,
    or the worker itself died or overran its time (`process_failed`)."""

    reason: str
    trace: str | None = None
    process_failed: bool = False


def _serve(conn: Connection, memory_mb: int) -> None:
    """Worker loop: set the limit, then run each (function, args) received and send back the result.
    Ctrl-C is the parent's to handle: a worker it reached would look like a crashed reader."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    while True:
        try:
            request = conn.recv()
        except EOFError:
            return
        if request is None:
            return
        function, args = request
        try:
            result = function(*args)
        except MemoryError as exc:
            result = Failure(f"memory limit of {memory_mb} MB reached ({exc})"[:300])
        except Exception as exc:  # a bug in the step: the caller reports it, the worker goes on
            result = Failure(f"{type(exc).__name__}: {exc}"[:300], traceback.format_exc())
        conn.send(result)


class IsolatedReader:
    """A reusable worker process that reads one file (or runs one step) at a time under limits."""

    def __init__(self, memory_mb: int = DEFAULT_MEMORY_MB, max_files: int = MAX_FILES_PER_WORKER):
        self.memory_mb = memory_mb
        self.max_files = max_files
        self._context = multiprocessing.get_context("spawn")
        self._process: BaseProcess | None = None
        self._conn: Connection | None = None
        self._served = 0
        self._lock = threading.Lock()
        self._stopped = False

    def __enter__(self) -> IsolatedReader:
        return self

    def __exit__(self, *_) -> None:
        self.close()

    def _start(self) -> None:
        parent, child = self._context.Pipe()
        process = self._context.Process(target=_serve, args=(child, self.memory_mb), daemon=True)
        process.start()
        child.close()
        self._process, self._conn = process, parent
        self._served = 0

    def _stop(self, force: bool) -> int | None:
        """End the worker; returns its exit code (negative: the signal that ended it)."""
        process, conn = self._process, self._conn
        self._process, self._conn = None, None
        if process is None:
            return None
        if not force and conn is not None:
            with contextlib.suppress(BrokenPipeError, OSError):
                conn.send(None)
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

    @property
    def stopped(self) -> bool:
        """Killed by `kill`: its failures are the stop's, not the files'."""
        return self._stopped

    def kill(self) -> None:
        """End the worker now, mid-file, and refuse later calls: a parse stopping on Ctrl-C or an
        error must not wait for the file being read. Safe from another thread than the caller's."""
        self._stopped = True
        process = self._process
        if process is not None and process.is_alive():
            process.kill()

    def read(self, name: str, data: bytes, timeout_s: float = DEFAULT_TIMEOUT_S,
             reader: Callable[[str, bytes], ExtractedFile] = read_file) -> ExtractedFile:
        """`reader(name, data)` in the worker (a module-level function or a partial of one);
        failures of the worker become the result's error."""
        result = self.call(reader, (name, data), timeout_s, counts=True)
        if not isinstance(result, Failure):
            return result
        if result.process_failed:
            return ExtractedFile(name=name, format=sniff(data), sha256=hashlib.sha256(data).hexdigest(),
                                 error=f"reader process failed: {result.reason}")
        if result.trace:  # `reader` has a bug (read_file itself turns every error into a result)
            logger.error("reading %s failed: %s", name, result.trace)
        return ExtractedFile(name=name, format=sniff(data), error=result.reason)

    def call(self, function: Callable[..., Any], args: tuple, timeout_s: float = DEFAULT_TIMEOUT_S,
             counts: bool = False) -> Any:
        """`function(*args)` in the worker, or a `Failure`; a call that `counts` is one of the
        `max_files` files after which the worker is replaced."""
        with self._lock:
            if self._stopped:
                return Failure("the worker was stopped", process_failed=True)
            if self._process is None or not self._process.is_alive() or self._served >= self.max_files:
                self._stop(force=False)
                self._start()
            self._served += counts
            conn = self._conn
            assert conn is not None  # started just above
            try:
                conn.send((function, args))
                if conn.poll(timeout_s):
                    return conn.recv()
                self._stop(force=True)
                return Failure(f"timed out after {timeout_s:g} s; worker killed", process_failed=True)
            except (EOFError, BrokenPipeError, ConnectionResetError, OSError):
                code = self._stop(force=True)
                return Failure(_death(code, self.memory_mb), process_failed=True)


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


def shared_reader(memory_mb: int = DEFAULT_MEMORY_MB) -> IsolatedReader:
    """The process's one worker for this memory limit, for callers that read one file at a time."""
    with _shared_lock:
        worker = _shared.get(memory_mb)
        if worker is None:
            worker = _shared[memory_mb] = IsolatedReader(memory_mb)
    return worker


def read_file_isolated(
    name: str, data: bytes, timeout_s: float = DEFAULT_TIMEOUT_S, memory_mb: int = DEFAULT_MEMORY_MB
) -> ExtractedFile:
    """`parsers.readers.read_file` in a worker process with a wall-time and an address-space limit."""
    return shared_reader(memory_mb).read(name, data, timeout_s)
