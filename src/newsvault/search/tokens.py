"""Chinese-aware tokens for the search index, the same at index time and at query time.

Chinese has no spaces between words, so the index holds overlapping character *bigrams* of each
run of CJK characters (``七国集团`` → ``七国 国集 集团``): any word of two or more characters is a
run of consecutive bigrams, so ``加沙`` is one token and ``七国集团`` a three-token phrase. A run of
one character is kept as that character. Latin words are case-folded; numbers are kept.

Before tokenising, text is *folded*: Traditional characters become Simplified with OpenCC
(``t2s``), so 臺灣, 台灣 and 台湾 all index and query as ``台湾``. Folding and the CJK ranges live
in :mod:`newsvault.chinese`. The same :func:`fold` runs on
documents and queries, which is what makes the folding symmetric.

The index stores the tokens space-separated and lets SQLite's ``ascii`` tokenizer split them
(every non-ASCII byte is a token character to it, so a bigram stays one token).
"""

from __future__ import annotations

import html as htmllib
import re
from operator import add

from ..chinese import CJK as _CJK
from ..chinese import fold, is_cjk

__all__ = ["fold", "index_tokens", "query_tokens", "extract_text", "TOKENIZER_VERSION", "is_cjk"]

# Bump when tokens change: the index is then rebuilt (old rows could not be deleted otherwise).
# 2: CJK includes Han extensions B to H (newsvault.chinese).
# 3: no token for the first character of a CJK run (a bigram starts with it already).
# 4: dictionary words from the title and the first 500 characters (index.WORDS_LEAD), not 1,000.
TOKENIZER_VERSION = "4"
# Longer "words" are junk (base64, URLs run together) and are not indexed.
MAX_TOKEN = 100
# Anything that is not part of a token: punctuation, symbols, spaces (underscore counts as one).
_NON_TOKEN = re.compile(r"[\W_]+")
_SPACES = re.compile(r"\s+")

# Cheap text extraction for the index: tags out, scripts and styles with their content out,
# entities decoded. Much faster than a DOM walk, and the index needs words, not layout.
_DROP = re.compile(r"<(script|style|noscript|template|svg|iframe)\b[^>]*>.*?</\1\s*>|<!--.*?-->", re.S | re.I)
_TAG = re.compile(r"<[^>]*>")


_NON_CJK = re.compile(f"[^{_CJK}]+")
_EDGES = re.compile("\x00[^ ]|\x00")
_CJK_OR_NON_TOKEN = re.compile(f"(?:[{_CJK}]|[\\W_])+")


def _pairs(text: str) -> str:
    """Every adjacent pair of characters of ``text``, space-separated, built at C speed.

    In UTF-32 each character is 4 bytes, so pair i is bytes [4i, 4i+8) and the output is
    (pair, space) repeated: twelve strided slice copies instead of a Python loop per character.
    """
    n = len(text) - 1
    if n <= 0:
        return text
    src = text.encode("utf-32-le")
    out = bytearray(12 * n)
    out[8::12] = b" " * n
    for k in range(8):
        out[k::12] = src[k : k + 4 * n : 4]
    return out.decode("utf-32-le")


def index_tokens(folded: str) -> str:
    """Space-separated tokens of folded document text (what the engine indexes).

    CJK runs become their bigrams, and the *last* character of each run is also a token, so
    that a one-character query finds every occurrence as a prefix (``X`` is a prefix of the
    bigram starting with it, or is the run's last character; a run of one character is that
    character). Latin words and numbers follow, in order, after the CJK tokens.
    """
    # Runs are joined by NUL, so each run edge makes a pair with NUL in it: "团\0" (the last
    # character: kept as 团) and "\0加" (a first character: dropped, 加沙 starts with it).
    cjk = _NON_CJK.sub("\x00", folded).strip("\x00")
    latin = _CJK_OR_NON_TOKEN.sub(" ", folded)
    if len(latin) > MAX_TOKEN:
        words = latin.split()
        if max(map(len, words), default=0) > MAX_TOKEN:  # (a cheap test: they are rare)
            latin = " ".join(w for w in words if len(w) <= MAX_TOKEN)
    # Runs of spaces are left in: the tokenizers skip them, and collapsing them costs more
    # than everything else here.
    return f"{_EDGES.sub('', _pairs(cjk + chr(0)))} {latin}" if cjk else f" {latin}"


def query_tokens(text: str) -> list[str]:
    """Tokens of one query word: each CJK run as its bigrams (one character alone if the run
    is one character), Latin words and numbers as they are, in the order typed."""
    out: list[str] = []
    for part in _NON_TOKEN.sub(" ", fold(text)).split():
        for m in re.finditer(f"[{_CJK}]+|[^{_CJK}]+", part):
            run = m.group()
            if is_cjk(run[0]):
                out.extend([run] if len(run) == 1 else map(add, run, run[1:]))
            else:
                out.append(run)
    return out


def extract_text(html: str) -> str:
    """Plain text of an HTML body or page for indexing and snippets (whitespace collapsed)."""
    if "<" in html:
        html = _TAG.sub(" ", _DROP.sub(" ", html))
    if "&" in html:
        html = htmllib.unescape(html)
    return _SPACES.sub(" ", html).strip()
