"""Assembling the read-only site: browse.db made current, Datasette configured, plugin attached."""
from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

from datasette.app import Datasette
from datasette.plugins import pm

from archive import BLOBS_DIR, DB_NAME
from archive.blobs import BlobStore
from archive.readonly import needs_immutable, writable
from budgets.web import plugin
from budgets.web.browse import BROWSE_NAME, ensure_browse_db
from budgets.web.fresh import BrowseRefresher
from budgets.web.metadata import build_metadata
from budgets.web.site import Site, attach
from index import Backend
from index.segment import tokenizer

HERE = Path(__file__).parent
SETTINGS = {
    "sql_time_limit_ms": 3000,
    "facet_time_limit_ms": 500,
    "allow_download": False,  # no endpoint hands out the database files themselves
    "suggest_facets": False,  # the metadata names the useful facets; suggestions list every figure
}


def make_app(data_dir: Path, backend: Backend | None) -> Datasette:
    """A Datasette over `data_dir` (archive.db read-only, browse.db immutable) with the budgets pages.

    `backend` is the search index (closed by the caller); None serves everything but search.
    """
    data_dir = Path(data_dir)
    archive_path = data_dir / DB_NAME
    if not archive_path.is_file():
        raise FileNotFoundError(f"no archive in {data_dir} (run `budgets crawl` first)")
    browse_path = browse_location(data_dir)
    ensure_browse_db(archive_path, browse_path)
    if not pm.is_registered(plugin):
        pm.register(plugin, name="budgets-web")
    default_errors = pm.get_plugin("datasette.handle_exception")
    if default_errors is not None:  # plugin.handle_exception replaces it
        pm.unregister(default_errors)
    # browse.db is mutable for Datasette: fresh.py rewrites it in place when the archive changes
    immutable = needs_immutable(archive_path)  # a read-only directory: SQLite cannot open it `mode=ro`
    ds = Datasette(files=[str(p) for p in (archive_path, browse_path) if not (immutable and p == archive_path)],
                   immutables=[str(archive_path)] if immutable else [], metadata=build_metadata(),
                   template_dir=str(HERE / "templates"), static_mounts=[(plugin.STATIC, str(HERE / "static"))],
                   settings=SETTINGS)
    if backend is not None:
        tokenizer()  # jieba's dictionary loads in about a second: at start, not on the first search
    attach(ds, Site(archive_path=archive_path, blobs=BlobStore(data_dir / BLOBS_DIR), backend=backend,
                    refresher=BrowseRefresher(archive_path, browse_path)))
    return ds


def browse_location(data_dir: Path) -> Path:
    """browse.db beside the archive, or, where the data directory cannot be written, in a folder
    of the system's temporary directory named after it (serving never writes in a read-only one)."""
    if writable(data_dir):
        return data_dir / BROWSE_NAME
    name = hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:16]
    folder = Path(tempfile.gettempdir()) / f"budgets-browse-{name}"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder / BROWSE_NAME
