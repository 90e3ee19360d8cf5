"""Embedded backend: SQLite FTS5 over jieba tokens, in `search.db` in the data directory.

Tables: `docs` (one row per record: the fields searched, filtered, faceted and shown),
`words` (contentless FTS5 over the letter-encoded token streams of index.terms; title
weighted above body above sub-words) and `grams` (contentless FTS5 trigram index of the
normalised title, department and text, for the substring fallback).  Both FTS tables are
contentless to keep the file small: a row is removed by recomputing its tokens from
`docs`, which is exact because `meta.format` pins everything that shapes tokens (jieba
version, domain words, quotes); a file written with another format is rebuilt empty.

User text reaches SQL only as bound parameters, and FTS5 only as letter-encoded tokens
or as a double-quoted trigram string with its quotes doubled.
"""
from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path

import jieba
import sqlite_utils

from index.base import Filters, Hit, SearchQuery, SearchResult, flatten, region_of
from index.segment import _QUOTES, DOMAIN_WORDS, normalise
from index.snippet import make_snippet
from index.terms import GAP, ParsedQuery, index_streams, parse_query

WEIGHTS = (10.0, 1.0, 0.5)  # bm25 weights of title, body, sub-words
BATCH = 500
FORMAT = hashlib.sha256(
    "|".join(("fts-1", jieba.__version__, GAP, _QUOTES, *DOMAIN_WORDS)).encode()
).hexdigest()[:16]
_SHOWN = ("id", "title", "department", "province", "city", "county", "admin_code",
          "fiscal_year", "kind", "detail_url", "published_date", "text")


def _fts_string(s: str) -> str:
    return '"' + s.replace('"', '""') + '"'


def _grams_of(row: dict) -> str:
    return normalise("\n".join((row["title"], row["department"], row["text"])))


class FtsBackend:
    """SQLite FTS5 index; safe to share between threads (one connection, one lock)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(self.path, check_same_thread=False)
        self._conn.row_factory = sqlite3.Row
        self._conn.create_function("norm_contains", 2, _norm_contains, deterministic=True)
        self._lock = threading.Lock()
        self._db = sqlite_utils.Database(self._conn)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._ensure_schema()

    # -- schema -------------------------------------------------------------------

    def _ensure_schema(self) -> None:
        db = self._db
        db["meta"].create({"key": str, "value": str}, pk="key", if_not_exists=True)
        row = db.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
        if row and row[0] != FORMAT:
            for table in ("docs", "words", "grams"):
                db.execute(f"DROP TABLE IF EXISTS {table}")
        db["docs"].create(
            {"rowid": int, "id": str, "title": str, "department": str, "province": str,
             "city": str, "county": str, "admin_code": str, "fiscal_year": int, "kind": str,
             "published_date": str, "detail_url": str, "text": str},
            pk="rowid", not_null={"id"}, if_not_exists=True,
        )
        db["docs"].create_index(["id"], unique=True, if_not_exists=True)
        db["docs"].create_index(["published_date", "id"], if_not_exists=True)
        db.execute("CREATE VIRTUAL TABLE IF NOT EXISTS words USING "
                   "fts5(title, body, sub, content='', tokenize='ascii')")
        db.execute("CREATE VIRTUAL TABLE IF NOT EXISTS grams USING "
                   "fts5(norm, content='', tokenize='trigram')")
        db["meta"].upsert({"key": "format", "value": FORMAT}, pk="key")
        self._conn.commit()

    # -- writing ------------------------------------------------------------------

    def upsert(self, records: Iterable[dict]) -> int:
        written = 0
        for batch in _batches((flatten(r) for r in records), BATCH):
            with self._lock, self._conn:
                self._write_batch(batch)
            written += len(batch)
        return written

    def _write_batch(self, batch: list[dict]) -> None:
        latest = {row["id"]: row for row in batch}  # the last of repeated ids wins
        rows = list(latest.values())
        old = self._rows_by_id(list(latest))
        self._unindex(old.values())
        self._conn.executemany(
            "DELETE FROM docs WHERE rowid = ?", [(r["rowid"],) for r in old.values()])
        words, grams = [], []
        cols = ", ".join(_SHOWN)
        marks = ", ".join("?" for _ in _SHOWN)
        for row in rows:
            rowid = old[row["id"]]["rowid"] if row["id"] in old else None
            cur = self._conn.execute(
                f"INSERT INTO docs (rowid, {cols}) VALUES (?, {marks})",
                (rowid, *(row[c] for c in _SHOWN)))
            streams = index_streams(row["title"], row["text"])
            words.append((cur.lastrowid, streams.title, streams.body, streams.sub))
            grams.append((cur.lastrowid, _grams_of(row)))
        self._conn.executemany("INSERT INTO words (rowid, title, body, sub) VALUES (?, ?, ?, ?)", words)
        self._conn.executemany("INSERT INTO grams (rowid, norm) VALUES (?, ?)", grams)

    def _rows_by_id(self, ids: list[str]) -> dict[str, dict]:
        found: dict[str, dict] = {}
        for chunk in _batches(iter(ids), 500):
            marks = ", ".join("?" for _ in chunk)
            for r in self._conn.execute(
                    f"SELECT rowid, id, title, department, text FROM docs WHERE id IN ({marks})", chunk):
                found[r["id"]] = dict(r)
        return found

    def _unindex(self, rows: Iterable[dict]) -> None:
        """Remove rows from the contentless tables, giving FTS5 the tokens they had."""
        words, grams = [], []
        for row in rows:
            streams = index_streams(row["title"], row["text"])
            words.append((row["rowid"], streams.title, streams.body, streams.sub))
            grams.append((row["rowid"], _grams_of(row)))
        self._conn.executemany(
            "INSERT INTO words (words, rowid, title, body, sub) VALUES ('delete', ?, ?, ?, ?)", words)
        self._conn.executemany(
            "INSERT INTO grams (grams, rowid, norm) VALUES ('delete', ?, ?)", grams)

    def delete(self, ids: Iterable[str]) -> None:
        with self._lock, self._conn:
            old = self._rows_by_id([str(i) for i in ids])
            self._unindex(old.values())
            self._conn.executemany("DELETE FROM docs WHERE rowid = ?", [(r["rowid"],) for r in old.values()])

    def clear(self) -> None:
        with self._lock, self._conn:
            self._conn.execute("DELETE FROM docs")
            self._conn.execute("INSERT INTO words (words) VALUES ('delete-all')")
            self._conn.execute("INSERT INTO grams (grams) VALUES ('delete-all')")

    def count(self) -> int:
        with self._lock:
            return self._conn.execute("SELECT count(*) FROM docs").fetchone()[0]

    def optimize(self) -> None:
        """Merge FTS5 segments (worth it after a bulk build)."""
        with self._lock, self._conn:
            self._conn.execute("INSERT INTO words (words) VALUES ('optimize')")
            self._conn.execute("INSERT INTO grams (grams) VALUES ('optimize')")

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # -- searching ----------------------------------------------------------------

    def search(self, query: SearchQuery) -> SearchResult:
        parsed = parse_query(query.text)
        with self._lock:
            if parsed.empty:
                return self._run(query, None, (), rank_match=None)
            match = " AND ".join(_fts_string(t.encoded) for t in parsed.terms)
            needles = tuple(t.text for t in parsed.terms) + tuple(w for t in parsed.terms for w in t.words)
            result = self._run(query, ("d.rowid IN (SELECT rowid FROM words WHERE words MATCH ?)", [match]),
                               needles, rank_match=match if query.sort == "relevance" else None)
            if result.total or parsed.segmentation_trusted or not parsed.substrings:
                return result
            return self._run(query, _substring_clause(parsed), parsed.substrings, rank_match=None)

    def _run(self, query: SearchQuery, text_clause: tuple[str, list] | None,
             needles: tuple[str, ...], rank_match: str | None) -> SearchResult:
        """One page of hits (by bm25 when `rank_match` is given, else newest first), total, facets."""
        filters, filter_params = _filter_sql(query.filters)
        where, params = list(filters), list(filter_params)
        if text_clause:
            where.append(text_clause[0])
            params += text_clause[1]
        cond = " AND ".join(where) or "1"
        cols = ", ".join(f"d.{c}" for c in _SHOWN)
        if rank_match:
            sql = (f"SELECT {cols}, -bm25(words, {', '.join(map(str, WEIGHTS))}) AS score "
                   f"FROM words JOIN docs d ON d.rowid = words.rowid "
                   f"WHERE words MATCH ? AND {' AND '.join(filters) or '1'} "
                   f"ORDER BY score DESC, d.id LIMIT ? OFFSET ?")
            rows = self._conn.execute(sql, [rank_match, *filter_params, query.limit, query.offset]).fetchall()
        else:
            sql = (f"SELECT {cols}, 0.0 AS score FROM docs d WHERE {cond} "
                   f"ORDER BY d.published_date DESC, d.id LIMIT ? OFFSET ?")
            rows = self._conn.execute(sql, [*params, query.limit, query.offset]).fetchall()
        total = self._conn.execute(f"SELECT count(*) FROM docs d WHERE {cond}", params).fetchone()[0]
        facets = {}
        for field in query.facets:  # names checked against FACET_FIELDS by SearchQuery
            counts = self._conn.execute(
                f"SELECT d.{field} AS v, count(*) AS n FROM docs d WHERE {cond} AND d.{field} IS NOT NULL "
                f"GROUP BY v ORDER BY n DESC, v", params).fetchall()
            facets[field] = {r["v"]: r["n"] for r in counts}
        return SearchResult(hits=[_hit(dict(r), needles) for r in rows], total=total, facets=facets)


def _substring_clause(parsed: ParsedQuery) -> tuple[str, list]:
    """Every typed part as a substring: trigram index, or short fields for 1-2 characters."""
    clauses, params = [], []
    for s in parsed.substrings:
        if len(s) >= 3:
            clauses.append("d.rowid IN (SELECT rowid FROM grams WHERE grams MATCH ?)")
            params.append(_fts_string(s))
        else:
            clauses.append("(norm_contains(d.title, ?) OR norm_contains(d.department, ?))")
            params += [s, s]
    return " AND ".join(clauses), params


def _filter_sql(filters: Filters) -> tuple[list[str], list]:
    where, params = [], []
    for name, value in filters.equals().items():
        where.append(f"d.{name} = ?")  # name comes from Filters' own field list
        params.append(value)
    years = filters.year_range()
    if years:
        where.append("d.fiscal_year BETWEEN ? AND ?")
        params += list(years)
    return where, params


def _hit(row: dict, needles: tuple[str, ...]) -> Hit:
    return Hit(
        id=row["id"], title=row["title"], department=row["department"], region=region_of(row),
        fiscal_year=row["fiscal_year"], kind=row["kind"], detail_url=row["detail_url"],
        snippet=make_snippet(row["text"], row["title"], needles), score=float(row["score"]),
    )


def _norm_contains(value: str | None, needle: str) -> bool:
    return value is not None and needle in normalise(value)


def _batches(items: Iterator, size: int) -> Iterator[list]:
    items = iter(items)
    while batch := list(islice(items, size)):
        yield batch
