"""No spreadsheet formulas in the web page's CSV: the exports' rule (archive.export_tabular.inert_text).

Datasette writes its CSV (tables, queries, streamed full downloads) itself, and no plugin hook
sees the cells, so this ASGI wrapper rewrites the body as it streams: each complete record is
read again, every cell that starts like a formula (= + - @ tab CR; a crawled title can) gets a
leading single quote, as OWASP advises, and the record is written back in Datasette's own CSV
dialect. A cell that is exactly a number is how Datasette writes a number column (-3569900.0),
and is left alone: a spreadsheet reads it as a number and never runs it.
"""
from __future__ import annotations

import codecs
import csv
import io
import re

from archive.export_tabular import inert_text
from budgets.web.csvbom import is_csv

NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")


def inert_cell(cell: str) -> str:
    return cell if NUMBER.fullmatch(cell) else inert_text(cell)


def complete_records_end(text: str) -> int:
    """Where the last complete CSV record in `text` ends: after a line break outside quotes
    (quotes inside a quoted cell are doubled, so an even count means outside)."""
    end, inside = 0, False
    for i, ch in enumerate(text):
        if ch == '"':
            inside = not inside
        elif ch == "\n" and not inside:
            end = i + 1
    return end


class CsvRewriter:
    """Turns a CSV body, chunk by chunk, into the same CSV with every cell made inert."""

    def __init__(self) -> None:
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.pending = ""

    def feed(self, chunk: bytes, final: bool) -> bytes:
        text = self.pending + self.decoder.decode(chunk, final)
        cut = len(text) if final else complete_records_end(text)
        done, self.pending = text[:cut], text[cut:]
        out = io.StringIO()
        writer = csv.writer(out)  # Datasette's dialect: excel, CRLF
        for row in csv.reader(io.StringIO(done, newline="")):
            writer.writerow([inert_cell(cell) for cell in row])
        return out.getvalue().encode("utf-8")


def with_inert_csv(app):
    """Wrap an ASGI app so that no cell of its CSV responses starts like a formula."""

    async def wrapped(scope, receive, send):
        if scope["type"] != "http":
            return await app(scope, receive, send)
        state: dict = {"rewriter": None}

        async def inert_send(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                if is_csv(scope, headers):
                    state["rewriter"] = CsvRewriter()
                    message = {**message, "headers": [(k, v) for k, v in headers if k.lower() != b"content-length"]}
            elif message["type"] == "http.response.body" and state["rewriter"] is not None:
                more = message.get("more_body", False)
                message = {**message, "body": state["rewriter"].feed(message.get("body", b""), final=not more)}
            await send(message)

        return await app(scope, receive, send=inert_send)

    return wrapped
