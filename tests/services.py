"""Real servers for tests, on free loopback ports in temporary directories.

Independent of pytest so benchmarks can use them too.  Each `start_*` returns what a
client needs plus a `stop()` that ends the process it started and removes its files.
A missing binary is an error with the command that installs it, never a skip.
"""
from __future__ import annotations

import atexit
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MEILISEARCH_BINARY = REPO / ".cache" / "meilisearch" / "meilisearch"
START_TIMEOUT = 60.0


class ServiceError(RuntimeError):
    """A test service could not be started."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def meilisearch_binary() -> Path:
    """The Meilisearch binary that scripts/meilisearch.sh installs, or a clear error."""
    if not MEILISEARCH_BINARY.is_file():
        raise ServiceError(
            f"Meilisearch binary not found at {MEILISEARCH_BINARY}; "
            "run `bash scripts/meilisearch.sh` (make test does this)")
    return MEILISEARCH_BINARY


def end_process(proc: subprocess.Popen, grace: float = 15.0) -> None:
    """SIGTERM, and SIGKILL if the process has not gone after `grace` seconds."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _stopper(proc: subprocess.Popen, workdir: Path) -> Callable[[], None]:
    """A stop function, also run at interpreter exit so a crashed caller leaks no server."""
    def stop() -> None:
        end_process(proc)
        shutil.rmtree(workdir, ignore_errors=True)
    atexit.register(stop)
    return stop


def _wait(ready: Callable[[], bool], proc: subprocess.Popen, stop: Callable[[], None],
          what: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            output = log.read_text(errors="replace")[-2000:]
            stop()
            raise ServiceError(f"{what} exited with code {proc.returncode}:\n{output}")
        if ready():
            return
        time.sleep(0.1)
    stop()
    raise ServiceError(f"{what} did not become ready within {START_TIMEOUT:.0f} s")


def start_meilisearch(binary: Path | None = None) -> tuple[str, str, Callable[[], None]]:
    """Start Meilisearch (production mode, random master key); returns (url, key, stop)."""
    binary = Path(binary) if binary else meilisearch_binary()
    if not binary.is_file():
        raise ServiceError(f"Meilisearch binary not found at {binary}; run `bash scripts/meilisearch.sh`")
    workdir = Path(tempfile.mkdtemp(prefix="meili-"))
    port = free_port()
    key = secrets.token_hex(24)  # hex: a key starting with "-" would read as an option
    log = workdir / "meilisearch.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(binary), "--http-addr", f"127.0.0.1:{port}", "--master-key", key,
             "--env", "production", "--no-analytics", "--db-path", str(workdir / "data.ms"),
             "--dump-dir", str(workdir / "dumps"), "--snapshot-dir", str(workdir / "snapshots"),
             "--log-level", "WARN"],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=workdir)
    url = f"http://127.0.0.1:{port}"
    stop = _stopper(proc, workdir)

    def healthy() -> bool:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=1) as r:
                return r.status == 200
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return False

    _wait(healthy, proc, stop, "Meilisearch", log)
    return url, key, stop


def start_redis() -> tuple[str, Callable[[], None]]:
    """Start redis-server without persistence; returns (redis://127.0.0.1:PORT/0, stop)."""
    binary = shutil.which("redis-server")
    if not binary:
        raise ServiceError("redis-server not found; install the Debian package redis-server (make test does this)")
    workdir = Path(tempfile.mkdtemp(prefix="redis-"))
    port = free_port()
    log = workdir / "redis.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(workdir), "--daemonize", "no"],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=workdir)
    stop = _stopper(proc, workdir)

    def pong() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    _wait(pong, proc, stop, "redis-server", log)
    return f"redis://127.0.0.1:{port}/0", stop
