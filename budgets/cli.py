"""`budgets`: the command line (docs/record.md fixes its interface)."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from budgets.portals import RegistryError, load_portals
from crawler import settings as crawl_defaults


def require_archive(data_dir: Path) -> None:
    """Commands that read the archive say so plainly when there is none."""
    if not (data_dir / "archive.db").exists():
        raise click.UsageError(f"no archive in {data_dir} (run `budgets crawl` first)")


_held_locks: list = []  # the writer lock, kept until the process ends


def hold_writer_lock(data_dir: Path) -> None:
    """Commands that write take the data directory first; a second writer stops, naming the first."""
    from archive.lock import DataDirBusy, WriterLock

    try:
        _held_locks.append(WriterLock(data_dir).acquire())
    except DataDirBusy as exc:
        raise click.ClickException(str(exc)) from exc


def filter_options(f):
    """The region, year, kind and department filters shared by search, export and saved searches."""
    for option in reversed([
        click.option("--province", help="Province, or its short form (湖南)."),
        click.option("--city", help="City, or its short form (株洲)."),
        click.option("--county", help="County, or its short form (通道, 通道县)."),
        click.option("--admin-code"),
        click.option("--year", help="Fiscal year, or a range such as 2018-2020."),
        click.option("--kind", help="budget or final_account (预算, 部门预算, 决算, 部门决算)."),
        click.option("--department", help="Department, or part of its name (财政局)."),
    ]):
        f = option(f)
    return f


def _resolved(values: dict, backend) -> dict:
    """Typed filter values as the records hold them; an ambiguous one stops with its candidates."""
    from budgets.filter_names import Ambiguous, resolve

    try:
        return resolve(values, backend)
    except Ambiguous as exc:
        raise click.UsageError(f"--{exc.field} {exc.typed} fits several; give one of:\n  "
                               + "\n  ".join(exc.candidates)) from exc
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc


def _resolved_here(values: dict, data_dir: Path) -> dict:
    """`_resolved` against the data directory's index, when there is one (else region names
    resolve through the division table alone)."""
    from index import SearchError

    if not _meili() and not (data_dir / "search.db").exists():
        return _resolved(values, None)
    try:
        backend = _backend(data_dir, reader=True)
        try:
            return _resolved(values, backend)
        finally:
            backend.close()
    except SearchError as exc:
        raise click.ClickException(str(exc)) from exc


def _remember_data_dir(ctx: click.Context, param, value: Path) -> Path:
    ctx.meta["budgets.data_dir"] = value  # for BudgetsGroup's messages
    return value


def data_option(f):
    return click.option(
        "--data", "data_dir", type=click.Path(file_okay=False, path_type=Path),
        envvar="BUDGETS_DATA", show_envvar=True, default="data", show_default=True,
        help="Data directory: all state lives under it.", callback=_remember_data_dir,
    )(f)


def jobs_option(f):
    from budgets.parse_pool import default_jobs

    return click.option(
        "--jobs", "-j", type=click.IntRange(min=1), default=default_jobs, envvar="BUDGETS_JOBS", show_envvar=True,
        show_default="this machine's cores", help="Documents parsed at once, each file in its own limited worker.",
    )(f)


class BudgetsGroup(click.Group):
    """Commands whose disk or archive fails them (a damaged archive.db, a full disk, a read-only
    data directory) stop with a message saying so (budgets/faults.py), not a traceback."""

    def invoke(self, ctx: click.Context):
        import sqlite3

        from budgets.faults import explain

        try:
            return super().invoke(ctx)
        except (sqlite3.DatabaseError, OSError) as exc:
            message = explain(exc, ctx.meta.get("budgets.data_dir"))
            if message is None:
                raise
            raise click.ClickException(message) from exc


@click.group(cls=BudgetsGroup)
@click.version_option(package_name="budgets")
@click.option("--meili-url", envvar="MEILI_URL", show_envvar=True, metavar="URL",
              help="Index and search through the Meilisearch server at URL instead of DATA/search.db.")
@click.option("--meili-key", envvar="MEILI_MASTER_KEY", show_envvar=True, metavar="KEY",
              help="Meilisearch's master key.")
@click.option("--meili-search-key", envvar="MEILI_SEARCH_KEY", show_envvar=True, metavar="KEY",
              help="A Meilisearch key that may only search, for the commands that only read.")
def cli(meili_url: str | None, meili_key: str | None, meili_search_key: str | None) -> None:
    """Crawl, archive, parse, search and export Chinese department budget and final-account disclosures."""


def _meili(name: str = "meili_url") -> str | None:
    """A Meilisearch option of the whole command line (`budgets --meili-url URL ...`, or its variable)."""
    return click.get_current_context().find_root().params[name]


@cli.command()
@click.argument("urls", nargs=-1)
@click.option("--portals", "portals_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Portal registry (TOML): crawl every portal listed.")
@click.option("--delay", type=float, default=None,
              help=f"Seconds between requests to one host (default {crawl_defaults.DOWNLOAD_DELAY}, adapted by AutoThrottle).")
@click.option("--concurrency", type=int, default=None,
              help=f"Concurrent requests per host (default {crawl_defaults.CONCURRENT_REQUESTS_PER_DOMAIN}).")
@click.option("-s", "--set", "settings", multiple=True, metavar="NAME=VALUE", help="Override a Scrapy setting.")
@click.option("-v", "--verbose", is_flag=True, help="Log every request (Scrapy INFO log).")
@click.option("--no-process", is_flag=True, help="Only crawl and archive; parse and index later with `budgets reparse`.")
@click.option("--redis", "redis_url", metavar="URL",
              help="Crawl on the shared frontier at this Redis (workers: `budgets worker`; writer: `budgets ingest`).")
@click.option("--no-wait", is_flag=True, help="With --redis: seed the crawl and return without waiting for its end.")
@click.option("--abandon", is_flag=True, help="With --redis: drop what is left of an unfinished crawl first.")
@jobs_option
@data_option
def crawl(urls, portals_file, delay, concurrency, settings, verbose, no_process, redis_url, no_wait, abandon,
          jobs: int, data_dir: Path) -> None:
    """Crawl from the given start pages, staying on their hosts; archive everything; find disclosures.

    With --redis, the crawl runs on the workers attached to that Redis and the ingest writer
    fills the archive (see `budgets worker` and `budgets ingest`); this command seeds it and
    follows it to its end."""
    from urllib.parse import urlsplit

    from archive.db import ArchiveDB
    from budgets.crawl import format_summary, run_crawl, run_summary
    from budgets.web.browse import refresh_if_served
    from crawler.hosts import host_key

    start_urls = list(urls)
    regions: dict[str, dict] = {}
    excludes: dict[str, list[str]] = {}
    slots: dict[str, dict] = {}
    if portals_file:
        try:
            portals = load_portals(portals_file)
        except RegistryError as exc:
            raise click.UsageError(str(exc)) from exc
        for portal in portals:
            start_urls += portal.start_urls
            regions.update({host_key(u): portal.region() for u in portal.start_urls})
            excludes.update({host_key(u): portal.exclude for u in portal.start_urls if portal.exclude})
            slot = {k: v for k, v in (("delay", portal.delay), ("concurrency", portal.concurrency)) if v is not None}
            if slot:
                slots.update({host: slot for u in portal.start_urls if (host := urlsplit(u).hostname)})
    if not start_urls:
        raise click.UsageError("give start URLs or --portals FILE")
    bad = [u for u in start_urls if not u.startswith(("http://", "https://"))]
    if bad:
        raise click.UsageError(f"not an http(s) URL: {bad[0]}")
    overrides: dict = {"LOG_LEVEL": "INFO" if verbose else "WARNING", "BUDGETS_PORTAL_REGIONS": regions,
                       "BUDGETS_EXCLUDE": excludes, "DOWNLOAD_SLOTS": slots}
    if delay is not None:
        overrides.update(DOWNLOAD_DELAY=delay, AUTOTHROTTLE_START_DELAY=delay)
    if concurrency is not None:
        overrides["CONCURRENT_REQUESTS_PER_DOMAIN"] = concurrency
    overrides.update(_setting_overrides(settings))
    if redis_url:
        _crawl_distributed(redis_url, start_urls, overrides, no_wait, abandon)
        return
    if no_wait or abandon:
        raise click.UsageError("--no-wait and --abandon go with --redis")
    hold_writer_lock(data_dir)
    ArchiveDB(data_dir / "archive.db").close()  # a damaged one stops here (BudgetsGroup), before Scrapy starts
    run_id = run_crawl(data_dir, start_urls, overrides)
    db = ArchiveDB(data_dir / "archive.db")
    summary = run_summary(db, run_id)
    click.echo(format_summary(summary))
    if not any(summary[k] for k in ("pages_fetched", "files_fetched", "served_from_archive", "not_modified")):
        raise click.ClickException("nothing at all could be archived: every start page failed (the errors above "
                                   "say why; check the URLs and the network)")
    if no_process:
        refresh_if_served(data_dir)
    if db.db.execute("select status from runs where id = ?", [run_id]).fetchone()[0] == "stopped":
        raise click.ClickException("the crawl was stopped before its end; the same `budgets crawl` resumes it "
                                   "(nothing archived is fetched again), then parses and indexes")
    if not no_process:
        _process_and_report(data_dir, force=False, jobs=jobs)


# settings a distributed crawl takes from `budgets crawl` (the rest are each worker's own)
DISTRIBUTED_SETTINGS = {"DOWNLOAD_DELAY": ("delay", float), "CONCURRENT_REQUESTS_PER_DOMAIN": ("concurrency", int),
                        "BUDGETS_ALLOW_PRIVATE": ("allow_private", str),
                        "BUDGETS_REVALIDATE_AFTER": ("revalidate_after", float)}


def _setting_overrides(items: tuple[str, ...]) -> dict[str, str]:
    """`-s NAME=VALUE` options as Scrapy setting overrides."""
    overrides = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep:
            raise click.UsageError(f"-s wants NAME=VALUE, got {item!r}")
        overrides[name] = value
    return overrides


def _redis(url: str):
    """A Redis client, or the command stops with why it cannot reach the server."""
    from crawler.distributed.keys import connect

    try:
        return connect(url)
    except ConnectionError as exc:
        raise click.ClickException(str(exc)) from exc


def _crawl_distributed(redis_url: str, start_urls: list[str], overrides: dict, no_wait: bool, abandon: bool) -> None:
    from budgets.crawl import format_summary
    from budgets.distributed_crawl import CrawlInProgress, abandon_crawl, seed_crawl, wait_for_crawl
    from budgets.progress import Progress
    from crawler.distributed.keys import Keys
    from crawler.distributed.session import CrawlConfig, crawl_stats
    from crawler.hosts import PrivateRule
    from crawler.settings import crawl_settings

    settings = crawl_settings(Path("."), {k: v for k, v in overrides.items() if k in DISTRIBUTED_SETTINGS})
    config = CrawlConfig(start_urls=start_urls, regions=overrides["BUDGETS_PORTAL_REGIONS"],
                         exclude=overrides["BUDGETS_EXCLUDE"], slots=overrides["DOWNLOAD_SLOTS"])
    for name, (field, kind) in DISTRIBUTED_SETTINGS.items():
        setattr(config, field, kind(settings.get(name)))
    config.allow_private = PrivateRule.resolve_auto(start_urls, config.allow_private)
    unknown = sorted(set(overrides) - set(DISTRIBUTED_SETTINGS) - {"LOG_LEVEL", "BUDGETS_PORTAL_REGIONS",
                                                                   "BUDGETS_EXCLUDE", "DOWNLOAD_SLOTS",
                                                                   "AUTOTHROTTLE_START_DELAY"})
    if unknown:
        raise click.UsageError(f"{', '.join(unknown)}: set on each worker (`budgets worker -s`), not on the crawl")
    server = _redis(redis_url)
    keys = Keys()
    if abandon:
        abandon_crawl(server, keys)
    try:
        crawl_id = seed_crawl(server, keys, config)
    except CrawlInProgress as exc:
        raise click.ClickException(f"{exc}; start workers to finish it, or pass --abandon to drop it") from exc
    click.echo(f"Crawl {crawl_id}: {len(start_urls)} start page{'s' * (len(start_urls) != 1)} queued on {redis_url}")
    if no_wait:
        return
    progress = Progress("crawl: responses")

    def show(state: dict) -> None:
        stats = crawl_stats(server, keys, crawl_id)
        done = sum(stats.get(f"budgets/{k}", 0) for k in ("fetched", "served_from_archive", "not_modified"))
        progress.detail = (f"{state['queued']} queued, {state['in_flight']} in flight, {state['workers']} workers, "
                           f"{state['items'] + state['ingesting']} items for the writer")
        progress.advance(done - progress.count)

    result = wait_for_crawl(server, keys, crawl_id, show)
    progress.finish()
    click.echo(format_summary(result["summary"]))
    if result["report"]:
        click.echo(result["report"])


@cli.command()
@click.option("--redis", "redis_url", required=True, metavar="URL", help="Redis holding the shared frontier.")
@click.option("--blobs", type=click.Path(file_okay=False, path_type=Path),
              help="The shared blob store (default: DATA/blobs).")
@click.option("--idle-exit", type=float, default=crawl_defaults.BUDGETS_IDLE_EXIT, metavar="SECONDS",
              help="Stop once the frontier has been empty this long (default: keep waiting for crawls).")
@click.option("-s", "--set", "settings", multiple=True, metavar="NAME=VALUE", help="Override a Scrapy setting.")
@click.option("-v", "--verbose", is_flag=True, help="Log every request (Scrapy INFO log).")
@data_option
def worker(redis_url, blobs, idle_exit, settings, verbose, data_dir: Path) -> None:
    """Crawl from a shared frontier: fetch, keep bodies in the blob store, hand the rest to the writer."""
    from crawler.distributed.keys import new_worker_id
    from crawler.distributed.worker import run_worker

    _redis(redis_url)
    overrides: dict = {"LOG_LEVEL": "INFO" if verbose else "WARNING", **_setting_overrides(settings)}
    overrides.setdefault("BUDGETS_WORKER_ID", new_worker_id())
    blobs = (blobs or data_dir / "blobs").resolve()
    click.echo(f"Worker {overrides['BUDGETS_WORKER_ID']}: crawling from {redis_url}, bodies into {blobs}", err=True)
    run_worker(redis_url, blobs, idle_exit=idle_exit, overrides=overrides)


@cli.command()
@click.option("--redis", "redis_url", metavar="URL",
              help="Show the distributed crawl on this Redis instead of the local archive.")
@click.option("--json", "as_json", is_flag=True, help="Print the status as one JSON object.")
@data_option
def status(redis_url, as_json: bool, data_dir: Path) -> None:
    """The local archive's state (runs, documents, what is stale, what failed), or with --redis
    the distributed crawl now: its state, the frontier, the workers alive, the writer's backlog."""
    import json
    import time

    from budgets.distributed_crawl import crawl_status
    from crawler.distributed.keys import Keys

    if not redis_url:
        from archive.readonly import open_for_reading
        from budgets.local_status import archive_status, format_status

        require_archive(data_dir)
        st = archive_status(open_for_reading(data_dir / "archive.db"))
        click.echo(json.dumps(st, ensure_ascii=False) if as_json else format_status(st))
        return
    server = _redis(redis_url)
    st = crawl_status(server, Keys())
    if as_json:
        click.echo(json.dumps(st, ensure_ascii=False))
        return
    if st["crawl"] is None:
        click.echo("No crawl has been started on this Redis.")
        return
    since = f", started {time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(st['started']))}" if st["started"] else ""
    click.echo(f"Crawl {st['crawl']}: {st['state']}{since}" + (f" (run {st['run_id']})" if "run_id" in st else ""))
    click.echo(f"  frontier: {st['queued']} queued, {st['in_flight']} in flight")
    click.echo(f"  workers alive: {len(st['live_workers'])}" + (f" ({', '.join(st['live_workers'])})"
                                                                if st["live_workers"] else ""))
    click.echo(f"  writer: {st['items'] + st['ingesting']} items waiting, {st['failed_items']} set aside as unwritable")
    parse = st["parse"]
    if parse["pending"] or parse["live_workers"]:
        click.echo(f"  parse workers alive: {len(parse['live_workers'])}; {parse['pending']} documents handed out "
                   f"({parse['queued']} not started)")
    stats = st.get("stats", {})
    click.echo(f"  fetched {stats.get('budgets/fetched', 0)} ({stats.get('budgets/bytes', 0):,} bytes), "
               f"{stats.get('budgets/served_from_archive', 0)} answered from the archive, "
               f"{stats.get('budgets/not_modified', 0)} unchanged (304)")


@cli.command()
@click.option("--redis", "redis_url", required=True, metavar="URL", help="Redis holding the shared frontier.")
@click.option("--idle-exit", type=float, default=0.0, metavar="SECONDS",
              help="Stop once no crawl is running and nothing came for this long (default: keep running).")
@click.option("--no-process", is_flag=True, help="Only archive; parse and index later with `budgets reparse`.")
@click.option("--retry-failed", is_flag=True,
              help="First put the messages set aside as unwritable back in line (after fixing their cause).")
@click.option("--parse-workers", is_flag=True,
              help="Leave parsing to `budgets parse-worker` processes; parse here only when none is alive.")
@click.option("-v", "--verbose", is_flag=True, help="Log every batch written.")
@jobs_option
@data_option
def ingest(redis_url, idle_exit, no_process, retry_failed, parse_workers, verbose, jobs: int, data_dir: Path) -> None:
    """The single writer of a distributed crawl: what the workers found into the archive and the index."""
    import logging

    from archive.lock import DataDirBusy
    from budgets.ingest import Ingest
    from crawler.distributed.keys import Keys

    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    server = _redis(redis_url)

    def process(crawl_ended: bool) -> str:
        """Parse and index what is new; at a crawl's end also run the saved searches."""
        from budgets.process import process as run_process
        from budgets.web.browse import refresh_if_served

        backend = _backend(data_dir)
        try:
            report = run_process(data_dir, backend, jobs=jobs)
        finally:
            backend.close()
        refresh_if_served(data_dir)
        return "\n".join([_process_line(report), *(_run_alerts(data_dir) if crawl_ended else [])])

    writer = Ingest(server, Keys(), data_dir, process=None if no_process else process, parse_workers=parse_workers)
    if retry_failed:
        click.echo(f"{writer.retry_failed()} messages set aside earlier are back in line", err=True)
    click.echo(f"Writing what the workers on {redis_url} find into {data_dir}", err=True)
    try:
        writer.run(idle_exit=idle_exit)
    except DataDirBusy as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Wrote {writer.applied} messages ({writer.failed} could not be written)")


@cli.command("parse-worker")
@click.option("--redis", "redis_url", required=True, metavar="URL", help="Redis of the distributed crawl.")
@click.option("--blobs", type=click.Path(file_okay=False, path_type=Path),
              help="The shared blob store (default: DATA/blobs).")
@click.option("--idle-exit", type=float, default=crawl_defaults.BUDGETS_IDLE_EXIT, metavar="SECONDS",
              help="Stop once no crawl has run and no job has come for this long (default: keep waiting).")
@click.option("--heartbeat", type=click.FloatRange(min=0.5), default=crawl_defaults.BUDGETS_WORKER_TTL,
              metavar="SECONDS", show_default=True,
              help="A worker silent this long is taken for dead and its jobs go back in line.")
@click.option("-v", "--verbose", is_flag=True, help="Log every document parsed.")
@jobs_option
@data_option
def parse_worker(redis_url, blobs, idle_exit, heartbeat, verbose, jobs: int, data_dir: Path) -> None:
    """Parse the documents the writer of a distributed crawl hands out (with `budgets ingest --parse-workers`)."""
    import logging

    from archive.blobs import BlobStore
    from budgets.parse_worker import ParserMismatch, ParseWorker
    from crawler.distributed.keys import Keys, new_worker_id

    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    server = _redis(redis_url)
    blobs = (blobs or data_dir / "blobs").resolve()
    worker = ParseWorker(server, Keys(), BlobStore(blobs), jobs, new_worker_id(), heartbeat, idle_exit)
    click.echo(f"Parse worker {worker.worker_id}: {jobs} jobs at once, jobs from {redis_url}, files from {blobs}",
               err=True)
    try:
        worker.run()
    except ParserMismatch as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Parsed {worker.parsed} documents")


def _backend(data_dir: Path, reader: bool = False):
    """The search index; a `reader` opens the embedded one read-only (see index.open_backend)."""
    from index import open_backend

    return open_backend(data_dir, _meili("meili_url"), _meili("meili_key"), _meili("meili_search_key"), reader=reader)


def _process_and_report(data_dir: Path, force: bool, jobs: int) -> None:
    from budgets.process import process
    from index import SearchError

    try:
        backend = _backend(data_dir)
    except SearchError as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        report = process(data_dir, backend, force=force, jobs=jobs)
    finally:
        backend.close()
    from budgets.web.browse import refresh_if_served

    refresh_if_served(data_dir)  # the web page's tables, if `budgets serve` made them
    click.echo(_process_line(report))
    for where, error in sorted(report.file_errors.items())[:20]:
        click.echo(f"  {where}: {error}")
    for line in _run_alerts(data_dir):
        click.echo(line)


def _process_line(report) -> str:
    return (f"Parsed {report.parsed} documents ({report.unchanged} unchanged), indexed {report.indexed}; "
            f"{len(report.file_errors)} files could not be read")


def _run_alerts(data_dir: Path) -> list[str]:
    """Run the saved searches against what is new; one line per saved search."""
    from archive.db import ArchiveDB
    from budgets.alerts import list_alerts, run_alerts

    db = ArchiveDB(data_dir / "archive.db")
    if not list_alerts(db):
        return []
    backend = _backend(data_dir)
    try:
        results = run_alerts(db, backend, data_dir)
    finally:
        backend.close()
    return [f"Saved search {alert.id} {alert.describe()}: {len(results.get(alert.id, []))} new"
            for alert in list_alerts(db)]


@cli.command()
@click.option("--stale-only", is_flag=True, help="Only documents parsed by another parser version or with changed files.")
@jobs_option
@data_option
def reparse(stale_only: bool, jobs: int, data_dir: Path) -> None:
    """Run the current parsers again over the archived files, without fetching anything."""
    require_archive(data_dir)
    hold_writer_lock(data_dir)
    _process_and_report(data_dir, force=not stale_only, jobs=jobs)


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv", "parquet"]), default="jsonl", show_default=True)
@click.option("--table", type=click.Choice(["disclosures", "figures"]), default="disclosures", show_default=True,
              help="disclosures: one row (JSONL: the contract record) per disclosure; figures: one row per figure with its source.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write here (and datapackage.json beside it) instead of standard output.")
@click.option("--excel", is_flag=True, help="CSV as UTF-8 with a byte-order mark, so Excel reads the Chinese right.")
@filter_options
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="Only disclosures first seen in the archive on or after this day (YYYY-MM-DD).")
@click.option("--parsed-only", is_flag=True, help="Leave out disclosures not (or not currently) parsed: parse_status other than parsed.")
@data_option
def export(fmt, table, output, excel, province, city, county, admin_code, year, kind, department, since,
           parsed_only, data_dir: Path) -> None:
    """Bulk export, one record per disclosure (or one row per figure), streamed in constant memory."""
    from archive.export import count_documents
    from archive.export_run import run_export
    from archive.readonly import open_for_reading
    from budgets.progress import Progress
    from index.base import Filters

    require_archive(data_dir)
    if excel and fmt != "csv":
        raise click.UsageError("--excel applies to --format csv")
    if fmt == "parquet" and not output and sys.stdout.isatty():
        raise click.UsageError("Parquet is binary: give --output FILE or redirect standard output")
    typed = _resolved_here(dict(province=province, city=city, county=county, kind=kind, department=department),
                           data_dir)
    filters = Filters(admin_code=admin_code, year=_year(year), **typed)
    day = since.strftime("%Y-%m-%d") if since else None
    db = open_for_reading(data_dir / "archive.db")
    progress = Progress("export", total=count_documents(db, filters, day))
    sys.stdout.flush()
    result = run_export(db, fmt, table, output=output, stdout=sys.stdout.buffer, filters=filters, since=day,
                        excel=excel, on_document=progress.advance, parsed_only=parsed_only)
    progress.finish()
    if output:
        click.echo(f"{result.rows} rows written to {output}; described in {result.package}", err=True)


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the record as one JSON line.")
@click.option("--explain", is_flag=True,
              help="For every figure key: its value and witnesses, or why there is none; tables recognised and not.")
@data_option
def parse(files, as_json: bool, explain: bool, data_dir: Path) -> None:
    """Parse local files as one disclosure (e.g. a 说明 file plus its tables file).

    Nothing is read from or written to the archive (`--data` is accepted, as by every command).
    """
    import json

    from budgets.process import parse_local_files

    record = parse_local_files(list(files), explain=explain)
    if explain:
        from budgets.explain import explain as show_explanation

        show_explanation(record, click.echo)
        return
    if as_json:
        click.echo(json.dumps(record, ensure_ascii=False))
        return
    click.echo(f"{record['department'] or '(department not found)'} · {record['fiscal_year']} · {record['kind']}"
               f" · tables in {record['units_in_source']}")
    for f in record["files"]:
        click.echo(f"  {f['url']}: {f['format']}" + (f" — {f['error']}" if f.get("error") else ""))
    click.echo("Figures (yuan):")
    for key, value in record["figures"].items():
        where = record["figure_sources"].get(key, {}).get("where", {})
        click.echo(f"  {key:<34} {value:>18}   {json.dumps(where, ensure_ascii=False)}")
    if record["flags"]:
        from parsers.flag_types import flag_label, flag_sentence

        click.echo("Flags:")
        for flag in record["flags"]:
            click.echo(f"  [{flag['severity']}] {flag['type']} {flag_label(flag['type'])} "
                       f"{flag.get('key') or ''}: {flag.get('detail', '')}\n      {flag_sentence(flag['type'])}")


def _year(value: str | None):
    if not value:
        return None
    first, sep, last = value.partition("-")
    try:
        return (int(first), int(last)) if sep else int(first)
    except ValueError:
        raise click.BadParameter(f"want a year like 2020 or a range like 2018-2020, not {value!r}") from None


@cli.command()
@click.argument("query", required=False, default="")
@click.option("--region", help="Province, city or county name, or a 6-digit administrative code.")
@filter_options
@click.option("--sort", type=click.Choice(["relevance", "date"]), default="relevance", show_default=True)
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
@click.option("--offset", type=click.IntRange(0), default=0)
@click.option("--facets/--no-facets", default=True, show_default=True, help="Print facet counts (not with --json).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per hit and line, nothing else.")
@data_option
def search(query, region, province, city, county, admin_code, year, kind, department, sort, limit, offset,
           facets, as_json, data_dir: Path) -> None:
    """Full-text search with filters and facets."""
    import json

    from budgets.filter_names import Ambiguous, held_values, region_anywhere
    from index import FACET_FIELDS, Filters, SearchError, SearchQuery

    if not _meili():
        require_archive(data_dir)
    try:
        backend = _backend(data_dir, reader=True)
        try:
            base = dict(admin_code=admin_code, year=_year(year),
                        **_resolved(dict(province=province, city=city, county=county, kind=kind,
                                         department=department), backend))
            if region and region.isdigit() and len(region) == 6:
                base["admin_code"] = region
            elif region:
                try:
                    level, name = region_anywhere(region, held_values(backend)) or ("province", region)
                except Ambiguous as exc:
                    raise click.UsageError(f"--region {exc.typed} fits several; give one of:\n  "
                                           + "\n  ".join(exc.candidates)) from exc
                base[level] = name
            result = backend.search(SearchQuery(text=query, filters=Filters(**base),
                                                facets=() if as_json or not facets else FACET_FIELDS,
                                                limit=limit, offset=offset, sort=sort))
        finally:
            backend.close()
    except SearchError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        for hit in result.hits:
            click.echo(json.dumps(hit.as_dict(), ensure_ascii=False))
        return
    if not result.total:
        shown = ", ".join(f"{k}={v}" for k, v in base.items() if v)
        click.echo(f"No disclosure matches {query!r}" + (f" with {shown}." if shown else "."))
        return
    click.echo(f"{result.total} disclosures match; showing {offset + 1}-{offset + len(result.hits)}")
    for hit in result.hits:
        place = " ".join(v for v in (hit.region.get("province"), hit.region.get("city"), hit.region.get("county")) if v)
        click.echo(f"\n{hit.title}\n  {hit.department} · {place or '-'} · {hit.fiscal_year} · {hit.kind}\n"
                   f"  {hit.detail_url}\n  {hit.snippet}")
    for field_name, counts in result.facets.items():
        if counts:
            shown = ", ".join(f"{k} ({v})" for k, v in list(counts.items())[:8])
            click.echo(f"\n{field_name}: {shown}")


@cli.command("index")
@click.option("--rebuild", is_flag=True, help="Build a new index from the archive aside, then swap it in.")
@data_option
def index_cmd(rebuild: bool, data_dir: Path) -> None:
    """Bring the search index up to date with the archive (or rebuild it)."""
    from archive import Archive
    from budgets.process import converge_index, rebuild_index
    from index import SearchError

    require_archive(data_dir)
    hold_writer_lock(data_dir)
    archive = Archive(data_dir)
    try:
        backend = _backend(data_dir)
        try:
            n = (rebuild_index if rebuild else converge_index)(archive, backend)
        finally:
            backend.close()
    except SearchError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{n} disclosures indexed")


@cli.command()
@click.argument("document_id")
@click.option("--json", "as_json", is_flag=True, help="Print the versions as one JSON array.")
@data_option
def versions(document_id: str, as_json: bool, data_dir: Path) -> None:
    """Every archived version of a disclosure, with the figures that changed between versions."""
    import json

    from archive.db import ArchiveDB
    from budgets.versions import version_report

    require_archive(data_dir)
    db = ArchiveDB(data_dir / "archive.db")
    doc = db.query("select id, title, status, withdrawn_at from documents where id = ?", [document_id])
    if not doc:
        raise click.ClickException(f"no disclosure with id {document_id}")
    report = version_report(db, document_id)
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False))
        return
    d = doc[0]
    status = d["status"] + (f" since {d['withdrawn_at']}" if d["withdrawn_at"] else "")
    click.echo(f"{d['title']} ({status}): {len(report)} version(s)")
    for v in report:
        click.echo(f"\nversion {v['version']}, first seen {v['first_seen']}")
        for f in v["files"]:
            click.echo(f"  {f['sha256'] or '(not fetched)'}  {f['url']}")
        for c in v.get("figure_changes", []):
            click.echo(f"  {c['key']}: {c['old'] or '(absent)'} -> {c['new'] or '(absent)'}")


@cli.command()
@click.option("--since", required=True, help="YYYY-MM-DD: list disclosures first seen on or after this day.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per disclosure and line.")
@data_option
def new(since: str, as_json: bool, data_dir: Path) -> None:
    """Disclosures first seen since a date."""
    import json
    from datetime import date

    from archive.db import ArchiveDB

    try:
        date.fromisoformat(since)
    except ValueError:
        raise click.BadParameter(f"want YYYY-MM-DD, not {since!r}", param_hint="--since") from None
    require_archive(data_dir)
    db = ArchiveDB(data_dir / "archive.db")
    rows = db.query("select id, title, department, fiscal_year, kind, detail_url, status, first_seen from documents "
                    "where first_seen >= ? order by first_seen, id", [since])
    if as_json:
        for row in rows:
            click.echo(json.dumps(row, ensure_ascii=False))
        return
    if not rows:
        click.echo(f"No disclosure first seen since {since}.")
    for row in rows:
        click.echo(f"{row['first_seen'][:10]}  {row['title']}  [{row['status']}]\n            {row['detail_url']}")


@cli.group()
def alert() -> None:
    """Saved searches, evaluated after every crawl pass against what is new."""


@alert.command("add")
@click.argument("query")
@filter_options
@click.option("--notify", multiple=True, metavar="APPRISE_URL",
              help="Where to push new hits (json://, mailtos://, dingtalk://, wecom://, feishu://…); repeatable.")
@data_option
def alert_add(query, province, city, county, admin_code, year, kind, department, notify, data_dir: Path) -> None:
    """Save a search; later passes report the new disclosures it finds."""
    from archive.db import ArchiveDB
    from budgets.alerts import add_alert

    require_archive(data_dir)
    typed = _resolved_here(dict(province=province, city=city, county=county, kind=kind, department=department),
                           data_dir)
    filters = {k: v for k, v in dict(admin_code=admin_code, year=_year(year), **typed).items() if v is not None}
    alert_id = add_alert(ArchiveDB(data_dir / "archive.db"), query, filters, list(notify))
    click.echo(f"Saved search {alert_id}")


@alert.command("list")
@data_option
def alert_list(data_dir: Path) -> None:
    """The saved searches."""
    from archive.db import ArchiveDB
    from budgets.alerts import list_alerts

    require_archive(data_dir)
    alerts = list_alerts(ArchiveDB(data_dir / "archive.db"))
    if not alerts:
        click.echo("No saved searches.")
    for a in alerts:
        click.echo(f"{a.id}: {a.describe()}  (last run {a.last_run_at}; {len(a.notify)} notification URL(s))")


@alert.command("remove")
@click.argument("alert_id", type=int)
@data_option
def alert_remove(alert_id: int, data_dir: Path) -> None:
    """Delete a saved search."""
    from archive.db import ArchiveDB
    from budgets.alerts import remove_alert

    require_archive(data_dir)
    if not remove_alert(ArchiveDB(data_dir / "archive.db"), alert_id):
        raise click.ClickException(f"no saved search {alert_id}")
    click.echo(f"Removed saved search {alert_id}")


@cli.command()
@click.option("--output", "-o", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the feeds (default: DATA/feeds).")
@data_option
def feed(out_dir, data_dir: Path) -> None:
    """Write Atom feeds: all new disclosures, and one per saved search."""
    from archive.db import ArchiveDB
    from budgets.feed import write_feeds

    require_archive(data_dir)
    for path in write_feeds(ArchiveDB(data_dir / "archive.db"), out_dir or data_dir / "feeds"):
        click.echo(str(path))


def _duration(value: str) -> float:
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    try:
        return float(value[:-1]) * units[value[-1]] if value[-1] in units else float(value)
    except (ValueError, IndexError):
        raise click.BadParameter(f"want a duration such as 30m, 6h or 1d, not {value!r}",
                                 param_hint="--every") from None


@cli.command()
@click.option("--portals", "portals_file", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--every", default="6h", show_default=True, help="Time between the starts of two passes (30m, 6h, 1d).")
@click.option("--passes", type=click.IntRange(1), default=None, help="Stop after this many passes (default: run until stopped).")
@data_option
def watch(portals_file: Path, every: str, passes, data_dir: Path) -> None:
    """Re-visit the registry's portals periodically: one incremental crawl pass at a time."""
    import subprocess
    import time

    interval = _duration(every)
    n = 0
    while passes is None or n < passes:
        started = time.monotonic()
        n += 1
        click.echo(f"Pass {n} at {time.strftime('%Y-%m-%d %H:%M:%S')}")
        # each pass in its own process: Scrapy's reactor cannot be restarted within one
        code = subprocess.call([sys.executable, "-m", "budgets.cli", "crawl", "--portals", str(portals_file),
                                "--data", str(data_dir)])
        if code != 0:
            click.echo(f"pass {n} failed with exit code {code}; trying again at the next interval", err=True)
        if passes is not None and n >= passes:
            break
        time.sleep(max(0.0, interval - (time.monotonic() - started)))


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; the default keeps the site on this machine.")
@click.option("--port", type=click.IntRange(0, 65535), default=8001, show_default=True,
              help="Port to listen on (0 picks a free one).")
@data_option
def serve(host: str, port: int, data_dir: Path) -> None:
    """Read-only web pages over the archive: search, facets, disclosures with sources, CSV, original files."""
    import socket

    import uvicorn

    from budgets.web.app import make_app
    from index import SearchError

    require_archive(data_dir)
    if not _meili() and not (data_dir / "search.db").exists():
        raise click.UsageError(f"no search index in {data_dir} (run `budgets index` first)")
    try:
        backend = _backend(data_dir, reader=True)
    except SearchError as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        app = make_app(data_dir, backend).app()
        sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
        sock.listen(128)  # listening before it is announced: a client that reads the line may connect at once
        bound_host, bound_port = sock.getsockname()[:2]
        shown = f"[{bound_host}]" if ":" in bound_host else bound_host
        click.echo(f"Serving {data_dir} read-only at http://{shown}:{bound_port}/ (Ctrl-C stops)", err=True)
        uvicorn.Server(uvicorn.Config(app, log_level="warning")).run(sockets=[sock])
    finally:
        backend.close()


@cli.command()
@click.option("--repair", is_flag=True, help="Restore lost or corrupt files from WARC records or their URLs, "
              "register stray blobs, drop temporary files, write missing WARC records again.")
@click.option("--deep", is_flag=True, help="Also parse every document again from its archived files and compare "
              "figures, flags and department with the stored parse (as slow as `budgets reparse`), and check "
              "every fetch row against its WARC record (URL, payload sha256, length).")
@data_option
def verify(repair: bool, deep: bool, data_dir: Path) -> None:
    """Re-hash every archived file and check every reference and WARC record; exit 1 if anything is wrong
    or could not be checked."""
    from archive.verify import INDEX_NOT_CHECKED, format_report, verify_archive
    from crawler.refetch import refetch
    from index import SearchError

    require_archive(data_dir)
    if repair:
        hold_writer_lock(data_dir)
    index, index_error = None, None
    index_missing = not _meili() and not (data_dir / "search.db").exists()
    try:
        if repair or not index_missing:
            index = _backend(data_dir, reader=not repair)
    except SearchError as exc:
        index_error = str(exc)
    try:
        report = verify_archive(data_dir, repair=repair, refetch=refetch, index=index, deep=deep)
    finally:
        if index is not None:
            index.close()
    if index_error:  # not checked is not intact: Meilisearch down, a search.db that cannot be read
        report.add(INDEX_NOT_CHECKED, "search index", index_error)
    if deep and not report.unreadable:
        from budgets.deep_verify import check_parses

        check_parses(data_dir, report)
    if index_missing and not repair and not report.unreadable and _has_parses(data_dir):
        # a --no-process archive has nothing to index yet
        report.add("missing search index", "search.db", "searches find nothing; `budgets verify --repair` or "
                   "`budgets index` builds it")
    click.echo(format_report(report))
    if not report.ok:
        sys.exit(1)


def _has_parses(data_dir: Path) -> bool:
    from archive.readonly import ReadOnlyArchiveDB

    db = ReadOnlyArchiveDB(data_dir / "archive.db")
    try:
        return db.db.execute("select 1 from parses limit 1").fetchone() is not None
    finally:
        db.close()


def main() -> None:
    cli(prog_name="budgets")


if __name__ == "__main__":
    main()
