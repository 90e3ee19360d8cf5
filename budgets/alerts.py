"""Saved searches: run after every pass against what is new, remembered, and pushed.

An alert is a search (query text plus filters) stored in the archive database. After each
crawl pass the disclosures first seen since the alert last ran are searched with it; the
hits are recorded (`alert_hits`, which the Atom feeds read) and sent through Apprise to the
alert's own notification URLs and to those of the data directory's `config.toml`:

    [notify]
    urls = ["json://127.0.0.1:8000/hook", "dingtalk://TOKEN/", "mailtos://user:pass@example.com"]
"""
from __future__ import annotations

import json
import logging
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archive.db import ArchiveDB, now_iso
from index import Filters, SearchQuery

logger = logging.getLogger(__name__)

ALERT_TABLES: dict[str, dict[str, Any]] = {
    "alerts": dict(columns={"id": int, "query": str, "filters": str, "notify": str, "created_at": str,
                            "last_run_at": str}, pk="id"),
    "alert_hits": dict(columns={"alert_id": int, "document_id": str, "found_at": str},
                       pk=("alert_id", "document_id")),
}
FILTER_KEYS = ("province", "city", "county", "admin_code", "year", "kind", "department")


@dataclass
class Alert:
    id: int
    query: str
    filters: dict
    notify: list[str] = field(default_factory=list)
    last_run_at: str | None = None

    def describe(self) -> str:
        parts = [f"“{self.query}”" if self.query else "(all)"]
        parts += [f"{k}={v}" for k, v in self.filters.items() if v is not None]
        return " ".join(parts)


def ensure_tables(db: ArchiveDB) -> None:
    for name, spec in ALERT_TABLES.items():
        db.db.table(name).create(spec["columns"], pk=spec["pk"], if_not_exists=True)


def add_alert(db: ArchiveDB, query: str, filters: dict, notify: list[str]) -> int:
    ensure_tables(db)
    unknown = set(filters) - set(FILTER_KEYS)
    if unknown:
        raise ValueError(f"unknown filters: {sorted(unknown)}")
    with db.tx():
        # "since now": an alert reports what appears after it was saved
        return db.insert_row("alerts", {"query": query, "filters": json.dumps(filters, ensure_ascii=False),
                                     "notify": json.dumps(notify), "created_at": now_iso(), "last_run_at": now_iso()})


def list_alerts(db: ArchiveDB) -> list[Alert]:
    ensure_tables(db)
    return [Alert(r["id"], r["query"], json.loads(r["filters"]), json.loads(r["notify"] or "[]"), r["last_run_at"])
            for r in db.query("select * from alerts order by id")]


def remove_alert(db: ArchiveDB, alert_id: int) -> bool:
    ensure_tables(db)
    with db.tx() as conn:
        conn.execute("delete from alert_hits where alert_id = ?", [alert_id])
        return conn.execute("delete from alerts where id = ?", [alert_id]).rowcount > 0


def config_notify_urls(data_dir: Path) -> list[str]:
    path = Path(data_dir) / "config.toml"
    if not path.exists():
        return []
    config = tomllib.loads(path.read_text(encoding="utf-8"))
    return list(config.get("notify", {}).get("urls", []))


def _filters(raw: dict) -> Filters:
    year = raw.get("year")
    if isinstance(year, list):
        year = tuple(year)
    return Filters(province=raw.get("province"), city=raw.get("city"), county=raw.get("county"),
                   admin_code=raw.get("admin_code"), year=year, kind=raw.get("kind"), department=raw.get("department"))


def run_alerts(db: ArchiveDB, backend, data_dir: Path, send=None) -> dict[int, list[dict]]:
    """Evaluate every alert against disclosures first seen since it last ran; record and notify hits."""
    ensure_tables(db)
    results: dict[int, list[dict]] = {}
    global_urls = config_notify_urls(data_dir)
    for alert in list_alerts(db):
        started = now_iso()
        new_ids = {r["id"] for r in db.query(
            "select id from documents where first_seen > ? and status = 'active'", [alert.last_run_at or ""])}
        hits: list[dict] = []
        if new_ids:
            result = backend.search(SearchQuery(text=alert.query, filters=_filters(alert.filters), limit=1000))
            hits = [h.as_dict() for h in result.hits if h.id in new_ids]
        with db.tx() as conn:
            for hit in hits:
                db.insert_row("alert_hits", {"alert_id": alert.id, "document_id": hit["id"], "found_at": started},
                           "OR IGNORE")
            conn.execute("update alerts set last_run_at = ? where id = ?", [started, alert.id])
        if hits:
            (send or notify)(alert.notify + global_urls, alert, hits)
        results[alert.id] = hits
    return results


def notify(urls: list[str], alert: Alert, hits: list[dict]) -> bool:
    """Push one message per alert run through Apprise (webhook, e-mail, DingTalk, WeCom, Feishu…)."""
    if not urls:
        return False
    import apprise

    sender = apprise.Apprise()
    for url in urls:
        if not sender.add(url):
            logger.warning("not a notification URL Apprise understands: %s", url)
    lines = [f"{h['title']} ({h['fiscal_year']}, {h['kind']})\n{h['detail_url']}" for h in hits[:20]]
    more = f"\n… and {len(hits) - 20} more" if len(hits) > 20 else ""
    ok = sender.notify(title=f"{len(hits)} new disclosure(s) for {alert.describe()}",
                       body="\n\n".join(lines) + more)
    if not ok:
        logger.warning("sending the notification for alert %s failed", alert.id)
    return bool(ok)
