"""The query language, its safe translation for the engines, and highlighted snippets.

Query language (what ``newsvault search`` and ``/api/search?q=`` accept)::

    七国集团 加沙            every word (AND); a Chinese word matches its characters in sequence
    "一个声音"              a phrase: these words, adjacent, in this order
    以色列 OR 哈马斯         either (OR binds tighter than the implied AND)
    加沙 -停火               exclude articles with 停火 (also -"a phrase")
    title:加沙              only in titles (also title:"a phrase")
    source:rfi              only this source (repeat for several)
    since:2023-11-01        published on or after this day (UTC)
    until:2023-11-30        published on or before this day (a full timestamp is exact; see dates.py)
    climat*                 a Latin word prefix

Simplified and Traditional match each other (臺灣 = 台灣 = 台湾), Latin case does not matter.
Every word becomes tokens, which the engine receives as query objects (tantivy) or quoted FTS5
strings (:func:`to_match`), so no user input can reach an engine's parser as syntax: a query is
either answered or refused with a :class:`QueryError` whose
message says why (empty, too long, a bad date).
"""

from __future__ import annotations

import html
import re
import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from ..dates import parse_day
from ..errors import QueryError
from .engine import Filters, to_match
from .rows import rowid_base
from .tokens import fold, is_cjk, query_tokens

if TYPE_CHECKING:
    from .index import SearchIndex

__all__ = ["Query", "Term", "Hit", "parse_query", "to_match", "search", "count", "parse_day", "MAX_QUERY", "MAX_LIMIT"]

MAX_QUERY = 500  # characters: longer input is refused, never sent on
MAX_TERMS = 32
MAX_LIMIT = 200
SNIPPET_CHARS = 160

# One lexical item: an optional '-', an optional 'field:', then a "quoted phrase" (the closing
# quote may be missing) or a bare word.
_ITEM = re.compile(r'(-?)(?:([A-Za-z]+):)?(?:"([^"]*)"?|(\S+))')


@dataclass
class Term:
    text: str  # as typed (for highlighting)
    tokens: list[str]
    phrase: bool = False
    title_only: bool = False
    prefix: bool = False


@dataclass
class Query:
    groups: list[list[Term]] = field(default_factory=list)  # AND of OR-groups
    excluded: list[Term] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    since: int | None = None  # epoch ms, inclusive
    until: int | None = None  # epoch ms, exclusive

    @property
    def terms(self) -> list[Term]:
        return [t for g in self.groups for t in g]


@dataclass
class Hit:
    id: str
    source: str
    title: str
    published: int | None
    score: float
    snippet: str  # plain text
    snippet_html: str  # escaped, matches in <mark>
    title_html: str


def _term(text: str, phrase: bool, title_only: bool) -> Term | None:
    prefix = not phrase and text.endswith("*")
    tokens = query_tokens(text)
    if not tokens:
        return None
    # A lone CJK character is a prefix of the bigrams that start with it (see tokens.py).
    if len(tokens) == 1 and len(tokens[0]) == 1 and is_cjk(tokens[0]):
        prefix = True
    if len(tokens) > 1:
        prefix = False
    return Term(text.rstrip("*"), tokens, phrase=phrase, title_only=title_only, prefix=prefix)


def parse_query(q: str) -> Query:
    """Parse the query language (module docstring). Raises QueryError on what cannot be answered."""
    if q is None or not q.strip():
        raise QueryError("empty query: type some words to search for")
    if len(q) > MAX_QUERY:
        raise QueryError(f"query too long ({len(q)} characters; at most {MAX_QUERY})")
    query = Query()
    pending_or = False
    for m in _ITEM.finditer(q):
        neg, fieldname, quoted, bare = m.groups()
        fieldname = (fieldname or "").lower()
        phrase = quoted is not None
        value = quoted if phrase else bare
        if fieldname and fieldname not in ("title", "source", "since", "until"):
            # Not one of ours ("http:", "12:30"): search for the whole thing as text.
            value = m.group(0).lstrip("-") if not phrase else f"{fieldname} {value}"
            fieldname = ""
        if not phrase and not fieldname and not neg and value == "OR":
            pending_or = bool(query.groups)
            continue
        if fieldname in ("source", "since", "until"):
            _filter(query, fieldname, value)
            continue
        term = _term(value, phrase, fieldname == "title")
        if term is None:
            continue  # only punctuation (engine syntax characters and the like): nothing to find
        _add_term(query, term, neg=bool(neg), or_previous=pending_or)
        pending_or = False
    _check(query, q)
    return query


def _filter(query: Query, fieldname: str, value: str) -> None:
    """source:, since: or until: (several since:/until: narrow the range)."""
    if fieldname == "source":
        if value.strip():
            query.sources.append(value.strip().lower())
        return
    ms = parse_day(value, end=fieldname == "until", what=fieldname + ":")
    if fieldname == "since":
        query.since = ms if query.since is None else max(query.since, ms)
    else:
        query.until = ms if query.until is None else min(query.until, ms)


def _add_term(query: Query, term: Term, *, neg: bool, or_previous: bool) -> None:
    if neg:
        query.excluded.append(term)
    elif or_previous and query.groups:
        query.groups[-1].append(term)
    else:
        query.groups.append([term])


def _check(query: Query, q: str) -> None:
    if len(query.terms) + len(query.excluded) > MAX_TERMS:
        raise QueryError(f"too many words ({len(query.terms) + len(query.excluded)}; at most {MAX_TERMS})")
    if not query.groups:
        if query.excluded:
            raise QueryError("a query cannot only exclude: add a word to look for")
        raise QueryError(f"nothing to search for in {q.strip()[:80]!r}: use words, not only punctuation or filters")


# -- running a query ---------------------------------------------------------------------------------

def _filters(query: Query, sources: list[str] | None, since: int | None, until: int | None) -> Filters:
    """Sources and the row-id range (row ids follow publication time, see index.py)."""
    if since is not None:
        query.since = since if query.since is None else max(query.since, since)
    if until is not None:
        query.until = until if query.until is None else min(query.until, until)
    lo, hi = -(2**63), 2**63 - 1
    if query.since is not None or query.until is not None:
        lo = rowid_base(-(10**15))  # dated articles only
    if query.since is not None:
        lo = max(lo, rowid_base(query.since))
    if query.until is not None:
        hi = rowid_base(query.until) - 1
    return Filters([s.lower() for s in (sources or [])] + query.sources, lo, hi)


def search(
    index: SearchIndex,
    q: str,
    *,
    sources: list[str] | None = None,
    since: int | None = None,
    until: int | None = None,
    limit: int = 20,
    offset: int = 0,
    now_ms: int | None = None,
    newest: bool = False,
) -> list[Hit]:
    """Best matches first: BM25 over every match (titles weigh more, dictionary words more than
    bigrams alone) with a gentle preference for recent articles. ``newest``: every match in
    publication order, newest first (undated last), and ``offset``/``limit`` page through that."""
    if not 1 <= limit <= MAX_LIMIT:
        raise QueryError(f"limit must be between 1 and {MAX_LIMIT}, not {limit}")
    if not 0 <= offset <= 1_000_000_000:
        raise QueryError(f"offset must be between 0 and 1000000000, not {offset}")
    query = parse_query(q)
    filters = _filters(query, sources, since, until)
    now = now_ms if now_ms is not None else int(time.time() * 1000)
    with index.lock:
        if newest:  # the page is cut from all matches in date order; texts only for the page
            matches = index.engine.count(query, filters)
            every = _top(index, query, filters, matches, now) if matches else []
            every.sort(key=lambda r: (r[4] is not None, r[4] or 0, r[1]), reverse=True)
            ranked = every[offset : offset + limit]
        else:
            ranked = _top(index, query, filters, offset + limit, now)[offset:]
        texts = index.texts([r[1] for r in ranked])
    needles = _needles(query)
    pattern = _pattern(needles)  # (once a query, not twice a hit)
    hits = []
    for score, rowid, aid, source, published in ranked:
        title, body = texts.get(rowid, ("", ""))
        plain, marked = snippet(body, needles, pattern=pattern)
        hits.append(Hit(aid, source, title, published, score, plain, marked, _mark(title, _spans(title, pattern))))
    return hits


def count(index: SearchIndex, q: str, *, sources: list[str] | None = None, since: int | None = None, until: int | None = None) -> int:
    """How many indexed articles match ``q`` (exactly)."""
    query = parse_query(q)
    filters = _filters(query, sources, since, until)
    with index.lock:
        return index.engine.count(query, filters)


def _top(index: SearchIndex, query: Query, filters: Filters, need: int, now: int) -> list[tuple[float, int, str, str, int | None]]:
    """The ``need`` best (score, rowid, article_id, source, published), best first: the engine
    ranks every match (engine.py), the documents table gives ids and dates."""
    best = index.engine.top(query, filters, need, now)
    if not best:
        return []
    ids = [r for _s, r in best]
    meta = {
        row[0]: row
        for row in index.db.execute(f"SELECT rowid, article_id, source, published FROM docs WHERE rowid IN ({','.join('?' * len(ids))})", ids)
    }
    # (a row the documents table does not know was left by a killed write: not shown)
    return [(score, r, *meta[r][1:]) for score, r in best if r in meta]


# -- snippets ------------------------------------------------------------------------------------------

Needle = tuple[str, bool]  # (folded string to find, may be a word prefix)


def _needles(query: Query) -> list[Needle]:
    """What to look for in the original text (folded): whole words first, then their tokens."""
    found: dict[str, bool] = {}
    for t in query.terms:
        # CJK: the typed word, folded and without punctuation, is the string to find.
        whole = re.sub(r"[\W_]+", "", fold(t.text)) if any(is_cjk(tok[0]) for tok in t.tokens) else " ".join(t.tokens)
        for n in [whole] if t.phrase else [whole, *t.tokens]:
            if n:
                found[n] = found.get(n, False) or t.prefix
    # Longest first, so that the regex prefers 七国集团 to 七国.
    return sorted(found.items(), key=lambda x: len(x[0]), reverse=True)


def _fold_aligned(text: str) -> str:
    """``text`` folded, with the same length so that positions map back to the original."""
    folded = fold(text)
    if len(folded) != len(text):  # OpenCC changed the length (rare phrase conversions)
        folded = "".join(f if len(f := fold(c)) == 1 else c for c in text)
    return folded


def _pattern(needles: list[Needle]) -> re.Pattern[str] | None:
    parts = []
    for n, prefix in needles:
        p = re.escape(n).replace(r"\ ", r"\W+")
        if n[0].isascii() and n[0].isalnum():  # Latin words match whole (or as a prefix)
            p = r"(?<![a-z0-9])" + p + ("" if prefix else r"(?![a-z0-9])")
        parts.append(p)
    return re.compile("|".join(parts), re.IGNORECASE) if parts else None


def _spans(text: str, pattern: re.Pattern[str] | None) -> list[tuple[int, int]]:
    if pattern is None or not text:
        return []
    return [(m.start(), m.end()) for m in pattern.finditer(_fold_aligned(text))]


def _mark(text: str, spans: list[tuple[int, int]]) -> str:
    out, pos = [], 0
    for a, b in spans:
        out.append(html.escape(text[pos:a]))
        out.append("<mark>" + html.escape(text[a:b]) + "</mark>")
        pos = b
    out.append(html.escape(text[pos:]))
    return "".join(out)


def highlight(text: str, needles: list[Needle]) -> str:
    """``text`` HTML-escaped with every match in <mark>."""
    return _mark(text, _spans(text, _pattern(needles)))


@lru_cache(maxsize=4)
def _converter(config: str) -> Any:
    import opencc

    return opencc.OpenCC(config)


def _raw_pattern(needles: list[Needle]) -> re.Pattern[str] | None:
    return _raw_pattern_cached(tuple(needles))


@lru_cache(maxsize=64)
def _raw_pattern_cached(needles: tuple[Needle, ...]) -> re.Pattern[str] | None:
    """Needles as they may be written in an unfolded text: Simplified as folded, plus their
    Traditional spellings (Taiwan and Hong Kong standards), so most texts need no folding."""
    variants: dict[str, bool] = {}
    for n, prefix in needles:
        variants[n] = prefix
        if is_cjk(n[0]):
            for config in ("s2t", "s2tw", "s2hk"):
                variants.setdefault(_converter(config).convert(n), prefix)
    return _pattern(sorted(variants.items(), key=lambda x: len(x[0]), reverse=True))


def _first_match(text: str, needles: list[Needle], pattern: re.Pattern[str], limit: int = 20_000, step: int = 2_000) -> int | None:
    # Look for the needles as a text would spell them first (cheap); only if that fails, fold
    # the text piece by piece (folding all of a long text for every hit would cost more than
    # the query itself).
    raw = _raw_pattern(needles)
    m = raw.search(text, 0, limit) if raw is not None else None
    if m:
        return m.start()
    longest = max(len(n) for n, _p in needles) + 8
    for i in range(0, min(len(text), limit), step):
        m = pattern.search(_fold_aligned(text[i : i + step + longest]))
        if m:
            return i + m.start()
    return None


_UNSET: Any = object()


def snippet(text: str, needles: list[Needle], width: int = SNIPPET_CHARS, pattern: re.Pattern[str] | None = _UNSET) -> tuple[str, str]:
    """A window of the original text around the first match: (plain, HTML with <mark>);
    ``pattern`` is ``_pattern(needles)`` when the caller has it already."""
    if pattern is _UNSET:
        pattern = _pattern(needles)
    first = _first_match(text, needles, pattern) if pattern else None
    start = 0
    if first is not None:
        start = max(0, first - width // 4)
        # Do not start in the middle of a Latin word (but do not walk back far).
        while start > 0 and start > first - width // 2 and text[start - 1].isascii() and text[start - 1].isalnum():
            start -= 1
    end = min(len(text), start + width)
    window = text[start:end]
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    return prefix + window + suffix, prefix + _mark(window, _spans(window, pattern)) + suffix



