"""Crawl throughput: `budgets crawl` against a bare Scrapy spider on the same generated portals.

    .venv/bin/python bench/crawl.py [--scale N]

Serves the imitation portals grown to at least 5,000 articles and 5,000 attachments on
loopback, crawls them with `budgets crawl --no-process` (archive, WARC, detection; no
parsing) and with bench/bare_spider.py (same links, bodies discarded), one after the other
in this run, and prints pages/s, peak RSS and the ratio. Targets: ratio >= 0.7, RSS < 400 MB.
"""
from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.portals import build_portals, serve_portals  # noqa: E402

FAST = ["-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY_JITTER=0", "-s", "DOWNLOAD_DELAY=0",
        "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8", "-s", "LOG_LEVEL=WARNING"]


def wait_peak_rss_mb(proc: subprocess.Popen) -> tuple[int, float]:
    """Wait for `proc`, sampling its RSS high-water mark (VmHWM) from /proc; return (exit code, MB).

    (wait4's ru_maxrss is no use here: a forked child starts with its parent's mark.)
    """
    peak = 0
    while proc.poll() is None:
        try:
            for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
        except (FileNotFoundError, ProcessLookupError):
            break
        time.sleep(0.1)
    return proc.wait(), peak / 1024


def run(cmd: list[str], cwd: Path = REPO) -> tuple[float, float]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    err: list[str] = []
    reader = threading.Thread(target=lambda: err.append(proc.stderr.read()), daemon=True)
    reader.start()
    code, rss = wait_peak_rss_mb(proc)
    reader.join()
    if code != 0:
        raise SystemExit(f"{cmd[:4]} failed ({code}):\n{''.join(err)[-2000:]}")
    return time.perf_counter() - started, rss


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=int, default=2500, help="generated articles per portal (2 portals)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp, serve_portals(build_portals(scale=args.scale)) as servers:
        starts = [u for s in servers for u in s.manifest().start_urls]
        data = Path(tmp) / "data"
        t_full, rss_full = run([sys.executable, "-m", "budgets.cli", "crawl", *starts, "--no-process",
                                "--data", str(data), *FAST])
        requests_full = sum(len(s.log.records()) for s in servers)
        with sqlite3.connect(data / "archive.db") as db:
            pages = db.execute("select count(*) from fetches where sha256 is not null").fetchone()[0]
            attachments = db.execute("select count(*) from fetches where role = 'attachment'").fetchone()[0]
            disclosures = db.execute("select count(*) from documents").fetchone()[0]
        for s in servers:
            s.log.clear()
        # outside the repository, so Scrapy's defaults apply rather than this project's settings
        t_bare, rss_bare = run([sys.executable, "-m", "scrapy", "runspider", str(REPO / "bench" / "bare_spider.py"),
                                "-a", "start_urls=" + ",".join(starts), *FAST], cwd=Path(tmp))
        requests_bare = sum(len(s.log.records()) for s in servers)
    rate_full = requests_full / t_full
    rate_bare = requests_bare / t_bare
    print(f"portal: {pages} responses archived, {attachments} attachments, {disclosures} disclosures")
    print(f"{'':<16}{'requests':>10}{'seconds':>10}{'pages/s':>10}{'peak RSS MB':>13}")
    print(f"{'budgets crawl':<16}{requests_full:>10}{t_full:>10.1f}{rate_full:>10.1f}{rss_full:>13.0f}")
    print(f"{'bare scrapy':<16}{requests_bare:>10}{t_bare:>10.1f}{rate_bare:>10.1f}{rss_bare:>13.0f}")
    print(f"ratio (budgets / bare pages/s): {rate_full / rate_bare:.2f}   target >= 0.7;  peak RSS target < 400 MB")


if __name__ == "__main__":
    main()
