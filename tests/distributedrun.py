"""Run a distributed crawl as a team would: worker and ingest processes on one Redis.

Used by the tests and by bench/distributed.py. Every process is a real `budgets` command;
`kill()` sends SIGKILL, as a crashed machine would.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import redis

from tests.crawlrun import BUDGETS, REPO, assert_clean_log
from tests.services import end_process

# workers: no politeness delay against the instant fixture portals; a short heartbeat so a
# killed worker's requests go back to the queue within seconds
WORKER_FAST = ["-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY_JITTER=0", "-s", "BUDGETS_WORKER_TTL=3"]


class DistributedCrawl:
    """Workers and one ingest writer on `redis_url`, archiving into `data`.

    `stop()` fails the test when a worker, the writer or the crawl logged an error or a
    traceback, other than the `expected_errors` the test names."""

    def __init__(self, redis_url: str, data: Path, logs: Path, expected_errors: tuple[str, ...] = ()) -> None:
        self.redis_url = redis_url
        self.expected_errors = expected_errors
        self.data = data
        self.logs = logs
        self.logs.mkdir(parents=True, exist_ok=True)
        self.workers: list[subprocess.Popen] = []
        self.ingest: subprocess.Popen | None = None
        self.server = redis.Redis.from_url(redis_url)
        self._n = 0

    def _start(self, name: str, *args: str, env: dict | None = None) -> subprocess.Popen:
        self._n += 1
        log = open(self.logs / f"{self._n:02d}-{name}.log", "w")  # noqa: SIM115 - the process writes it after we return
        env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
        return subprocess.Popen([*BUDGETS, *args], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)

    def start_worker(self, *extra: str) -> subprocess.Popen:
        proc = self._start("worker", "worker", "--redis", self.redis_url, "--blobs", str(self.data / "blobs"),
                           "--idle-exit", "3", *WORKER_FAST, *extra, "--data", str(self.data))
        self.workers.append(proc)
        return proc

    def start_parse_worker(self, *extra: str) -> subprocess.Popen:
        proc = self._start("parse-worker", "parse-worker", "--redis", self.redis_url, "--blobs", str(self.data / "blobs"),
                           "--idle-exit", "3", "--heartbeat", "3", *extra, "--data", str(self.data))
        self.workers.append(proc)
        return proc

    def start_ingest(self, *extra: str, env: dict | None = None) -> subprocess.Popen:
        self.ingest = self._start("ingest", "ingest", "--redis", self.redis_url, "--idle-exit", "3", *extra,
                                  "--data", str(self.data), env=env)
        return self.ingest

    def seed(self, *args: str) -> subprocess.CompletedProcess:
        """`budgets crawl ... --redis URL --no-wait`."""
        return self.crawl(*args, "--no-wait", timeout=120)

    def crawl(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
        """`budgets crawl ... --redis URL`: by default, until the crawl's end and its summary."""
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        proc = subprocess.run([*BUDGETS, "crawl", *args, "--redis", self.redis_url, "--data", str(self.data)],
                              cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0:
            raise AssertionError(f"budgets crawl failed:\n{proc.stdout}\n{proc.stderr}\n{self.tail_logs()}")
        assert_clean_log(proc.stderr, self.expected_errors, "budgets crawl --redis")
        return proc

    def stats(self) -> dict[str, int]:
        from crawler.distributed.keys import Keys
        from crawler.distributed.session import crawl_stats

        crawl_id = self.server.hget("budgets:crawl", "id")
        return crawl_stats(self.server, Keys(), int(crawl_id)) if crawl_id else {}

    def wait_until(self, condition, timeout: float = 300, what: str = "condition") -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            self._check_alive()
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {what}; logs in {self.logs}:\n{self.tail_logs()}")

    def finished(self) -> bool:
        return self.server.hget("budgets:crawl", "state") == b"finished"

    def summary(self) -> dict:
        summary = self.server.hget("budgets:crawl", "summary")
        assert summary is not None, "the crawl wrote no summary"
        return json.loads(summary)

    def wait_finished(self, timeout: float = 300) -> dict:
        self.wait_until(self.finished, timeout, "the crawl to finish")
        return self.summary()

    def _check_alive(self) -> None:
        """A process that exits with an error (not one we killed) fails the run at once."""
        for proc in [*self.workers, self.ingest]:
            if proc is not None and proc.poll() not in (None, 0, -signal.SIGKILL):
                assert isinstance(proc.args, list)  # started by _start
                raise AssertionError(f"{proc.args[3]} exited {proc.returncode}:\n{self.tail_logs()}")

    def kill(self, proc: subprocess.Popen) -> None:
        proc.send_signal(signal.SIGKILL)
        proc.wait()

    def wait_exit(self, timeout: float = 60) -> None:
        """Workers and writer leave by themselves (--idle-exit) once the crawl is over."""
        for proc in [*self.workers, self.ingest]:
            if proc is not None and proc.poll() is None:
                proc.wait(timeout=timeout)

    def stop(self) -> None:
        """End every process, then check their logs."""
        for proc in [*self.workers, self.ingest]:
            if proc is not None:
                end_process(proc)
        for path in sorted(self.logs.glob("*.log")):
            assert_clean_log(path.read_text(errors="replace"), self.expected_errors, path.name)

    def tail_logs(self, lines: int = 30) -> str:
        out = []
        for path in sorted(self.logs.glob("*.log")):
            text = path.read_text(errors="replace").splitlines()[-lines:]
            out.append(f"== {path.name}\n" + "\n".join(text))
        return "\n".join(out)
