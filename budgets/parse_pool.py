"""Documents parsed N at a time, for one writer that saves each result as it comes.

N threads each drive their own isolated worker process (`parsers.isolation`): a thread
reads a document's blobs, its worker reads every file alone under the time and memory
limits and then extracts the record. The threads only wait on pipes and files, so the work
runs in the N workers: N jobs make N heavy processes, never a pool per document. archive.db
stays with the caller's thread, which hands out jobs as threads free up and writes results.
"""
from __future__ import annotations

import os
import queue
import threading
from collections.abc import Iterable, Iterator

from archive.blobs import BlobStore
from budgets.parse_job import DocumentJob, DocumentResult, run_job
from parsers.isolation import IsolatedReader

JOBS_WAITING_PER_THREAD = 2  # enough that no thread idles while the writer saves a result


def default_jobs() -> int:
    """The cores this process may run on (os.process_cpu_count() from Python 3.13 on)."""
    counted = getattr(os, "process_cpu_count", None)
    if counted is not None:
        return counted() or 1
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


class ParsePool:
    def __init__(self, blobs: BlobStore, jobs: int) -> None:
        if jobs < 1:
            raise ValueError(f"jobs must be at least 1, not {jobs}")
        self.blobs = blobs
        self._todo: queue.Queue[DocumentJob | None] = queue.Queue()
        self._done: queue.Queue[DocumentResult | BaseException] = queue.Queue()
        self._readers = [IsolatedReader() for _ in range(jobs)]
        # daemon threads: a parse stopped by Ctrl-C exits without waiting for the file being read
        self._threads = [threading.Thread(target=self._work, args=(reader,), name=f"parse-{i}", daemon=True)
                         for i, reader in enumerate(self._readers)]
        for thread in self._threads:
            thread.start()

    def __enter__(self) -> ParsePool:
        return self

    def __exit__(self, exc_type, *_) -> None:
        self.close(finished=exc_type is None)

    def _work(self, reader: IsolatedReader) -> None:
        while (job := self._todo.get()) is not None:
            try:
                self._done.put(run_job(reader, self.blobs, job))
            except Exception as exc:  # a bug here (not in the parsers, whose failures are results) stops the caller
                self._done.put(exc)

    @property
    def threads(self) -> int:
        return len(self._threads)

    def submit(self, job: DocumentJob) -> None:
        """Queue one job; its result comes out of `next_result`."""
        self._todo.put(job)

    def next_result(self, timeout: float | None = None) -> DocumentResult | None:
        """The next result to complete, or None when none came within `timeout` seconds."""
        try:
            result = self._done.get(timeout=timeout)
        except queue.Empty:
            return None
        if isinstance(result, BaseException):
            raise result
        return result

    def results(self, jobs: Iterable[DocumentJob]) -> Iterator[DocumentResult]:
        """The results of `jobs` in the order they complete. Jobs are drawn from `jobs` in the
        caller's thread (it may read archive.db to make them) only as threads free up."""
        pending = iter(jobs)
        waiting, more = 0, True
        while True:
            while more and waiting < JOBS_WAITING_PER_THREAD * self.threads:
                job = next(pending, None)
                if job is None:
                    more = False
                else:
                    self.submit(job)
                    waiting += 1
            if not waiting:
                return
            result = self.next_result()
            waiting -= 1
            assert result is not None  # no timeout: a result always comes
            yield result

    def close(self, finished: bool = True) -> None:
        """Stop the threads and their workers; unless the caller `finished`, kill the workers mid-file."""
        while True:
            try:
                self._todo.get_nowait()
            except queue.Empty:
                break
        if not finished:
            for reader in self._readers:
                reader.kill()
        for _ in self._threads:
            self._todo.put(None)
        for thread in self._threads:
            thread.join()
        for reader in self._readers:
            reader.close()
