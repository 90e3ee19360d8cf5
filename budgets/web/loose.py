"""Datasette's column filters on the disclosures table, taking names as people type them.

Datasette compares a column with the value as given, so `/browse/disclosures?province=湖南`
or `?kind=决算` would find nothing. Before Datasette sees such a request, the typed values are
resolved as the search page and the command line resolve them (`budgets.filter_names`:
湖南 → 湖南省, 通道县 → 通道侗族自治县, 财政局 → the one department that holds it, 决算 →
final_account) and the browser is sent to the exact address, which it then shows and keeps.
A value that fits several held names, or an unknown kind, is left as typed.
"""
from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qsl, urlencode

from budgets.web.pages import in_thread

LOOSE_COLUMNS = ("province", "city", "county", "department", "kind")
TABLE_PATHS = {"/browse/disclosures", "/browse/disclosures.json", "/browse/disclosures.csv"}


def exact_query(query: str, resolve: Callable[[dict], dict]) -> str | None:
    """`query` with its typed column values made exact by `resolve`; None when nothing changes."""
    pairs = parse_qsl(query, keep_blank_values=True)
    typed = {name: value for name, value in pairs if name in LOOSE_COLUMNS and value}
    if not typed:
        return None
    try:
        exact = resolve(typed)
    except ValueError:  # ambiguous (budgets.filter_names.Ambiguous), or not a kind
        return None
    if exact == typed:
        return None
    return urlencode([(name, exact[name] if name in typed else value) for name, value in pairs])


def with_loose_filters(app, resolve: Callable[[dict], dict]):
    """An ASGI wrapper that redirects a disclosures table request with typed names to the exact one."""

    async def wrapped(scope, receive, send):
        if scope.get("type") == "http" and scope.get("method") in ("GET", "HEAD") \
                and scope.get("path") in TABLE_PATHS and scope.get("query_string"):
            exact = await in_thread(exact_query, scope["query_string"].decode("utf-8", "replace"), resolve)
            if exact is not None:
                location = f"{scope.get('root_path', '')}{scope['path']}?{exact}"
                await send({"type": "http.response.start", "status": 302,
                            "headers": [(b"location", location.encode("ascii")), (b"content-length", b"0")]})
                await send({"type": "http.response.body", "body": b""})
                return
        await app(scope, receive, send)

    return wrapped
