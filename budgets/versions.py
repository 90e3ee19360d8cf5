"""Versions of a disclosure and what changed in its figures between them."""
from __future__ import annotations

import json

from archive.db import ArchiveDB


def figure_diff(old: dict, new: dict) -> list[tuple[str, str | None, str | None]]:
    """(key, old value, new value) for every figure that was added, removed or changed."""
    keys = sorted(set(old) | set(new))
    return [(k, old.get(k), new.get(k)) for k in keys if old.get(k) != new.get(k)]


def version_report(db: ArchiveDB, doc_id: str) -> list[dict]:
    """Each version with its files and, from the second on, the figure changes against the one before."""
    report = []
    previous: dict | None = None
    for v in db.versions(doc_id):
        figures = json.loads(v["record"]).get("figures", {}) if v["record"] else None
        entry = {"version": v["version"], "first_seen": v["first_seen"],
                 "files": [{"url": f["url"], "sha256": f["sha256"]} for f in json.loads(v["files"] or "[]")],
                 "parsed": figures is not None}
        if previous is not None and figures is not None:
            entry["figure_changes"] = [{"key": k, "old": a, "new": b} for k, a, b in figure_diff(previous, figures)]
        if figures is not None:
            previous = figures
        report.append(entry)
    return report
