"""Progress of a long command on standard error: a live line on a terminal, log lines otherwise.

A terminal gets one line rewritten in place (count, rate, ETA) a few times a second; a
pipe or log file gets a plain line every `log_every` seconds, so logs stay readable.
Any long loop can use it: call `advance()` per item and `finish()` at the end.
"""
from __future__ import annotations

import sys
import time
from typing import TextIO


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


class Progress:
    def __init__(self, label: str, total: int | None = None, stream: TextIO | None = None,
                 refresh: float = 0.2, log_every: float = 10.0, clock=time.monotonic) -> None:
        self.label, self.total, self.count = label, total, 0
        self.stream = stream if stream is not None else sys.stderr
        self.live = self.stream.isatty()
        self.interval = refresh if self.live else log_every
        self.clock = clock
        self.started = self._last = clock()
        self.detail = ""  # shown after the count, e.g. the state of a distributed crawl

    def status(self) -> str:
        """`label: done/total (pct) rate/s, ETA m:ss` — what the line shows now."""
        elapsed = max(self.clock() - self.started, 1e-9)
        rate = self.count / elapsed
        if self.total:
            line = f"{self.label}: {self.count:,}/{self.total:,} ({100 * self.count / self.total:.0f}%) {rate:,.0f}/s"
            if rate > 0 and self.count < self.total:
                line += f", ETA {_duration((self.total - self.count) / rate)}"
            return line + (f"; {self.detail}" if self.detail else "")
        return f"{self.label}: {self.count:,} {rate:,.0f}/s" + (f"; {self.detail}" if self.detail else "")

    def advance(self, n: int = 1) -> None:
        self.count += n
        now = self.clock()
        if now - self._last >= self.interval:
            self._last = now
            self._show()

    def _show(self) -> None:
        if self.live:
            self.stream.write("\r\x1b[K" + self.status())
        else:
            self.stream.write(self.status() + "\n")
        self.stream.flush()

    def finish(self) -> None:
        """End the live line (with the final count) so later output starts on a fresh line."""
        if self.live:
            self._show()
            self.stream.write("\n")
            self.stream.flush()
