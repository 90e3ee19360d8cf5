"""Atom feeds of new disclosures: one of everything new, one per saved search.

Feed readers poll a file; written with feedgen, entries newest first, ids stable per
disclosure (`urn:budgets:<id>`) so a reader never shows one disclosure twice.
"""
from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from feedgen.feed import FeedGenerator

from archive.db import ArchiveDB
from budgets.alerts import ensure_tables, list_alerts

KIND_LABEL = {"budget": "部门预算", "final_account": "部门决算"}


def _when(iso: str) -> datetime:
    return datetime.strptime(iso, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def _feed(feed_id: str, title: str, rows: list[dict]) -> FeedGenerator:
    fg = FeedGenerator()
    fg.id(feed_id)
    fg.title(title)
    fg.link(href=feed_id, rel="self")
    fg.language("zh-CN")
    fg.updated(_when(rows[0]["first_seen"]) if rows else datetime.now(UTC))
    for row in reversed(rows):  # feedgen prepends: add oldest first to list newest first
        entry = fg.add_entry()
        entry.id(f"urn:budgets:{row['id']}")
        entry.title(row["title"] or row["detail_url"])
        entry.link(href=row["detail_url"])
        entry.updated(_when(row["first_seen"]))
        entry.published(_when(row["first_seen"]))
        kind = KIND_LABEL.get(row["kind"] or "", row["kind"] or "")
        entry.summary(f"{row['department'] or ''} {row['fiscal_year'] or ''} {kind}".strip())
    return fg


def write_feeds(db: ArchiveDB, out_dir: Path, limit: int = 200) -> list[Path]:
    """Write `all.xml` and `alert-<id>.xml` for each saved search into `out_dir`; return the paths."""
    ensure_tables(db)
    out_dir.mkdir(parents=True, exist_ok=True)
    cols = "d.id, d.title, d.detail_url, d.department, d.fiscal_year, d.kind, d.first_seen"
    written = []
    rows = db.query(f"select {cols} from documents d where d.status = 'active' "
                    f"order by d.first_seen desc limit ?", [limit])
    path = out_dir / "all.xml"
    _feed("urn:budgets:feed:all", "New department budget and final-account disclosures", rows).atom_file(str(path))
    written.append(path)
    for alert in list_alerts(db):
        rows = db.query(f"select {cols} from alert_hits h join documents d on d.id = h.document_id "
                        f"where h.alert_id = ? order by d.first_seen desc limit ?", [alert.id, limit])
        path = out_dir / f"alert-{alert.id}.xml"
        _feed(f"urn:budgets:feed:alert:{alert.id}", f"Saved search {alert.describe()}", rows).atom_file(str(path))
        written.append(path)
    return written
