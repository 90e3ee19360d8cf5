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


def open_backend(data_dir: Path, meili_url: str | None = None, meili_key: str | None = None,
                 meili_search_key: str | None = None) -> Backend:
    """Meilisearch at `meili_url` (master key `meili_key`) if given, else the embedded index."""
    if meili_url:
        from index.meili import MeiliBackend
        return MeiliBackend(meili_url, meili_key, search_key=meili_search_key)
    from index.fts import FtsBackend
    return FtsBackend(Path(data_dir) / "search.db")
