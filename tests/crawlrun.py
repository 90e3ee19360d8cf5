"""Run `budgets` as a user does (a separate process) against the imitation portals."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BUDGETS = [sys.executable, "-m", "budgets.cli"]
# the fixture portals answer instantly; politeness delays would only slow the tests
FAST = ["--delay", "0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY_JITTER=0"]


def budgets(*args: str, data: Path, timeout: float = 300, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run([*BUDGETS, *args, "--data", str(data)], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"budgets {' '.join(args)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
    return proc


def start_budgets(*args: str, data: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([*BUDGETS, *args, "--data", str(data)], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def export_records(data: Path) -> list[dict]:
    out = budgets("export", "--format", "jsonl", data=data)
    return [json.loads(line) for line in out.stdout.splitlines() if line.strip()]
