"""Parse jobs through Redis: the writer hands documents to `budgets parse-worker` processes.

In a distributed crawl the single writer would otherwise parse every document on its own
cores. With parse workers, the writer pushes each new or stale document as a job (ids and
sha256s, never bytes: workers read the shared blob store) and saves the records that come
back, one SQLite transaction each, so its work per document is that transaction.

Guarantees, as for crawl requests:
- a worker takes a job by moving it to its in-flight list; when its heartbeat lapses (killed,
  machine lost) whoever notices first puts those jobs back in line;
- a worker pushes a result and drops the job from its in-flight list in one transaction;
- the writer moves results to its processing list, saves them, then clears the list; a writer
  killed in between finds the list on restart and saves what is not saved yet;
- a result is saved only if its document's inputs are still the ones the job named (a newer
  job is queued otherwise) and only once per input: nothing is lost, nothing parsed twice is
  written twice.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import asdict

from archive import Archive
from budgets.parse_job import DocumentJob, DocumentResult
from budgets.process import ProcessReport, current_fingerprint, save_result, stale_jobs
from crawler.distributed.keys import Keys, live_members
from parsers.model import Context
from parsers.version import PARSER_VERSION

logger = logging.getLogger(__name__)

# Put the jobs of every registered parse worker whose heartbeat has expired back at the head
# of the line, and forget the worker.
_REQUEUE_DEAD = """
local moved = 0
for _, w in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('EXISTS', ARGV[1] .. ':parse:worker:' .. w) == 0 then
    local inflight = ARGV[1] .. ':parse:inflight:' .. w
    while redis.call('LMOVE', inflight, KEYS[2], 'RIGHT', 'LEFT') do moved = moved + 1 end
    redis.call('SREM', KEYS[1], w)
  end
end
return moved
"""


def encode_job(job: DocumentJob) -> str:
    """A job as queued: the document's inputs and the parser version they are to be read with."""
    return json.dumps({"parser_version": PARSER_VERSION, "job": asdict(job)}, ensure_ascii=False)


def job_from_dict(data: dict) -> DocumentJob:
    return DocumentJob(**{**data, "context": Context(**data["context"]), "files": [tuple(f) for f in data["files"]]})


def decode_job(raw: bytes | str) -> tuple[str, DocumentJob]:
    """(parser version the writer asked for, the job)."""
    message = json.loads(raw)
    return message["parser_version"], job_from_dict(message["job"])


def encode_result(result: DocumentResult, worker: str) -> str:
    return json.dumps({"parser_version": PARSER_VERSION, "worker": worker, "job": asdict(result.job),
                       "record": result.record, "errors": result.errors}, ensure_ascii=False)


class ParseQueue:
    """The writer's side: jobs out, results saved as they come."""

    def __init__(self, server, keys: Keys, archive: Archive) -> None:
        self.server = server
        self.keys = keys
        self.archive = archive
        self._requeue = server.register_script(_REQUEUE_DEAD)
        self.saved = 0
        self.dropped = 0

    def dispatch(self, doc_ids: Iterable[str] | None = None) -> int:
        """Queue a job for every document (of `doc_ids`, default all) whose record is missing or
        stale and not already queued for the same inputs; returns how many were queued."""
        docs = list(self.archive.db.documents(doc_ids))
        jobs = list(stale_jobs(self.archive, docs, False, ProcessReport()))
        # only these documents' entries: the pending hash holds every job out, millions in a national crawl
        pending = self.server.hmget(self.keys.parse_pending, [j.doc_id for j in jobs]) if jobs else []
        queued = 0
        pipe = self.server.pipeline(transaction=True)
        for job, out in zip(jobs, pending):
            if out is not None and out.decode() == job.input_fingerprint:
                continue
            pipe.rpush(self.keys.parse_jobs, encode_job(job))
            pipe.hset(self.keys.parse_pending, job.doc_id, job.input_fingerprint)
            queued += 1
        pipe.execute()
        return queued

    def requeue_dead(self) -> int:
        """Jobs of parse workers that stopped beating go back to the head of the line."""
        return int(self._requeue(keys=[self.keys.parse_workers, self.keys.parse_jobs], args=[self.keys.prefix]))

    def workers_alive(self) -> int:
        return len(live_members(self.server, self.keys.parse_workers, self.keys.parse_alive))

    def withdraw(self) -> None:
        """Take back every job not yet started (the writer parses them itself); results of jobs
        being parsed now are still saved, unless the writer's own record came first."""
        pipe = self.server.pipeline(transaction=True)
        pipe.delete(self.keys.parse_jobs)
        pipe.delete(self.keys.parse_pending)
        pipe.execute()

    def pending(self) -> int:
        """Jobs handed out whose result is not saved yet."""
        return int(self.server.hlen(self.keys.parse_pending))

    def collect(self, limit: int = 100) -> int:
        """Save up to `limit` results (first any a stopped writer had taken); returns how many were
        for the documents' current inputs (saved now, or already saved before a restart)."""
        raws = self.server.lrange(self.keys.parse_results_processing, 0, -1)
        if not raws:
            pipe = self.server.pipeline(transaction=True)
            for _ in range(limit):
                pipe.lmove(self.keys.parse_results, self.keys.parse_results_processing, "LEFT", "RIGHT")
            raws = [raw for raw in pipe.execute() if raw is not None]
        saved = sum(self._save(json.loads(raw)) for raw in raws)
        self.server.delete(self.keys.parse_results_processing)
        return saved

    def _done(self, doc_id: str, fingerprint: str) -> None:
        """The job for these inputs is settled (a newer job for the document stays pending)."""
        if (self.server.hget(self.keys.parse_pending, doc_id) or b"").decode() == fingerprint:
            self.server.hdel(self.keys.parse_pending, doc_id)

    def _save(self, message: dict) -> bool:
        job = job_from_dict(message["job"])
        fingerprint = job.input_fingerprint
        if message["parser_version"] != PARSER_VERSION:
            logger.error("parse worker %s runs parser %s, this writer %s: its record of %s is dropped; "
                         "update the worker", message.get("worker"), message["parser_version"], PARSER_VERSION, job.doc_id)
            self._done(job.doc_id, fingerprint)
            self.dropped += 1
            return False
        if current_fingerprint(self.archive, job.doc_id) != fingerprint:
            # the document changed since (a newer job is queued) or its inputs went missing
            logger.info("record of %s dropped: made from inputs the document no longer has", job.doc_id)
            self._done(job.doc_id, fingerprint)
            self.dropped += 1
            return False
        previous = self.archive.db.parse_of(job.doc_id)
        if not (previous and previous["record"] and previous["input_fingerprint"] == fingerprint):
            save_result(self.archive, DocumentResult(job, message["record"], message["errors"]))
            self.saved += 1
        self._done(job.doc_id, fingerprint)
        return True
