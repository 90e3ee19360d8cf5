"""The generated portals served from processes of their own, every body rendered beforehand.

`tests.portals.serve_portals` answers from threads of the caller's process and renders each
page and file (reportlab PDFs, spreadsheets) when asked, keeping only 64 files: in a crawl
benchmark the crawler then waits on a server that shares its interpreter lock, and the
second crawl renders every file again. Here each portal is served by its own forked
process from bodies rendered once, before any crawl, so what a benchmark measures is the
crawler; `cpu_seconds` says what the servers spent.
"""
from __future__ import annotations

import multiprocessing
import os
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs

from tests.portals import Portal, PortalServer

Render = Callable[[dict[str, list[str]]], bytes]


def _memoized(render: Render) -> Render:
    """A render that makes each query's body once (the portal does not change during a benchmark)."""
    made: dict[tuple, bytes] = {}

    def render_once(query: dict[str, list[str]]) -> bytes:
        key = tuple(sorted((k, tuple(v)) for k, v in query.items()))
        if key not in made:
            made[key] = render(query)
        return made[key]

    return render_once


def prerender(portal: Portal) -> int:
    """Render every route's body now; return the bytes made. Query-routed pages (a datastore's
    proxy) are rendered on first request, by the serving process, and kept there."""
    total = 0
    for key, resource in portal.routes.items():
        resource.render = _memoized(resource.render)
        if not resource.query_routed:
            total += len(resource.render(parse_qs(key.partition("?")[2], keep_blank_values=True)))
    return total


def _serve(server: PortalServer) -> None:
    """A server process's life: serve until SIGTERM (blocked before the threads start, so they inherit that)."""
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    server.start()
    signal.sigwait({signal.SIGTERM})
    server.stop()


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a running process, from /proc/PID/stat (fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Served:
    start_urls: list[str]
    pids: list[int]
    rendered_bytes: int
    render_seconds: float

    def cpu(self) -> float:
        return sum(cpu_seconds(pid) for pid in self.pids)


@contextmanager
def serve_in_processes(portals: list[Portal]) -> Iterator[Served]:
    """Serve each portal from a forked process of its own (bound here, on a free port)."""
    started = time.perf_counter()
    rendered = sum(prerender(p) for p in portals)
    render_seconds = time.perf_counter() - started
    servers = [PortalServer(p) for p in portals]
    start_urls = [u for s in servers for u in s.manifest().start_urls]
    context = multiprocessing.get_context("fork")
    procs = [context.Process(target=_serve, args=(s,), daemon=True) for s in servers]
    for proc in procs:
        proc.start()
    try:
        yield Served(start_urls, [p.pid for p in procs if p.pid is not None], rendered, render_seconds)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.join(10)
