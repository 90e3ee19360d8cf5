"""Meilisearch backend, through the official client.

Decision (so both backends agree): Meilisearch's own Chinese tokenizer (charabia) cuts
differently from ours, so documents carry our jieba token streams, letter-encoded (see
index.terms), in `t_title`, `t_body`, `t_sub`, and only those are searchable.  A query
is sent as one Meilisearch phrase per term, with typo tolerance and prefix search off,
so a term matches exactly the documents whose streams hold its tokens, as in FTS5.
Because the searched fields are encoded, Meilisearch's match positions (byte offsets in
encoded fields) say nothing about the original text: snippets are made locally from the
returned `text`, the same way as the embedded backend (index.snippet).

The substring fallback of the embedded backend (codes, parts of names that jieba does
not produce as words) has no counterpart here: Meilisearch can only find whole tokens.

Queries run with a search-only API key made from the master key (or given), never the
master key.  Every failure surfaces as `MeiliError` with a message for a person.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from itertools import islice

from meilisearch import Client
from meilisearch.errors import MeilisearchApiError, MeilisearchCommunicationError, MeilisearchTimeoutError

from index.base import FACET_FIELDS, Filters, Hit, SearchError, SearchQuery, SearchResult, flatten, no_hits, region_of
from index.segment import normalise
from index.snippet import make_snippet
from index.terms import index_streams, parse_query

INDEX_UID = "disclosures"
BATCH = 1000
_SHOWN = ["id", "title", "department", "province", "city", "county", "admin_code",
          "fiscal_year", "kind", "detail_url", "published_date", "text"]
SETTINGS = {
    "searchableAttributes": ["t_title", "t_body", "t_sub"],
    "displayedAttributes": [*_SHOWN, "stamp"],
    "filterableAttributes": [*FACET_FIELDS, "id"],
    "sortableAttributes": ["published_date", "fiscal_year", "id"],
    # "sort" first: with sort=date the order is the date (then id), as in FTS5.
    "rankingRules": ["sort", "words", "typo", "proximity", "attribute", "exactness"],
    "typoTolerance": {"enabled": False},
    "prefixSearch": "disabled",
    "stopWords": [],
    "faceting": {"maxValuesPerFacet": 10_000, "sortFacetValuesBy": {"*": "count"}},
    "pagination": {"maxTotalHits": 1_000_000},
}
_AUTH_CODES = {"invalid_api_key", "missing_authorization_header", "missing_master_key"}


class MeiliError(SearchError):
    """Meilisearch is unreachable, refused the key, or failed a task."""


def doc_key(record_id: str) -> str:
    """Meilisearch ids allow only [A-Za-z0-9_-]; record ids may hold anything."""
    return hashlib.sha256(record_id.encode("utf-8")).hexdigest()[:32]


class MeiliBackend:
    """A Meilisearch index of disclosure records."""

    def __init__(self, url: str, master_key: str | None, search_key: str | None = None,
                 index_uid: str = INDEX_UID, task_timeout_s: float = 600.0) -> None:
        self.url = url
        self.index_uid = index_uid
        self._master_key = master_key
        self._task_timeout_ms = int(task_timeout_s * 1000)
        self._admin = Client(url, master_key, timeout=30)
        with self._guard("open the index"):
            self._ensure_index()
            key = search_key or (self._search_key() if master_key else None)
        self.search_key = key
        self._given_search_key = bool(search_key)
        self._search = Client(url, key, timeout=30).index(index_uid)
        self._index = self._admin.index(index_uid)

    # -- set-up -------------------------------------------------------------------

    @contextmanager
    def _guard(self, doing: str, key: str = "MEILI_MASTER_KEY") -> Iterator[None]:
        try:
            yield
        except MeilisearchCommunicationError as e:
            raise MeiliError(f"cannot {doing}: Meilisearch at {self.url} is not reachable "
                             f"(is the server running?): {e}") from e
        except MeilisearchApiError as e:
            if e.code in _AUTH_CODES or e.status_code in (401, 403):
                raise MeiliError(f"cannot {doing}: Meilisearch at {self.url} refused the API key "
                                 f"(check {key}): {e.message}") from e
            raise MeiliError(f"cannot {doing}: Meilisearch said: {e.message}") from e
        except MeilisearchTimeoutError as e:
            raise MeiliError(f"cannot {doing}: Meilisearch at {self.url} did not finish in time: {e}") from e

    def _wait(self, task_uid: int) -> None:
        task = self._admin.wait_for_task(task_uid, timeout_in_ms=self._task_timeout_ms, interval_in_ms=20)
        if task.status != "succeeded":
            detail = (task.error or {}).get("message", task.status)
            raise MeiliError(f"Meilisearch task {task_uid} ({task.type}) failed: {detail}")

    def _ensure_index(self) -> None:
        try:
            self._admin.get_index(self.index_uid)
        except MeilisearchApiError as e:
            if e.code != "index_not_found":
                raise
            self._wait(self._admin.create_index(self.index_uid, {"primaryKey": "key"}).task_uid)
        self._wait(self._admin.index(self.index_uid).update_settings(SETTINGS).task_uid)

    def _search_key(self) -> str:
        """A search-only key for this index, made once and then found by name."""
        name = f"budgets-search-{self.index_uid}"
        offset = 0
        while True:
            page = self._admin.get_keys({"limit": 100, "offset": offset})
            for k in page.results:
                if k.name == name and k.actions == ["search"]:
                    return k.key
            offset += len(page.results)
            if not page.results or offset >= page.total:
                break
        return self._admin.create_key({
            "name": name, "description": "search-only key used by budgets for queries",
            "actions": ["search"], "indexes": [self.index_uid], "expiresAt": None,
        }).key

    # -- writing ------------------------------------------------------------------

    def upsert(self, records: Iterable[dict]) -> int:
        tasks, written = [], 0
        with self._guard("add documents"):
            for batch in _batches(records, BATCH):
                docs = {}
                for record in batch:
                    row = flatten(record)
                    streams = index_streams(normalise(row["title"]), normalise(row["text"]))
                    docs[row["id"]] = {"key": doc_key(row["id"]), **row, "t_title": streams.title,
                                       "t_body": streams.body, "t_sub": streams.sub}
                tasks.append(self._index.add_documents(list(docs.values()), primary_key="key").task_uid)
                written += len(batch)
            for uid in tasks:
                self._wait(uid)
        return written

    def delete(self, ids: Iterable[str]) -> None:
        with self._guard("delete documents"):
            tasks = [self._index.delete_documents(filter=f"id IN [{', '.join(_quote(str(i)) for i in batch)}]").task_uid
                     for batch in _batches(ids, BATCH)]
            for uid in tasks:
                self._wait(uid)

    def clear(self) -> None:
        with self._guard("clear the index"):
            self._wait(self._index.delete_all_documents().task_uid)

    def count(self) -> int:
        with self._guard("count documents"):
            return self._index.get_stats().number_of_documents

    def database_size(self) -> int:
        """Bytes the Meilisearch database takes on disk (all its indexes)."""
        with self._guard("read statistics"):
            return self._admin.get_all_stats()["databaseSize"]

    def close(self) -> None:
        """Nothing to release: the client keeps no open connection."""

    def stamps(self) -> dict[str, str | None]:
        stamps: dict[str, str | None] = {}
        with self._guard("list documents"):
            while True:
                page = self._index.get_documents({"fields": ["id", "stamp"], "limit": BATCH * 10,
                                                  "offset": len(stamps)})
                stamps.update({d.id: getattr(d, "stamp", None) for d in page.results})
                if not page.results or len(stamps) >= page.total:
                    return stamps

    def build_aside(self) -> MeiliBackend:
        """A fresh index `<uid>_rebuild` (what a killed rebuild left there is thrown away)."""
        uid = f"{self.index_uid}_rebuild"
        with self._guard("prepare a rebuild"):  # no such index is fine: the task's failure is ignored
            self._admin.wait_for_task(self._admin.delete_index(uid).task_uid,
                                      timeout_in_ms=self._task_timeout_ms, interval_in_ms=20)
        return MeiliBackend(self.url, self._master_key, search_key=self.search_key, index_uid=uid,
                            task_timeout_s=self._task_timeout_ms / 1000)

    def swap_in(self, built: MeiliBackend) -> None:
        """Meilisearch's index swap: one task, searches see the old index or the new one."""
        with self._guard("swap the rebuilt index in"):
            self._wait(self._admin.swap_indexes([{"indexes": [self.index_uid, built.index_uid]}]).task_uid)
            self._wait(self._admin.delete_index(built.index_uid).task_uid)

    # -- searching ----------------------------------------------------------------

    def search(self, query: SearchQuery) -> SearchResult:
        parsed = parse_query(query.text)
        if parsed.empty and query.text.strip():
            return no_hits(query)
        q = " ".join('"' + t.encoded + '"' for t in parsed.terms)
        # Exhaustive totals need page mode; an offset off the page grid reads from 0.
        if query.limit and query.offset % query.limit == 0:
            page, per_page, skip = query.offset // query.limit + 1, query.limit, 0
        else:
            page, per_page, skip = 1, query.offset + query.limit, query.offset
        params = {
            "page": page, "hitsPerPage": per_page, "matchingStrategy": "all",
            "attributesToRetrieve": _SHOWN, "filter": _filter_expr(query.filters),
            "facets": list(query.facets), "showRankingScore": True,
        }
        if query.sort == "date" or parsed.empty:
            params["sort"] = ["published_date:desc", "id:asc"]
        with self._guard("search", "the search key" if self._given_search_key else "MEILI_MASTER_KEY"):
            res = self._search.search(q, params)
        needles = tuple(t.text for t in parsed.terms) + tuple(w for t in parsed.terms for w in t.words)
        hits = [_hit(h, needles) for h in res["hits"][skip:]]
        facets = {f: _facet_values(f, res.get("facetDistribution", {}).get(f, {})) for f in query.facets}
        return SearchResult(hits=hits, total=res.get("totalHits", 0), facets=facets)


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _filter_expr(filters: Filters) -> list[str]:
    expr = [f"{name} = {_quote(value)}" for name, value in filters.equals().items()]
    years = filters.year_range()
    if years:
        expr.append(f"fiscal_year {int(years[0])} TO {int(years[1])}")
    return expr


def _facet_values(field: str, counts: dict) -> dict:
    if field == "fiscal_year":
        return {int(v): n for v, n in counts.items()}
    return dict(counts)


def _hit(doc: dict, needles: tuple[str, ...]) -> Hit:
    return Hit(
        id=doc["id"], title=doc.get("title") or "", department=doc.get("department") or "",
        region=region_of(doc), fiscal_year=doc.get("fiscal_year"), kind=doc.get("kind") or "",
        detail_url=doc.get("detail_url") or "",
        snippet=make_snippet(doc.get("text") or "", doc.get("title") or "", needles),
        score=float(doc.get("_rankingScore", 0.0)),
    )


def _batches(items: Iterable, size: int) -> Iterator[list]:
    items = iter(items)
    while batch := list(islice(items, size)):
        yield batch
