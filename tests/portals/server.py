"""A threaded loopback HTTP server for one imitation portal, logging every request.

Tests read the log to check what a crawler asked for (and what it must never ask for),
and use the hooks to change the site between crawl passes. Static pages and attachments
carry ETag and Last-Modified and answer conditional requests with 304; dynamic (.jsp)
routes carry neither, as on real portals.
"""
from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .model import Disclosure, Portal, Resource


@dataclass(frozen=True)
class LoggedRequest:
    """One request as the server saw it."""

    method: str
    target: str  # path + query exactly as received (raw bytes of the request line, as latin-1)
    headers: dict[str, str]
    status: int
    time: float
    host: str  # the portal's address
    arrived: float = 0.0  # when the request came in (`time` is when its answer was ready)


@dataclass
class RequestLog:
    """Thread-safe record of every request, in arrival order, and of how many were served at once."""

    _items: list[LoggedRequest] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    active: int = 0
    max_active: int = 0  # the most requests this portal was answering at one time

    @contextmanager
    def serving(self) -> Iterator[None]:
        with self._lock:
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        try:
            yield
        finally:
            with self._lock:
                self.active -= 1

    def append(self, item: LoggedRequest) -> None:
        with self._lock:
            self._items.append(item)

    def records(self) -> list[LoggedRequest]:
        with self._lock:
            return list(self._items)

    def targets(self) -> list[str]:
        return [r.target for r in self.records()]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.max_active = self.active


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha1(body).hexdigest()[:20] + '"'


def _not_modified(headers, etag: str, modified) -> bool:
    """RFC 9110 §13.2.2: If-None-Match decides when present, else If-Modified-Since."""
    inm = headers.get("If-None-Match")
    if inm is not None:
        tags = [t.strip().removeprefix("W/") for t in inm.split(",")]
        return "*" in tags or etag in tags
    ims = headers.get("If-Modified-Since")
    if ims:
        try:
            return modified <= parsedate_to_datetime(ims)
        except (TypeError, ValueError):
            return False
    return False


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    server_version = "Apache-Coyote/1.1"
    sys_version = ""

    def log_message(self, format: str, *args) -> None:  # the RequestLog replaces stderr noise
        pass

    def do_GET(self) -> None:
        self._answer(head=False)

    def do_HEAD(self) -> None:
        self._answer(head=True)

    def do_POST(self) -> None:
        """Hanweb's dataproxy.jsp is POSTed to: its form fields join the query."""
        length = int(self.headers.get("Content-Length") or 0)
        form = self.rfile.read(length).decode("utf-8", errors="replace") if length else ""
        self._answer(head=False, form=form)

    def _answer(self, head: bool, form: str = "") -> None:
        with self.server.log.serving():
            arrived = time.time()
            portal = self.server.portal
            target = self.path
            if form:
                target += ("&" if "?" in target else "?") + form
            if portal.latency:
                time.sleep(portal.latency)
            resource, query = portal.resolve(target)
            ctype: str | None
            headers: dict[str, str]
            if resource is None:
                status, ctype, body, headers = 404, "text/html; charset=utf-8", _page_404(), {}
            else:
                status, ctype, body, headers = self._respond(resource, query)
            # logged before the answer leaves, so a client that has its answer sees the entry
            self.server.log.append(LoggedRequest(
                self.command, self.path, dict(self.headers.items()), status, time.time(), portal.host, arrived,
            ))
            self._send(status, ctype, body, headers, head)

    def _respond(self, resource: Resource, query) -> tuple[int, str | None, bytes, dict[str, str]]:
        if resource.delay:
            time.sleep(resource.delay)
        with self.server.portal.lock:
            failing = resource.failures_served < resource.fail_first
            if failing:
                resource.failures_served += 1
        if failing:
            return 503, "text/html; charset=utf-8", b"<h1>503 Service Unavailable</h1>", {"Retry-After": "1"}
        body = resource.render(query)
        headers = dict(resource.headers)
        if resource.modified is not None:
            etag, modified = _etag(body), resource.modified()
            headers["ETag"] = etag
            headers["Last-Modified"] = format_datetime(modified, usegmt=True)
            if _not_modified(self.headers, etag, modified):
                return 304, None, b"", headers
        return 200, resource.content_type, body, headers

    def _send(self, status: int, ctype: str | None, body: bytes, headers: dict[str, str], head: bool) -> None:
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        for name, value in headers.items():
            self.send_header(name, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head and status != 304:
            self.wfile.write(body)


def _page_404() -> bytes:
    return "<html><head><title>404</title></head><body><h1>404 页面不存在</h1></body></html>".encode()


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, portal: Portal, port: int) -> None:
        super().__init__((portal.host, port), _Handler)
        self.portal = portal
        self.log = RequestLog()


class PortalServer:
    """Serves one portal on its loopback address; a context manager (start/stop).

    `port=0` picks a free port. Hooks take absolute URLs or request targets.
    """

    def __init__(self, portal: Portal, port: int = 0) -> None:
        self.portal = portal
        self._server = _Server(portal, port)
        self._thread = threading.Thread(target=self._server.serve_forever, name=f"portal-{portal.name}", daemon=True)

    @property
    def log(self) -> RequestLog:
        return self._server.log

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        assert isinstance(host, str)  # an IPv4 address, as bound
        return f"http://{host}:{port}"

    def url(self, target: str) -> str:
        return self.base_url + target

    def start(self) -> PortalServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def __enter__(self) -> PortalServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def reset(self) -> None:
        """Forget the requests served so far and serve the planned failures again, for another crawl."""
        self.log.clear()
        with self.portal.lock:
            for resource in self.portal.routes.values():
                resource.failures_served = 0

    def manifest(self):
        from .manifest import portal_manifest

        return portal_manifest(self.portal, self.base_url)

    def _target(self, url_or_target: str) -> str:
        return url_or_target.removeprefix(self.base_url)

    def add_disclosure(self):
        """Publish one more disclosure now; returns its manifest entry."""
        from .manifest import disclosure_entry

        disclosure: Disclosure = self.portal.add_disclosure()
        return disclosure_entry(disclosure, self.base_url)

    def replace_attachment(self, url: str, data: bytes) -> None:
        self.portal.replace_attachment(self._target(url), data)

    def remove(self, url: str) -> None:
        self.portal.remove(self._target(url))


@contextmanager
def serve_portals(portals: list[Portal]) -> Iterator[list[PortalServer]]:
    """Serve every portal at once, each on its own loopback host, on free ports."""
    servers = [PortalServer(p) for p in portals]
    for s in servers:
        s.start()
    try:
        yield servers
    finally:
        for s in servers:
            s.stop()
