"""Loopback HTTP servers that misbehave on purpose, for the crawler's fault and security tests.

Each `FaultServer` serves a table of routes; a route is a function that answers one request,
well or badly: resetting the connection mid-body, sending fewer bytes than Content-Length
promised, dripping one byte a second, redirecting in a circle, paging forever. Every
misbehaviour is bounded (a drip stops after `DRIP_MAX_SECONDS`) and every server shuts
itself down after `lifetime` seconds, so a test that hangs or forgets to stop it cannot
leave it running.
"""
from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Callable
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

DRIP_MAX_SECONDS = 30
ROBOTS = b"User-agent: *\nAllow: /\n"

Route = Callable[["FaultHandler", dict[str, list[str]]], None]


class FaultHandler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        self.server.owner.record(parts.path, self.headers.get("Host", ""))
        self.server.owner.route_for(parts.path)(self, parse_qs(parts.query))

    def send(self, status: int, body: bytes, ctype: str = "text/html; charset=utf-8",
             headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: FaultServer


class FaultServer:
    """Serves `routes` (path -> Route) on `host`, free port; a path not in `routes` goes to the
    longest matching entry of `prefixes` (path prefix -> Route), else to `fallback` (404)."""

    def __init__(self, host: str, routes: dict[str, Route], fallback: Route | None = None,
                 prefixes: dict[str, Route] | None = None, lifetime: float = 120.0) -> None:
        self.routes = dict(routes)
        self.prefixes = dict(prefixes or {})
        self.fallback = fallback or status(404, b"not found")
        self._hits: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self._server = _Server((host, 0), FaultHandler)
        self._server.owner = self
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._timer = threading.Timer(lifetime, self._server.shutdown)
        self._timer.daemon = True

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        assert isinstance(host, str)  # an IPv4 address, as bound
        return f"http://{host}:{port}"

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def route_for(self, path: str) -> Route:
        if path in self.routes:
            return self.routes[path]
        matching = [p for p in self.prefixes if path.startswith(p)]
        return self.prefixes[max(matching, key=len)] if matching else self.fallback

    def record(self, path: str, host_header: str) -> None:
        with self._lock:
            self._hits.append((path, host_header))

    def hits(self, path: str | None = None) -> list[tuple[str, str]]:
        """(path, Host header) of each request received, optionally only for `path`."""
        with self._lock:
            return [h for h in self._hits if path is None or h[0] == path]

    def __enter__(self) -> FaultServer:
        self._thread.start()
        self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self._timer.cancel()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


# -- routes --------------------------------------------------------------------------

def page(html: str) -> Route:
    return lambda h, q: h.send(200, html.encode("utf-8"))


def file(body: bytes, ctype: str, headers: dict[str, str] | None = None) -> Route:
    return lambda h, q: h.send(200, body, ctype, headers)


def status(code: int, body: bytes = b"") -> Route:
    return lambda h, q: h.send(code, body)


def redirect(location: str, code: int = 302) -> Route:
    def route(h: FaultHandler, q) -> None:
        h.send_response(code)
        h.send_header("Location", location)
        h.send_header("Content-Length", "0")
        h.end_headers()
    return route


def reset_mid_body(total: int, sent: int) -> Route:
    """Promise `total` bytes, send `sent`, then abort the connection with a TCP RST."""
    def route(h: FaultHandler, q) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "application/pdf")
        h.send_header("Content-Length", str(total))
        h.end_headers()
        h.wfile.write(b"%PDF-1.4\n" + b"x" * (sent - 9))
        h.wfile.flush()
        h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        h.connection.close()
        h.close_connection = True
    return route


def short_body(declared: int, actual: int, ctype: str = "application/vnd.ms-excel") -> Route:
    """Declare `declared` bytes in Content-Length, send `actual`, close cleanly."""
    def route(h: FaultHandler, q) -> None:
        h.send_response(200)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(declared))
        h.send_header("Connection", "close")
        h.end_headers()
        h.wfile.write(b"\xd0\xcf\x11\xe0" + b"y" * (actual - 4))
        h.close_connection = True
    return route


def drip(total: int = 1000) -> Route:
    """One byte a second, until the client gives up or DRIP_MAX_SECONDS pass."""
    def route(h: FaultHandler, q) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "application/pdf")
        h.send_header("Content-Length", str(total))
        h.end_headers()
        try:
            for _ in range(min(total, DRIP_MAX_SECONDS)):
                h.wfile.write(b"%")
                h.wfile.flush()
                time.sleep(1)
        except OSError:
            pass
        h.close_connection = True
    return route


def endless_body(ctype: str = "application/pdf") -> Route:
    """A body without Content-Length that never ends: 64 kB chunks until the client hangs up
    (or DRIP_MAX_SECONDS pass)."""
    def route(h: FaultHandler, q) -> None:
        h.send_response(200)
        h.send_header("Content-Type", ctype)
        h.send_header("Connection", "close")
        h.end_headers()
        chunk = b"%PDF-1.4\n" + b"0" * 65_527
        deadline = time.monotonic() + DRIP_MAX_SECONDS
        try:
            while time.monotonic() < deadline:
                h.wfile.write(chunk)
        except OSError:
            pass
        h.close_connection = True
    return route


def calendar(start: date) -> Route:
    """A day page that always links the next day (`?date=`), and an `index_N` that always links the next."""
    def route(h: FaultHandler, q) -> None:
        day = date.fromisoformat((q.get("date") or [start.isoformat()])[0])
        nxt = day + timedelta(days=1)
        h.send(200, (f'<html><head><meta charset="utf-8"><title>{day} 日程</title></head><body>'
                     f'<p>{day} 无活动安排</p><a href="?date={nxt}">下一天</a></body></html>').encode())
    return route


def endless_index(h: FaultHandler, q) -> None:
    """/archive/index_N.html: each list page offers the next one, forever."""
    n = int(h.path.rsplit("_", 1)[-1].split(".")[0]) if "_" in h.path else 0
    h.send(200, (f'<html><head><meta charset="utf-8"><title>工作动态</title></head><body><ul>'
                 f'<li><a href="/archive/index_{n + 1}.html">下一页</a></li></ul></body></html>').encode())
