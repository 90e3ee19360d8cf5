"""`python -m tests.portals.serve [--scale N]`: serve both portals until SIGTERM/SIGINT.

Prints each portal's start URLs, one per line, then keeps serving; `make run` crawls them.
"""
from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path

from .server import serve_portals
from .site import build_portals, manifest_for


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.portals.serve", description=__doc__)
    parser.add_argument("--scale", type=int, default=0, help="generated disclosures added to each portal")
    parser.add_argument("--seeds", type=Path, default=None, help="seed directory (default: tests/data/seeds)")
    parser.add_argument("--manifest", type=Path, default=None, help="also write the manifest here as JSON")
    args = parser.parse_args(argv)

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    with serve_portals(build_portals(args.seeds, args.scale)) as servers:
        manifest = manifest_for(servers)
        if args.manifest:
            args.manifest.write_text(json.dumps(manifest.as_dict(), ensure_ascii=False, indent=1), encoding="utf-8")
        for portal in manifest.portals:
            for url in portal.start_urls:
                print(url)
        sys.stdout.flush()
        stop.wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
