"""How to get a URL the archive already knows: the resume and revalidation rule.

Shared by the local session (state from archive.db) and a worker's session (state from Redis).
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

# Roles of archived URLs that a later pass answers from the archive while they are fresh
# (checked less than BUDGETS_REVALIDATE_AFTER seconds ago): article pages and attachments
# rarely change. List and start pages, and stale stable ones, are asked for again with a
# conditional request (If-None-Match / If-Modified-Since); a 304 costs no body.
STABLE_ROLES = {"article", "attachment"}


def state_age(state: dict) -> float:
    """Seconds since the archive last checked a URL with its server."""
    checked = state.get("last_checked") or state.get("last_seen")
    if not checked:
        return float("inf")
    when = datetime.strptime(checked, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    return (datetime.now(UTC) - when).total_seconds()


def plan_from_state(state: dict | None, blob_exists: Callable[[str], bool], replayed: bool,
                    revalidate_after: float) -> tuple[str, dict | None]:
    """How to get a URL the archive knows as `state`: ("resume", state) when this crawl already
    fetched it (`replayed`), ("fresh", state) for a stable page or file checked recently, both
    answered from the archive; ("revalidate", state) with a conditional request; ("fetch", None)
    when the archive does not have it."""
    if not state or not state["sha256"] or not blob_exists(state["sha256"]):
        return "fetch", None
    if replayed:
        return "resume", state
    if state["role"] in STABLE_ROLES and state_age(state) < revalidate_after:
        return "fresh", state
    return "revalidate", state
