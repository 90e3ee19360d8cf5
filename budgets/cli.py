"""`budgets`: the command line (see CONTRACT.md for the fixed interface)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from budgets.portals import RegistryError, load_portals


def data_option(f):
    return click.option(
        "--data", "data_dir", type=click.Path(file_okay=False, path_type=Path),
        default=lambda: os.environ.get("BUDGETS_DATA") or "data", show_default="$BUDGETS_DATA, else ./data",
        help="Data directory: all state lives under it.",
    )(f)


@click.group()
@click.version_option(package_name="budgets")
def cli() -> None:
    """Crawl, archive, parse, search and export Chinese department budget and final-account disclosures."""


@cli.command()
@click.argument("urls", nargs=-1)
@click.option("--portals", "portals_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Portal registry (TOML): crawl every portal listed.")
@click.option("--delay", type=float, default=None, help="Seconds between requests to one host (default 0.5, adapted by AutoThrottle).")
@click.option("--concurrency", type=int, default=None, help="Concurrent requests per host (default 4).")
@click.option("-s", "--set", "settings", multiple=True, metavar="NAME=VALUE", help="Override a Scrapy setting.")
@click.option("-v", "--verbose", is_flag=True, help="Log every request (Scrapy INFO log).")
@click.option("--no-process", is_flag=True, help="Only crawl and archive; parse and index later with `budgets reparse`.")
@data_option
def crawl(urls, portals_file, delay, concurrency, settings, verbose, no_process, data_dir: Path) -> None:
    """Crawl from the given start pages, staying on their hosts; archive everything; find disclosures."""
    from archive.db import ArchiveDB
    from budgets.crawl import format_summary, run_crawl, run_summary

    from crawler.session import host_key

    start_urls = list(urls)
    regions: dict[str, dict] = {}
    if portals_file:
        try:
            portals = load_portals(portals_file)
        except RegistryError as exc:
            raise click.UsageError(str(exc)) from exc
        for portal in portals:
            start_urls += portal.start_urls
            regions.update({host_key(u): portal.region() for u in portal.start_urls})
    if not start_urls:
        raise click.UsageError("give start URLs or --portals FILE")
    bad = [u for u in start_urls if not u.startswith(("http://", "https://"))]
    if bad:
        raise click.UsageError(f"not an http(s) URL: {bad[0]}")
    overrides: dict = {"LOG_LEVEL": "INFO" if verbose else "WARNING", "BUDGETS_PORTAL_REGIONS": regions}
    if delay is not None:
        overrides.update(DOWNLOAD_DELAY=delay, AUTOTHROTTLE_START_DELAY=delay)
    if concurrency is not None:
        overrides["CONCURRENT_REQUESTS_PER_DOMAIN"] = concurrency
    for item in settings:
        name, sep, value = item.partition("=")
        if not sep:
            raise click.UsageError(f"-s wants NAME=VALUE, got {item!r}")
        overrides[name] = value
    run_id = run_crawl(data_dir, start_urls, overrides)
    db = ArchiveDB(data_dir / "archive.db")
    click.echo(format_summary(run_summary(db, run_id)))
    if not no_process:
        _process_and_report(data_dir, force=False)


def _backend(data_dir: Path):
    from index import open_backend

    return open_backend(data_dir, os.environ.get("MEILI_URL"), os.environ.get("MEILI_MASTER_KEY"),
                        os.environ.get("MEILI_SEARCH_KEY"))


def _process_and_report(data_dir: Path, force: bool) -> None:
    from budgets.process import process
    from index import SearchError

    try:
        backend = _backend(data_dir)
    except SearchError as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        report = process(data_dir, backend, force=force)
    finally:
        backend.close()
    click.echo(f"Parsed {report.parsed} documents ({report.unchanged} unchanged), indexed {report.indexed}; "
               f"{len(report.file_errors)} files could not be read")
    for where, error in sorted(report.file_errors.items())[:20]:
        click.echo(f"  {where}: {error}")


@cli.command()
@click.option("--stale-only", is_flag=True, help="Only documents parsed by another parser version or with changed files.")
@data_option
def reparse(stale_only: bool, data_dir: Path) -> None:
    """Run the current parsers again over the archived files, without fetching anything."""
    if not (data_dir / "archive.db").exists():
        raise click.UsageError(f"no archive in {data_dir}")
    _process_and_report(data_dir, force=not stale_only)


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["jsonl"]), default="jsonl", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write here instead of standard output.")
@data_option
def export(fmt, output, data_dir: Path) -> None:
    """Bulk export, one record per disclosure."""
    from archive.db import ArchiveDB
    from archive.export import iter_records, write_jsonl

    if not (data_dir / "archive.db").exists():
        raise click.UsageError(f"no archive in {data_dir} (run `budgets crawl` first)")
    db = ArchiveDB(data_dir / "archive.db")
    if output:
        with output.open("w", encoding="utf-8") as out:
            n = write_jsonl(iter_records(db), out)
        click.echo(f"{n} records written to {output}", err=True)
    else:
        write_jsonl(iter_records(db), sys.stdout)


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the record as one JSON line.")
def parse(files, as_json: bool) -> None:
    """Parse local files as one disclosure (e.g. a 说明 file plus its tables file)."""
    import json

    from budgets.process import parse_local_files

    record = parse_local_files(list(files))
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
        click.echo("Flags:")
        for flag in record["flags"]:
            click.echo(f"  [{flag['severity']}] {flag['type']} {flag.get('key') or ''}: {flag.get('detail', '')}")


def _year(value: str | None):
    if not value:
        return None
    first, sep, last = value.partition("-")
    try:
        return (int(first), int(last)) if sep else int(first)
    except ValueError:
        raise click.BadParameter(f"want a year like 2020 or a range like 2018-2020, not {value!r}")


@cli.command()
@click.argument("query", required=False, default="")
@click.option("--region", help="Province, city or county name, or a 6-digit administrative code.")
@click.option("--province")
@click.option("--city")
@click.option("--county")
@click.option("--admin-code")
@click.option("--year", help="Fiscal year, or a range such as 2018-2020.")
@click.option("--kind", type=click.Choice(["budget", "final_account"]))
@click.option("--department")
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

    from index import FACET_FIELDS, Filters, SearchError, SearchQuery

    base = dict(province=province, city=city, county=county, admin_code=admin_code, year=_year(year),
                kind=kind, department=department)
    candidates = [base]
    if region:
        if region.isdigit() and len(region) == 6:
            candidates = [{**base, "admin_code": region}]
        else:
            candidates = [{**base, level: region} for level in ("province", "city", "county")]
    try:
        backend = _backend(data_dir)
        try:
            for filters in candidates:
                result = backend.search(SearchQuery(text=query, filters=Filters(**filters),
                                                    facets=() if as_json or not facets else FACET_FIELDS,
                                                    limit=limit, offset=offset, sort=sort))
                if result.total:
                    break
        finally:
            backend.close()
    except SearchError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        for hit in result.hits:
            click.echo(json.dumps(hit.as_dict(), ensure_ascii=False))
        return
    if not result.total:
        click.echo(f"No disclosure matches {query!r}" + (" with these filters." if any(base.values()) or region else "."))
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
@click.option("--rebuild", is_flag=True, help="Empty the index and fill it again from the archive.")
@data_option
def index_cmd(rebuild: bool, data_dir: Path) -> None:
    """Bring the search index up to date with the archive (or rebuild it)."""
    from archive import Archive
    from budgets.process import index_documents
    from index import SearchError

    if not (data_dir / "archive.db").exists():
        raise click.UsageError(f"no archive in {data_dir}")
    archive = Archive(data_dir)
    try:
        backend = _backend(data_dir)
        try:
            if rebuild:
                backend.clear()
            n = index_documents(archive, backend)
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

    if not (data_dir / "archive.db").exists():
        raise click.UsageError(f"no archive in {data_dir}")
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


def main() -> None:
    cli(prog_name="budgets")


if __name__ == "__main__":
    main()
