"""Build both imitation portals from the seed disclosures."""
from __future__ import annotations

from pathlib import Path

from .hanweb import build_hanweb
from .manifest import Manifest, portal_manifest
from .model import Portal
from .seeds import load_seeds
from .trs import build_trs

TRS_HOST = "127.0.0.1"
HANWEB_HOST = "127.0.0.2"


def default_seed_dir() -> Path:
    """$BUDGETS_SEEDS, else the copies under tests/data/seeds."""
    import os

    from tests.paths import SEEDS

    return Path(os.environ.get("BUDGETS_SEEDS", SEEDS))


def build_portals(seed_dir: Path | None = None, scale: int = 0) -> list[Portal]:
    """The TRS portal (株洲市, on 127.0.0.1) and the Hanweb portal (通道县, on 127.0.0.2).

    `scale` adds that many generated disclosures (one attachment each) to each portal;
    pages and files are rendered only when requested.
    """
    seeds = load_seeds(seed_dir or default_seed_dir())
    return [build_trs(seeds, scale, TRS_HOST), build_hanweb(seeds, scale, HANWEB_HOST)]


def manifest_for(servers) -> Manifest:
    """The manifest of running portals (see server.serve_portals)."""
    return Manifest([portal_manifest(s.portal, s.base_url) for s in servers])
