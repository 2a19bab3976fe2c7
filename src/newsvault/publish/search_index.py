"""The static site's search index: prebuilt, sharded, Chinese-aware, loadable from ``file://``.

Browsers refuse ``fetch()`` of local files, and WebAssembly indexes (Pagefind and the like) load
their data with ``fetch()``, so they do not work from a mirror opened from disk. The index is
therefore plain JavaScript: every file calls a global function when a ``<script>`` tag loads
it. Layout under ``search/`` in the site::

    meta.js            NV.meta = {shards, gens, chunk, n, sources, v, lead, full, clipped, files, rank}
    t/<shard>.js       NV.tz(shard, "packed {term: "postings", …}\n{…}…");   one object per segment
    t/g<G>-<shard>.js  generation G: what incremental build G added (few, small shards)
    d/<chunk>.js       NV.d(chunk, [[docno, id, source index, "YYYY-MM-DD HH:MM", title], …])
    x/<k>/<docno>.js   NV.xz(docno, "packed plain text")   loaded only for the results shown (snippets)

Packed (:func:`pack`, :func:`unpack`): raw deflate, in base 64. Postings and texts are most of
the index (at 100,000 articles some 850 MB as plain JSON), GitHub Pages refuses sites over 1 GB,
and a static host's gzip only shrinks what goes over the wire, not what is stored; packed they
take about 40 % (shards) and 70 % (texts) of that. The browser unpacks them with
``DecompressionStream("deflate-raw")``, which needs no ``fetch()`` and so works from ``file://``;
over the wire the packed files cost about what gzip made of the plain ones.

Terms: text is lower-cased and folded to Simplified Chinese character by character with the
map of OpenCC's ``t2s`` that ``static/t2s.js`` holds, so that documents fold exactly as the
browser folds queries; runs of CJK characters (:data:`newsvault.chinese.CJK`, which
``static/search.js`` repeats) give overlapping bigrams (a two-character query like 加沙 is one
term), other runs give words. A term lives in
shard ``crc32(term as UTF-16LE) % shards`` (``static/search.js`` computes the same), so a query
loads only its terms' shards.

Postings (:func:`encode_postings`, :func:`decode`): for each document holding the term, in
ascending document order, the value ``gap × 8 + weight`` as a variable-length base-32 number
(continuation digits ``A``–``Z``, ``w``–``z``, ``-``, ``_``; the last digit ``0``–``9``,
``a``–``v``), where ``gap`` is the distance from the previous document (the first is absolute)
and ``weight`` is 4 when the term is in the title plus a 0–3 bucket of the term's BM25 weight in
the body (term frequency saturated and normalised by the text's length), so that the browser can
rank by relevance without any per-document data. Document numbers are assigned once and kept
(in the state file), so a rebuild after new articles only appends a segment to the shards those
articles touch and rewrites the last document chunk.

What is indexed: the title and the whole text of every article up to :data:`MAX_TEXT`
characters; meta.js counts the articles longer than that (``clipped``), and the page says so.
Speed: at 100,000 articles there are about 100 million postings (some 1,000 distinct terms an
article), so nothing runs in Python per posting: CJK pairs are found, counted, sorted and
encoded in numpy over a whole batch of texts at once (:func:`_invert`); only words (a few dozen
an article) go through ``Counter``, and only distinct terms through a Python loop.
"""

from __future__ import annotations

import base64
import hashlib
import json
import pickle
import re
import shutil
import zlib
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from html import unescape
from pathlib import Path
from typing import Any

from ..chinese import CJK as _CJK

__all__ = ["SearchIndex", "fold", "terms", "shard_of", "text_of_html", "segment", "encode_postings", "decode",
           "text_path", "pack", "unpack", "read_shard", "write_t2s_map"]

FORMAT = 5  # bump when the files' layout or the term rules change: the index is then rebuilt
CHUNK = 50  # titles per document chunk: results in relevance order are scattered over chunks
TEXT_FILES = 1000  # text files per folder of search/x/
MAX_GENERATIONS = 12  # incremental builds before generations are folded into the base shards
MAX_TEXT = 50_000  # characters of an article's text indexed (and kept for snippets)
# BM25's term-frequency part (k1, b) against a fixed reference length: computed at build time,
# per posting, so the browser needs no document lengths (the reference only scales all weights).
K1, B, REF_LENGTH = 1.2, 0.75, 2000
IMPACT_BUCKETS = (0.7, 1.1, 1.45)  # bucket boundaries of the BM25 term weight (see _invert)
TITLE = 1 << 24  # added to a term's count when it is in the title (a body never holds that many)
TERMINAL = "0123456789abcdefghijklmnopqrstuv"  # the last base-32 digit of a number
CONTINUE = "ABCDEFGHIJKLMNOPQRSTUVWXYZwxyz-_"  # the other digits (none needs escaping in JSON)
# How the browser ranks (sent in meta.js, so this module is the one home of the numbers): a
# document's score is the sum over query terms of idf × (impact[body bucket] + title bonus).
RANK = {"impact": [0.5, 0.9, 1.3, 1.7], "title": 2.0, "page": 20}
CLIPPED = -1  # the key of a segment's clipped document numbers (not a shard)
TERMS_PER_DOC = 1_000  # distinct terms of a typical news article (sizes the shard count)
_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")

_BIGRAM = re.compile(rf"(?=([{_CJK}]{{2}}))")
_WORD = re.compile(r"[0-9a-z\u00c0-\u024f\u0400-\u04ff]{2,}|[0-9]+")


def fold(text: str) -> str:
    """Lower-case, Simplified text, character by character: how ``static/search.js`` folds a
    query and how the index folds documents (OpenCC's phrase rules are not applied, so that
    both sides always agree)."""
    return text.lower().translate(_t2s_map())


@lru_cache(maxsize=1)
def _t2s_map() -> dict[int, str]:
    pairs = t2s_pairs()
    return {ord(t): s for t, s in zip(pairs[::2], pairs[1::2], strict=True)}


def terms(folded: str) -> set[str]:
    """Overlapping bigrams of CJK runs (single characters are not indexed) and other words."""
    out = set(_BIGRAM.findall(folded))
    out.update(_WORD.findall(folded))
    return out


def shard_of(term: str, shards: int) -> int:
    """CRC-32 of the term's UTF-16LE code units (``static/search.js`` computes the same)."""
    return zlib.crc32(term.encode("utf-16-le", "surrogatepass")) % shards


def text_of_html(html: str, limit: int) -> str:
    """Plain text of (sanitised) HTML, cheaply: enough for an index, not for reading."""
    text = unescape(_TAG.sub(" ", html[: limit * 8]))
    return _SPACE.sub(" ", text).strip()[:limit]


def pack(text: str) -> str:
    """``text`` as raw deflate in base 64 (``static/search.js`` unpacks it)."""
    z = zlib.compressobj(9, zlib.DEFLATED, -15)
    return base64.b64encode(z.compress(text.encode("utf-8", "surrogatepass")) + z.flush()).decode("ascii")


def unpack(packed: str) -> str:
    return zlib.decompress(base64.b64decode(packed), -15).decode("utf-8", "surrogatepass")


def read_shard(text: str) -> list[dict[str, str]]:
    """The segments of a shard file's text, in order: each a {term: postings} dict."""
    return [json.loads(obj) for m in _LINE.finditer(text) for obj in unpack(m.group(1)).split("\n")]


def _shard_line(shard: int, objects: list[str]) -> str:
    """A shard file's line: segments (JSON objects, term → postings) packed together, one a
    line, so that deflate sees the terms they share."""
    return f'NV.tz({shard},"{pack(chr(10).join(objects))}");\n'


def _js(obj: object) -> str:
    # JSON is JavaScript; escape "<" and the line separators so a title can never close a tag.
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


@dataclass
class Doc:
    id: str
    source: int
    date: str
    title: str


def text_path(docno: int) -> str:
    """Where the plain text of document ``docno`` is kept for snippets (``static/search.js``
    computes the same)."""
    return f"search/x/{docno // TEXT_FILES}/{docno}.js"


def segment(items: list[tuple[int, str]], shards: int, write: Callable[[str, str], None] | None = None) -> dict[int, str]:
    """Postings of ``items`` ([(docno, unfolded "title\\ntext")]) as JSON objects (one a line) per shard, and
    (with ``write``) each document's text file for snippets.

    Pure but for ``write``, so worker processes build segments in parallel; a shard file is the
    concatenation of its segments and the browser merges a term's postings across them. Key
    :data:`CLIPPED` lists the documents whose text was longer than :data:`MAX_TEXT`."""
    items = sorted(items)
    if not items:
        return {}
    titles, bodies = [], []
    for _, text in items:
        title, _, body = text.partition("\n")
        titles.append(title)
        bodies.append(body[:MAX_TEXT])
    if write is not None:
        for (docno, _), body in zip(items, bodies, strict=True):
            write(text_path(docno), f'NV.xz({docno},"{pack(body)}");\n')
    docnos = [docno for docno, _ in items]
    out = _invert(docnos, [t.lower() for t in titles], [b.lower() for b in bodies], shards)
    clipped = [docno for docno, body in zip(docnos, bodies, strict=True) if len(body) >= MAX_TEXT]
    if clipped:
        out[CLIPPED] = ",".join(map(str, clipped))
    return out


# Postings are built from int64 keys ``term << DOC_BITS | document`` (document: its index in
# the batch). A CJK pair is the term ``first << 18 | second`` (code points of CJK are below
# 2**18); a word is ``WORD + its number``, so the two kinds never collide.
DOC_BITS = 24
PAIR_BITS = 18
WORD = 1 << (2 * PAIR_BITS)
BATCH = 50_000  # documents inverted at once (bounds the memory a worker needs)
_CJK_RANGES = [(ord(_CJK[i]), ord(_CJK[i + 2])) for i in range(0, len(_CJK), 3)]


@lru_cache(maxsize=1)
def _tables() -> tuple[Any, Any]:
    """Per code point: its Simplified form (the character map of ``static/t2s.js``, so the
    index folds exactly as the browser folds queries), and whether it is CJK."""
    import numpy as np

    simplified = np.arange(0x110000, dtype=np.uint32)
    table = _t2s_map()
    simplified[list(table)] = [ord(c) for c in table.values()]
    cjk = np.zeros(0x110000, dtype=bool)
    for lo, hi in _CJK_RANGES:
        cjk[lo : hi + 1] = True
    return simplified, cjk


def _invert(docnos: list[int], titles: list[str], bodies: list[str], shards: int) -> dict[int, str]:
    """Term → postings for folded titles and bodies, as JSON objects (one a line) per shard. CJK pairs are
    found, counted and sorted in numpy (no Python object per pair: ~100 M of them at 100,000
    articles); words, a few dozen a document, are counted with ``Counter``."""
    import numpy as np

    lines: defaultdict[int, list[str]] = defaultdict(list)
    for i in range(0, len(docnos), BATCH):
        part = slice(i, i + BATCH)
        pairs = _with_titles(*_pair_counts(bodies[part]), _pair_counts(titles[part])[0])
        vocab: defaultdict[str, int] = defaultdict()
        vocab.default_factory = vocab.__len__  # a new word gets the next number
        words = _with_titles(*_word_counts(bodies[part], vocab), _word_counts(titles[part], vocab)[0])
        lengths = np.fromiter(map(len, bodies[part]), dtype=np.int64, count=len(bodies[part]))
        numbers = np.asarray(docnos[part], dtype=np.int64)
        names = list(vocab)
        entries: defaultdict[int, list[str]] = defaultdict(list)
        for keys, tf, title in (pairs, words):
            if len(keys):
                _entries(keys, _weights(keys, tf, title, lengths), numbers, names, shards, entries)
        for shard, members in entries.items():
            lines[shard].append("{" + ",".join(members) + "}")
    return {shard: "\n".join(parts) for shard, parts in lines.items()}


def _unique_counts(keys: Any) -> tuple[Any, Any]:
    """Sorted distinct keys and how often each occurs."""
    import numpy as np

    keys.sort()
    if not len(keys):
        return keys, keys
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    return keys[starts], np.diff(np.r_[starts, len(keys)])


def _pair_counts(texts: list[str]) -> tuple[Any, Any]:
    """(keys, counts) of every pair of adjacent CJK characters in ``texts``."""
    import numpy as np

    simplified, is_cjk = _tables()
    joined = "\n".join(texts)  # a separator that is not CJK: no pair spans two documents
    cp = simplified[np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)]
    cjk = is_cjk[cp]
    cjk[:-1] &= cjk[1:]  # a pair starts here
    pos = np.flatnonzero(cjk[:-1])
    # In place: these arrays hold one number per pair (tens of millions).
    keys = cp[pos].astype(np.int64)
    keys <<= PAIR_BITS
    keys |= cp[1:][pos]
    keys <<= DOC_BITS
    offsets = np.cumsum([0] + [len(t) + 1 for t in texts[:-1]])
    keys |= np.searchsorted(offsets, pos, side="right") - 1  # the document of each pair
    return _unique_counts(keys)


def _word_counts(texts: list[str], vocab: defaultdict[str, int]) -> tuple[Any, Any]:
    """(keys, counts) of the words (non-CJK terms) of ``texts``."""
    import numpy as np

    ids, counts, per_doc = array("q"), array("q"), array("q")
    word, lookup = _WORD.findall, vocab.__getitem__
    for text in texts:
        c = Counter(word(text))
        ids.extend(map(lookup, c))
        counts.extend(c.values())
        per_doc.append(len(c))
    keys = np.frombuffer(ids, dtype=np.int64) + WORD
    keys <<= DOC_BITS
    keys |= np.repeat(np.arange(len(texts), dtype=np.int64), np.frombuffer(per_doc, dtype=np.int64))
    order = np.argsort(keys)
    return keys[order], np.frombuffer(counts, dtype=np.int64)[order]


def _with_titles(keys: Any, tf: Any, title_keys: Any) -> tuple[Any, Any, Any]:
    """Body postings (sorted keys, counts) joined with the title's: a title flag on each, and
    the terms only the title holds added with a count of 0."""
    import numpy as np

    pos = np.searchsorted(keys, title_keys)
    found = pos < len(keys)
    found[found] = keys[pos[found]] == title_keys[found]
    title = np.zeros(len(keys), dtype=bool)
    title[pos[found]] = True
    only, at = title_keys[~found], pos[~found]
    return np.insert(keys, at, only), np.insert(tf, at, 0), np.insert(title, at, True)


def _weights(keys: Any, tf: Any, title: Any, lengths: Any) -> Any:
    """Each posting's weight: 4 for a title match plus the bucket of BM25's term weight
    tf·(k1+1) / (tf + k1·(1 − b + b·length/REF_LENGTH)) in the body. Bucket k is reached at a
    count that depends on the length only: three thresholds per document."""
    import numpy as np

    doc = keys & ((1 << DOC_BITS) - 1)
    norm = K1 * (1 - B + B * lengths / REF_LENGTH)
    weight = np.zeros(len(keys), dtype=np.int64)
    for edge in IMPACT_BUCKETS:
        weight += tf >= np.ceil(edge * norm / (K1 + 1 - edge) - 1e-9).astype(np.int64)[doc]
    return weight + 4 * title


def _entries(keys: Any, weight: Any, numbers: Any, names: list[str], shards: int, by_shard: defaultdict[int, list[str]]) -> None:
    """Add ``"term":"postings"`` JSON members to ``by_shard``, from keys sorted by term then
    document."""
    import numpy as np

    term = keys >> DOC_BITS
    doc = numbers[keys & ((1 << DOC_BITS) - 1)]
    first = np.flatnonzero(np.r_[True, term[1:] != term[:-1]])
    value = np.diff(doc, prepend=0)
    value[first] = doc[first]  # a term's first document is absolute
    text, ends = encode_postings(value * 8 + weight)
    starts = np.r_[0, ends[:-1]][first].tolist()
    stops = np.r_[ends[first[1:] - 1], ends[-1]].tolist()
    terms_ = term[first]
    if terms_[0] >= WORD:
        strings = [names[t - WORD] for t in terms_.tolist()]
    else:  # every pair's two code points, decoded at once
        pairs = np.stack([terms_ >> PAIR_BITS, terms_ & ((1 << PAIR_BITS) - 1)], axis=1).astype("<u4")
        joined = pairs.tobytes().decode("utf-32-le")
        strings = [joined[i : i + 2] for i in range(0, len(joined), 2)]
    crc = zlib.crc32
    for t, a, b in zip(strings, starts, stops, strict=True):
        # Terms are CJK pairs or [0-9a-z…] words, and digits are plain ASCII: valid JSON as is.
        by_shard[crc(t.encode("utf-16-le", "surrogatepass")) % shards].append(f'"{t}":"{text[a:b]}"')


def encode_postings(values: Any) -> tuple[str, Any]:
    """Non-negative integers (a numpy array) as one string of variable-length base-32 numbers,
    most significant digit first, and the end offset of each number in it."""
    import numpy as np

    values = np.asarray(values, dtype=np.int64)
    if not len(values):
        return "", np.zeros(0, dtype=np.int64)
    width = 1
    while int(values.max()) >= 1 << (5 * width):
        width += 1
    n = np.ones(len(values), dtype=np.int64)
    for k in range(1, width):
        n += values >= 1 << (5 * k)
    # Every number right-aligned in ``width`` columns, then the leading empty columns dropped.
    grid = np.empty((len(values), width), dtype=np.uint8)
    cont = np.frombuffer(CONTINUE.encode(), dtype=np.uint8)
    for j in range(width - 1):
        grid[:, j] = cont[(values >> (5 * (width - 1 - j))) & 31]
    grid[:, width - 1] = np.frombuffer(TERMINAL.encode(), dtype=np.uint8)[values & 31]
    used = np.arange(width) >= (width - n)[:, None]
    return grid[used].tobytes().decode("ascii"), np.cumsum(n)


_DIGIT = {c: i for i, c in enumerate(TERMINAL)} | {c: 32 + i for i, c in enumerate(CONTINUE)}


def decode(postings: str) -> list[tuple[int, int]]:
    """[(docno, weight)] of one term's postings in one segment (``static/search.js`` decodes
    the same way): weight & 4 is a title match, weight & 3 the body's bucket."""
    out, acc, doc = [], 0, 0
    for ch in postings:
        d = _DIGIT[ch]
        if d >= 32:
            acc = acc * 32 + d - 32
        else:
            acc = acc * 32 + d
            doc += acc >> 3
            out.append((doc, acc & 7))
            acc = 0
    return out


class SearchIndex:
    """The index of one site: ``search/`` files plus a state file (document numbers, the text
    hash each was indexed with, shard count, the text cap, the clipped documents).

    Use: :meth:`plan` (numbers for new documents), then :func:`segment` over the texts of new
    or changed documents (anywhere, in parallel), then :meth:`commit` with the segments."""

    def __init__(self, site: Path, state_path: Path, write: Callable[[str, str], None]):
        self.site = site
        self.state_path = state_path
        self.write = write  # write(relpath, text) -> None
        try:
            with open(state_path, "rb") as f:
                self.state = pickle.load(f)
        except (OSError, ValueError, EOFError, pickle.UnpicklingError):
            self.state = {}
        if not (site / "search" / "meta.js").exists() or self.state.get("format") != FORMAT:
            self.state = {}
        self.fresh = not self.state

    def plan(self, ids_oldest_first: list[str], total_docs: int) -> None:
        """Number documents not yet indexed (in the given order: higher numbers are newer)."""
        if self.fresh and not self.state:
            for folder in ("t", "d", "x"):  # leftovers of an older index
                shutil.rmtree(self.site / "search" / folder, ignore_errors=True)
            shards = 64
            while shards < 4096 and total_docs * TERMS_PER_DOC / shards > 8_000:
                shards *= 2
            self.state = {"format": FORMAT, "lead": MAX_TEXT, "shards": shards, "docs": {}, "next": 0, "clipped": set()}
        numbers = self.state["docs"]
        for aid in ids_oldest_first:
            if aid not in numbers:
                numbers[aid] = [self.state["next"], ""]
                self.state["next"] += 1

    def begin(self, n_texts: int) -> int:
        """The shard count the coming segments must use: the base index's on a fresh build;
        else a new, small generation sized for ``n_texts`` documents."""
        if self.fresh:
            return self.shards
        shards = 1
        while shards < self.shards and n_texts * TERMS_PER_DOC / shards > 8_000:
            shards *= 2
        self._gen_shards = shards
        return shards

    @property
    def lead(self) -> int:
        """Characters of each article's text to index (the rest is not searchable)."""
        return int(self.state["lead"])

    @property
    def shards(self) -> int:
        return int(self.state["shards"])

    def number(self, aid: str) -> tuple[int, str] | None:
        entry = self.state["docs"].get(aid)
        return (entry[0], entry[1]) if entry else None

    def commit(self, segments: list[dict[int, str]], digests: dict[str, str], docs: dict[str, Doc], sources: list[str], stamp: str) -> list[str]:
        """Append ``segments`` to their shards, record ``digests`` (id → text hash indexed),
        rewrite the document chunks that changed, and meta.js. ``docs``: every article now.
        ``stamp``: what else the files' version depends on (the site's templates)."""
        numbers: dict[str, list[Any]] = self.state["docs"]
        clipped: set[int] = self.state["clipped"]
        for aid, digest in digests.items():
            numbers[aid][1] = digest
            clipped.discard(numbers[aid][0])  # indexed again: clipped again below if still long
        for seg in segments:
            clipped.update(int(d) for d in seg.pop(CLIPPED, "").split(",") if d)
        # The stamp (``v``, which browsers add to the files they fetch) is a hash of the previous
        # stamp and of every byte written now: it changes exactly when the index does, and two
        # builds of one archive give the same bytes.
        hasher = hashlib.blake2b(f"{stamp}\x1f{self.state.get('stamp', '')}".encode(), digest_size=5)
        write = self.write

        def hashing_write(rel: str, text: str) -> None:
            hasher.update(f"{rel}\x1f{len(text)}\x1f{text}".encode("utf-8", "surrogatepass"))
            write(rel, text)

        self.write = hashing_write
        try:
            written = self._write_segments(segments)
            written += self._write_chunks(numbers, docs)
        finally:
            self.write = write
        stamp = self.state["stamp"] = hasher.hexdigest()
        self.state["titles"] = {aid: _title_key(d) for aid, d in docs.items() if aid in numbers}
        # Articles longer than ``lead`` are searchable by their first ``lead`` characters only:
        # the page says how many there are.
        n_clipped = sum(1 for aid, (docno, _) in numbers.items() if docno in clipped and aid in docs) if clipped else 0
        meta = {"shards": self.shards, "gens": self.state["gens"], "chunk": CHUNK, "n": len(docs), "sources": sources, "v": stamp,
                "lead": self.lead, "full": not n_clipped, "clipped": n_clipped, "files": TEXT_FILES, "rank": RANK}
        self.write("search/meta.js", f"window.NV=window.NV||{{}};NV.meta={_js(meta)};\n")
        written.append("search/meta.js")
        self._save_state()
        self.fresh = False
        return written

    def _write_segments(self, segments: list[dict[int, str]]) -> list[str]:
        """Base shards on a fresh build; else a new generation of small files beside them
        (rewriting the base shards for a hundred new articles would cost as much as writing
        the whole index)."""
        written: list[str] = []
        lines: defaultdict[int, list[str]] = defaultdict(list)
        for seg in segments:
            for shard, line in seg.items():
                lines[shard].append(line)
        gens: list[list[int]] = self.state.setdefault("gens", [])
        if not self.fresh and not lines:
            return written
        gen = 0 if self.fresh else max((g for g, _ in gens), default=0) + 1
        for shard in sorted(lines):
            rel = f"search/t/{shard}.js" if self.fresh else f"search/t/g{gen}-{shard}.js"
            self.write(rel, _shard_line(shard, lines[shard]))
            written.append(rel)
        if not self.fresh:
            gens.append([gen, self._gen_shards])
            if len(gens) > MAX_GENERATIONS:
                written += self._compact()
        return written

    def _write_chunks(self, numbers: dict[str, list[Any]], docs: dict[str, Doc]) -> list[str]:
        """Rewrite the document chunks whose rows changed (all of them on a fresh build)."""
        touched: set[int] | None = None
        if not self.fresh:
            old = self.state.get("titles", {})
            touched = {entry[0] // CHUNK for aid, entry in numbers.items() if old.get(aid) != (_title_key(docs[aid]) if aid in docs else None)}
        by_chunk: dict[int, list[list[Any]]] = {chunk: [] for chunk in touched or ()}
        for aid, entry in numbers.items():
            chunk = entry[0] // CHUNK
            if aid in docs and (touched is None or chunk in touched):
                d = docs[aid]
                by_chunk.setdefault(chunk, []).append([entry[0], aid, d.source, d.date, d.title])
        written = []
        for chunk, rows in sorted(by_chunk.items()):
            rows.sort()
            rel = f"search/d/{chunk}.js"
            self.write(rel, f"NV.d({chunk},{_js(rows)});\n")
            written.append(rel)
        return written

    def _save_state(self) -> None:
        self.state_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.state_path.with_suffix(".tmp")
        with open(tmp, "wb") as f:
            pickle.dump(self.state, f, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(self.state_path)

    def _compact(self) -> list[str]:
        """Fold every generation into the base shards (one line per generation and shard)."""
        shards = self.shards
        appended: defaultdict[int, list[str]] = defaultdict(list)
        for gen, gshards in self.state["gens"]:
            for gshard in range(gshards):
                path = self.site / "search" / "t" / f"g{gen}-{gshard}.js"
                by_shard: dict[int, dict[str, str]] = {}
                for entries in read_shard(_read(path)):
                    for term, gaps in entries.items():
                        by_shard.setdefault(shard_of(term, shards), {})[term] = gaps
                for shard, members in by_shard.items():
                    appended[shard].append(_js(members))
                path.unlink(missing_ok=True)
        written = []
        for shard, extra in sorted(appended.items()):
            rel = f"search/t/{shard}.js"
            self.write(rel, _read(self.site / rel) + _shard_line(shard, extra))
            written.append(rel)
        self.state["gens"] = []
        return written


def _title_key(d: Doc) -> str:
    return f"{d.source}|{d.date}|{d.title}"


_LINE = re.compile(r'NV\.tz\(\d+,"([A-Za-z0-9+/=]*)"\);')


def hash_text(text: str) -> str:
    return format(zlib.crc32(text.encode("utf-8", "surrogatepass")), "x")


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return ""


@lru_cache(maxsize=1)
def t2s_pairs() -> str:
    """Every CJK character that OpenCC's t2s changes, followed by its Simplified form."""
    # The Han ranges of newsvault.chinese.CJK (kana has no Traditional forms).
    ranges = [(0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x3FFFF)]
    chars = [chr(c) for lo, hi in ranges for c in range(lo, hi + 1)]
    import opencc

    conv = opencc.OpenCC("t2s")
    out = conv.convert("\n".join(chars)).split("\n")
    pairs = []
    if len(out) == len(chars):
        for t, s in zip(chars, out, strict=True):
            if len(s) == 1 and s != t:  # (static/search.js reads the pairs by code point)
                pairs.append(t + s)
    return "".join(pairs)


def write_t2s_map(path: Path) -> None:
    """Generate ``static/t2s.js`` (run once when OpenCC's dictionaries change)."""
    pairs = t2s_pairs()
    path.write_text(
        "/* Traditional→Simplified character map generated from OpenCC t2s by "
        "newsvault.publish.search_index.write_t2s_map: pairs of (traditional, simplified). */\n"
        f"window.NV=window.NV||{{}};NV.t2sPairs={_js(pairs)};\n",
        encoding="utf-8",
    )
