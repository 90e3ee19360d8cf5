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
@data_option
def crawl(urls, portals_file, delay, concurrency, settings, verbose, data_dir: Path) -> None:
    """Crawl from the given start pages, staying on their hosts; archive everything; find disclosures."""
    from archive.db import ArchiveDB
    from budgets.crawl import format_summary, run_crawl, run_summary

    start_urls = list(urls)
    if portals_file:
        try:
            start_urls += [u for p in load_portals(portals_file) for u in p.start_urls]
        except RegistryError as exc:
            raise click.UsageError(str(exc)) from exc
    if not start_urls:
        raise click.UsageError("give start URLs or --portals FILE")
    bad = [u for u in start_urls if not u.startswith(("http://", "https://"))]
    if bad:
        raise click.UsageError(f"not an http(s) URL: {bad[0]}")
    overrides: dict = {"LOG_LEVEL": "INFO" if verbose else "WARNING"}
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


def main() -> None:
    cli(prog_name="budgets")


if __name__ == "__main__":
    main()
