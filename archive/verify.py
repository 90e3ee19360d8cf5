"""Check that the archive still holds what its database says, and mend what can be mended.

Bit rot, a half-restored backup, a disk that filled up or a hand-deleted file show up here
rather than months later in a parse: every blob is hashed again, every reference from the
database must name a blob that exists, every blob file must be registered, every WARC file
must pass `warcio check`, every fetch marked as written must have its record in its file, and
(given a search backend) every disclosure must be in the index as the archive has it.

Repair never guesses: a missing or corrupt body is taken back from a WARC `response` record
or fetched again from its URL (same host rules as the crawl) and kept only when its sha256
is the one the archive expects; anything else is reported as unrecoverable.
"""
from __future__ import annotations

import base64
import contextlib
import gzip
import hashlib
import io
import json
import os
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from warcio.archiveiterator import ArchiveIterator

from archive import Archive
from archive.db import now_iso, record_checksum
from archive.warc import WARC_DIR
from crawler.session import host_key, is_private_address, private_rule
from index.sync import converge, index_gaps

# tables and columns that name a blob by its sha256
BLOB_REFERENCES = (("fetches", "sha256"), ("urls", "sha256"), ("pages", "sha256"), ("document_files", "sha256"))
REFETCH_TIMEOUT = 60.0
REFETCH_MAX_BYTES = 200 * 1024 * 1024  # the crawl's DOWNLOAD_MAXSIZE
USER_AGENT = "budgets-archiver/0.1 (+research crawler for public budget disclosures)"

# Refetch(url, allowed) -> body, or None when it cannot be had; `allowed(url)` is the host rule.
Refetch = Callable[[str, Callable[[str], bool]], bytes | None]


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
    database: str = ""
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.database == "ok" and not any(p.outstanding for p in self.problems)

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


def http_refetch(url: str, allowed: Callable[[str], bool]) -> bytes | None:
    """GET `url` once, redirects not followed, body refused beyond the crawl's size limit."""
    if not allowed(url):
        return None

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept-Encoding": "identity"})
    try:
        with opener.open(request, timeout=REFETCH_TIMEOUT) as response:
            if response.status != 200:
                return None
            body = response.read(REFETCH_MAX_BYTES + 1)
    except (OSError, urllib.error.URLError, ValueError):
        return None
    return body if len(body) <= REFETCH_MAX_BYTES else None


class Verifier:
    """One pass over an archive: `run()` checks (and with `repair`, mends) and returns the report."""

    def __init__(self, data_dir: Path, repair: bool = False, refetch: Refetch = http_refetch,
                 index=None) -> None:
        self.archive = Archive(data_dir)
        self.index = index  # a search backend to check against the archive, or None
        self.data_dir = Path(data_dir)
        self.db = self.archive.db
        self.blobs = self.archive.blobs
        self.repair = repair
        self.refetch = refetch
        self.report = VerifyReport()
        self.bad_warcs: set[str] = set()

    def run(self) -> VerifyReport:
        self.report.database = self._integrity()
        self._check_parse_checksums()
        on_disk = self._check_blob_files()
        bad_blobs = self._check_references(on_disk)
        from_warc = self._check_warcs({p.subject for p in bad_blobs})
        if self.repair:
            for problem in bad_blobs:
                self._restore_blob(problem, from_warc)
            self._rewrite_warcs()
        if self.index is not None:
            self._check_index()
        self.archive.close()
        return self.report

    # -- database ---------------------------------------------------------------
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
        rows = self.db.query(
            "select f.url, f.final_url, r.start_urls from fetches f left join runs r on r.id = f.run_id "
            "where f.sha256 = ? and f.status between 200 and 299 and coalesce(f.method, 'GET') = 'GET' "
            "order by f.id desc", [sha])
        for row in rows:
            starts = json.loads(row["start_urls"] or "[]")
            allowed = _host_rule(starts)
            for url in dict.fromkeys(u for u in (row["final_url"], row["url"]) if u):
                body = self.refetch(url, allowed)
                if body is not None and hashlib.sha256(body).hexdigest() == sha:
                    return body
        return None

    # -- search index -------------------------------------------------------------
    def _check_index(self) -> None:
        """Every disclosure is in the index as the archive now has it, and nothing else is."""
        gaps = index_gaps(self.db, self.index)
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
    def _check_warcs(self, wanted: set[str]) -> dict[str, bytes]:
        """`warcio check` every WARC file and match fetches to records; return payloads of `wanted` blobs."""
        warc_dir = self.data_dir / WARC_DIR
        labels = {payload_label(sha): sha for sha in wanted}
        payloads: dict[str, bytes] = {}
        records: dict[str, set[str]] = {}
        for tmp in sorted(warc_dir.glob("*.tmp")):
            problem = self.report.add("temporary file", f"{WARC_DIR}/{tmp.name}", "an interrupted WARC checkpoint",
                                      corrupt=False)
            if self.repair:
                tmp.unlink(missing_ok=True)
                problem.repaired = "removed"
        for path in sorted(warc_dir.glob("*.warc.gz")):
            name = f"{WARC_DIR}/{path.name}"
            self.report.warc_files += 1
            ids, errors = self._check_warc(path, labels, payloads)
            records[name] = ids
            self.report.warc_records += len(ids)
            if errors:
                self.bad_warcs.add(name)
                self.report.add("invalid WARC file", name, "; ".join(errors)[:500])
        self.report.pending_warc = self.db.db.execute(
            "select count(*) from fetches where sha256 is not null and warc_file is null").fetchone()[0]
        for row in self.db.query("select warc_file, count(*) as n from fetches where warc_file is not null "
                                 "group by warc_file"):
            if row["warc_file"] not in records:
                self.report.add("missing WARC file", row["warc_file"], f"{row['n']} fetches marked as written to it")
        for row in self.db.query("select id, warc_file, warc_record_id from fetches where warc_file is not null"):
            ids = records.get(row["warc_file"])
            if ids is not None and row["warc_record_id"] not in ids and row["warc_file"] not in self.bad_warcs:
                self.report.add("missing WARC record", f"fetch {row['id']}",
                                f"{row['warc_record_id']} is not in {row['warc_file']}")
        return payloads

    @staticmethod
    def _check_warc(path: Path, labels: dict[str, str], payloads: dict[str, bytes]) -> tuple[set[str], list[str]]:
        """What `warcio check` does (every digest verified, the whole file read), plus the record ids seen.

        Stricter than `warcio check`, which exits 0 on a file cut short or with a damaged gzip
        member (warcio only writes the zlib error to stderr and reads on): the gzip stream must be
        whole, and whatever warcio complains about on stderr counts as damage.
        """
        ids: set[str] = set()
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
                    sha = labels.get(record.rec_headers.get_header("WARC-Payload-Digest") or "")
                    if sha and record.rec_type == "response" and sha not in payloads:
                        body = record.content_stream().read()
                        if hashlib.sha256(body).hexdigest() == sha:
                            payloads[sha] = body
                    else:
                        stream = record.content_stream()
                        while stream.read(1 << 20):  # digests are checked as the payload streams by
                            pass
                    if record.digest_checker.passed is False:
                        errors.append(f"record {rid} at offset {it.get_record_offset()}: "
                                      + ", ".join(map(str, record.digest_checker.problems)))
                    ids.add(rid)
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


def _is_sha256(name: str) -> bool:
    return len(name) == 64 and all(c in "0123456789abcdef" for c in name)


def _host_rule(start_urls: list[str]) -> Callable[[str], bool]:
    """The crawl's own rule: stay on the run's start hosts; private addresses only if a start URL is one."""
    hosts = {host_key(u) for u in start_urls}
    private_ok = private_rule(start_urls)
    return lambda url: host_key(url) in hosts and (private_ok(url) or not is_private_address(urlsplit(url).hostname or ""))


def verify_archive(data_dir: Path, repair: bool = False, refetch: Refetch = http_refetch,
                   index=None) -> VerifyReport:
    """Check the archive at `data_dir` (and `index`, a search backend, against it); with `repair`,
    mend what can be mended first. See module docstring."""
    return Verifier(data_dir, repair, refetch, index).run()


def format_report(report: VerifyReport) -> str:
    lines = [
        f"Database: {report.database}; {report.parse_records} parse records match their checksums",
        f"Blobs: {report.blob_files} files, {report.blob_bytes} bytes hashed; {report.references} blobs referenced",
        f"WARC: {report.warc_files} files, {report.warc_records} records; "
        f"{report.pending_warc} fetches waiting for the next checkpoint",
    ]
    if report.indexed is not None:
        lines.append(f"Search index: {report.indexed} disclosures indexed as the archive has them")
    if report.problems:
        lines.append("Problems:")
        for p in report.problems:
            state = f"repaired: {p.repaired}" if p.repaired else ("CORRUPT" if p.corrupt else "notice")
            lines.append(f"  [{state}] {p.kind}: {p.subject}" + (f" — {p.detail}" if p.detail else ""))
    outstanding = sum(p.outstanding for p in report.problems)
    lines.append("Archive intact." if report.ok else
                 f"Archive NOT intact: {outstanding} problem(s) outstanding" +
                 ("" if report.database == "ok" else "; the database failed its integrity check"))
    return "\n".join(lines)
