"""Which hosts are addresses, in whatever form they are written, and which addresses are private.

Browsers, w3lib and so Scrapy read a URL host the way the WHATWG URL standard says: `2130706433`,
`0x7f000001`, `0177.0.0.1`, `127.1` and `127.0.0.1.` are all 127.0.0.1, and `Request` rewrites
them so. A link or redirect written that way would then look like a crawl's own loopback host;
`unusual_address` tells such spellings apart so they can be kept as written (and so stay off the
crawl's hosts) or refused. `is_private_address` reads every one of these forms itself, and an
IPv6 address by the IPv4 address it carries (`::ffff:127.0.0.1`, 6to4, NAT64), before asking DNS.
"""
from __future__ import annotations

import ipaddress
import re
import socket

_HEX = re.compile(r"[0-9a-f]*")
_OCTAL = re.compile(r"[0-7]*")
_DECIMAL = re.compile(r"[0-9]+")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_ipv4_host(host: str) -> ipaddress.IPv4Address | None:
    """The IPv4 address a URL host names as browsers read it (WHATWG URL, "IPv4 parser"): one to
    four dot-separated numbers, each decimal, `0x` hex or `0`-led octal, the last one filling the
    remaining bytes, one trailing dot allowed. None for a name or for numbers out of range."""
    parts = host.lower().split(".")
    if len(parts) > 1 and parts[-1] == "":
        parts.pop()
    if not 1 <= len(parts) <= 4:
        return None
    numbers = []
    for part in parts:
        if part.startswith("0x"):
            digits, base, pattern = part[2:], 16, _HEX
        elif len(part) > 1 and part.startswith("0"):
            digits, base, pattern = part[1:], 8, _OCTAL
        else:
            digits, base, pattern = part, 10, _DECIMAL
        if not pattern.fullmatch(digits):
            return None
        numbers.append(int(digits, base) if digits else 0)
    *head, last = numbers
    if any(n > 255 for n in head) or last >= 256 ** (5 - len(numbers)):
        return None
    value = last
    for i, n in enumerate(head):
        value += n << (8 * (3 - i))
    return ipaddress.IPv4Address(value)


def address_of(host: str) -> Address | None:
    """The address a URL host (brackets and IPv6 zone allowed) is written as, in any form; None for a name."""
    host = host.strip().strip("[]")
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return parse_ipv4_host(host)


def unusual_address(host: str) -> bool:
    """`host` is an IPv4 address written otherwise than in plain dotted decimal (`2130706433`,
    `0x7f.1`, `127.1`, `127.0.0.1.`): a form no portal links with, used to slip past host checks."""
    address = parse_ipv4_host(host.strip())
    return address is not None and host.strip() != str(address)


def _embedded_ipv4(address: Address) -> ipaddress.IPv4Address | None:
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_private_ip(address: Address) -> bool:
    """A private, loopback, link-local, reserved, multicast or otherwise not global address, or
    an IPv6 address carrying such an IPv4 address."""
    # `not is_global` adds what the named classes miss, e.g. carrier-grade NAT 100.64.0.0/10
    return any(a.is_private or a.is_loopback or a.is_link_local or a.is_reserved or a.is_multicast
               or a.is_unspecified or not a.is_global
               for a in (address, _embedded_ipv4(address)) if a is not None)


def is_private_address(host: str) -> bool:
    """True when `host` is, or resolves to, a private, loopback, link-local or reserved address."""
    address = address_of(host)
    if address is not None:
        return is_private_ip(address)
    # "localhost." is the name "localhost" too, whether or not this resolver says so
    return any(_resolves_private(name) for name in dict.fromkeys((host, host.rstrip("."))) if name)


def _resolves_private(name: str) -> bool:
    try:
        infos = socket.getaddrinfo(name, None)
    except (OSError, UnicodeError, ValueError):
        return False
    return any(is_private_ip(ipaddress.ip_address(str(info[4][0]).split("%")[0])) for info in infos)
