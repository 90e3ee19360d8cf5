"""Crawl throughput: `budgets crawl` against a bare Scrapy spider on the same generated portals.

    .venv/bin/python bench/crawl.py [--scale N]

Grows the imitation portals to at least 5,000 articles and 5,000 attachments, renders every
body once and serves each portal from a process of its own (bench/portal_processes.py), then
crawls them with `budgets crawl --no-process` (archive, WARC, detection; no parsing) and with
bench/bare_spider.py (same links, bodies discarded), one after the other, same concurrency,
politeness off for both. Prints responses/s, each crawler's CPU against its wall time (the
bare spider near 1.0 means the crawler, not the server, is what is measured), the servers'
CPU, peak RSS and the ratio. Targets: ratio >= 0.7, peak RSS < 400 MB.
"""
from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.portal_processes import Served, serve_in_processes  # noqa: E402
from tests.portals import build_portals  # noqa: E402

FAST = ["-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY_JITTER=0", "-s", "DOWNLOAD_DELAY=0",
        "-s", "CONCURRENT_REQUESTS=16", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8", "-s", "LOG_LEVEL=WARNING"]


@dataclass
class Run:
    """One crawl: its wall and CPU time (its own process), peak RSS, responses, the servers' CPU."""

    wall: float
    cpu: float
    rss_mb: float
    server_cpu: float
    responses: int = 0

    def line(self, name: str) -> str:
        rate = self.responses / self.wall
        return (f"{name:<15}{self.responses:>10}{self.wall:>9.1f}{rate:>13.1f}{self.cpu / self.wall:>10.2f}"
                f"{1000 * self.cpu / self.responses:>13.2f}{self.server_cpu / self.wall:>12.2f}{self.rss_mb:>10.0f}")


def wait_measured(proc: subprocess.Popen) -> tuple[int, float, float]:
    """Wait for `proc`, sampling its RSS high-water mark (VmHWM) from /proc; return (exit code,
    CPU seconds from wait4, peak MB). (wait4's ru_maxrss is no use: a forked child starts with its parent's mark.)"""
    peak = 0
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return proc.returncode, usage.ru_utime + usage.ru_stime, peak / 1024
        try:
            for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
        except (FileNotFoundError, ProcessLookupError):
            pass
        time.sleep(0.1)


def run(cmd: list[str], served: Served, cwd: Path = REPO) -> Run:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    server_before = served.cpu()
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    err: list[str] = []
    assert proc.stderr is not None
    stderr = proc.stderr
    reader = threading.Thread(target=lambda: err.append(stderr.read()), daemon=True)
    reader.start()
    code, cpu, rss = wait_measured(proc)
    wall = time.perf_counter() - started
    reader.join()
    if code != 0:
        raise SystemExit(f"{cmd[:4]} failed ({code}):\n{''.join(err)[-2000:]}")
    return Run(wall, cpu, rss, served.cpu() - server_before)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=int, default=2500, help="generated articles per portal (2 portals)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp, serve_in_processes(build_portals(scale=args.scale)) as served:
        print(f"portals rendered beforehand: {served.rendered_bytes / 1e6:.1f} MB in {served.render_seconds:.1f} s")
        data = Path(tmp) / "data"
        full = run([sys.executable, "-m", "budgets.cli", "crawl", *served.start_urls, "--no-process",
                    "--data", str(data), *FAST], served)
        with sqlite3.connect(data / "archive.db") as db:
            stats = json.loads(db.execute("select stats from runs order by id desc limit 1").fetchone()[0])
            pages = db.execute("select count(*) from fetches where sha256 is not null").fetchone()[0]
            attachments = db.execute("select count(*) from fetches where role = 'attachment'").fetchone()[0]
            disclosures = db.execute("select count(*) from documents").fetchone()[0]
        full.responses = stats["downloader/response_count"]
        stats_file = Path(tmp) / "bare-stats.json"
        # outside the repository, so Scrapy's defaults apply rather than this project's settings
        bare = run([sys.executable, "-m", "scrapy", "runspider", str(REPO / "bench" / "bare_spider.py"),
                    "-a", "start_urls=" + ",".join(served.start_urls), "-a", f"stats_file={stats_file}", *FAST],
                   served, cwd=Path(tmp))
        bare.responses = json.loads(stats_file.read_text())["downloader/response_count"]
    print(f"portal: {pages} responses archived, {attachments} attachments, {disclosures} disclosures")
    print(f"{'':<15}{'responses':>10}{'seconds':>9}{'responses/s':>13}{'CPU/wall':>10}{'CPU ms/resp':>13}"
          f"{'server CPU':>12}{'peak MB':>10}")
    print(full.line("budgets crawl"))
    print(bare.line("bare scrapy"))
    ratio = (full.responses / full.wall) / (bare.responses / bare.wall)
    print(f"ratio (budgets / bare responses/s): {ratio:.2f}   target >= 0.7;  peak RSS target < 400 MB")
    print(f"CPU per response, budgets / bare: {(full.cpu / full.responses) / (bare.cpu / bare.responses):.2f}")


if __name__ == "__main__":
    main()
