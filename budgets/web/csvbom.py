"""A UTF-8 byte order mark in front of every CSV the app sends, so Excel reads the Chinese.

Excel opens a CSV without a BOM in the system's legacy code page and garbles 中文. Datasette
writes its CSV (tables, queries, streamed full exports) without one, so this ASGI wrapper
adds the three bytes to the first body chunk of any `.csv` response that is text, and
corrects Content-Length when one was set.
"""
from __future__ import annotations

BOM = b"\xef\xbb\xbf"


def is_csv(scope: dict, headers: list) -> bool:
    if not scope.get("path", "").endswith(".csv"):
        return False
    types = [v for k, v in headers if k.lower() == b"content-type"]
    return bool(types) and types[0].split(b";")[0].strip() in (b"text/csv", b"text/plain")


def with_csv_bom(app):
    """Wrap an ASGI app so that its CSV responses start with a BOM (once)."""

    async def wrapped(scope, receive, send):
        if scope["type"] != "http":
            return await app(scope, receive, send)
        state = {"csv": False, "pending": True}

        async def bom_send(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                if is_csv(scope, headers):
                    state["csv"] = True
                    headers = [(k, str(int(v) + len(BOM)).encode() if k.lower() == b"content-length" else v)
                               for k, v in headers]
                    message = {**message, "headers": headers}
            elif message["type"] == "http.response.body" and state["csv"] and state["pending"]:
                body = message.get("body", b"")
                if body or not message.get("more_body"):
                    state["pending"] = False
                    message = {**message, "body": BOM + body}
            await send(message)

        return await app(scope, receive, send=bom_send)

    return wrapped
