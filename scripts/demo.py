"""`make run`: serve the bundled sample portals on loopback, crawl them, show what was found.

The two imitation portals (tests/portals: a TRS WCM site and a Hanweb site built from the
seed disclosures bundled in samples/seeds) are served on the fixed loopback addresses of samples/portals.toml; the
crawl, parse and index run through the `budgets` command exactly as a user runs them.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.portals import build_portals  # noqa: E402
from tests.portals.server import PortalServer  # noqa: E402

PORTS = (8401, 8402)


def budgets(*args: str) -> None:
    print(f"\n$ budgets {' '.join(args)}", flush=True)
    subprocess.run([str(Path(sys.executable).with_name("budgets")), *args], check=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="data")
    args = ap.parse_args()
    servers = [PortalServer(portal, port=port).start() for portal, port in zip(build_portals(REPO / "samples" / "seeds"), PORTS)]
    try:
        for s in servers:
            print(f"serving {s.portal.name} at {s.base_url}/")
        budgets("crawl", "--portals", str(REPO / "samples" / "portals.toml"), "--data", args.data,
                "--delay", "0", "-s", "AUTOTHROTTLE_ENABLED=False")
        budgets("search", "三公经费", "--data", args.data, "--limit", "3")
        print(f"\nExport: budgets export --format jsonl --output disclosures.jsonl --data {args.data}")
    finally:
        for s in servers:
            s.stop()


if __name__ == "__main__":
    main()
