"""The static site's search index: prebuilt, sharded, Chinese-aware, loadable from ``file://``.

Browsers refuse ``fetch()`` of local files, so the index is JavaScript: every file calls a
global function when a ``<script>`` tag loads it. Layout under ``search/`` in the site::

    meta.js            NV.meta = {shards, chunk, n, sources, v, lead, full}
    t/<shard>.js       NV.t(shard, {term: "postings", …});   one line per segment
    t/g<G>-<shard>.js  generation G: what incremental build G added (few, small shards)
    d/<chunk>.js       NV.d(chunk, [[docno, id, source index, "YYYY-MM-DD HH:MM", title], …])

Terms: text is folded to Simplified Chinese with OpenCC (``t2s``) and lower-cased; runs of CJK
characters (:data:`newsvault.chinese.CJK`, which ``static/search.js`` repeats) give overlapping bigrams (a two-character query like 加沙 is one term), other
runs give words. A term lives in shard ``crc32(term as UTF-16LE) % shards`` (``static/search.js``
computes the same), so a query loads only its terms' shards.
Postings are document numbers, ascending, as decimal gaps. Document numbers are
assigned once and kept (in the state file), so a rebuild after new articles only appends a
segment to the shards those articles touch and rewrites the last document chunk.

The browser folds queries with ``static/t2s.js``, a character map generated from OpenCC.

What is indexed: the title and the first ``lead`` characters of the text; ``lead`` is chosen at a
full build so that the whole index stays near :data:`POSTINGS_BUDGET` characters of text (the
whole article in small archives, the title and opening paragraph at 100,000 articles).
"""

from __future__ import annotations

import json
import operator
import pickle
import re
import shutil
import zlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from typing import Any

from ..chinese import CJK as _CJK
from ..chinese import fold

__all__ = ["SearchIndex", "fold", "terms", "shard_of", "text_of_html", "write_t2s_map"]

FORMAT = 3  # bump when the files' layout or the term rules change: the index is then rebuilt
CHUNK = 500
MAX_GENERATIONS = 12  # incremental builds before generations are folded into the base shards
TEXT_BUDGET = 30_000_000  # characters of text indexed over the whole archive
MIN_LEAD, MAX_LEAD = 240, 20_000
_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")

_BIGRAM = re.compile(rf"(?=([{_CJK}]{{2}}))")
_WORD = re.compile(r"[0-9a-z\u00c0-\u024f\u0400-\u04ff]{2,}|[0-9]+")


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


def _encode(postings: list[int]) -> str:
    """Ascending document numbers as comma-separated decimal gaps."""
    return ",".join(map(str, map(operator.sub, postings, [0, *postings[:-1]])))


def _js(obj: object) -> str:
    # JSON is JavaScript; escape "<" and the line separators so a title can never close a tag.
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


@dataclass
class Doc:
    id: str
    source: int
    date: str
    title: str


def segment(items: list[tuple[int, str]], shards: int) -> dict[int, str]:
    """Postings of ``items`` ([(docno, unfolded text)]) as one JS line per shard.

    Pure, so worker processes build segments in parallel; a shard file is the concatenation of
    its segments and the browser merges a term's postings across them."""
    items = sorted(items)
    if not items:
        return {}
    sep = "\n\x1e\n"
    # One OpenCC call for the whole batch is much faster than one per document.
    folded = fold(sep.join(t for _, t in items)).split(sep)
    if len(folded) != len(items):
        folded = [fold(t) for _, t in items]
    postings: defaultdict[str, list[int]] = defaultdict(list)
    for (docno, _), ftext in zip(items, folded, strict=True):
        for term in terms(ftext):
            postings[term].append(docno)
    by_shard: defaultdict[int, dict[str, str]] = defaultdict(dict)
    crc = zlib.crc32
    for term, nos in postings.items():  # hot loop: shard_of and _encode inlined
        by_shard[crc(term.encode("utf-16-le", "surrogatepass")) % shards][term] = str(nos[0]) if len(nos) == 1 else _encode(nos)
    return {shard: f"NV.t({shard},{_js(entries)});\n" for shard, entries in by_shard.items()}


class SearchIndex:
    """The index of one site: ``search/`` files plus a state file (document numbers, the text
    hash each was indexed with, shard count, lead length).

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
            for folder in ("t", "d"):  # leftovers of an older index would be loaded by nobody
                shutil.rmtree(self.site / "search" / folder, ignore_errors=True)
            lead = max(MIN_LEAD, min(MAX_LEAD, TEXT_BUDGET // max(total_docs, 1)))
            expected_terms = total_docs * min(lead, 4000) * 0.7
            shards = 64
            while shards < 4096 and expected_terms / shards > 8_000:
                shards *= 2
            self.state = {"format": FORMAT, "lead": lead, "shards": shards, "docs": {}, "next": 0}
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
        while shards < self.shards and n_texts * min(self.lead, 4000) * 0.7 / shards > 8_000:
            shards *= 2
        self._gen_shards = shards
        return shards

    @property
    def lead(self) -> int:
        return int(self.state["lead"])

    @property
    def shards(self) -> int:
        return int(self.state["shards"])

    def number(self, aid: str) -> tuple[int, str] | None:
        entry = self.state["docs"].get(aid)
        return (entry[0], entry[1]) if entry else None

    def commit(self, segments: list[dict[int, str]], digests: dict[str, str], docs: dict[str, Doc], sources: list[str], stamp: str) -> list[str]:
        """Append ``segments`` to their shards, record ``digests`` (id → text hash indexed),
        rewrite the document chunks that changed, and meta.js. ``docs``: every article now."""
        numbers: dict[str, list[Any]] = self.state["docs"]
        written = self._write_segments(segments)
        for aid, digest in digests.items():
            numbers[aid][1] = digest
        written += self._write_chunks(numbers, docs)
        self.state["titles"] = {aid: _title_key(d) for aid, d in docs.items() if aid in numbers}
        # ``lead`` below MAX_LEAD: long articles are indexed by their opening only, and the page says so.
        meta = {"shards": self.shards, "gens": self.state["gens"], "chunk": CHUNK, "n": len(docs), "sources": sources, "v": stamp,
                "lead": self.lead, "full": self.lead >= MAX_LEAD}
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
            self.write(rel, "".join(lines[shard]))
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
                for line in _read(path).splitlines():
                    m = _LINE.fullmatch(line)
                    if not m:
                        continue
                    for term, gaps in json.loads(m.group(1)).items():
                        by_shard.setdefault(shard_of(term, shards), {})[term] = gaps
                for shard, entries in by_shard.items():
                    appended[shard].append(f"NV.t({shard},{_js(entries)});\n")
                path.unlink(missing_ok=True)
        written = []
        for shard, extra in sorted(appended.items()):
            rel = f"search/t/{shard}.js"
            self.write(rel, _read(self.site / rel) + "".join(extra))
            written.append(rel)
        self.state["gens"] = []
        return written


def _title_key(d: Doc) -> str:
    return f"{d.source}|{d.date}|{d.title}"


_LINE = re.compile(r"NV\.t\(\d+,(\{.*\})\);")


def hash_text(text: str) -> str:
    return format(zlib.crc32(text.encode("utf-8", "surrogatepass")), "x")


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return ""


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
