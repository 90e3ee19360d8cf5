"""Check that the archive still holds what its database says, and mend what can be mended.

Bit rot, a half-restored backup, a disk that filled up or a hand-deleted file show up here
rather than months later in a parse: every blob is hashed again, every reference from the
database must name a blob that exists, every blob file must be registered, every WARC file
must pass `warcio check`, every fetch marked as written must have its record in its file, and
(given a search backend) every disclosure must be in the index as the archive has it. With
`deep`, every fetch row must also agree with its WARC record (URL, payload sha256 and length).

What does not need the database is checked without it: when archive.db cannot be read (cut
short, overwritten), every blob is still hashed against its name and every WARC file read, and
the report says what could not be checked. Without `repair` nothing is written: the database
is opened read-only, so a read-only or full data directory can be checked too.

Repair never guesses: a missing or corrupt body is taken back from a WARC `response` record
or fetched again from its URL and kept only when its sha256 is the one the archive expects;
anything else is reported as unrecoverable. The archive never touches the network itself:
fetching again is the caller's `refetch` (the command line passes `crawler.refetch.refetch`,
which keeps to the crawl's host rules and limits); without one, only WARC records restore.
"""
from __future__ import annotations

import base64
import contextlib
import gzip
import hashlib
import io
import json
import os
import sqlite3
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from warcio.archiveiterator import ArchiveIterator

from archive import BLOBS_DIR, DB_NAME, Archive
from archive.blobs import BlobStore
from archive.db import ArchiveDB, now_iso, record_checksum
from archive.readonly import ReadOnlyArchiveDB
from archive.warc import WARC_DIR
from index import SearchError
from index.sync import converge, index_gaps

T = TypeVar("T")
INDEX_NOT_CHECKED = "could not check the search index"  # a problem: an unchecked index is not an intact one
# tables and columns that name a blob by its sha256
BLOB_REFERENCES = (("fetches", "sha256"), ("urls", "sha256"), ("pages", "sha256"), ("document_files", "sha256"))

# Refetch(url, start_urls) -> the body at `url` now, or None when it cannot be had (or the run
# that started from `start_urls` may not fetch it).
Refetch = Callable[[str, list[str]], bytes | None]


@dataclass
class Problem:
    """One thing found wrong; `corrupt` ones fail the check unless repaired."""

    kind: str
    subject: str
    detail: str = ""
    corrupt: bool = True
    repaired: str | None = None  # how it was mended

    @property
    def outstanding(self) -> bool:
        return self.corrupt and self.repaired is None


@dataclass
class VerifyReport:
    blob_files: int = 0
    blob_bytes: int = 0
    references: int = 0
    warc_files: int = 0
    warc_records: int = 0
    pending_warc: int = 0  # fetches with a body not yet written to a WARC file (the next checkpoint writes them)
    parse_records: int = 0  # stored parse records that match their checksum
    indexed: int | None = None  # disclosures found in the search index as the archive has them (None: not checked)
    fetches_matched: int | None = None  # with `deep`: fetch rows that agree with their WARC record
    reparsed: int | None = None  # with --deep: documents parsed again whose result is the stored one
    database: str = ""
    unreadable: str | None = None  # why archive.db could not be read: what needs it was not checked
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.database == "ok" and self.unreadable is None and not any(p.outstanding for p in self.problems)

    def add(self, kind: str, subject: str, detail: str = "", corrupt: bool = True) -> Problem:
        problem = Problem(kind, subject, detail, corrupt)
        self.problems.append(problem)
        return problem


def payload_label(sha256_hex: str) -> str:
    """The WARC-Payload-Digest the WARC spool writes for a body with this sha256."""
    return "sha256:" + base64.b32encode(bytes.fromhex(sha256_hex)).decode()


def file_sha256(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


class Verifier:
    """One pass over an archive: `run()` checks (and with `repair`, mends) and returns the report."""

    def __init__(self, data_dir: Path, repair: bool = False, refetch: Refetch | None = None,
                 index=None, deep: bool = False) -> None:
        self.archive: Archive | None = None  # opened for writing only to repair
        self._db: ArchiveDB | None = None
        self.index = index  # a search backend to check against the archive, or None
        self.data_dir = Path(data_dir)
        self.blobs = BlobStore(self.data_dir / BLOBS_DIR)
        self.repair = repair
        self.deep = deep
        self.refetch = refetch
        self.report = VerifyReport()
        self.bad_warcs: set[str] = set()

    def run(self) -> VerifyReport:
        self._guarded(self._open_database)
        self._guarded(self._check_parse_checksums)
        on_disk = self._check_blob_files()
        bad_blobs = self._guarded(lambda: self._check_references(on_disk)) or []
        if self.report.unreadable:
            self._check_blob_names(on_disk)
        records: dict[str, dict[str, dict]] = {}
        from_warc = self._check_warc_files({p.subject for p in bad_blobs}, records)
        self._guarded(lambda: self._match_fetches(records))
        if self.repair and not self.report.unreadable:
            for problem in bad_blobs:
                self._restore_blob(problem, from_warc)
            self._guarded(self._rewrite_warcs)
        if self.index is not None:
            self._guarded(self._check_index)
        if self.report.unreadable and self.index is not None:
            self.report.add(INDEX_NOT_CHECKED, "search index", "archive.db cannot be read to compare it with")
        if self._db is not None:
            self._db.close()
        return self.report

    @property
    def db(self) -> ArchiveDB:
        """archive.db: every step that reads it runs (through `_guarded`) after `_open_database`."""
        assert self._db is not None, "archive.db is not open"
        return self._db

    def _guarded(self, step: Callable[[], T]) -> T | None:
        """Run a step that needs archive.db, unless it is unreadable; a step that finds it
        unreadable (a page cut off, overwritten) ends every later one that needs it."""
        if self.report.unreadable:
            return None
        try:
            return step()
        except sqlite3.DatabaseError as exc:
            self.report.unreadable = f"{type(exc).__name__}: {exc}"
            return None

    # -- database ---------------------------------------------------------------
    def _open_database(self) -> None:
        if self.repair:
            self.archive = Archive(self.data_dir)
            self._db = self.archive.db
        else:
            self._db = ReadOnlyArchiveDB(self.data_dir / DB_NAME)
        self.report.database = self._integrity()

    def _integrity(self) -> str:
        rows = self.db.db.execute("PRAGMA integrity_check").fetchall()
        return "; ".join(r[0] for r in rows)[:500]

    def _check_parse_checksums(self) -> None:
        """Every stored parse record still hashes to the checksum written with it."""
        for row in self.db.query("select document_id, record, checksum from parses where record is not null"):
            if row["checksum"] is None:
                self.report.add("parse without checksum", row["document_id"], "stored before checksums; "
                                "`budgets reparse` writes one", corrupt=False)
            elif record_checksum(row["record"]) != row["checksum"]:
                self.report.add("corrupt parse record", row["document_id"], "its record no longer matches its "
                                "checksum; `budgets reparse` parses it again from the archived files")
            else:
                self.report.parse_records += 1

    # -- blobs --------------------------------------------------------------------
    def _check_blob_files(self) -> dict[str, str]:
        """Hash every file under blobs/; return {name: actual sha256} for the well-named ones."""
        hashes: dict[str, str] = {}
        root = self.blobs.root
        if not root.is_dir():
            return hashes
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            rel = path.relative_to(self.data_dir).as_posix()
            if path.name.startswith(".tmp-"):
                problem = self.report.add("temporary file", rel, "left by an interrupted write", corrupt=False)
                if self.repair:
                    path.unlink(missing_ok=True)
                    problem.repaired = "removed"
                continue
            if not _is_sha256(path.name) or path != self.blobs.path(path.name):
                self.report.add("stray file", rel, "not a blob name or not where its name puts it")
                continue
            self.report.blob_files += 1
            self.report.blob_bytes += path.stat().st_size
            hashes[path.name] = file_sha256(path)
        return hashes

    def _check_blob_names(self, on_disk: dict[str, str]) -> None:
        """Without the database: each blob file still hashes to its name."""
        for sha, actual in sorted(on_disk.items()):
            if actual != sha:
                self.report.add("corrupt blob", sha, f"content hashes to {actual}")

    def _check_references(self, on_disk: dict[str, str]) -> list[Problem]:
        """Every referenced blob exists and is intact; every blob file and reference is registered."""
        referenced: dict[str, set[str]] = {}
        for table, column in BLOB_REFERENCES:
            for (sha,) in self.db.db.execute(f"select distinct [{column}] from [{table}] where [{column}] is not null"):
                referenced.setdefault(sha, set()).add(table)
        registered = {r["sha256"]: r for r in self.db.query("select sha256, bytes, path from blobs")}
        self.report.references = len(referenced.keys() | registered.keys())
        bad: list[Problem] = []
        for sha in sorted(referenced.keys() | registered.keys()):
            users = ", ".join(sorted(referenced.get(sha, set()) | ({"blobs"} if sha in registered else set())))
            if sha not in on_disk:
                bad.append(self.report.add("missing blob", sha, f"referenced by {users}"))
            elif on_disk[sha] != sha:
                bad.append(self.report.add("corrupt blob", sha, f"content hashes to {on_disk[sha]}; referenced by {users}"))
            row = registered.get(sha)
            if row is None:
                problem = self.report.add("unregistered reference", sha, f"{users} name it, table blobs does not")
                self._register(problem, sha, on_disk)
            elif row["path"] != self.blobs.relpath(sha):
                problem = self.report.add("wrong blob path", sha, f"blobs.path is {row['path']!r}")
                if self.repair:
                    with self.db.tx() as conn:
                        conn.execute("update blobs set path = ? where sha256 = ?", [self.blobs.relpath(sha), sha])
                    problem.repaired = "path corrected"
        for sha in sorted(on_disk.keys() - referenced.keys() - registered.keys()):
            if on_disk[sha] != sha:
                self.report.add("corrupt blob", sha, f"unregistered; content hashes to {on_disk[sha]}")
                continue
            # intact, and named by nothing: a process killed between storing a body and logging its fetch
            problem = self.report.add("unregistered blob file", sha, "intact, but no row in table blobs", corrupt=False)
            self._register(problem, sha, on_disk)
        return bad

    def _register(self, problem: Problem, sha: str, on_disk: dict[str, str]) -> None:
        """Give an intact blob file its missing `blobs` row, so nothing archived is left unaccounted."""
        if not self.repair or on_disk.get(sha) != sha:
            return
        first = self.db.db.execute("select url, fetched_at from fetches where sha256 = ? order by id limit 1",
                                   [sha]).fetchone()
        with self.db.tx():
            self.db.insert_row("blobs", {"sha256": sha, "bytes": self.blobs.path(sha).stat().st_size,
                                      "path": self.blobs.relpath(sha), "first_url": first[0] if first else None,
                                      "first_seen": first[1] if first else now_iso()}, "OR IGNORE")
        problem.repaired = "registered"

    def _restore_blob(self, problem: Problem, from_warc: dict[str, bytes]) -> None:
        sha = problem.subject
        body = from_warc.get(sha)
        how = "restored from its WARC record"
        if body is None:
            body, how = self._refetch(sha), "fetched again"
        if body is None:
            problem.detail += "; unrecoverable (no intact WARC record, and its URL did not give these bytes back)"
            return
        self.blobs.path(sha).unlink(missing_ok=True)  # a corrupt file of the right size would be kept by put()
        self.blobs.put(body)
        problem.repaired = how

    def _refetch(self, sha: str) -> bytes | None:
        if self.refetch is None:
            return None
        rows = self.db.query(
            "select f.url, f.final_url, r.start_urls from fetches f left join runs r on r.id = f.run_id "
            "where f.sha256 = ? and f.status between 200 and 299 and coalesce(f.method, 'GET') = 'GET' "
            "order by f.id desc", [sha])
        for row in rows:
            starts = json.loads(row["start_urls"] or "[]")
            for url in dict.fromkeys(u for u in (row["final_url"], row["url"]) if u):
                body = self.refetch(url, starts)
                if body is not None and hashlib.sha256(body).hexdigest() == sha:
                    return body
        return None

    # -- search index -------------------------------------------------------------
    def _check_index(self) -> None:
        """Every disclosure is in the index as the archive now has it, and nothing else is."""
        try:
            gaps = index_gaps(self.db, self.index)
        except SearchError as exc:  # e.g. Meilisearch went down: not checked is not intact
            self.report.add(INDEX_NOT_CHECKED, "search index", str(exc))
            return
        self.report.indexed = len(self.db.query("select id from documents")) - len(gaps.missing) - len(gaps.stale)
        found = [("not in the search index", gaps.missing, "searches miss it"),
                 ("out of date in the search index", gaps.stale, "indexed from an older parse or page"),
                 ("in the search index, not in the archive", gaps.extra, "searches find what the archive lacks")]
        problems = [self.report.add(kind, doc_id, detail) for kind, ids, detail in found for doc_id in ids]
        if self.repair and problems:
            converge(self.db, self.index)
            for problem in problems:
                problem.repaired = "indexed again" if problem.kind != found[2][0] else "removed from the index"

    # -- WARC -------------------------------------------------------------------
    def _check_warc_files(self, wanted: set[str], records: dict[str, dict[str, dict]]) -> dict[str, bytes]:
        """`warcio check` every WARC file, filling `records` (file -> record id -> what the record
        says, with `deep`); return the payloads of `wanted` blobs."""
        warc_dir = self.data_dir / WARC_DIR
        labels = {payload_label(sha): sha for sha in wanted}
        payloads: dict[str, bytes] = {}
        for tmp in sorted(warc_dir.glob("*.tmp")):
            problem = self.report.add("temporary file", f"{WARC_DIR}/{tmp.name}", "an interrupted WARC checkpoint",
                                      corrupt=False)
            if self.repair:
                tmp.unlink(missing_ok=True)
                problem.repaired = "removed"
        for path in sorted(warc_dir.glob("*.warc.gz")):
            name = f"{WARC_DIR}/{path.name}"
            self.report.warc_files += 1
            ids, errors = self._check_warc(path, labels, payloads, self.deep)
            records[name] = ids
            self.report.warc_records += len(ids)
            if errors:
                self.bad_warcs.add(name)
                self.report.add("invalid WARC file", name, "; ".join(errors)[:500])
        return payloads

    def _match_fetches(self, records: dict[str, dict[str, dict]]) -> None:
        """Every fetch marked as written has its record in its file (with `deep`: one that agrees with it)."""
        self.report.pending_warc = self.db.db.execute(
            "select count(*) from fetches where sha256 is not null and warc_file is null").fetchone()[0]
        for row in self.db.query("select warc_file, count(*) as n from fetches where warc_file is not null "
                                 "group by warc_file"):
            if row["warc_file"] not in records:
                self.report.add("missing WARC file", row["warc_file"], f"{row['n']} fetches marked as written to it")
        if self.deep:
            self.report.fetches_matched = 0
        for row in self.db.query("select id, url, sha256, bytes, warc_file, warc_record_id from fetches "
                                 "where warc_file is not null"):
            ids = records.get(row["warc_file"])
            if ids is None or row["warc_file"] in self.bad_warcs:
                continue
            if row["warc_record_id"] not in ids:
                self.report.add("missing WARC record", f"fetch {row['id']}",
                                f"{row['warc_record_id']} is not in {row['warc_file']}")
            elif self.deep:
                differences = record_differences(row, ids[row["warc_record_id"]])
                if differences:
                    self.report.add("fetch disagrees with its WARC record", f"fetch {row['id']}",
                                    "; ".join(differences) + f" ({row['warc_file']})")
                else:
                    self.report.fetches_matched = (self.report.fetches_matched or 0) + 1

    @staticmethod
    def _check_warc(path: Path, labels: dict[str, str], payloads: dict[str, bytes],
                    deep: bool = False) -> tuple[dict[str, dict], list[str]]:
        """What `warcio check` does (every digest verified, the whole file read), plus the records
        seen by id: with `deep`, each with its URL, payload digest and (a response) payload sha256 and length.

        Stricter than `warcio check`, which exits 0 on a file cut short or with a damaged gzip
        member (warcio only writes the zlib error to stderr and reads on): the gzip stream must be
        whole, and whatever warcio complains about on stderr counts as damage.
        """
        ids: dict[str, dict] = {}
        errors: list[str] = []
        try:
            with gzip.open(path, "rb") as fh:
                while fh.read(1 << 20):
                    pass
        except (OSError, EOFError, zlib.error) as exc:
            errors.append(f"gzip stream damaged: {type(exc).__name__}: {exc}")
        complaints = io.StringIO()
        try:
            with path.open("rb") as fh, contextlib.redirect_stderr(complaints):
                it = ArchiveIterator(fh, check_digests=True)
                for record in it:
                    rid = record.rec_headers.get_header("WARC-Record-ID")
                    digest = record.rec_headers.get_header("WARC-Payload-Digest") or ""
                    sha = labels.get(digest)
                    seen = {"type": record.rec_type, "uri": record.rec_headers.get_header("WARC-Target-URI"),
                            "digest": digest}
                    if sha and record.rec_type == "response" and sha not in payloads:
                        body = record.content_stream().read()
                        if hashlib.sha256(body).hexdigest() == sha:
                            payloads[sha] = body
                        seen.update(sha256=hashlib.sha256(body).hexdigest(), length=len(body))
                    else:
                        stream, hasher, length = record.content_stream(), hashlib.sha256(), 0
                        while chunk := stream.read(1 << 20):  # digests are checked as the payload streams by
                            if deep:
                                hasher.update(chunk)
                                length += len(chunk)
                        seen.update(sha256=hasher.hexdigest(), length=length)
                    if record.digest_checker.passed is False:
                        errors.append(f"record {rid} at offset {it.get_record_offset()}: "
                                      + ", ".join(map(str, record.digest_checker.problems)))
                    ids[rid] = seen if deep else {}
        except Exception as exc:  # warcio and gzip raise many kinds on a damaged file; all mean "invalid"
            errors.append(f"{type(exc).__name__}: {exc}")
        errors += [f"warcio: {line}" for line in dict.fromkeys(complaints.getvalue().splitlines()) if line.strip()]
        return ids, errors

    def _rewrite_warcs(self) -> None:
        """Set damaged WARC files aside and write every fetch they (or a missing file) held again."""
        for name in sorted(self.bad_warcs):
            path = self.data_dir / name
            aside = path.with_name(path.name + ".corrupt")
            os.replace(path, aside)
            for p in self.report.problems:
                if p.kind == "invalid WARC file" and p.subject == name:
                    p.repaired = f"set aside as {aside.name}; its fetches written again"
        missing_records = [p for p in self.report.problems if p.kind == "missing WARC record"]
        if missing_records:
            ids = [int(p.subject.split()[1]) for p in missing_records]
            with self.db.tx() as conn:
                conn.executemany("update fetches set warc_file = null, warc_record_id = null where id = ?",
                                 [[i] for i in ids])
        assert self.archive is not None  # opened for writing: this runs only to repair
        self.archive.warc.recover()
        written = self.archive.warc.checkpoint()
        for p in self.report.problems:
            if p.kind in ("missing WARC file", "missing WARC record") and p.repaired is None:
                p.repaired = "written again"
        self.report.pending_warc = self.db.db.execute(
            "select count(*) from fetches where sha256 is not null and warc_file is null").fetchone()[0]
        if written:
            self.report.warc_files += 1
            self.report.warc_records += written


def record_differences(row: dict, seen: dict) -> list[str]:
    """Where a fetch row and its WARC record disagree: URL, payload digest, and for a response
    record (a revisit carries no payload) the payload's sha256 and length."""
    found = []
    if seen["uri"] != row["url"]:
        found.append(f"the record is for {seen['uri']}, the row says {row['url']}")
    if seen["digest"] != payload_label(row["sha256"]):
        found.append(f"the record's payload digest {seen['digest']} is not the row's sha256 {row['sha256']}")
    if seen["type"] == "response":
        if seen["sha256"] != row["sha256"]:
            found.append(f"the record's payload hashes to {seen['sha256']}, the row says {row['sha256']}")
        if row["bytes"] is not None and seen["length"] != row["bytes"]:
            found.append(f"the record's payload is {seen['length']} bytes, the row says {row['bytes']}")
    return found


def _is_sha256(name: str) -> bool:
    return len(name) == 64 and all(c in "0123456789abcdef" for c in name)


def verify_archive(data_dir: Path, repair: bool = False, refetch: Refetch | None = None,
                   index=None, deep: bool = False) -> VerifyReport:
    """Check the archive at `data_dir` (and `index`, a search backend, against it); with `repair`,
    mend what can be mended first. See module docstring."""
    return Verifier(data_dir, repair, refetch, index, deep).run()


def format_report(report: VerifyReport) -> str:
    if report.unreadable:
        lines = [f"Database: archive.db cannot be read ({report.unreadable}); what needs it was not checked: "
                 "references, fetches, parse records, the search index. Checked on their own:",
                 f"Blobs: {report.blob_files} files, {report.blob_bytes} bytes hashed against their names",
                 f"WARC: {report.warc_files} files, {report.warc_records} records read and their digests checked"]
    else:
        lines = [
            f"Database: {report.database}; {report.parse_records} parse records match their checksums",
            f"Blobs: {report.blob_files} files, {report.blob_bytes} bytes hashed; {report.references} blobs referenced",
            f"WARC: {report.warc_files} files, {report.warc_records} records; "
            f"{report.pending_warc} fetches waiting for the next checkpoint",
        ]
    if report.fetches_matched is not None:
        lines.append(f"Fetches: {report.fetches_matched} agree with their WARC records (URL, payload sha256, length)")
    if report.reparsed is not None:
        lines.append(f"Parses: {report.reparsed} documents parsed again from their archived files give what is stored")
    if report.indexed is not None:
        lines.append(f"Search index: {report.indexed} disclosures indexed as the archive has them")
    if report.problems:
        lines.append("Problems:")
        for p in report.problems:
            state = f"repaired: {p.repaired}" if p.repaired else (
                "NOT CHECKED" if p.kind == INDEX_NOT_CHECKED else "CORRUPT" if p.corrupt else "notice")
            lines.append(f"  [{state}] {p.kind}: {p.subject}" + (f" — {p.detail}" if p.detail else ""))
    lines.append(_verdict(report))
    return "\n".join(lines)


def _verdict(report: VerifyReport) -> str:
    """The last line: intact, not intact (and why), or not fully checked."""
    if report.ok:
        return "Archive intact."
    unchecked = [p for p in report.problems if p.kind == INDEX_NOT_CHECKED and p.outstanding]
    damaged = sum(p.outstanding for p in report.problems) - len(unchecked)
    if report.unreadable:
        return f"Archive NOT intact: archive.db cannot be read; {damaged} other problem(s) outstanding"
    if report.database != "ok":
        return f"Archive NOT intact: {damaged} problem(s) outstanding; the database failed its integrity check"
    if damaged:
        return f"Archive NOT intact: {damaged} problem(s) outstanding"
    return f"Archive NOT fully checked: {INDEX_NOT_CHECKED}: {unchecked[0].detail}"
