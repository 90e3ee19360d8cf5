"""The crawl's log on a terminal: each kind of download failure once, on one line, whole.

Scrapy logs every failed request (each retry given up, each robots.txt it could not fetch)
with its traceback: an unresolvable host alone gave 76 lines. The archive records every
failure with its reason and the summary counts them by kind, so the log needs only the
first of each kind, without the traceback.
"""
from __future__ import annotations

import logging

NOTE = " (each failure is recorded; the summary counts them)"


def _failure_kind(record: logging.LogRecord) -> str | None:
    """The exception type behind a Scrapy download error record, else None (not a download failure)."""
    if not record.name.startswith("scrapy.") or record.levelno < logging.WARNING:
        return None
    if record.exc_info and record.exc_info[1] is not None:
        return type(record.exc_info[1]).__name__
    reason = record.args.get("reason") if isinstance(record.args, dict) else None
    if reason is None:
        return None
    return type(reason).__name__ if isinstance(reason, BaseException) else str(reason)


class OneLinePerFailureKind(logging.Filter):
    """Passes the first download failure of each kind as one line; drops the rest."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        kind = _failure_kind(record)
        if kind is None:
            return True
        if kind in self.seen:
            return False
        self.seen.add(kind)
        error = record.exc_info[1] if record.exc_info else None
        message = record.getMessage()
        if error is not None and str(error) not in message:
            message += f": {error}"
        record.msg, record.args = " ".join(message.split()) + NOTE, None
        record.exc_info = record.exc_text = None
        return True


def quiet_failures() -> None:
    """Install the filter on the root log handlers (Scrapy's own, once the crawl has started)."""
    one = OneLinePerFailureKind()
    for handler in logging.root.handlers:
        handler.addFilter(one)
