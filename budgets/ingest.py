"""The single writer of a distributed crawl: worker messages from Redis into the archive.

Workers push one JSON message per fetch, 304, failure, page, document and withdrawal. The
writer takes them in batches (moved, atomically, to a processing list), applies a batch in
one SQLite transaction that also records the batch's message ids, then clears the list. A
writer killed at any point finds the batch in the processing list on restart and skips the
messages the committed transaction already applied: every message is written exactly once.

Pages and documents go through the same `ArchiveWriter` as a local crawl's pipeline, so a
distributed crawl makes the same archive. When the crawl's frontier is empty (nothing queued,
nothing in flight, no message left) the writer writes the WARC records, parses and indexes
the new documents, ends the run, and leaves the run's summary in Redis for `budgets crawl`.

With `parse_workers`, the writer does not parse: it hands each new document to the
`budgets parse-worker` processes (`budgets.parse_queue`) as it is written and saves their
records as they come; a crawl ends once every record is in. Should no parse worker be alive,
the writer parses what is left itself.
"""
from __future__ import annotations

import json
import logging
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from archive import Archive
from archive.lock import WriterLock
from budgets.crawl import run_summary
from budgets.parse_queue import ParseQueue
from crawler.distributed import frontier
from crawler.distributed.keys import Keys
from crawler.distributed.session import crawl_fields, crawl_stats, current_crawl, lean_headers
from crawler.items import AttachmentResult, DocumentItem, PageGoneItem, PageItem
from crawler.pipelines import ArchiveWriter

logger = logging.getLogger(__name__)


# how often a busy writer saves what the parse workers sent back and hands out new documents
PARSE_CHECK_SECONDS = 2.0

URL_STATE_FIELDS = ("url", "final_url", "status", "sha256", "headers", "etag", "last_modified", "role",
                    "last_seen", "last_checked")


# set-aside entries are {"error": ..., "message": the original message}; moved back in one script
_RETRY_FAILED = """
local moved = 0
while true do
  local raw = redis.call('RPOP', KEYS[1])
  if not raw then return moved end
  redis.call('LPUSH', KEYS[2], cjson.decode(raw)['message'])
  moved = moved + 1
end
"""


def item_from_message(message: dict):
    data = dict(message["item"])
    if message["kind"] == "page":
        return PageItem(**data)
    if message["kind"] == "gone":
        return PageGoneItem(**data)
    data["files"] = [AttachmentResult(**f) for f in data["files"]]
    return DocumentItem(**data)


class Ingest:
    def __init__(self, server, keys: Keys, data_dir: Path, batch: int = 200,
                 process: Callable[[bool], str] | None = None, warc_every: int = 200,
                 parse_workers: bool = False) -> None:
        self.server = server
        self.keys = keys
        self.data_dir = Path(data_dir)
        self.batch = batch
        # parses and indexes what is new (and at a crawl's end runs the saved searches); returns a report
        self.process = process
        self.warc_every = warc_every
        self.parse_workers = parse_workers
        self.parse_queue: ParseQueue | None = None
        self._written_docs: set[str] = set()  # documents written since they were last handed out
        self._parse_checked = 0.0
        self._archive: Archive | None = None
        self._lock: WriterLock | None = None
        self._runs: dict[int, int] = {}
        self._regions: dict[int, dict[str, dict]] = {}
        self._counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self._unwritten_fetches = 0
        self._new_documents = 0
        self.applied = 0
        self.failed = 0

    # -- lifecycle ------------------------------------------------------------------------
    def open(self) -> None:
        """Take the data directory (one writer), recover from a killed writer, publish URL states."""
        self._lock = WriterLock(self.data_dir, "budgets ingest").acquire()
        self._archive = Archive(self.data_dir)
        self.archive.warc.recover()
        # a worker may be writing a blob right now: only temporary files left long ago are debris
        self.archive.blobs.remove_partial_writes(older_than=3600)
        self.publish_url_states()
        left = self.server.lrange(self.keys.items_processing, 0, -1)
        if left:
            logger.warning("re-applying %d messages a stopped writer had taken", len(left))
            self.apply(left)
        if self.parse_workers and self.process:
            self.parse_queue = ParseQueue(self.server, self.keys, self.archive)
            # what is stale since the last run (a new parser version, a killed writer) goes out too
            self.parse_queue.dispatch()

    def publish_url_states(self, chunk: int = 1000) -> int:
        """Tell the workers what the archive knows of every URL (for conditional requests and for
        answering stable pages from the blob store), where Redis knows nothing newer."""
        db = self.archive.db
        published = 0
        rows = db.db.execute("select url, final_url, status, sha256, headers, etag, last_modified, role, "
                             "last_seen, last_checked from urls where sha256 is not null")
        while batch := rows.fetchmany(chunk):
            states = [dict(zip(URL_STATE_FIELDS, row)) for row in batch]
            for state in states:
                state["headers"] = lean_headers(state["headers"])
            known = self.server.hmget(self.keys.state, [s["url"] for s in states])
            pipe = self.server.pipeline(transaction=False)
            for state, raw in zip(states, known):
                old = json.loads(raw) if raw else None
                if old is None or (old.get("last_checked") or "") < (state["last_checked"] or ""):
                    pipe.hset(self.keys.state, state.pop("url"), json.dumps(state, ensure_ascii=False))
                    published += 1
            pipe.execute()
        return published

    @property
    def archive(self) -> Archive:
        """The archive, open between `open()` and `close()`."""
        assert self._archive is not None, "the writer is not open"
        return self._archive

    def close(self) -> None:
        if self._archive is not None:
            self.checkpoint()
            self._archive.close()
        if self._lock is not None:
            self._lock.release()

    def run(self, idle_exit: float = 0.0, should_stop: Callable[[], bool] = lambda: False) -> None:
        """Write messages as they come; at each quiet moment, finish what can be finished.
        With `idle_exit`, return once no crawl is running and nothing came for that many seconds."""
        self.open()
        try:
            quiet_since: float | None = None
            while not should_stop():
                raws = self.take()
                if raws:
                    self.apply(raws)
                    quiet_since = None
                    if time.monotonic() - self._parse_checked >= PARSE_CHECK_SECONDS:
                        self.parse_remotely()
                    continue
                running = self.on_quiet()
                if idle_exit and not running:
                    quiet_since = quiet_since or time.monotonic()
                    if time.monotonic() - quiet_since >= idle_exit:
                        return
        finally:
            self.close()

    # -- messages ---------------------------------------------------------------------------
    def take(self, wait: float = 1.0) -> list[bytes]:
        """Up to `batch` messages, moved to the processing list; waits up to `wait` s for the first."""
        first = self.server.blmove(self.keys.items, self.keys.items_processing, wait, "LEFT", "RIGHT")
        if first is None:
            return []
        pipe = self.server.pipeline(transaction=True)
        for _ in range(self.batch - 1):
            pipe.lmove(self.keys.items, self.keys.items_processing, "LEFT", "RIGHT")
        return [first, *[raw for raw in pipe.execute() if raw is not None]]

    def apply(self, raws: list[bytes]) -> None:
        """Write a batch in one transaction (message by message if the batch fails), then let it go."""
        db = self.archive.db
        messages = [json.loads(raw) for raw in raws]
        try:
            with db.tx() as conn:
                done = {row[0] for row in conn.execute("select id from ingested")}
                conn.execute("delete from ingested")
                for message in messages:
                    if message["id"] not in done:
                        self.handle(message)
                    conn.execute("insert or ignore into ingested (id) values (?)", [message["id"]])
                self._flush_counts()
        except Exception as exc:  # one bad message must not stop the rest
            logger.error("a batch of %d messages failed (%s); writing them one by one", len(messages), exc)
            self._counts.clear()
            self._apply_one_by_one(messages, raws)
        self.server.delete(self.keys.items_processing)
        self.applied += len(messages)
        logger.info("wrote %d messages (%d so far)", len(messages), self.applied)
        if self._unwritten_fetches >= self.warc_every:
            self.checkpoint()

    def _apply_one_by_one(self, messages: list[dict], raws: list[bytes]) -> None:
        db = self.archive.db
        for message, raw in zip(messages, raws):
            try:
                with db.tx() as conn:
                    if conn.execute("select 1 from ingested where id = ?", [message["id"]]).fetchone():
                        continue
                    self.handle(message)
                    conn.execute("insert into ingested (id) values (?)", [message["id"]])
                    self._flush_counts()
            except Exception as exc:
                self._counts.clear()
                self.failed += 1
                logger.error("message %s (%s) could not be written: %s", message.get("id"), message.get("kind"), exc)
                self.server.rpush(self.keys.items_failed, json.dumps(
                    {"error": f"{type(exc).__name__}: {exc}", "message": raw.decode("utf-8", "replace")},
                    ensure_ascii=False))

    def retry_failed(self) -> int:
        """Put the messages set aside as unwritable back at the head of the line; return how many."""
        return int(self.server.eval(_RETRY_FAILED, 2, self.keys.items_failed, self.keys.items))

    def handle(self, message: dict) -> None:
        db = self.archive.db
        kind, crawl_id = message["kind"], message.get("crawl") or 0
        if kind == "crawl_start":
            # an earlier crawl, abandoned or seeded over, ends where the new one starts
            for run_id, earlier in db.db.execute("select id, distributed_crawl from runs where status = 'running' "
                                                 "and distributed_crawl < ?", [crawl_id]).fetchall():
                db.finish_run(run_id, self._run_stats(run_id, earlier))
            self._runs[crawl_id] = db.distributed_run(crawl_id, message.get("start_urls") or [])
            return
        run_id = self.run_of(crawl_id)
        # which worker fetched it, beside when and how: provenance of every archived body
        row = {**message.get("row", {}), "run_id": run_id, "worker": message.get("worker")}
        if kind == "fetch":
            if not self.archive.blobs.exists(row["sha256"]):
                raise FileNotFoundError(f"body {row['sha256']} of {row['url']} is not in {self.archive.blobs.root}: "
                                        "do the workers' --blobs and this writer's DATA/blobs name the same store?")
            db.record_fetch(row, message.get("blob_path"))
            self._unwritten_fetches += 1
        elif kind == "failure":
            db.record_fetch(row)
        elif kind == "revalidated":
            db.revalidated(row)
        elif kind == "touch":
            db.touch_url(message["url"], run_id)
        elif kind in ("page", "document", "gone"):
            counts = self._counts[run_id]
            item = item_from_message(message)
            writer = ArchiveWriter(db, run_id, self.regions_of(crawl_id),
                                   lambda name: counts.__setitem__(name, counts[name] + 1))
            if isinstance(item, DocumentItem):
                self._new_documents += 1
                self._written_docs.add(writer.document(item))
            else:
                writer.write(item)
        else:
            raise ValueError(f"unknown message kind {kind!r}")

    def regions_of(self, crawl_id: int) -> dict[str, dict]:
        """Region metadata per portal host from the crawl's config (read once: it can be large)."""
        if crawl_id not in self._regions:
            config = current_crawl(self.server, self.keys)
            self._regions = {crawl_id: config.regions if config.crawl_id == crawl_id else {}}
        return self._regions[crawl_id]

    def run_of(self, crawl_id: int) -> int:
        if crawl_id not in self._runs:
            self._runs[crawl_id] = self.archive.db.distributed_run(crawl_id, [])
        return self._runs[crawl_id]

    def _flush_counts(self) -> None:
        for run_id, counts in self._counts.items():
            if counts:
                self.archive.db.add_run_counts(run_id, dict(counts))
        self._counts.clear()

    # -- quiet moments ------------------------------------------------------------------------
    def checkpoint(self) -> None:
        """Write the WARC records of what was fetched; on a full disk say so and try again later."""
        try:
            self.archive.warc.checkpoint()
            self._unwritten_fetches = 0
        except OSError as exc:
            logger.error("WARC checkpoint failed, records left for the next one: %s", exc)

    def on_quiet(self) -> bool:
        """Nothing to take: write WARC records, parse, and end the crawl if it is over.
        Returns whether a crawl is still running."""
        if self._unwritten_fetches:
            self.checkpoint()
        parsing = self.parse_remotely()
        crawl = crawl_fields(self.server, self.keys)
        if crawl.get("state") != "running":
            if self._new_documents and self.process and not parsing:
                self._new_documents = 0
                self._process(crawl_ended=False)
            return parsing
        frontier.requeue_dead(self.server, self.keys)
        state = frontier.snapshot(self.server, self.keys)
        if state["queued"] or state["in_flight"] or state["items"] or parsing:
            return True
        self.finish(int(crawl["id"]))
        return False

    def parse_remotely(self) -> bool:
        """Hand what was written to the parse workers and save the records they sent back.
        Returns whether they still hold documents; with none alive, `process` parses the rest here."""
        queue = self.parse_queue
        self._parse_checked = time.monotonic()
        if queue is None:
            return False
        queue.requeue_dead()
        while queue.collect():
            pass
        if self._written_docs:
            queue.dispatch(self._written_docs)
            self._written_docs.clear()
        if not queue.pending():
            return False
        if queue.workers_alive():
            return True
        logger.warning("%d documents wait for parse workers and none is alive: the writer parses them", queue.pending())
        queue.withdraw()
        return False

    def _process(self, crawl_ended: bool) -> str:
        """Parse and index; a failure (the search server down, say) is reported, and the archive
        is complete all the same: `budgets reparse` / `budgets index` catch up later."""
        if self.process is None:  # the callers ask first
            return ""
        try:
            return self.process(crawl_ended)
        except Exception as exc:
            logger.error("parsing or indexing failed: %s", exc)
            return f"Parsing or indexing failed ({type(exc).__name__}: {exc}); run `budgets reparse` to catch up"

    def _run_stats(self, run_id: int, crawl_id: int) -> dict:
        """The writer's counts (documents) with the workers' (fetches, bytes, answers from the archive)."""
        row = self.archive.db.db.execute("select stats from runs where id = ?", [run_id]).fetchone()
        stats = json.loads(row[0] or "{}") if row else {}
        return {**stats, **crawl_stats(self.server, self.keys, crawl_id)}

    def finish(self, crawl_id: int) -> None:
        """The frontier is empty and every message written: end the run, parse, index, report."""
        db = self.archive.db
        run_id = self.run_of(crawl_id)
        self.checkpoint()
        report = ""
        if self.process:
            self._new_documents = 0
            report = self._process(crawl_ended=True)
        db.finish_run(run_id, self._run_stats(run_id, crawl_id))
        summary = run_summary(db, run_id)
        self.server.hset(self.keys.crawl, mapping={
            "state": "finished", "run_id": run_id, "report": report,
            "summary": json.dumps(summary, ensure_ascii=False)})
        logger.info("crawl %d finished as run %d", crawl_id, run_id)
