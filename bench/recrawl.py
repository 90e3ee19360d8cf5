"""Re-crawl cost: the generated portals crawled once, then again unchanged.

    .venv/bin/python bench/recrawl.py [--scale N]

Prints requests and body bytes of each pass (from the servers' logs and the archive's fetch
log) and the second pass as a share of the first (target: ≤ 10 %), and the wall-time ratio.
"""
from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.crawl import FAST, run  # noqa: E402
from bench.portal_processes import Served  # noqa: E402
from tests.portals import build_portals, serve_portals  # noqa: E402


def crawl(starts: list[str], data: Path) -> float:
    in_process = Served(starts, pids=[], rendered_bytes=0, render_seconds=0.0)  # the portals serve from here
    return run([sys.executable, "-m", "budgets.cli", "crawl", *starts, "--no-process", "--data", str(data),
                *FAST], in_process).wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=int, default=2500, help="generated articles per portal (2 portals)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp, serve_portals(build_portals(scale=args.scale)) as servers:
        starts = [u for s in servers for u in s.manifest().start_urls]
        data = Path(tmp) / "data"
        passes = []
        for _ in range(2):
            seconds = crawl(starts, data)
            requests = sum(len(s.log.records()) for s in servers)
            for s in servers:
                s.log.clear()
            passes.append((requests, seconds))
        with sqlite3.connect(data / "archive.db") as db:
            body_bytes = dict(db.execute("select run_id, coalesce(sum(bytes), 0) from fetches group by run_id"))
            not_modified = db.execute("select count(*) from fetches where run_id = 2 and status = 304").fetchone()[0]
    (r1, t1), (r2, t2) = passes
    b1, b2 = body_bytes.get(1, 0), body_bytes.get(2, 0)
    print(f"{'pass':<8}{'requests':>10}{'body MB':>10}{'seconds':>10}")
    print(f"{'first':<8}{r1:>10}{b1 / 1e6:>10.1f}{t1:>10.1f}")
    print(f"{'second':<8}{r2:>10}{b2 / 1e6:>10.2f}{t2:>10.1f}   ({not_modified} answered 304)")
    print(f"second/first: requests {100 * r2 / r1:.1f} %, bytes {100 * b2 / b1:.2f} % (target ≤ 10 %), "
          f"wall time {t2 / t1:.2f}")


if __name__ == "__main__":
    main()
