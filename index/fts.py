"""Embedded backend: SQLite FTS5 over jieba tokens, in `search.db` in the data directory.

Tables: `docs` (one small row per record: what is filtered, faceted and shown), `texts`
(its text, zlib-compressed, apart so that scans of `docs` stay fast), `words` (contentless FTS5 over the
letter-encoded token streams of index.terms; bm25 weights title above body above
sub-words) and `grams` (contentless FTS5 trigram index of the normalised title,
department and text, for the substring fallback).  The FTS tables are contentless to
keep the file small: a row is removed by recomputing its tokens from `docs` and `texts`,
which is exact because `meta.format` pins everything that shapes tokens (jieba version,
domain words, quotes); a file written with another format is rebuilt empty.

User text reaches SQL only as bound parameters, and FTS5 only as letter-encoded tokens
or as a double-quoted trigram string with its quotes doubled.
"""
from __future__ import annotations

import hashlib
import sqlite3
import threading
import zlib
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path

import jieba
import sqlite_utils

from index.base import FACET_FIELDS, Filters, Hit, SearchQuery, SearchResult, flatten, no_hits, region_of
from index.segment import DOMAIN_WORDS, QUOTES, normalise
from index.snippet import make_snippet
from index.terms import GAP, ParsedQuery, index_streams, parse_query

WEIGHTS = (10.0, 1.0, 0.5)  # bm25 weights of title, body, sub-words
_BM25 = f"-bm25(words, {', '.join(map(str, WEIGHTS))})"
RANK_LIMIT = 20_000  # more matches than this are not ranked by bm25 (see FtsBackend._ranked)
_MATCHED = "words JOIN docs d ON d.rowid = words.rowid"
_SUM_LIMIT = 64  # facet fields with at most this many values are counted without GROUP BY
BATCH = 2000  # records per transaction: FTS5 flushes and merges segments at each commit
FORMAT = hashlib.sha256(
    "|".join(("fts-4", jieba.__version__, GAP, QUOTES, *DOMAIN_WORDS)).encode()
).hexdigest()[:16]
_FIELDS = ("id", "title", "department", "province", "city", "county", "admin_code",
           "fiscal_year", "kind", "detail_url", "published_date")
_TABLES = ("docs", "texts", "words", "grams")


def _fts_string(s: str) -> str:
    return '"' + s.replace('"', '""') + '"'


def _tokens_of(batch: list[dict]) -> dict[str, tuple[str, str, str, str]]:
    return {row["id"]: _tokens(row) for row in batch}


def _tokens(row: dict) -> tuple[str, str, str, str]:
    """What the two FTS tables hold for a row: three token streams, normalised text."""
    title, text = normalise(row["title"]), normalise(row["text"])
    streams = index_streams(title, text)
    return streams.title, streams.body, streams.sub, "\n".join((title, normalise(row["department"]), text))


class FtsBackend:
    """SQLite FTS5 index; safe to share between threads (one connection, one lock)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(self.path, check_same_thread=False)
        self._conn.row_factory = sqlite3.Row
        self._conn.create_function("norm_contains", 2, _norm_contains, deterministic=True)
        self._lock = threading.Lock()
        self._distinct: dict[str, list] = {}  # facet field -> its values, see _values
        self._data_version = -1  # PRAGMA data_version when _distinct was valid
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
            for table in _TABLES:
                db.execute(f"DROP TABLE IF EXISTS {table}")
        db["docs"].create(
            {"rowid": int, "id": str, "title": str, "department": str, "province": str,
             "city": str, "county": str, "admin_code": str, "fiscal_year": int, "kind": str,
             "published_date": str, "detail_url": str},
            pk="rowid", not_null={"id"}, if_not_exists=True,
        )
        db["docs"].create_index(["id"], unique=True, if_not_exists=True)
        db["docs"].create_index(["published_date", "id"], if_not_exists=True)
        db["texts"].create({"rowid": int, "text": bytes}, pk="rowid", if_not_exists=True)
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
            written += self._write(batch, _tokens_of(batch))  # segmenting outside the lock
        return written

    def _write(self, batch: list[dict], tokens: dict[str, tuple]) -> int:
        with self._lock, self._conn:
            self._distinct.clear()
            self._write_batch(batch, tokens)
        return len(batch)

    def _write_batch(self, batch: list[dict], tokens: dict[str, tuple]) -> None:
        latest = {row["id"]: row for row in batch}  # the last of repeated ids wins
        old = self._remove(list(latest))
        cols = ", ".join(_FIELDS)
        marks = ", ".join("?" for _ in _FIELDS)
        words, grams, texts = [], [], []
        for rid, row in latest.items():
            cur = self._conn.execute(f"INSERT INTO docs (rowid, {cols}) VALUES (?, {marks})",
                                     (old.get(rid), *(row[c] for c in _FIELDS)))
            title, body, sub, norm = tokens[rid]
            words.append((cur.lastrowid, title, body, sub))
            grams.append((cur.lastrowid, norm))
            texts.append((cur.lastrowid, zlib.compress(row["text"].encode("utf-8"), 6)))
        self._conn.executemany("INSERT INTO texts (rowid, text) VALUES (?, ?)", texts)
        self._conn.executemany("INSERT INTO words (rowid, title, body, sub) VALUES (?, ?, ?, ?)", words)
        self._conn.executemany("INSERT INTO grams (rowid, norm) VALUES (?, ?)", grams)

    def _remove(self, ids: list[str]) -> dict[str, int]:
        """Remove records by id from every table; returns the rowids they had."""
        words, grams, rowids = [], [], {}
        for chunk in _batches(ids, 500):
            marks = ", ".join("?" for _ in chunk)
            for r in self._conn.execute(
                    "SELECT d.rowid, d.id, d.title, d.department, t.text FROM docs d "
                    f"JOIN texts t ON t.rowid = d.rowid WHERE d.id IN ({marks})", chunk):
                title, body, sub, norm = _tokens(_unpacked(r))  # what FTS5 was given for the row
                words.append((r["rowid"], title, body, sub))
                grams.append((r["rowid"], norm))
                rowids[r["id"]] = r["rowid"]
        self._conn.executemany(
            "INSERT INTO words (words, rowid, title, body, sub) VALUES ('delete', ?, ?, ?, ?)", words)
        self._conn.executemany("INSERT INTO grams (grams, rowid, norm) VALUES ('delete', ?, ?)", grams)
        for table in ("docs", "texts"):
            self._conn.executemany(f"DELETE FROM {table} WHERE rowid = ?", [(i,) for i in rowids.values()])
        return rowids

    def delete(self, ids: Iterable[str]) -> None:
        with self._lock, self._conn:
            self._distinct.clear()
            self._remove([str(i) for i in ids])

    def clear(self) -> None:
        with self._lock, self._conn:
            self._distinct.clear()
            self._conn.execute("DELETE FROM docs")
            self._conn.execute("DELETE FROM texts")
            self._conn.execute("INSERT INTO words (words) VALUES ('delete-all')")
            self._conn.execute("INSERT INTO grams (grams) VALUES ('delete-all')")

    def count(self) -> int:
        with self._lock:
            return self._conn.execute("SELECT count(*) FROM docs").fetchone()[0]

    def optimize(self) -> None:
        """Merge FTS5 segments and fold the WAL into the file (worth it after a bulk build)."""
        with self._lock:
            with self._conn:
                self._conn.execute("INSERT INTO words (words) VALUES ('optimize')")
                self._conn.execute("INSERT INTO grams (grams) VALUES ('optimize')")
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # -- searching ----------------------------------------------------------------

    def search(self, query: SearchQuery) -> SearchResult:
        for field in query.facets:
            if field not in FACET_FIELDS:  # never let a name reach SQL unchecked
                raise ValueError(f"cannot facet on {field!r}")
        parsed = parse_query(query.text)
        with self._lock:
            if parsed.empty:
                return no_hits(query) if query.text.strip() else self._run(query, None, ())
            match = " AND ".join(_fts_string(t.encoded) for t in parsed.terms)
            needles = tuple(t.text for t in parsed.terms) + tuple(w for t in parsed.terms for w in t.words)
            result = self._run(query, match, needles)
            if result.total or parsed.segmentation_trusted or not parsed.substrings:
                return result
            return self._run(query, _substring_clause(parsed), parsed.substrings)

    def _run(self, query: SearchQuery, text: str | tuple[str, list] | None,
             needles: tuple[str, ...]) -> SearchResult:
        """Page of hits, total and facets for a token match (str), a fallback clause or none."""
        filters, filter_params = _filter_sql(query.filters)
        if isinstance(text, str):
            source, where, params = _MATCHED, ["words MATCH ?", *filters], [text, *filter_params]
        else:
            source, where, params = "docs d", filters, filter_params
            if text:
                where, params = [*where, text[0]], [*params, *text[1]]
        cond = " AND ".join(where) or "1"
        if isinstance(text, str) and not filters and not query.facets:  # FTS5 counts alone, no join
            total, facets = self._conn.execute(
                "SELECT count(*) FROM words WHERE words MATCH ?", [text]).fetchone()[0], {}
        else:
            total, facets = self._count(source, cond, params, query.facets)
        if isinstance(text, str) and query.sort == "relevance":
            page = self._ranked(text, filters, filter_params, total, query.limit, query.offset)
        else:
            page = [(r[0], 0.0) for r in self._conn.execute(
                f"SELECT d.rowid FROM {source} WHERE {cond} ORDER BY d.published_date DESC, d.id "
                "LIMIT ? OFFSET ?", [*params, query.limit, query.offset])]
        return SearchResult(hits=self._hits(page, needles), total=total, facets=facets)

    def _ranked(self, match: str, filters: list[str], params: list, total: int,
                limit: int, offset: int) -> list[tuple[int, float]]:
        """A page by bm25 or, past RANK_LIMIT matches, title matches then the rest, newest first.

        bm25 costs about a microsecond per match (and FTS5 seeks a single row slowly), so
        ranking every match of a word that is in nearly every disclosure (预算) would take
        longer than the whole query may; such pages carry score 0.0, as date order does.
        """
        cond = " AND ".join(["words MATCH ?", *filters])
        if total <= RANK_LIMIT:
            return [tuple(r) for r in self._conn.execute(
                f"SELECT rowid, score FROM (SELECT d.rowid AS rowid, d.id AS id, {_BM25} AS score "
                f"FROM {_MATCHED} WHERE {cond}) ORDER BY score DESC, id LIMIT ? OFFSET ?",
                [match, *params, limit, offset])]
        rowids: list[int] = []
        in_title = f"{{title}} : ({match})"
        found = self._by_date(in_title, cond, params, limit, offset)
        rowids += found
        if len(rowids) < limit:
            if not found and not offset:  # nothing in titles: the rest is every match
                rest, offset = match, 0
            else:  # the rest starts after the title matches: offset + found, if any were left
                before = offset + len(found) if found else self._conn.execute(
                    f"SELECT count(*) FROM {_MATCHED} WHERE {cond}", [in_title, *params]).fetchone()[0]
                rest, offset = f"({match}) NOT {in_title}", max(0, offset - before)
            rowids += self._by_date(rest, cond, params, limit - len(rowids), offset)
        return [(r, 0.0) for r in rowids]

    def _by_date(self, match: str, cond: str, params: list, limit: int, offset: int) -> list[int]:
        return [r[0] for r in self._conn.execute(
            f"SELECT d.rowid FROM {_MATCHED} WHERE {cond} ORDER BY d.published_date DESC, d.id "
            "LIMIT ? OFFSET ?", [match, *params, limit, offset])]

    def _count(self, source: str, cond: str, params: list, fields) -> tuple[int, dict]:
        """Total and per-field value counts of the matching rows.

        Fields with few distinct values are counted with one `sum(field = value)` per
        value in a single pass, which needs no sort (GROUP BY over 100,000 matches sorts
        them, several times slower); fields with many values fall back to GROUP BY.
        """
        few = [f for f in fields if len(self._values(f)) <= _SUM_LIMIT]
        slots = [(f, v) for f in few for v in self._values(f)]
        row = self._conn.execute(
            f"SELECT {', '.join(['count(*)', *(f'sum(d.{f} = ?)' for f, _ in slots)])} "
            f"FROM {source} WHERE {cond}", [*(v for _, v in slots), *params]).fetchone()
        facets: dict[str, dict] = {f: {} for f in fields}
        for (f, v), n in zip(slots, row[1:]):
            if n:
                facets[f][v] = n
        for f in fields:
            if f not in few:
                facets[f] = dict(self._conn.execute(
                    f"SELECT d.{f}, count(*) FROM {source} WHERE {cond} AND d.{f} IS NOT NULL "
                    f"GROUP BY d.{f}", params).fetchall())
        return row[0], {f: dict(sorted(c.items(), key=lambda kv: (-kv[1], str(kv[0])))) for f, c in facets.items()}

    def _values(self, field: str) -> list:
        """A field's distinct values over the whole index (cached until the next write,
        here or by another connection: SQLite's data_version tells)."""
        version = self._conn.execute("PRAGMA data_version").fetchone()[0]
        if version != self._data_version:
            self._distinct.clear()
            self._data_version = version
        if field not in self._distinct:
            self._distinct[field] = [r[0] for r in self._conn.execute(
                f"SELECT DISTINCT {field} FROM docs WHERE {field} IS NOT NULL LIMIT ?", [_SUM_LIMIT + 1])]
        return self._distinct[field]

    def _hits(self, page: list[tuple[int, float]], needles: tuple[str, ...]) -> list[Hit]:
        if not page:
            return []
        marks = ", ".join("?" for _ in page)
        rows = {r["rowid"]: _unpacked(r) for r in self._conn.execute(
            f"SELECT d.rowid AS rowid, {', '.join('d.' + c for c in _FIELDS)}, t.text FROM docs d "
            f"JOIN texts t ON t.rowid = d.rowid WHERE d.rowid IN ({marks})", [rowid for rowid, _ in page])}
        return [_hit(rows[rowid], score, needles) for rowid, score in page]


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


def _hit(row: dict, score: float, needles: tuple[str, ...]) -> Hit:
    return Hit(
        id=row["id"], title=row["title"], department=row["department"], region=region_of(row),
        fiscal_year=row["fiscal_year"], kind=row["kind"], detail_url=row["detail_url"],
        snippet=make_snippet(row["text"], row["title"], needles), score=float(score),
    )


def _unpacked(row: sqlite3.Row) -> dict:
    """A row with its text decompressed (texts are stored zlib-compressed: a third the size)."""
    out = dict(row)
    out["text"] = zlib.decompress(out["text"]).decode("utf-8")
    return out


def _norm_contains(value: str | None, needle: str) -> bool:
    return value is not None and needle in normalise(value)


def _batches(items: Iterable, size: int) -> Iterator[list]:
    items = iter(items)
    while batch := list(islice(items, size)):
        yield batch
