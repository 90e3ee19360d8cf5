"""Chinese word segmentation shared by documents and queries.

Documents and queries must be cut the same way or words will not meet, so both go
through `normalise` and then `words`.  jieba's dictionary is loaded once, lazily, into a
private `jieba.Tokenizer` (so other code using the global jieba is unaffected), with the
budget vocabulary added so that 三公经费, 一般公共预算, 部门决算 … come out whole.  HMM
new-word guessing is off: it depends on neighbouring characters, and a query has none.
Runs are cut by `_Cutter`, jieba's own algorithm over that dictionary, made faster.
"""
from __future__ import annotations

import logging
import re
import threading
import unicodedata
from functools import lru_cache
from math import log

import jieba

# Words of budget disclosures that must segment as one word.  jieba's own `suggest_freq`
# picks a frequency just high enough for each to win against its parts.
DOMAIN_WORDS = (
    "三公", "三公经费", "一般公共预算", "一般公共预算拨款", "一般公共预算财政拨款收入",
    "部门预算", "部门决算", "预算数", "决算数", "公务接待费", "机关运行经费",
    "因公出国费", "因公出国境费", "公务用车购置费", "公务用车运行维护费",
    "公务用车购置及运行维护费", "政府性基金", "政府性基金预算", "政府性基金预算拨款",
    "基本支出", "项目支出", "财政拨款", "财政拨款收入", "政府采购", "政府采购预算",
    "会议费", "培训费", "上年结转", "年初结转和结余", "年末结转和结余", "结转结余",
    "编制人数", "实有人数", "国有资产", "绩效目标", "名词解释", "收入预算", "支出预算",
    "工资福利支出", "商品和服务支出", "对个人和家庭的补助", "事业收入", "事业单位经营收入",
    "其他收入", "本年收入合计", "本年支出合计", "部门收支总表", "非税收入",
)

# Quotation marks stripped from everything indexed or searched, so that 三公经费 finds
# “三公”经费.  ASCII " is stripped from documents; in queries it marks a phrase and is
# read before normalising (see index.terms).
QUOTES = "“”„‟「」『』‘’‚‛〝〞〟﹁﹂﹃﹄\"'`"
_STRIP_QUOTES = re.compile("[" + re.escape(QUOTES) + "]")  # faster than str.translate

# jieba cuts each run of these characters on its own (punctuation always separates), so
# segmenting run by run gives exactly jieba's result and lets runs be cached.
_RUN = jieba.re_han_default
_MAX_TOKEN = 32  # longer runs (URLs, hashes) are not words anyone types

_lock = threading.Lock()


_tokenizer: jieba.Tokenizer | None = None
_cutter: _Cutter | None = None


def tokenizer() -> jieba.Tokenizer:
    """The jieba tokenizer with the domain words, loaded once, on first use."""
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                jieba.setLogLevel(logging.WARNING)
                tk = jieba.Tokenizer()
                tk.initialize()
                for word in DOMAIN_WORDS:
                    tk.add_word(word, tk.suggest_freq(word, tune=False))
                _tokenizer = tk
    return _tokenizer


def normalise(text: str) -> str:
    """NFKC (full-width to half-width), quotes stripped, lower case."""
    return _STRIP_QUOTES.sub("", unicodedata.normalize("NFKC", text)).lower()


_ALNUM = re.compile(r"[^\W_]")  # a character for which str.isalnum() holds


def _keep(token: str) -> bool:
    return len(token) <= _MAX_TOKEN and _ALNUM.search(token) is not None


def runs(normalised: str) -> list[str]:
    """The runs jieba segments independently (punctuation and spaces separate them)."""
    return _RUN.findall(normalised)


_ASCII_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


class _Cutter:
    """jieba's precise mode without HMM (`Tokenizer.cut(run, HMM=False)`), about three
    times faster: segmenting is most of an index build, and jieba spends it building a
    DAG dict, taking a log per candidate word and comparing tuples.  This computes the
    same route with the same float operations (log(freq) - log(total) + rest, ties to the
    longer word) over precomputed log frequencies, so the words are identical."""

    def __init__(self, tk: jieba.Tokenizer) -> None:
        logtotal = log(tk.total)
        self.freq = tk.FREQ  # word and word-prefix -> frequency (0 for prefixes only)
        self.logp = {w: log(f) - logtotal for w, f in tk.FREQ.items() if f}
        self.unknown = log(1) - logtotal  # a character that is no word

    def cut(self, run: str) -> list[str]:
        """The words of one run (a match of jieba's `re_han_default`)."""
        freq, logp, n = self.freq, self.logp, len(run)
        score, end = [0.0] * (n + 1), list(range(n + 1))
        for k in range(n - 1, -1, -1):
            best, best_end, i, frag = None, k, k, run[k]
            while frag in freq:
                p = logp.get(frag)
                if p is not None:
                    v = p + score[i + 1]
                    if best is None or v >= best:
                        best, best_end = v, i
                i += 1
                if i == n:
                    break
                frag = run[k:i + 1]
            score[k] = self.unknown + score[k + 1] if best is None else best
            end[k] = best_end
        out, buf, x = [], "", 0
        while x < n:  # single ASCII letters and digits in a row join, as in jieba
            y = end[x] + 1
            word = run[x:y]
            if y - x == 1 and word in _ASCII_ALNUM:
                buf += word
            else:
                if buf:
                    out.append(buf)
                    buf = ""
                out.append(word)
            x = y
        if buf:
            out.append(buf)
        return out


def cutter() -> _Cutter:
    """The fast cutter over tokenizer()'s dictionary, built once, on first use."""
    global _cutter
    if _cutter is None:
        tk = tokenizer()
        with _lock:
            if _cutter is None:
                _cutter = _Cutter(tk)
    return _cutter


@lru_cache(maxsize=500_000)
def cut_run(run: str) -> tuple[str, ...]:
    """The words of one run; cached, as disclosures repeat the same phrases endlessly."""
    return tuple(t for t in cutter().cut(run) if _keep(t))


def words(normalised: str) -> list[str]:
    """The words of already normalised text, in order (jieba precise mode, no HMM)."""
    out: list[str] = []
    for run in runs(normalised):
        out.extend(cut_run(run))
    return out


@lru_cache(maxsize=200_000)
def subwords(word: str) -> tuple[str, ...]:
    """Dictionary words strictly inside `word`, so 预算 finds 一般公共预算 and 三公 finds 三公经费."""
    if len(word) <= 2:
        return ()
    freq = tokenizer().FREQ
    return tuple(
        word[i:i + n]
        for n in range(2, len(word))
        for i in range(len(word) - n + 1)
        if freq.get(word[i:i + n])
    )


def is_known_word(word: str) -> bool:
    """Whether segmentation can be trusted for `word`: it is a dictionary word."""
    return bool(tokenizer().FREQ.get(word))


_SPACE = re.compile(r"\s+")


def collapse_space(text: str) -> str:
    """Runs of whitespace to one space (for snippets)."""
    return _SPACE.sub(" ", text).strip()
