"""Full-text search over disclosure records: one interface, two backends.

The embedded backend (SQLite FTS5 in `search.db` under the data directory) needs no
server; Meilisearch is used when a URL is given (the CLI passes MEILI_URL and
MEILI_MASTER_KEY).  Both index the same jieba tokens, so they find the same records.
"""
from __future__ import annotations

from pathlib import Path

from index.base import FACET_FIELDS, Backend, Filters, Hit, SearchError, SearchQuery, SearchResult

__all__ = ["FACET_FIELDS", "Backend", "Filters", "Hit", "SearchError", "SearchQuery", "SearchResult",
           "open_backend"]


def open_backend(data_dir: Path | None, meili_url: str | None = None, meili_key: str | None = None,
                 meili_search_key: str | None = None, reader: bool = False) -> Backend:
    """Meilisearch at `meili_url` (master key `meili_key`) if given, else the embedded index.

    The embedded index is opened read-only where the data directory cannot be written, and for
    a `reader` (search, serve, verify) whenever it exists: a reader never creates or rebuilds it."""
    if meili_url:
        from index.meili import MeiliBackend
        return MeiliBackend(meili_url, meili_key, search_key=meili_search_key)
    if data_dir is None:
        raise ValueError("the embedded index lives in a data directory: give one, or a Meilisearch URL")
    from archive.readonly import writable
    from index.fts import FtsBackend
    path = Path(data_dir) / "search.db"
    readonly = (reader and path.is_file()) or (Path(data_dir).is_dir() and not writable(Path(data_dir)))
    return FtsBackend(path, readonly=readonly)
