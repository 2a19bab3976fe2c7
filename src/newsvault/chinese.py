"""Chinese text for matching: which characters are CJK, folding, bigrams and words.

The one home of these rules: the search index (:mod:`newsvault.search.tokens`), the static
site's index (:mod:`newsvault.publish.search_index`, and ``static/search.js``, which a test
keeps in step with this module) and the diffs (:mod:`newsvault.preserve.diff`) all use them.

*CJK* here means the scripts written without spaces between words, where a run of characters
has to be cut into tokens by position rather than at spaces:

* kana (U+3040–U+30FF): Japanese appears in the archives (quotes, place and shop names), and
  it is written without spaces like Chinese, so it is split the same way;
* Han: extension A, the unified block, compatibility ideographs, and the supplementary planes
  2 and 3 (extensions B to H: Cantonese characters such as 𨋢 "lift" and 𠝹 "cut", and rare
  characters in names, appear in Hong Kong outlets; left out, they could not be searched).

Hangul is not included: Korean puts spaces between words, so its words are found as words.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

__all__ = ["CJK", "CJK_RUN", "is_cjk", "fold", "bigrams", "words", "index_words"]

# A regular-expression character class body (the same ranges as static/search.js's CJK).
CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003ffff"
CJK_RUN = re.compile(f"[{CJK}]+")
_CJK_PAIR = re.compile(f"(?=([{CJK}]{{2}}))")
_NON_CJK = re.compile(f"[^{CJK}]+")


@lru_cache(maxsize=1)
def _t2s() -> Any:
    import opencc

    return opencc.OpenCC("t2s")


def is_cjk(ch: str) -> bool:
    """Whether the character ``ch`` (or the first of a string) is CJK."""
    return bool(ch) and CJK_RUN.match(ch) is not None


def fold(text: str) -> str:
    """Simplified, lower-case text: the form both documents and queries are matched in
    (臺灣, 台灣 and 台湾 all fold to 台湾)."""
    return str(_t2s().convert(text)).lower()


def bigrams(folded: str) -> list[str]:
    """Every overlapping pair of CJK characters, in order (``七国集团`` → 七国 国集 集团);
    pairs never span a non-CJK character."""
    return _CJK_PAIR.findall(folded)


@lru_cache(maxsize=1)
def _jieba() -> Any:
    import rjieba

    return rjieba


def words(folded: str) -> list[str]:
    """Dictionary words of the CJK runs of ``folded`` text, in order (jieba segmentation:
    ``参加沙龙`` → 参加 沙龙, so it holds no word 加沙 although it holds that bigram)."""
    cut = _jieba().cut
    out: list[str] = []
    for run in CJK_RUN.findall(folded):
        out.extend(cut(run))
    return out


def index_words(folded: str) -> str:
    """Space-separated words of ``folded`` text for an index: jieba's search mode, which also
    gives the shorter words inside long ones (加沙地带 → 加沙 地带 加沙地带), so that a query
    word is found inside a longer compound. Only CJK words: Latin is indexed by the tokenizer.
    One call for the whole text (a call per run of CJK costs twice as much)."""
    return _NON_CJK.sub(" ", " ".join(_jieba().cut_for_search(folded)))
