"""Archive every response as it arrives, and answer from the archive what need not be fetched.

Sits after decompression and redirects, before retries: it sees each final body once per
network fetch (a 503 that is retried is logged too) and stores it by sha256 before the
spider sees it. A URL the archive already holds is answered from the archive when the
session's resume rule says so (see `crawler.resume.plan_from_state`), so a crawl killed
with `kill -9` and started again downloads nothing it already has.
"""
from __future__ import annotations

import json
import time

from scrapy import Request
from scrapy.exceptions import DownloadCancelledError
from scrapy.http import Response
from scrapy.responsetypes import responsetypes

from crawler.failures import error_text
from crawler.session_interface import Session
from crawler.sessions import session_of


def headers_to_dict(headers) -> dict[str, list[str]]:
    """Scrapy's byte headers as a JSON-able dict; undecodable bytes kept via latin-1."""
    return {k.decode("latin-1"): [v.decode("latin-1") for v in vs] for k, vs in headers.items()}


def _header_bytes(value: str) -> bytes:
    """An archived header value back to the bytes it came as (see `headers_to_dict`)."""
    return value.encode("latin-1") if all(ord(ch) < 256 for ch in value) else value.encode("utf-8")


def headers_from_dict(headers: dict[str, list[str]]) -> dict[bytes, list[bytes]]:
    """Archived headers as the bytes the server sent: Scrapy would encode str values as UTF-8,
    turning a raw GBK or UTF-8 `Content-Disposition` name into mojibake."""
    return {_header_bytes(k): [_header_bytes(v) for v in vs] for k, vs in headers.items()}


class ArchiveMiddleware:
    def __init__(self, crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request: Request):
        request.meta.setdefault("budgets_started", time.monotonic())
        if request.meta.get("no_archive_serve"):
            return None
        session = session_of(self.crawler)
        how, state = session.plan(request.url)
        if state is None:  # "fetch": the archive does not have it
            return None
        if how in ("resume", "fresh"):
            session.served(request.url)
            self.crawler.stats.inc_value("budgets/served_from_archive")
            return self._archived_response(session, request, state, ["archive", how])
        if how == "revalidate":
            request.meta["archived_state"] = state
            if state["etag"]:
                request.headers["If-None-Match"] = state["etag"]
            if state["last_modified"]:
                request.headers["If-Modified-Since"] = state["last_modified"]
        return None

    @staticmethod
    def _archived_response(session: Session, request: Request, state: dict, flags: list[str]) -> Response:
        headers = headers_from_dict(json.loads(state["headers"] or "{}"))
        body = session.blob(state["sha256"])
        cls = responsetypes.from_args(headers={k: v[0] for k, v in headers.items() if v}, url=request.url, body=body)
        request.meta["sha256"] = state["sha256"]
        return cls(url=state["final_url"] or request.url, status=state["status"], headers=headers,
                   body=body, request=request, flags=flags)

    def process_response(self, request: Request, response: Response):
        if "archive" in response.flags:
            return response
        session = session_of(self.crawler)
        state = request.meta.get("archived_state")
        if response.status == 304 and state:
            # unchanged since archived: log the check, answer with the archived body
            session.not_modified({"url": request.url, "final_url": response.url, "method": request.method,
                                  "status": 304,
                                  "headers": json.dumps(headers_to_dict(response.headers), ensure_ascii=False),
                                  "role": request.meta.get("role")})
            self.crawler.stats.inc_value("budgets/not_modified")
            return self._archived_response(session, request, state, ["archive", "revalidated"])
        body = response.body
        headers = headers_to_dict(response.headers)
        redirect_urls = request.meta.get("redirect_urls") or []
        started = request.meta.get("budgets_started")
        sha = session.store_fetch(
            {"url": redirect_urls[0] if redirect_urls else request.url,
             "final_url": response.url, "method": request.method, "status": response.status,
             "headers": json.dumps(headers, ensure_ascii=False),
             "content_type": (response.headers.get("Content-Type") or b"").decode("latin-1") or None,
             "elapsed_ms": int((time.monotonic() - started) * 1000) if started else None,
             "role": request.meta.get("role")},
            body,
        )
        request.meta["sha256"] = sha
        self.crawler.stats.inc_value("budgets/fetched")
        self.crawler.stats.inc_value("budgets/bytes", len(body))
        return response

    def process_exception(self, request: Request, exception: Exception):
        session = session_of(self.crawler)
        named = self._size_limit(request, exception)
        session.record_failure(request, error_text(named or exception))
        self.crawler.stats.inc_value(f"budgets/errors/{type(exception).__name__}")
        if named is not None:
            raise named from exception
        return None

    def _size_limit(self, request: Request, exception: Exception) -> DownloadCancelledError | None:
        """Scrapy's HTTP handler cancels a body that outgrows DOWNLOAD_MAXSIZE (the only download it
        cancels) with an empty message when no Content-Length announced it: name the limit."""
        if not isinstance(exception, DownloadCancelledError):
            return None
        limit = request.meta.get("download_maxsize", self.crawler.settings.getint("DOWNLOAD_MAXSIZE"))
        detail = f": {exception}" if str(exception) else ", cut off while it was still arriving"
        return DownloadCancelledError(f"body larger than DOWNLOAD_MAXSIZE ({limit} bytes){detail}")
