"""What the web pages read, per running app: the archive (read-only), the blobs, the index.

The plugin's hooks receive only the Datasette instance, so each app's `Site` is kept in a
weak map keyed by it. Every method here is synchronous, for the async views to run in a
worker thread; archive reads open their own read-only connection each time.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from weakref import WeakKeyDictionary

from archive.blobs import BlobStore
from archive.export import build_record
from archive.readonly import ReadOnlyArchiveDB
from budgets.filter_names import resolve
from budgets.web.fresh import BrowseRefresher
from index import Backend, SearchError, SearchQuery, SearchResult

log = logging.getLogger(__name__)
SHA256 = re.compile(r"[0-9a-f]{64}")
DOC_ID = re.compile(r"[0-9A-Za-z_.-]{1,128}")


@dataclass
class Site:
    archive_path: Path
    blobs: BlobStore
    backend: Backend | None  # None when no search index is available
    refresher: BrowseRefresher | None = None  # keeps browse.db current while serving

    def search(self, query: SearchQuery) -> SearchResult | None:
        """The index's answer, or None when the index failed (logged, never shown)."""
        if self.backend is None:
            return None
        try:
            return self.backend.search(query)
        except SearchError:
            log.exception("search failed")
            return None

    def resolve_filters(self, values: dict) -> dict:
        """Typed filter values as the index holds them (湖南 → 湖南省); raises `Ambiguous` when
        several fit. Without a working index, the values as typed."""
        if self.backend is None:
            return values
        try:
            return resolve(values, self.backend)
        except SearchError:
            log.exception("resolving filters failed")
            return values

    def matching_ids(self, text: str, limit: int) -> tuple[list[str], int] | None:
        """Ids of the best `limit` matches of `text` and how many match in all (None: index failed)."""
        result = self.search(SearchQuery(text=text, limit=limit))
        return None if result is None else ([hit.id for hit in result.hits], result.total)

    def document(self, doc_id: str) -> tuple[dict, list[dict]] | None:
        """A disclosure's contract record and its archived files (with the names the crawl saw)."""
        if not DOC_ID.fullmatch(doc_id):
            return None
        archive = ReadOnlyArchiveDB(self.archive_path)
        try:
            rows = archive.query("SELECT * FROM documents WHERE id = ?", [doc_id])
            if not rows:
                return None
            return build_record(archive, rows[0]), archive.document_files(doc_id)
        finally:
            archive.db.conn.close()

    def attachment(self, sha256: str) -> tuple[Path, str | None, str | None] | None:
        """(blob path, file name, content type) of an archived attachment, by its sha256 only."""
        if not SHA256.fullmatch(sha256):
            return None
        archive = ReadOnlyArchiveDB(self.archive_path)
        try:
            rows = archive.query("SELECT filename, content_type, url FROM document_files WHERE sha256 = ? "
                                 "ORDER BY filename IS NULL, position LIMIT 1", [sha256])
        finally:
            archive.db.conn.close()
        path = self.blobs.path(sha256)
        if not rows or not path.is_file():
            return None
        name = rows[0]["filename"] or rows[0]["url"].rstrip("/").rsplit("/", 1)[-1]
        return path, name, rows[0]["content_type"]


_SITES: WeakKeyDictionary = WeakKeyDictionary()


def attach(datasette, site: Site) -> None:
    _SITES[datasette] = site


def site_of(datasette) -> Site | None:
    return _SITES.get(datasette)
