"""Run the Scrapy crawl in this process and summarise what the run found."""
from __future__ import annotations

import json
from pathlib import Path

from scrapy import signals
from scrapy.crawler import CrawlerProcess

from archive.db import ArchiveDB
from budgets.crawl_log import quiet_failures
from crawler.session import CrawlSession
from crawler.sessions import built_session
from crawler.settings import crawl_settings
from crawler.spiders.portal import PortalSpider


def run_crawl(data_dir: Path, start_urls: list[str], overrides: dict | None = None) -> int:
    """Crawl `start_urls` into the archive at `data_dir`; return the run id."""
    settings = crawl_settings(data_dir, overrides)
    settings.set("EXTENSIONS", {**settings.getdict("EXTENSIONS"), "budgets.crawl_progress.CrawlProgress": 500},
                 priority="cmdline")
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(PortalSpider)
    if settings.get("LOG_LEVEL") != "INFO":  # -v: Scrapy's full log, tracebacks included
        # on the handler Scrapy installs once the crawl's settings are applied
        crawler.signals.connect(quiet_failures, signal=signals.engine_started)
    process.crawl(crawler, start_urls=start_urls)
    process.start()
    session = built_session(crawler)
    if not isinstance(session, CrawlSession):
        raise RuntimeError("the crawl did not start; see the log above")
    return session.run_id


def run_summary(db: ArchiveDB, run_id: int) -> dict:
    """Counts for one run: what was fetched, found, judged, and what failed."""
    one = lambda sql, *p: db.db.execute(sql, p).fetchone()[0]  # noqa: E731
    fetched_pages = one("select count(*) from fetches where run_id = ? and sha256 is not null "
                        "and coalesce(role, '') != 'attachment'", run_id)
    fetched_files = one("select count(*) from fetches where run_id = ? and sha256 is not null and role = 'attachment'", run_id)
    errors: dict[str, int] = {}
    for row in db.query("select error, status from fetches where run_id = ? and (error is not null or status >= 400)",
                        [run_id]):
        kind = f"HTTP {row['status']}" if row["status"] else (row["error"] or "")
        errors[kind] = errors.get(kind, 0) + 1
    for row in db.query("select error from document_files where error is not null and document_id in "
                        "(select id from documents)"):
        errors["attachment: " + row["error"].split(":")[0]] = errors.get("attachment: " + row["error"].split(":")[0], 0) + 1
    per_portal = {r["portal"]: r["n"] for r in db.query(
        "select portal, count(*) as n from documents where status = 'active' group by portal order by portal")}
    not_disclosures = {r["reason"]: r["n"] for r in db.query(
        "select reason, count(*) as n from decisions where is_disclosure = 0 and reason != 'list_page' "
        "group by reason order by n desc")}
    run = db.query("select stats from runs where id = ?", [run_id])
    stats = json.loads(run[0]["stats"] or "{}") if run else {}
    return {
        "run_id": run_id,
        "pages_fetched": fetched_pages,
        "files_fetched": fetched_files,
        "served_from_archive": stats.get("budgets/served_from_archive", 0),
        "not_modified": stats.get("budgets/not_modified", 0),
        "documents": {k: stats.get(f"budgets/documents/{k}", 0)
                      for k in ("new", "revised", "unchanged", "duplicate", "withdrawn")},
        "disclosures_per_portal": per_portal,
        "duplicate_pages": one("select count(*) from document_pages where role = 'duplicate'"),
        "not_disclosures": not_disclosures,
        "offsite_links_recorded": one("select count(*) from offsite_links"),
        "errors": errors,
        "warc_error": stats.get("budgets/warc_checkpoint_error"),
    }


def format_summary(summary: dict) -> str:
    lines = [
        f"Run {summary['run_id']}: {summary['pages_fetched']} pages and {summary['files_fetched']} files fetched, "
        f"{summary['served_from_archive']} answered from the archive, {summary['not_modified']} unchanged (304)",
        "This run: " + ", ".join(f"{n} {k}" for k, n in summary["documents"].items()),
        "Disclosures per portal:",
    ]
    width = max([32, *map(len, [*summary["disclosures_per_portal"], *summary["not_disclosures"], *summary["errors"]])])
    lines += [f"  {portal:<{width}} {n:>6}" for portal, n in summary["disclosures_per_portal"].items()] or ["  (none)"]
    lines.append(f"  duplicate publications merged: {summary['duplicate_pages']}")
    lines.append("Pages judged not to be disclosures:")
    lines += [f"  {reason:<{width}} {n:>6}" for reason, n in summary["not_disclosures"].items()] or ["  (none)"]
    lines.append(f"Off-host links recorded, not followed: {summary['offsite_links_recorded']}")
    lines.append("Errors:")
    lines += [f"  {kind:<{width}} {n:>6}" for kind, n in sorted(summary["errors"].items())] or ["  (none)"]
    if summary["warc_error"]:
        lines.append(f"WARC checkpoint failed: {summary['warc_error']} "
                     "(the fetches are archived; their WARC records are written at the next checkpoint)")
    return "\n".join(lines)
