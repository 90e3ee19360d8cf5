"""WARC files of what was fetched, written from the archive in checkpoints.

Records are written from the database and blob store rather than from inside the
download path: each checkpoint writes the not-yet-written fetches to a temporary file,
marks them in the database, then renames the file into place. A crawl killed at any point
leaves either a complete WARC file or none (the temporary file is discarded and its
fetches are written again at the next checkpoint), so `warcio check` always passes and no
record is written twice. Digests are sha256; a payload already written once becomes a
`revisit` record pointing at the first.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
from datetime import UTC, datetime
from http import HTTPStatus
from io import BytesIO
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archive.blobs import BlobStore
from archive.db import ArchiveDB

WARC_DIR = "warc"


def sha256_label(data: bytes) -> str:
    return "sha256:" + base64.b32encode(hashlib.sha256(data).digest()).decode()


def _warc_date(iso: str) -> str:
    """Fetch timestamps are ISO with a Z suffix; WARC 1.1 wants the same form."""
    return datetime.strptime(iso, "%Y-%m-%dT%H:%M:%S.%fZ").strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _http_header_bytes(status: int, headers: dict[str, list[str]]) -> bytes:
    """The response head as received: header values were stored latin-1-decoded, so this is byte-exact."""
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Unknown"
    lines = [f"HTTP/1.1 {status} {reason}"]
    for name, values in headers.items():
        for v in values if isinstance(values, list) else [values]:
            lines.append(f"{name}: {v}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")


class RawHttpHeaders(StatusAndHeaders):
    """HTTP headers that warcio writes byte for byte.

    warcio re-encodes non-ASCII header values (a raw GBK `Content-Disposition` filename,
    common on these portals) as RFC 8187 UTF-8, which both alters the archived response
    and would break the block digest computed over what was received.
    """

    def __init__(self, raw: bytes) -> None:
        super().__init__("", [], protocol="")
        self.raw = raw
        self.headers_buff = raw

    def compute_headers_buffer(self, header_filter=None) -> None:
        self.headers_buff = self.raw

    def __bool__(self) -> bool:  # warcio tests `if record.http_headers:`; no parsed list here
        return True


class WarcSpool:
    """Writes the archive's unwritten fetches into WARC files under `data/warc/`."""

    def __init__(self, data_dir: Path, db: ArchiveDB, blobs: BlobStore, prefix: str = "crawl") -> None:
        self.dir = Path(data_dir) / WARC_DIR
        self.dir.mkdir(parents=True, exist_ok=True)
        self.data_dir = Path(data_dir)
        self.db = db
        self.blobs = blobs
        self.prefix = prefix

    def recover(self) -> None:
        """Undo a checkpoint cut short: drop temporary files, unmark fetches whose file is missing."""
        for tmp in self.dir.glob("*.tmp"):
            tmp.unlink()
        for (name,) in self.db.db.execute("select distinct warc_file from fetches where warc_file is not null").fetchall():
            if not (self.data_dir / name).is_file():
                with self.db.tx() as conn:
                    conn.execute(
                        "update fetches set warc_file = null, warc_record_id = null where warc_file = ?", [name])
                    conn.execute(
                        "update blobs set warc_record_id = null, warc_date = null, warc_uri = null "
                        "where warc_record_id not in (select warc_record_id from fetches where warc_record_id is not null)")

    def checkpoint(self) -> int:
        """Write all pending fetches with a body to one new WARC file; return how many.

        While a crawl holds its commits, only the fetches committed so far: those held are
        written by a later checkpoint, as they would have been had they come a moment later."""
        last = self.db.committed_fetch()
        pending = self.db.query(
            "select id, url, status, headers, sha256, fetched_at from fetches "
            "where sha256 is not null and warc_file is null and id <= ? order by id",
            [last if last is not None else 2**62])
        # a body lost from the blob store cannot be written; it stays pending (`budgets verify` reports it)
        pending = [row for row in pending if self.blobs.exists(row["sha256"])]
        if not pending:
            return 0
        seq = self.db.db.execute("select count(distinct warc_file) from fetches where warc_file is not null").fetchone()[0]
        name = f"{self.prefix}-{datetime.now(UTC):%Y%m%d%H%M%S}-{seq:05d}.warc.gz"
        final = self.dir / name
        tmp = final.with_suffix(final.suffix + ".tmp")
        marks: list[tuple[str, str, int]] = []
        first_records: dict[str, tuple[str, str, str]] = {}
        try:
            with tmp.open("wb") as fh:
                writer = WARCWriter(fh, gzip=True, warc_version="1.1")
                for row in pending:
                    record_id = self._write_one(writer, row, first_records)
                    marks.append((f"{WARC_DIR}/{name}", record_id, row["id"]))
                fh.flush()
                os.fsync(fh.fileno())
        except BaseException:
            tmp.unlink(missing_ok=True)  # e.g. a full disk: give the space back, write these at the next checkpoint
            raise
        with self.db.tx() as conn:
            conn.executemany("update fetches set warc_file = ?, warc_record_id = ? where id = ?", marks)
            for sha, (rid, date, uri) in first_records.items():
                conn.execute(
                    "update blobs set warc_record_id = ?, warc_date = ?, warc_uri = ? where sha256 = ? and warc_record_id is null",
                    [rid, date, uri, sha])
        self.db.flush()  # the marks committed before the file takes its name: never a record written twice
        os.replace(tmp, final)
        return len(pending)

    def _write_one(self, writer: WARCWriter, row: dict, first_records: dict) -> str:
        sha = row["sha256"]
        headers = json.loads(row["headers"] or "{}")
        http_bytes = _http_header_bytes(row["status"] or 200, headers)
        date = _warc_date(row["fetched_at"])
        body = self.blobs.get(sha)
        payload_digest = sha256_label(body)
        known = first_records.get(sha) or self._first_record(sha)
        http_headers = RawHttpHeaders(http_bytes)
        if known:
            ref_id, ref_date, ref_uri = known
            record = writer.create_warc_record(
                row["url"], "revisit", payload=BytesIO(b""), length=0, http_headers=http_headers,
                warc_headers_dict={
                    "WARC-Date": date,
                    "WARC-Profile": "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest",
                    "WARC-Refers-To": ref_id, "WARC-Refers-To-Target-URI": ref_uri,
                    "WARC-Refers-To-Date": ref_date,
                    "WARC-Payload-Digest": payload_digest,
                    "WARC-Block-Digest": sha256_label(http_bytes),
                },
            )
        else:
            record = writer.create_warc_record(
                row["url"], "response", payload=BytesIO(body), length=len(body), http_headers=http_headers,
                warc_headers_dict={
                    "WARC-Date": date,
                    "WARC-Payload-Digest": payload_digest,
                    "WARC-Block-Digest": sha256_label(http_bytes + body),
                },
            )
        writer.write_record(record)
        record_id = record.rec_headers.get_header("WARC-Record-ID")
        if not known:
            first_records[sha] = (record_id, date, row["url"])
        return record_id

    def _first_record(self, sha: str) -> tuple[str, str, str] | None:
        row = self.db.db.execute(
            "select warc_record_id, warc_date, warc_uri from blobs where sha256 = ? and warc_record_id is not null",
            [sha]).fetchone()
        return tuple(row) if row else None
