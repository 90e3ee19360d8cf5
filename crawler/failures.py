"""How a failed request is written down, the same way by every session.

A failure is logged once per attempt (middlewares and the errback may both see it) as a
fetches row that names where the request started and where it was refused.
"""
from __future__ import annotations

# meta key: the target of a redirect refused before Scrapy rewrote it, as the response wrote it
REFUSED_TARGET = "budgets_refused_target"


def error_text(exc: BaseException) -> str:
    """`Type: message`, with the class's own description when the message is empty (Scrapy's
    ResponseDataLossError, raised for a body cut short, carries none)."""
    message = str(exc) or (type(exc).__doc__ or "").strip().split("\n")[0]
    return f"{type(exc).__name__}: {message}"


def first_failure_report(request) -> bool:
    """True the first time a failure of this request (this attempt) is reported; marks it."""
    if request.meta.get("budgets_failure_logged") == id(request):
        return False
    request.meta["budgets_failure_logged"] = id(request)
    return True


def failure_row(request, error: str) -> dict:
    """The fetches row of a failed request."""
    origin = (request.meta.get("redirect_urls") or [None])[0]
    # a refused redirect names its target as the Location header wrote it (crawler.middlewares.guard)
    final = request.meta.get(REFUSED_TARGET) or request.url
    return {"url": origin or request.url, "final_url": final, "method": request.method,
            "error": error[:500], "role": request.meta.get("role")}
