"""Snippets: ~60 characters of the original text around the first match, marked 【…】.

Both backends make snippets here, from the record's own text, so they look the same.
Matching is done on the original text with a pattern that accepts what `normalise`
would have folded (full-width forms, upper case, stripped quotes), so character offsets
are those of the text as stored.
"""
from __future__ import annotations

import re
from functools import lru_cache

from index.segment import QUOTES, collapse_space

WIDTH = 60
BEFORE = 20
_SKIP = "[" + re.escape(QUOTES) + "]*"


def _char_class(c: str) -> str:
    variants = {c, c.upper()}
    for v in list(variants):
        if "!" <= v <= "~":
            variants.add(chr(ord(v) + 0xFEE0))  # full-width form
    return "[" + "".join(re.escape(v) for v in sorted(variants)) + "]"


@lru_cache(maxsize=256)
def pattern(needles: tuple[str, ...]) -> re.Pattern | None:
    """One regex for all needles (normalised strings), longest first."""
    alts = [
        _SKIP.join(_char_class(c) for c in n if not c.isspace())
        for n in sorted(set(needles), key=len, reverse=True)
        if n.strip()
    ]
    return re.compile("|".join(alts)) if alts else None


def make_snippet(text: str, title: str, needles: tuple[str, ...]) -> str:
    """The text around the first match (or the title's match, or the text's start)."""
    pat = pattern(needles)
    for source in (text, title):
        m = pat.search(source) if pat and source else None
        if pat and m:
            return _window(source, m.start(), pat)
    return _cut(text or title, 0, WIDTH)


def _window(source: str, first: int, pat: re.Pattern) -> str:
    start = max(0, first - BEFORE)
    end = min(len(source), start + WIDTH)
    # Extend the window so a match running past its end is not cut in half.
    for m in pat.finditer(source, first, end):
        end = max(end, m.end())
    marked, pos = [], start
    for m in pat.finditer(source, start, end):
        marked += [source[pos:m.start()], "【", m.group(0), "】"]
        pos = m.end()
    marked.append(source[pos:end])
    body = collapse_space("".join(marked))
    return ("…" if start > 0 else "") + body + ("…" if end < len(source) else "")


def _cut(source: str, start: int, length: int) -> str:
    body = collapse_space(source[start:start + length])
    return body + ("…" if start + length < len(source) else "")
