"""Run `budgets` as a user does (a separate process) against the imitation portals."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BUDGETS = [sys.executable, "-m", "budgets.cli"]
# the fixture portals answer instantly; politeness delays would only slow the tests
FAST = ["--delay", "0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY_JITTER=0"]
# commands that crawl: their log is checked for errors and tracebacks
CRAWLING = {"crawl", "worker", "ingest"}
# a log record starts with its time: Scrapy's "2026-01-01 12:00:00 [name] LEVEL: ...", the writer's "... LEVEL name: ..."
RECORD_START = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")
BAD_LEVEL = re.compile(r"^\S+ \S+ (\[[^\]]*\] )?(ERROR|CRITICAL)\b")


def log_problems(log: str, expected: tuple[str, ...] = ()) -> list[str]:
    """The ERROR or CRITICAL records and tracebacks in a crawl's log (a record with the lines that
    follow it, such as its traceback), except those that contain one of the `expected` texts."""
    records: list[list[str]] = [[]]
    for line in log.splitlines():
        if RECORD_START.match(line):
            records.append([])
        records[-1].append(line)
    problems = []
    for record in filter(None, records):
        text = "\n".join(record)
        if (BAD_LEVEL.match(record[0]) or "Traceback (most recent call last)" in text) and \
                not any(e in text for e in expected):
            problems.append(text)
    return problems


def assert_clean_log(log: str, expected: tuple[str, ...] = (), what: str = "the crawl") -> None:
    problems = log_problems(log, expected)
    assert not problems, f"{what} logged {len(problems)} errors; the first:\n" + "\n".join(problems[:3])


def budgets(*args: str, data: Path, timeout: float = 300, check: bool = True,
            expected_errors: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    """Run `budgets ARGS --data DATA`; with `check`, fail unless it exits 0 and, for a crawl, unless
    its log is free of errors and tracebacks other than the `expected_errors` the test names."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run([*BUDGETS, *args, "--data", str(data)], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"budgets {' '.join(args)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
    if check and args and args[0] in CRAWLING:
        assert_clean_log(proc.stderr, expected_errors, f"budgets {' '.join(args)}")
    return proc


def start_budgets(*args: str, data: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([*BUDGETS, *args, "--data", str(data)], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def export_records(data: Path) -> list[dict]:
    out = budgets("export", "--format", "jsonl", data=data)
    return [json.loads(line) for line in out.stdout.splitlines() if line.strip()]
