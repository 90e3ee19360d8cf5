"""The archive database: what was fetched, what it was judged to be, what documents it holds.

SQLite through sqlite-utils, in WAL mode. Each write is one transaction (a savepoint inside
a larger one), committed at once, or, while a crawl holds commits (`hold_commits`), with
the others of its batch at the next `flush`: a process killed at any moment loses at most
the writes since the last commit, a prefix of them kept, never part of one. Paths stored
here are relative to the data directory, so the directory can be moved.
"""
from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils

SCHEMA_VERSION = 1


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


TABLES: dict[str, dict[str, Any]] = {
    # one row per crawl invocation; a run still "running" when the next starts was killed
    "runs": dict(
        columns={"id": int, "started_at": str, "finished_at": str, "start_urls": str,
                 "status": str, "resumed_from": int, "stats": str, "distributed_crawl": int},
        pk="id",
    ),
    # ids of the ingest writer's last committed batch of messages: a batch taken again after
    # the writer was killed between its commit and clearing it from Redis is not applied twice
    "ingested": dict(
        columns={"id": str},
        pk="id",
    ),
    # every network fetch (and every refusal or error) in order
    "fetches": dict(
        columns={"id": int, "run_id": int, "url": str, "final_url": str, "method": str,
                 "status": int, "headers": str, "sha256": str, "bytes": int,
                 "content_type": str, "fetched_at": str, "elapsed_ms": int, "error": str,
                 "role": str, "warc_file": str, "warc_record_id": str, "worker": str},
        pk="id",
    ),
    # each distinct body; `warc_*` name the first WARC record that carries it (for revisits)
    "blobs": dict(
        columns={"sha256": str, "bytes": int, "path": str, "first_url": str,
                 "first_seen": str, "warc_record_id": str, "warc_date": str, "warc_uri": str},
        pk="sha256",
    ),
    # the current state of each URL fetched successfully: what to serve on resume
    "urls": dict(
        columns={"url": str, "final_url": str, "status": int, "sha256": str, "headers": str,
                 "etag": str, "last_modified": str, "first_seen": str, "last_seen": str,
                 "last_run_id": int, "fetch_id": int, "role": str, "last_checked": str},
        pk="url",
    ),
    # HTML pages read as articles or lists
    "pages": dict(
        columns={"url": str, "host": str, "title": str, "published_date": str,
                 "page_metadata": str, "text": str, "sha256": str, "encoding": str,
                 "first_seen": str, "last_seen": str},
        pk="url",
    ),
    # the detection decision for each article page, with the words that decided it
    "decisions": dict(
        columns={"url": str, "is_disclosure": int, "reason": str, "detail": str, "kind": str,
                 "fiscal_year": int, "department": str, "decided_at": str, "run_id": int},
        pk="url",
    ),
    "documents": dict(
        columns={"id": str, "detail_url": str, "title": str, "kind": str, "fiscal_year": int,
                 "department": str, "published_date": str, "page_metadata": str,
                 "text": str, "fingerprint": str, "portal": str, "region_hint": str, "status": str,
                 "first_seen": str, "last_seen": str, "version": int, "withdrawn_at": str},
        pk="id",
    ),
    "document_pages": dict(
        columns={"document_id": str, "url": str, "role": str, "first_seen": str, "gone_at": str},
        pk=("document_id", "url"),
    ),
    "document_files": dict(
        columns={"document_id": str, "url": str, "position": int, "sha256": str,
                 "content_type": str, "bytes": int, "filename": str, "error": str},
        pk=("document_id", "url"),
    ),
    # every version of a document's files, oldest first; `record` is what the parsers made of it
    "document_versions": dict(
        columns={"document_id": str, "version": int, "fingerprint": str, "files": str, "record": str,
                 "first_seen": str},
        pk=("document_id", "version"),
    ),
    # what the parsers made of a document, per parser version
    "parses": dict(
        columns={"document_id": str, "parser_version": str, "parsed_at": str,
                 "record": str, "errors": str, "input_fingerprint": str, "checksum": str},
        pk="document_id",
    ),
    # links seen but never followed because they leave the crawl's hosts
    "offsite_links": dict(
        columns={"url": str, "found_on": str, "first_seen": str},
        pk="url",
    ),
}

INDEXES = [
    ("fetches", ["run_id"]),
    ("fetches", ["url"]),
    ("document_pages", ["url"]),
    ("documents", ["fingerprint"]),
    ("documents", ["first_seen", "id"]),
]


class ArchiveDB:
    """Thin wrapper over the archive's SQLite file with the queries the project needs."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(self.path), timeout=60, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        self.db = sqlite_utils.Database(conn)
        self._held: Callable[[], None] | None = None  # while commits are held: what must be durable first
        self._committed_fetch = 0  # while commits are held: the last fetch id committed
        self._ensure_schema()

    def _ensure_schema(self) -> None:
        for name, spec in TABLES.items():
            table = self.db.table(name)
            if table.exists():
                # archives made by an older version gain the columns added since
                for col, typ in spec["columns"].items():
                    if col not in table.columns_dict:
                        table.add_column(col, typ)
            else:
                table.create(spec["columns"], pk=spec["pk"])
        for name, cols in INDEXES:
            self.db.table(name).create_index(cols, if_not_exists=True)
        self.db.conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    def close(self) -> None:
        self.db.conn.close()

    # -- writing ----------------------------------------------------------------
    # Writes go through plain SQL inside one explicit transaction: sqlite-utils' own
    # writes commit as they go, which would split a fetch's rows across a kill -9.
    @contextmanager
    def tx(self):
        """One transaction; inside another (the ingest writer's batch, a crawl's held batch), a
        savepoint of it, so a write that fails leaves none of its rows in the batch."""
        conn = self.db.conn
        outer = not conn.in_transaction
        if outer:
            conn.execute("BEGIN IMMEDIATE")
        conn.execute("SAVEPOINT tx")
        try:
            yield conn
        except BaseException:
            if conn.in_transaction:  # SQLite may have rolled it all back already (a full disk)
                conn.execute("ROLLBACK TO tx")
                conn.execute("RELEASE tx")
                if outer and self._held is None:
                    conn.execute("ROLLBACK")
            raise
        conn.execute("RELEASE tx")
        if outer and self._held is None:
            conn.execute("COMMIT")

    def hold_commits(self, before_commit: Callable[[], None]) -> None:
        """Keep the writes from here on in one open transaction until `flush`, which first calls
        `before_commit` (the crawl syncs the blobs the rows name)."""
        self._committed_fetch = self._last_fetch()
        self._held = before_commit

    def flush(self) -> None:
        """Commit the held writes (their `before_commit` first); a no-op with nothing held."""
        if self._held is not None and self.db.conn.in_transaction:
            self._held()
            last = self._last_fetch()
            self.db.conn.execute("COMMIT")
            self._committed_fetch = last

    def committed_fetch(self) -> int | None:
        """While commits are held, the last fetch id committed (later ones may yet be lost); else None."""
        return self._committed_fetch if self._held is not None else None

    def _last_fetch(self) -> int:
        return self.db.conn.execute("select coalesce(max(id), 0) from fetches").fetchone()[0]

    def release_commits(self) -> None:
        """Commit what is held and commit each write at once again."""
        self.flush()
        self._held = None

    def insert_row(self, table: str, row: dict, on_conflict: str = "") -> int:
        cols = ", ".join(f"[{c}]" for c in row)
        marks = ", ".join("?" for _ in row)
        cur = self.db.conn.execute(f"INSERT {on_conflict} INTO [{table}] ({cols}) VALUES ({marks})", list(row.values()))
        assert cur.lastrowid is not None  # set by every executed INSERT
        return cur.lastrowid

    def upsert_row(self, table: str, row: dict) -> None:
        pk = TABLES[table]["pk"]
        keys = (pk,) if isinstance(pk, str) else pk
        cols = ", ".join(f"[{c}]" for c in row)
        marks = ", ".join("?" for _ in row)
        sets = ", ".join(f"[{c}] = excluded.[{c}]" for c in row if c not in keys)
        conflict = ", ".join(f"[{k}]" for k in keys)
        self.db.conn.execute(
            f"INSERT INTO [{table}] ({cols}) VALUES ({marks}) ON CONFLICT({conflict}) DO UPDATE SET {sets}",
            list(row.values()))

    # -- runs -----------------------------------------------------------------
    def start_run(self, start_urls: list[str]) -> tuple[int, int | None]:
        """Open a run; return (run id, id of the unfinished run it resumes, if any)."""
        key = json.dumps(sorted(start_urls), ensure_ascii=False)
        unfinished = self.db.execute(
            "select id, resumed_from from runs where status in ('running', 'stopped') and start_urls = ? "
            "order by id desc limit 1",
            [key],
        ).fetchone()
        # a run killed while resuming a killed run resumes the whole chain, from its first run
        resumed = (unfinished[1] or unfinished[0]) if unfinished else None
        with self.tx() as conn:
            if unfinished:
                conn.execute("update runs set status = 'interrupted' where id = ?", [unfinished[0]])
            run_id = self.insert_row("runs", {"started_at": now_iso(), "start_urls": key, "status": "running",
                                           "resumed_from": resumed})
        return int(run_id), resumed

    def distributed_run(self, crawl_id: int, start_urls: list[str]) -> int:
        """The run of distributed crawl `crawl_id`, opened on first use."""
        row = self.db.execute("select id from runs where distributed_crawl = ?", [crawl_id]).fetchone()
        if row:
            return int(row[0])
        with self.tx():
            return int(self.insert_row("runs", {
                "started_at": now_iso(), "start_urls": json.dumps(sorted(start_urls), ensure_ascii=False),
                "status": "running", "distributed_crawl": crawl_id, "stats": "{}"}))

    def add_run_counts(self, run_id: int, counts: dict[str, int]) -> None:
        """Add to a run's counters (in the caller's transaction, with the rows they count)."""
        row = self.db.execute("select stats from runs where id = ?", [run_id]).fetchone()
        stats = json.loads(row[0] or "{}") if row else {}
        for name, n in counts.items():
            stats[name] = stats.get(name, 0) + n
        with self.tx() as conn:
            conn.execute("update runs set stats = ? where id = ?", [json.dumps(stats, ensure_ascii=False), run_id])

    def finish_run(self, run_id: int, stats: dict, status: str = "finished") -> None:
        """Close a run: "finished", or "stopped" (by a signal: the next run with its start URLs resumes it)."""
        with self.tx() as conn:
            conn.execute("update runs set finished_at = ?, status = ?, stats = ? where id = ?",
                         [now_iso(), status, json.dumps(stats, ensure_ascii=False, default=str), run_id])

    # -- fetches and bodies ---------------------------------------------------
    def record_fetch(self, row: dict, blob_path: str | None = None) -> int:
        """Log one fetch; on success also remember the body and the URL's current state."""
        row = {"fetched_at": now_iso(), **row}
        with self.tx():
            fetch_id = self.insert_row("fetches", row)
            sha = row.get("sha256")
            # only a successful GET is something a later request for the URL may be answered with
            ok = sha and 200 <= (row.get("status") or 0) < 300 and row.get("method", "GET") == "GET"
            if sha:
                self.insert_row("blobs", {"sha256": sha, "bytes": row.get("bytes"), "path": blob_path,
                                       "first_url": row["url"], "first_seen": row["fetched_at"]}, "OR IGNORE")
            if ok:
                headers = json.loads(row.get("headers") or "{}")
                existing = self.db.execute("select first_seen from urls where url = ?", [row["url"]]).fetchone()
                self.upsert_row("urls", {"url": row["url"], "final_url": row.get("final_url"), "status": row.get("status"),
                     "sha256": sha, "headers": row.get("headers"),
                     "etag": first_header(headers, "etag"), "last_modified": first_header(headers, "last-modified"),
                     "first_seen": existing[0] if existing else row["fetched_at"],
                     "last_seen": row["fetched_at"], "last_run_id": row.get("run_id"), "fetch_id": fetch_id,
                     "role": row.get("role"), "last_checked": row["fetched_at"]})
        return fetch_id

    def url_state(self, url: str) -> dict | None:
        rows = list(self.db.query("select * from urls where url = ?", [url]))
        return rows[0] if rows else None

    def gone_since(self, url: str, run_id: int) -> dict | None:
        """The last 404 or 410 answer for `url` in run `run_id` or later, as a URL state: what a
        resumed run answers with instead of asking again."""
        rows = list(self.db.query(
            "select url, final_url, status, sha256, headers, role from fetches where url = ? and run_id >= ? "
            "and status in (404, 410) and sha256 is not null order by id desc limit 1", [url, run_id]))
        return rows[0] if rows else None

    def touch_url(self, url: str, run_id: int) -> None:
        with self.tx():
            self.db.execute("update urls set last_run_id = ?, last_seen = ? where url = ?", [run_id, now_iso(), url])

    def revalidated(self, row: dict) -> int:
        """Log a 304 answer: the archived body is still current as of now."""
        row = {"fetched_at": now_iso(), **row}
        with self.tx() as conn:
            fetch_id = self.insert_row("fetches", row)
            conn.execute("update urls set last_checked = ?, last_seen = ?, last_run_id = ? where url = ?",
                         [row["fetched_at"], row["fetched_at"], row.get("run_id"), row["url"]])
        return fetch_id

    def article_complete(self, url: str) -> bool:
        """The article page at `url` was judged, and if it is a disclosure, every file of it is archived."""
        decided = self.db.execute("select is_disclosure from decisions where url = ?", [url]).fetchone()
        if decided is None:
            return False
        if not decided[0]:
            return True
        doc = self.document_for_url(url)
        return doc is not None and not self.db.execute(
            "select 1 from document_files where document_id = ? and sha256 is null limit 1", [doc]).fetchone()

    def set_url_role(self, url: str, role: str) -> None:
        """Remember what a fetched URL turned out to be (article, list, attachment)."""
        with self.tx():
            self.db.execute("update urls set role = ? where url = ?", [role, url])

    # -- pages, decisions, documents -------------------------------------------
    def save_page(self, row: dict) -> None:
        existing = self.db.execute("select first_seen from pages where url = ?", [row["url"]]).fetchone()
        ts = now_iso()
        row = {**row, "first_seen": existing[0] if existing else ts, "last_seen": ts}
        with self.tx():
            self.upsert_row("pages", row)

    def save_decision(self, row: dict) -> None:
        with self.tx():
            self.upsert_row("decisions", {**row, "decided_at": now_iso()})

    def save_offsite(self, url: str, found_on: str) -> None:
        with self.tx():
            self.insert_row("offsite_links", {"url": url, "found_on": found_on, "first_seen": now_iso()}, "OR IGNORE")

    def document_for_url(self, url: str) -> str | None:
        row = self.db.execute("select document_id from document_pages where url = ?", [url]).fetchone()
        return row[0] if row else None

    def document_exists(self, doc_id: str) -> bool:
        return self.db.execute("select 1 from documents where id = ?", [doc_id]).fetchone() is not None

    def document_by_fingerprint(self, fingerprint: str) -> str | None:
        row = self.db.execute("select id from documents where fingerprint = ? order by first_seen limit 1",
                              [fingerprint]).fetchone()
        return row[0] if row else None

    def save_document(self, doc: dict, files: list[dict], page_url: str, role: str) -> str:
        """Insert or refresh a document, its page link and its files in one transaction.

        Returns "new", "revised" (its files changed: a new version is kept beside the old
        ones), "unchanged" or "duplicate" (the page is another publication of a known document).
        """
        ts = now_iso()
        with self.tx() as conn:
            existing = conn.execute("select first_seen, fingerprint, version from documents where id = ?",
                                    [doc["id"]]).fetchone()
            self.insert_row("document_pages", {"document_id": doc["id"], "url": page_url, "role": role,
                                            "first_seen": ts}, "OR IGNORE")
            conn.execute("update document_pages set gone_at = null where document_id = ? and url = ?",
                         [doc["id"], page_url])
            if existing and role == "duplicate":
                conn.execute("update documents set last_seen = ?, status = 'active', withdrawn_at = null "
                             "where id = ?", [ts, doc["id"]])
                return "duplicate"
            version = existing[2] if existing else 0
            outcome = "unchanged" if existing and existing[1] == doc["fingerprint"] else ("revised" if existing else "new")
            if outcome == "revised" and self._only_completes(doc["id"], version, files):
                # files that could not be fetched before now are: the same version, now complete
                conn.execute("update document_versions set fingerprint = ?, files = ? where document_id = ? "
                             "and version = ?", [doc["fingerprint"], json.dumps(files, ensure_ascii=False),
                                                 doc["id"], version])
                outcome = "unchanged"
            if outcome != "unchanged":
                version += 1
                self.insert_row("document_versions", {"document_id": doc["id"], "version": version,
                                                   "fingerprint": doc["fingerprint"],
                                                   "files": json.dumps(files, ensure_ascii=False), "first_seen": ts})
            self.upsert_row("documents", {**doc, "status": "active", "withdrawn_at": None, "version": version,
                                       "first_seen": existing[0] if existing else ts, "last_seen": ts})
            conn.execute("delete from document_files where document_id = ?", [doc["id"]])
            for pos, f in enumerate(files):
                self.insert_row("document_files", {**f, "document_id": doc["id"], "position": pos}, "OR REPLACE")
        return outcome

    def _only_completes(self, doc_id: str, version: int, files: list[dict]) -> bool:
        """The new files are the version's own, with bytes now where it had none (a file never
        fetched is not a version: a full disk or an outage must not make a revision)."""
        row = self.db.execute("select files from document_versions where document_id = ? and version = ?",
                              [doc_id, version]).fetchone()
        before = {f["url"]: f.get("sha256") for f in json.loads(row[0] or "[]")} if row else {}
        now = {f["url"]: f.get("sha256") for f in files}
        return (before.keys() == now.keys() and any(sha is None for sha in before.values())
                and all(sha is None or sha == now[url] for url, sha in before.items()))

    def page_gone(self, url: str) -> str | None:
        """A document's page now answers 404/410: mark it; a document with no page left is withdrawn."""
        ts = now_iso()
        with self.tx() as conn:
            row = conn.execute("select document_id from document_pages where url = ?", [url]).fetchone()
            if not row:
                return None
            conn.execute("update document_pages set gone_at = coalesce(gone_at, ?) where url = ?", [ts, url])
            left = conn.execute("select count(*) from document_pages where document_id = ? and gone_at is null",
                                [row[0]]).fetchone()[0]
            if left == 0:
                conn.execute("update documents set status = 'withdrawn', withdrawn_at = coalesce(withdrawn_at, ?) "
                             "where id = ?", [ts, row[0]])
                return "withdrawn"
        return "page_gone"

    def versions(self, doc_id: str) -> list[dict]:
        return list(self.db.query(
            "select * from document_versions where document_id = ? order by version", [doc_id]))

    def save_version_record(self, doc_id: str, fingerprint: str, record: str) -> None:
        with self.tx() as conn:
            conn.execute("update document_versions set record = ? where document_id = ? and fingerprint = ? "
                         "and version = (select max(version) from document_versions where document_id = ? "
                         "and fingerprint = ?)", [record, doc_id, fingerprint, doc_id, fingerprint])

    def documents(self, ids: Iterable[str] | None = None) -> Iterator[dict]:
        """Every document (or those of `ids`), oldest first."""
        if ids is None:
            yield from self.db.query("select * from documents order by first_seen, id")
            return
        wanted = list(dict.fromkeys(ids))
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            yield from self.db.query(f"select * from documents where id in ({','.join('?' * len(chunk))}) "
                                     "order by first_seen, id", chunk)

    def document(self, doc_id: str) -> dict | None:
        return next(iter(self.db.query("select * from documents where id = ?", [doc_id])), None)

    def document_pages(self, doc_id: str) -> list[dict]:
        return list(self.db.query(
            "select * from document_pages where document_id = ? order by role = 'duplicate', first_seen, url", [doc_id]))

    def document_files(self, doc_id: str) -> list[dict]:
        return list(self.db.query(
            "select * from document_files where document_id = ? order by position", [doc_id]))

    def save_parse(self, row: dict) -> None:
        with self.tx():
            self.upsert_row("parses", {**row, "parsed_at": now_iso(), "checksum": record_checksum(row["record"])})

    def keep_stale_parse(self, doc_id: str, errors: str) -> None:
        """An input is missing: keep the last parse's record, with the errors, and make it stale
        (an input fingerprint no input matches) so that the next pass parses it again."""
        with self.tx() as conn:
            conn.execute("insert into parses (document_id, parser_version, parsed_at, errors, input_fingerprint) "
                         "values (?, '', ?, ?, '') on conflict(document_id) do update set "
                         "errors = excluded.errors, input_fingerprint = ''", [doc_id, now_iso(), errors])

    def parse_of(self, doc_id: str) -> dict | None:
        rows = list(self.db.query("select * from parses where document_id = ?", [doc_id]))
        return rows[0] if rows else None

    def query(self, sql: str, params: Iterable[Any] = ()) -> list[dict]:
        return list(self.db.query(sql, list(params)))


def record_checksum(record: str | None) -> str | None:
    """sha256 of a stored parse record: a flipped byte in archive.db that SQLite's own checks
    miss (58459800.00 read as 58459900.00) is caught by `budgets verify`."""
    return None if record is None else hashlib.sha256(record.encode("utf-8")).hexdigest()


def first_header(headers: dict, name: str) -> str | None:
    for k, v in headers.items():
        if k.lower() == name:
            return v[0] if isinstance(v, list) else v
    return None
