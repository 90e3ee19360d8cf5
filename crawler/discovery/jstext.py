"""Read string literals out of inline JavaScript without running it.

Portal templates build links and pagers with string concatenation
(``"<a href=\\"index" + "_" + nextPage + "." + "htm\\">"``); we only need the
literal pieces and where an expression sits between them, so a small scanner
does, where a JavaScript engine would be a heavy and risky dependency.
"""

from __future__ import annotations

import re

# Comments and string literals, leftmost first, so quotes inside comments and
# slashes inside strings are not misread.
_TOKEN = re.compile(
    r"""//[^\n]*|/\*.*?\*/|'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"|`(?:\\.|[^`\\])*`""",
    re.S,
)
_ESCAPE = re.compile(r"\\(u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|\r\n|.)", re.S)
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}
_OPERAND = re.compile(r"[\w$.]+")


def unescape(body: str) -> str:
    """Resolve JavaScript escape sequences in a string literal's body."""

    def one(match: re.Match[str]) -> str:
        esc = match.group(1)
        if esc.startswith("u{"):
            return chr(int(esc[2:-1], 16))
        if esc[0] in "ux" and len(esc) > 1:
            return chr(int(esc[1:], 16))
        if esc in ("\n", "\r\n", "\r"):
            return ""
        return _SIMPLE_ESCAPES.get(esc, esc)

    return _ESCAPE.sub(one, body)


def _skip_operand(code: str, pos: int) -> int:
    """Return the index after one operand (name, member chain, call or group) at ``pos``."""
    n = len(code)
    while pos < n:
        match = _OPERAND.match(code, pos)
        if match:
            pos = match.end()
            continue
        if code[pos] in "([":
            depth = 0
            while pos < n:
                ch = code[pos]
                if ch in "([":
                    depth += 1
                elif ch in ")]":
                    depth -= 1
                    if depth == 0:
                        pos += 1
                        break
                elif ch in "'\"":
                    literal = _TOKEN.match(code, pos)
                    if literal:
                        pos = literal.end()
                        continue
                pos += 1
            continue
        break
    return pos


def string_chains(code: str) -> list[list[str | None]]:
    """Split script text into concatenation chains of string literals.

    Each chain lists its pieces in order: adjacent literals joined by ``+``
    are merged into one ``str``; an expression between them is ``None``.
    ``"a" + "b" + i + ".htm"`` gives ``["ab", None, ".htm"]``; a lone literal
    gives a one-piece chain.
    """
    chains: list[list[str | None]] = []
    pos, n = 0, len(code)
    while True:
        match = _TOKEN.search(code, pos)
        if match is None:
            return chains
        token = match.group(0)
        pos = match.end()
        if token.startswith("/"):
            continue
        chain: list[str | None] = [unescape(token[1:-1])]
        while True:
            after = pos
            while after < n and code[after].isspace():
                after += 1
            if after >= n or code[after] != "+" or code.startswith("++", after):
                break
            after += 1
            while after < n and code[after].isspace():
                after += 1
            literal = _TOKEN.match(code, after)
            if literal and not literal.group(0).startswith("/"):
                value = unescape(literal.group(0)[1:-1])
                if isinstance(chain[-1], str):
                    chain[-1] += value
                else:
                    chain.append(value)
                pos = literal.end()
                continue
            end = _skip_operand(code, after)
            if end == after:
                break
            if chain[-1] is not None:
                chain.append(None)
            pos = end
        chains.append(chain)
