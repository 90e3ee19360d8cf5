"""What both backends index and what a query asks for, in one shared form.

Tokens are stored and searched letter-encoded (each UTF-8 byte as two letters a–p), so
neither backend's own tokenizer can cut, stem, fold or re-segment a jieba word, and no
user text can ever be read as FTS5 or Meilisearch syntax.  Between the sub-word groups of
different words stands `GAP`, a token no query can produce, so a phrase never spans two
words' sub-words.

A query is a list of `Term`s, all of which must match: each unquoted word is a term of
one token; a "quoted" part is one term whose tokens must be adjacent.  Meilisearch reads
at most 10 query words, so both backends keep the first `MAX_TOKENS` tokens.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from index.segment import cut_run, is_known_word, normalise, runs, subwords, words

GAP = "z"
MAX_TOKENS = 10
MAX_QUERY_CHARS = 1000  # longer input is cut before segmenting
_HEX_TO_LETTERS = str.maketrans("0123456789abcdef", "abcdefghijklmnop")
_QUOTED = re.compile(r'"([^"]*)"?')


@lru_cache(maxsize=500_000)
def encode(token: str) -> str:
    """A token as lower-case letters a–p: one word for any tokenizer, never syntax."""
    return token.encode("utf-8").hex().translate(_HEX_TO_LETTERS)  # byte b: letters b >> 4, b & 15


@dataclass(frozen=True)
class Indexed:
    """The token streams of one document, encoded and space-separated: title words and
    sub-words, body words, body sub-words."""

    title: str
    body: str
    sub: str


@lru_cache(maxsize=500_000)
def _encoded_run(run: str) -> tuple[str, str]:
    """One run's encoded words, and its words' sub-word groups joined by GAP."""
    found = cut_run(run)
    groups = (" ".join(encode(s) for s in subwords(w)) for w in found)
    return " ".join(encode(w) for w in found), f" {GAP} ".join(g for g in groups if g)


def _streams(normalised: str, subs: list[str]) -> str:
    out = []
    for run in runs(normalised):
        enc, sub = _encoded_run(run)
        if enc:
            out.append(enc)
        if sub:
            subs.append(sub)
    return " ".join(out)


def index_streams(title: str, body: str) -> Indexed:
    """Token streams for a document (title and body already `normalise`d).

    The title's sub-words stay in the title stream (after a GAP), so that a word found
    only inside a title word (预算 in 部门预算) still counts as a title match.
    """
    title_subs: list[str] = []
    title_words = _streams(title, title_subs)
    body_subs: list[str] = []
    body_words = _streams(body, body_subs)
    return Indexed(title=f" {GAP} ".join(s for s in (title_words, *title_subs) if s),
                   body=body_words, sub=f" {GAP} ".join(body_subs))


@dataclass(frozen=True)
class Term:
    """Words that must appear, adjacent and in order (one word unless quoted)."""

    words: tuple[str, ...]

    @property
    def text(self) -> str:
        return "".join(self.words)

    @property
    def encoded(self) -> str:
        return " ".join(encode(w) for w in self.words)


@dataclass(frozen=True)
class ParsedQuery:
    """A query's terms, and the normalised strings to look for if segmentation misses."""

    terms: tuple[Term, ...]
    substrings: tuple[str, ...]
    segmentation_trusted: bool  # all words are dictionary words of 2+ characters

    @property
    def empty(self) -> bool:
        return not self.terms


def parse_query(text: str) -> ParsedQuery:
    """Split user text into terms; quoted parts become phrases, the rest single words."""
    text = unicodedata.normalize("NFKC", text[:MAX_QUERY_CHARS])
    parts: list[tuple[str, bool]] = []
    pos = 0
    for m in _QUOTED.finditer(text):
        parts.append((text[pos:m.start()], False))
        parts.append((m.group(1), True))
        pos = m.end()
    parts.append((text[pos:], False))

    terms: list[Term] = []
    substrings: list[str] = []
    budget = MAX_TOKENS
    for part, quoted in parts:
        norm = normalise(part)
        if quoted:
            found = [tuple(words(norm))]
            substrings.append("".join(norm.split()))
        else:
            found = [(w,) for w in words(norm)]
            substrings.extend(norm.split())
        for ws in found:
            ws = ws[:budget]
            if ws and Term(ws) not in terms:
                terms.append(Term(ws))
                budget -= len(ws)
    # Single characters and unknown words mean jieba did not recognise what was typed
    # (a code, part of a name): only then may a substring search stand in for no hits.
    trusted = all(len(w) >= 2 and is_known_word(w) for t in terms for w in t.words)
    return ParsedQuery(tuple(terms), tuple(s for s in substrings if s), trusted)
