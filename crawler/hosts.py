"""Which hosts a crawl may reach: host keys, and the rule for private addresses.

The local session, a distributed worker's session, the seeder of a distributed crawl and the
repair's refetch all apply the same rules, so they live here rather than in one of them.
"""
from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from crawler.addresses import is_private_address


def host_key(url: str) -> str:
    """Host and effective port: `127.0.0.1:8080`, `www.example.gov.cn:80`."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{(parts.hostname or '').lower()}:{port}"


class PrivateRule:
    """Which requests may go to a private, loopback or link-local address (BUDGETS_ALLOW_PRIVATE).

    "auto": all of them when a start URL is itself private (an intranet or loopback portal),
    none otherwise (`resolve_auto` says which); "all"; "never": none; else a comma-separated
    list of host:port that may, and no other (so a portal on loopback can be crawled as if it
    were public, e.g. in tests).
    """

    def __init__(self, start_urls: list[str], allow: str = "auto") -> None:
        allow = self.resolve_auto(start_urls, allow)
        self.everything = allow == "all"
        self.hosts = set() if allow in ("all", "never") else {h.strip() for h in allow.split(",") if h.strip()}

    @staticmethod
    def resolve_auto(start_urls: list[str], allow: str) -> str:
        """"auto" made definite ("all" or "never") by looking the start hosts up; others as given."""
        allow = (allow or "auto").strip().lower()
        if allow != "auto":
            return allow
        return "all" if any(is_private_address(urlsplit(u).hostname or "") for u in start_urls) else "never"

    def url(self, url: str) -> bool:
        return self.everything or host_key(url) in self.hosts

    def hostname(self, name: str) -> bool:
        """For a name being resolved (the port is not known there): any listed port will do."""
        return self.everything or any(h.rsplit(":", 1)[0] == name.lower() for h in self.hosts)


def run_host_rule(start_urls: list[str]) -> Callable[[str], bool]:
    """A run's own rule for a URL: on one of its start hosts, and on a private address only if a
    start URL is one."""
    hosts = {host_key(u) for u in start_urls}
    private_ok = PrivateRule(start_urls).url
    return lambda url: host_key(url) in hosts and (private_ok(url) or not is_private_address(urlsplit(url).hostname or ""))
