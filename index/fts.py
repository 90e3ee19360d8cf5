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
import json
import sqlite3
import threading
import zlib
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from itertools import islice
from pathlib import Path

import jieba
import numpy as np
import sqlite_utils

from index.base import FACET_FIELDS, Filters, Hit, SearchError, SearchQuery, SearchResult, flatten, no_hits, region_of
from index.segment import DOMAIN_WORDS, QUOTES, normalise
from index.snippet import make_snippet
from index.terms import GAP, ParsedQuery, index_streams, parse_query

WEIGHTS = (10.0, 1.0, 0.5)  # bm25 weights of title, body, sub-words
_BM25 = f"-bm25(words, {', '.join(map(str, WEIGHTS))})"
RANK_LIMIT = 20_000  # more matches than this are not ranked by bm25 (see FtsBackend._ranked)
_MATCHED = "words JOIN docs d ON d.rowid = words.rowid"
_SUM_LIMIT = 2000  # at most this many matches are counted by GROUP BY, more with numpy (_count)
BATCH = 2000  # records per transaction: FTS5 flushes and merges segments at each commit
FORMAT = hashlib.sha256(
    "|".join(("fts-5", jieba.__version__, GAP, QUOTES, *DOMAIN_WORDS)).encode()
).hexdigest()[:16]
_FIELDS = ("id", "title", "department", "province", "city", "county", "admin_code",
           "fiscal_year", "kind", "detail_url", "published_date", "stamp")
_TABLES = ("docs", "texts", "words", "grams")


def _open_readonly(path: Path) -> sqlite3.Connection:
    """search.db as it is, or a SearchError saying why it cannot be searched."""
    from archive.readonly import connect_ro

    if not path.is_file():
        raise SearchError(f"no search index at {path}, and its directory cannot be written to build one")
    try:
        conn = connect_ro(path)
        row = conn.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
    except sqlite3.DatabaseError as exc:
        raise SearchError(f"cannot read the search index {path}: {exc}") from exc
    if not row or row[0] != FORMAT:
        conn.close()
        raise SearchError(f"the search index {path} was built by another version of budgets; "
                          "`budgets index --rebuild` makes it again")
    return conn


def _fts_string(s: str) -> str:
    return '"' + s.replace('"', '""') + '"'


def _tokens(row: dict) -> tuple[str, str, str, str]:
    """What the two FTS tables hold for a row: three token streams, normalised text."""
    title, text = normalise(row["title"]), normalise(row["text"])
    streams = index_streams(title, text)
    return streams.title, streams.body, streams.sub, "\n".join((title, normalise(row["department"]), text))


class FtsBackend:
    """SQLite FTS5 index; safe to share between threads (one connection, one lock)."""

    def __init__(self, path: Path, readonly: bool = False) -> None:
        """`readonly`: for a data directory that cannot be written; search only, nothing is
        created or changed (a missing or outdated index is an error, not rebuilt)."""
        self.path = Path(path)
        if readonly:
            self._conn = _open_readonly(self.path)
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(self.path, check_same_thread=False)
        self._conn.row_factory = sqlite3.Row
        self._conn.create_function("norm_contains", 2, _norm_contains, deterministic=True)
        self._lock = threading.Lock()
        self._distinct: dict[str, tuple[list, np.ndarray]] = {}  # facet field -> values, codes (_codes)
        self._data_version = -1  # PRAGMA data_version when _distinct was valid
        self._db = sqlite_utils.Database(self._conn)
        if readonly:
            return
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._ensure_schema()

    # -- schema -------------------------------------------------------------------

    def _ensure_schema(self) -> None:
        db = self._db
        db.table("meta").create({"key": str, "value": str}, pk="key", if_not_exists=True)
        row = db.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
        if row and row[0] != FORMAT:
            for table in _TABLES:
                db.execute(f"DROP TABLE IF EXISTS {table}")
        db.table("docs").create(
            {"rowid": int, "id": str, "title": str, "department": str, "province": str,
             "city": str, "county": str, "admin_code": str, "fiscal_year": int, "kind": str,
             "published_date": str, "detail_url": str, "stamp": str},
            pk="rowid", not_null={"id"}, if_not_exists=True,
        )
        db.table("docs").create_index(["id"], unique=True, if_not_exists=True)
        db.table("docs").create_index(["published_date", "id"], if_not_exists=True)
        db.table("texts").create({"rowid": int, "text": bytes}, pk="rowid", if_not_exists=True)
        db.execute("CREATE VIRTUAL TABLE IF NOT EXISTS words USING "
                   "fts5(title, body, sub, content='', tokenize='ascii')")
        db.execute("CREATE VIRTUAL TABLE IF NOT EXISTS grams USING "
                   "fts5(norm, content='', tokenize='trigram')")
        db.table("meta").upsert({"key": "format", "value": FORMAT}, pk="key")
        self._conn.commit()

    # -- writing ------------------------------------------------------------------

    def upsert(self, records: Iterable[dict]) -> int:
        """Segments each batch while a writer thread stores the one before, so that a bulk
        build on two cores takes about the longer of the two rather than their sum."""
        written = 0
        with ThreadPoolExecutor(max_workers=1) as writer:
            pending: Future | None = None
            for batch in _batches((flatten(r) for r in records), BATCH):
                latest = {row["id"]: row for row in batch}  # the last of repeated ids wins
                prepared = [(row, _tokens(row), _packed(row["text"])) for row in latest.values()]
                if pending is not None:
                    written += pending.result()
                pending = writer.submit(self._write, prepared, len(batch))
            if pending is not None:
                written += pending.result()
        return written

    def _write(self, prepared: list[tuple[dict, tuple, bytes]], written: int) -> int:
        with self._lock, self._conn:
            self._distinct.clear()
            self._write_batch(prepared)
        return written

    def _write_batch(self, prepared: list[tuple[dict, tuple, bytes]]) -> None:
        """One statement per table for the whole batch, its rows passed as one JSON array.

        sqlite3 releases the GIL while a statement runs and needs it back between rows:
        with executemany, each row waits for the segmenting thread to yield the GIL (up to
        5 ms), which made a concurrent build ten times slower; a single INSERT … SELECT
        FROM json_each runs the whole batch without the GIL.
        """
        ids = [row["id"] for row, _, _ in prepared]
        old = self._remove(ids)
        cols = ", ".join(_FIELDS)
        picks = ", ".join(f"value->>{i}" for i in range(len(_FIELDS) + 1))
        # Replaced rows keep their rowids and go first: a new row takes max(rowid) + 1, which
        # could otherwise be the rowid of a replaced row not yet put back.
        self._conn.execute(
            f"INSERT INTO docs (rowid, {cols}) SELECT {picks} FROM json_each(?) ORDER BY value->>0 IS NULL",
            [_json([old.get(row["id"]), *(row[c] for c in _FIELDS)] for row, _, _ in prepared)])
        rowid_of = json.loads(self._conn.execute(  # one row: each row fetched would wait for the GIL
            "SELECT json_group_object(id, rowid) FROM docs WHERE id IN (SELECT value FROM json_each(?))",
            [_json(ids)]).fetchone()[0])
        rowids = [rowid_of[i] for i in ids]
        self._conn.execute(
            "INSERT INTO words (rowid, title, body, sub) SELECT value->>0, value->>1, value->>2, value->>3 "
            "FROM json_each(?)", [_json([r, *tok[:3]] for r, (_, tok, _) in zip(rowids, prepared))])
        self._conn.execute("INSERT INTO grams (rowid, norm) SELECT value->>0, value->>1 FROM json_each(?)",
                           [_json([r, tok[3]] for r, (_, tok, _) in zip(rowids, prepared))])
        blobs, spans, start = [], [], 1  # the texts as one blob, each row its 1-based span in it
        for r, (_, _, blob) in zip(rowids, prepared):
            blobs.append(blob)
            spans.append([r, start, len(blob)])
            start += len(blob)
        self._conn.execute("INSERT INTO texts (rowid, text) SELECT value->>0, substr(?, value->>1, value->>2) "
                           "FROM json_each(?)", [b"".join(blobs), _json(spans)])

    def _remove(self, ids: list[str]) -> dict[str, int]:
        """Remove records by id from every table; returns the rowids they had."""
        words, grams, rowids = [], [], {}
        for r in self._conn.execute(
                "SELECT d.rowid, d.id, d.title, d.department, t.text FROM docs d "
                "JOIN texts t ON t.rowid = d.rowid WHERE d.id IN (SELECT value FROM json_each(?))", [_json(ids)]):
            title, body, sub, norm = _tokens(_unpacked(r))  # what FTS5 was given for the row
            words.append([r["rowid"], title, body, sub])
            grams.append([r["rowid"], norm])
            rowids[r["id"]] = r["rowid"]
        if not rowids:
            return rowids
        self._conn.execute("INSERT INTO words (words, rowid, title, body, sub) SELECT 'delete', value->>0, "
                           "value->>1, value->>2, value->>3 FROM json_each(?)", [_json(words)])
        self._conn.execute("INSERT INTO grams (grams, rowid, norm) SELECT 'delete', value->>0, value->>1 "
                           "FROM json_each(?)", [_json(grams)])
        for table in ("docs", "texts"):
            self._conn.execute(f"DELETE FROM {table} WHERE rowid IN (SELECT value FROM json_each(?))",
                               [_json(rowids.values())])
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

    def stamps(self) -> dict[str, str | None]:
        with self._lock:
            return dict(self._conn.execute("SELECT id, stamp FROM docs").fetchall())

    def build_aside(self) -> FtsBackend:
        """A fresh index in `search.db.rebuild` (what a killed rebuild left there is thrown away)."""
        aside = self.path.with_name(self.path.name + ".rebuild")
        for leftover in (aside, *(aside.with_name(aside.name + s) for s in ("-wal", "-shm"))):
            leftover.unlink(missing_ok=True)
        return FtsBackend(aside)

    def swap_in(self, built: FtsBackend) -> None:
        """Copy the built file over this one with SQLite's backup API: one transaction, so
        readers (and a kill -9) see the old index or the new one, never a mix."""
        built.optimize()
        with self._lock:
            self._distinct.clear()
            built._conn.backup(self._conn)
        built.close()
        for path in (built.path, *(built.path.with_name(built.path.name + s) for s in ("-wal", "-shm"))):
            path.unlink(missing_ok=True)

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
        if isinstance(text, str) and not filters:  # FTS5 alone finds the rows, no join
            total, facets = self._count("words", "words MATCH ?", [text], query.facets)
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

        SQLite has no hash aggregate: GROUP BY sorts every match, and one `sum(field =
        value)` per value costs a comparison per value per match (60+ ms for 100,000
        matches).  So past _SUM_LIMIT matches the rowids come back as one string
        (`group_concat`, a few ms) and are counted with numpy against each field's value
        codes by rowid (_codes, which reads the whole of `docs` once per write); fewer
        matches are counted by GROUP BY, which needs no such read.
        """
        if not fields:
            return self._conn.execute(f"SELECT count(*) FROM {source} WHERE {cond}", params).fetchone()[0], {}
        key = "rowid" if source == "words" else "d.rowid"
        found = self._conn.execute(f"SELECT group_concat({key}) FROM {source} WHERE {cond}", params).fetchone()[0]
        rowids = np.fromstring(found or "", dtype=np.int64, sep=",")
        facets: dict[str, list] = {}
        if len(rowids) <= _SUM_LIMIT:
            joined = _MATCHED if source == "words" else source
            for f in fields:
                facets[f] = self._conn.execute(
                    f"SELECT d.{f}, count(*) FROM {joined} WHERE {cond} AND d.{f} IS NOT NULL "
                    f"GROUP BY d.{f}", params).fetchall()
        else:
            for f in fields:
                values, codes = self._codes(f)
                counts = np.bincount(codes[rowids], minlength=len(values) + 1)[1:]  # code 0: no value
                facets[f] = [(values[i], int(counts[i])) for i in np.flatnonzero(counts)]
        return len(rowids), {f: dict(sorted(c, key=lambda kv: (-kv[1], str(kv[0])))) for f, c in facets.items()}

    def _codes(self, field: str) -> tuple[list, np.ndarray]:
        """A field's distinct values, and by rowid the 1-based index of each row's value (0
        for none); cached until the next write, here or by another connection (SQLite's
        data_version tells)."""
        version = self._conn.execute("PRAGMA data_version").fetchone()[0]
        if version != self._data_version:
            self._distinct.clear()
            self._data_version = version
        if field not in self._distinct:
            # One row of two aggregates (same scan, same order): far faster than a row each.
            rowids, column = self._conn.execute(
                f"SELECT group_concat(rowid), json_group_array({field}) FROM docs WHERE {field} IS NOT NULL").fetchone()
            column = json.loads(column)
            values = sorted(set(column), key=str)
            index = {v: i for i, v in enumerate(values, 1)}
            top = self._conn.execute("SELECT coalesce(max(rowid), 0) FROM docs").fetchone()[0]
            codes = np.zeros(top + 1, dtype=np.int32)
            codes[np.fromstring(rowids or "", dtype=np.int64, sep=",")] = \
                np.fromiter(map(index.__getitem__, column), np.int32, len(column))
            self._distinct[field] = (values, codes)
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
    where: list[str] = []
    params: list = []
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


def _packed(text: str) -> bytes:
    return zlib.compress(text.encode("utf-8"), 1)  # level 6 takes about twice as long for 4% less


def _json(rows: Iterable) -> str:
    return json.dumps(list(rows), ensure_ascii=False)


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
