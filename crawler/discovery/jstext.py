"""Read string literals out of inline JavaScript without running it.

Portal templates build links and pagers with string concatenation
(``"<a href=\\"index" + "_" + nextPage + "." + "htm\\">"``); we only need the
literal pieces and where an expression sits between them, so a small scanner
does, where a JavaScript engine would be a heavy and risky dependency.
"""

from __future__ import annotations

import re

_STRING = re.compile(r"""'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"|`(?:\\.|[^`\\])*`""", re.S)
_LINE_COMMENT = re.compile(r"//[^\n]*")
_BLOCK_COMMENT = re.compile(r"/\*.*?(?:\*/|\Z)", re.S)
_REGEX_LITERAL = re.compile(r"/(?:\\.|\[(?:\\.|[^\]\\\n])*\]|[^/\\\n\[])+/[A-Za-z]*")
_START = re.compile(r"""['"`/]""")
# After these a "/" opens a regular expression; after anything else it divides.
_BEFORE_REGEX = frozenset("(,=:[!&|?{};+-*%<>~^")
_KEYWORD_BEFORE = re.compile(
    r"(?:^|[^\w$])(?:return|typeof|case|do|else|in|of|new|delete|void|throw|instanceof|yield|await)$"
)
_ESCAPE = re.compile(r"\\(u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|\r\n|.)", re.S)
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}
_OPERAND = re.compile(r"[\w$.]+")
# A parenthesised operand longer than this is not a pager expression; the
# bound keeps a stray "(" from sending every chain to the end of the script.
_MAX_GROUP = 2000


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


def _opens_regex(code: str, slash: int) -> bool:
    """Whether the ``/`` at ``slash`` starts a regular expression literal, judged by what precedes it."""
    before = code[max(0, slash - 16) : slash].rstrip()
    return not before or before[-1] in _BEFORE_REGEX or _KEYWORD_BEFORE.search(before) is not None


def tokens(code: str) -> list[tuple[str, int, int]]:
    """Comments and string literals of ``code`` as ``(kind, start, end)``, kind ``comment`` or ``string``.

    Regular expression literals are stepped over, so ``/\\/\\//`` or ``/'/`` is not
    taken for a comment or a string; minified scripts are full of them.
    """
    found: list[tuple[str, int, int]] = []
    pos = 0
    while (start := _START.search(code, pos)) is not None:
        i = start.start()
        ch = code[i]
        match = None
        if ch != "/":
            match = _STRING.match(code, i)
            kind = "string"
        elif code.startswith("//", i):
            match, kind = _LINE_COMMENT.match(code, i), "comment"
        elif code.startswith("/*", i):
            match, kind = _BLOCK_COMMENT.match(code, i), "comment"
        elif _opens_regex(code, i):
            regex = _REGEX_LITERAL.match(code, i)
            pos = regex.end() if regex else i + 1
            continue
        if match is None:
            pos = i + 1
            continue
        found.append((kind, match.start(), match.end()))
        pos = match.end()
    return found


def strip_comments(code: str) -> str:
    """``code`` with its comments blanked out and its string literals kept."""
    pieces, pos = [], 0
    for kind, start, end in tokens(code):
        if kind == "comment":
            pieces += [code[pos:start], " "]
            pos = end
    pieces.append(code[pos:])
    return "".join(pieces)


def _skip_operand(code: str, pos: int) -> int:
    """Return the index after one operand (name, member chain, call or group) at ``pos``."""
    n = len(code)
    while pos < n:
        match = _OPERAND.match(code, pos)
        if match:
            pos = match.end()
            continue
        if code[pos] in "([":
            depth, limit = 0, min(n, pos + _MAX_GROUP)
            while pos < limit:
                ch = code[pos]
                if ch in "([":
                    depth += 1
                elif ch in ")]":
                    depth -= 1
                    if depth == 0:
                        pos += 1
                        break
                elif ch in "'\"`":
                    literal = _STRING.match(code, pos)
                    if literal:
                        pos = literal.end()
                        continue
                pos += 1
            if depth:
                return pos  # unclosed within the bound: stop here
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
    for kind, start, end in tokens(code):
        if kind != "string" or start < pos:
            continue
        chain: list[str | None] = [unescape(code[start + 1 : end - 1])]
        pos = end
        while True:
            after = pos
            while after < n and code[after].isspace():
                after += 1
            if after >= n or code[after] != "+" or code.startswith("++", after):
                break
            after += 1
            while after < n and code[after].isspace():
                after += 1
            literal = _STRING.match(code, after)
            if literal:
                value = unescape(literal.group(0)[1:-1])
                if isinstance(chain[-1], str):
                    chain[-1] += value
                else:
                    chain.append(value)
                pos = literal.end()
                continue
            operand_end = _skip_operand(code, after)
            if operand_end == after:
                break
            if chain[-1] is not None:
                chain.append(None)
            pos = operand_end
        chains.append(chain)
    return chains
