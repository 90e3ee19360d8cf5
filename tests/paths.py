"""Where the tests find their real-data inputs: `../shared/` beside the repository (as laid
out for development and CI), falling back to the copies bundled under `samples/`."""
from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
SEEDS = SHARED / "seeds" if (SHARED / "seeds").is_dir() else REPO / "samples" / "seeds"
JIANGSU = SHARED / "realdata" / "jiangsu"
