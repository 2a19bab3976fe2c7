"""The tantivy engine: postings in a tantivy index, ``.newsvault/search.tantivy/``.

Fields: ``rid`` (the index's row id: publication time, see index.py), ``src`` (the source slug),
``title`` and ``body`` (the bigram tokens of :mod:`.tokens`, with positions for phrases; the
body field also holds the title), ``words`` (dictionary words of title and text from jieba's
search mode, frequencies only) and ``fresh`` (the recency weight).

Word-aware ranking: a query word is found through its bigrams (recall: every spelling, every
segmentation), and *also* scored against the ``words`` field, with weight WORD_WEIGHT. So an
article about 加沙 (Gaza) ranks above one that only has the bigram inside 参加沙龙 (joining a
salon), which the bigrams alone cannot tell apart.

Transactions: the index's SQLite transaction opens a writer on first change (tantivy allows one
writer per index: SQLite's write lock, taken first, serialises them) and commits it just before
SQLite commits. A process killed in between leaves tantivy ahead of SQLite: the opstamp the index
stored with its last commit (:meth:`TantivyEngine.stamp`) then differs from tantivy's, and the
next transaction deletes by row id before adding, so the result is the same. A bulk build keeps
its writer between transactions (see bulk()): another process then gets IndexBusy.
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..chinese import words as dictionary_words
from ..errors import CatalogError, IndexBusy
from .engine import RECENCY, Filters, Row
from .rows import published_of
from .tokens import fold, is_cjk

if TYPE_CHECKING:
    from .query import Query, Term

__all__ = ["TantivyEngine", "WORD_WEIGHT"]

WORD_WEIGHT = 3.0  # a query word found as a dictionary word scores this much on top
# The body field holds the title too, so that long articles are normalised as a whole, as
# FTS5's BM25 does; the title field adds this much again for a match in the title.
TITLE_BOOST = 1.0
# Recency: scores are multiplied by log2(2 + fresh) (tantivy's weight_by_field), from 1 for an
# article of FRESH_FROM or before to 1 + RECENCY for one of FRESH_TO or after. Fixed when the
# article is indexed (no "now"), so that a rebuilt index ranks exactly as before.
FRESH_FROM = 946_684_800_000  # 2000-01-01
FRESH_TO = 2_208_988_800_000  # 2040-01-01
TIE_MARGIN = 20  # extra hits fetched to order equal scores (see top())
HEAP = 64_000_000  # writer memory (tantivy's minimum is 15 MB a thread)
BULK_HEAP = 32_000_000  # (256 MB was held through a whole bulk build; 64 MB still cost 30 MB of a 400 MB goal)


def _schema() -> Any:
    import tantivy

    sb = tantivy.SchemaBuilder()
    sb.add_integer_field("rid", stored=True, indexed=True, fast=True)
    sb.add_float_field("fresh", fast=True)
    sb.add_text_field("src", tokenizer_name="raw", index_option="basic")
    sb.add_text_field("title", tokenizer_name="whitespace", index_option="position")
    sb.add_text_field("body", tokenizer_name="whitespace", index_option="position")
    sb.add_text_field("words", tokenizer_name="whitespace", index_option="freq")
    return sb.build()


class TantivyEngine:
    name = "tantivy2"
    needs_words = True
    needs_texts = False  # rows are deleted by row id

    def __init__(self, directory: Path, read_only: bool = False):
        import tantivy

        self.published_of = published_of
        self.tantivy = tantivy
        self.directory = directory
        self.read_only = read_only
        self.schema = _schema()
        self.writer: Any = None
        self.heap = HEAP
        self.building = False  # a bulk build: see bulk()
        self._shadow: Any = None
        self._seen: tuple[int, int, int] | None = None  # meta.json when last reloaded (see _searcher)
        try:
            if read_only:
                self.index = tantivy.Index.open(self._shadow_of(directory))
            else:
                directory.mkdir(parents=True, exist_ok=True)
                self.index = tantivy.Index(self.schema, str(directory), reuse=True)
        except (ValueError, OSError) as e:
            raise CatalogError(f"{directory}: cannot open the search index ({e})") from None

    def _shadow_of(self, directory: Path) -> str:
        """A directory of links to the index's files, for read-only media: tantivy takes a
        lock file even to read, and cannot create one there."""
        import tempfile

        self._shadow = tempfile.TemporaryDirectory(prefix="newsvault-search-")
        for f in directory.iterdir():
            if f.is_file() and not f.name.endswith(".lock"):
                (Path(self._shadow.name) / f.name).symlink_to(f.resolve())
        return str(self._shadow.name)

    # -- writing ---------------------------------------------------------------------------------
    def _writer(self) -> Any:
        if self.writer is None:
            try:
                self.writer = self.index.writer(heap_size=self.heap, num_threads=1)
            except ValueError as e:
                if "lock" not in str(e).lower():
                    raise CatalogError(f"{self.directory}: cannot write the search index ({e})") from None
                raise IndexBusy(f"{self.directory}: the search index is being written by another newsvault process; try again when it is done") from None
        return self.writer

    def reset(self) -> None:
        """Every document deleted, as part of the open transaction: committed with it (another
        process reading the index sees the old postings until then, never a missing file)."""
        self._writer().delete_all_documents()

    def add(self, rows: list[Row], replace: bool = True) -> None:
        w = self._writer()
        doc = self.tantivy.Document
        for r in rows:
            if replace:  # (deleting first is 8 % of indexing: only when it may be needed)
                w.delete_documents_by_term("rid", r.rowid)
            fresh = freshness(self.published_of(r.rowid))
            w.add_document(doc(rid=r.rowid, fresh=fresh, src=r.source.lower(), title=r.title_tokens, body=r.title_tokens + " " + r.body_tokens, words=r.words))

    def delete(self, rows: list[tuple[int, str, str, str]]) -> None:
        if rows:
            w = self._writer()
            for rowid, *_ in rows:
                w.delete_documents_by_term("rid", rowid)

    def commit(self) -> str | None:
        if self.writer is None:
            return None
        stamp = str(self.writer.commit())
        if not self.building:
            w, self.writer = self.writer, None
            w.wait_merging_threads()  # and release the writer lock for other processes
        self.index.reload()
        return stamp

    def stamp(self) -> str:
        """tantivy's opstamp: every added or deleted document takes one, as does every commit."""
        return str(self._writer().commit_opstamp)

    def rollback(self) -> None:
        if self.writer is not None:
            w, self.writer = self.writer, None
            w.rollback()
            w.wait_merging_threads()

    def bulk(self, on: bool) -> None:
        """A bulk build keeps its writer from one commit to the next, so that merges run while
        it goes on instead of being waited for at each commit (another process wanting to
        write meanwhile is told the index is in use). The commit that ends it lets go."""
        self.heap = BULK_HEAP if on else HEAP
        self.building = on

    def optimize(self) -> None:
        pass  # tantivy merges segments in the background (log merge policy)

    # -- searching -------------------------------------------------------------------------------
    def _searcher(self) -> Any:
        if not self.read_only:
            # Commits of other processes (a collect while serving): tantivy replaces meta.json
            # at every commit, and looking at it costs far less than reloading at every query.
            try:
                st = os.stat(self.directory / "meta.json")
                seen: tuple[int, int, int] | None = (st.st_mtime_ns, st.st_ino, st.st_size)
            except OSError:
                seen = None
            if seen is None or seen != self._seen:
                self.index.reload()
                self._seen = seen
        return self.index.searcher()

    def top(self, query: Query, filters: Filters, need: int, now: int) -> list[tuple[float, int]]:
        """Every match is scored (block-max WAND skips those that cannot reach the top).

        Equal scores (copies of one text) are ordered by row id, newest first, not by where
        tantivy happened to put them: hits are fetched until the ties of the last one needed
        are all in, so that pages never overlap and an index built in one go and one resumed
        after a crash answer alike."""
        searcher = self._searcher()
        q = self._query(query, filters)
        # Never ask for more hits than there are documents: tantivy allocates room for all it
        # is asked for, and a deep page (offset 10^9) would abort the process.
        total = int(searcher.num_docs)
        k = min(need + need // 2 + TIE_MARGIN, total)
        if k <= 0:
            return []
        while True:
            hits = searcher.search(q, k, count=False, weight_by_field="fresh").hits
            # Done when the fetched hits run out, or end below the score of the last one
            # needed (else that score's ties may go on past the window).
            if len(hits) < k or k >= total or hits[-1][0] < hits[min(need, len(hits)) - 1][0]:
                break
            k = min(k * 4, total)
        if not hits:
            return []
        rids = searcher.fast_field_values("rid", [a for _s, a in hits])
        ranked = sorted(((float(s), int(r)) for (s, _a), r in zip(hits, rids, strict=True)), key=lambda x: (-x[0], -x[1]))
        return ranked[:need]

    def count(self, query: Query, filters: Filters) -> int:
        return int(self._searcher().search(self._query(query, filters), 1, count=True).count)

    def _query(self, query: Query, filters: Filters) -> Any:
        t = self.tantivy
        Q, Occur = t.Query, t.Occur
        clauses: list[tuple[Any, Any]] = []
        for group in query.groups:
            parts = [self._term(term) for term in group]
            clauses.append((Occur.Must, parts[0] if len(parts) == 1 else Q.boolean_query([(Occur.Should, p) for p in parts])))
        for term in query.excluded:
            clauses.append((Occur.MustNot, self._recall(term)))
        if filters.sources:
            src = Q.boolean_query([(Occur.Should, Q.term_query(self.schema, "src", s.lower())) for s in filters.sources])
            clauses.append((Occur.Must, Q.const_score_query(src, 0.0)))
        if filters.lo > -(2**63) or filters.hi < 2**63 - 1:
            rng = Q.range_query(self.schema, "rid", t.FieldType.Integer, filters.lo, filters.hi)
            clauses.append((Occur.Must, Q.const_score_query(rng, 0.0)))
        return Q.boolean_query(clauses)

    def _term(self, term: Term) -> Any:
        """Recall through bigrams; a dictionary-word match scores on top."""
        recall = self._recall(term)
        if term.prefix or not any(is_cjk(tok[0]) for tok in term.tokens):
            return recall
        ws = dictionary_words(fold(term.text))
        if not ws:
            return recall
        Q, Occur = self.tantivy.Query, self.tantivy.Occur
        word = Q.boolean_query([(Occur.Must, Q.term_query(self.schema, "words", w, index_option="freq")) for w in ws])
        return Q.boolean_query([(Occur.Must, recall), (Occur.Should, Q.boost_query(word, WORD_WEIGHT))])

    def _recall(self, term: Term) -> Any:
        Q, Occur = self.tantivy.Query, self.tantivy.Occur
        fields = [("title", TITLE_BOOST)] if term.title_only else [("title", TITLE_BOOST), ("body", 1.0)]

        def one(field: str, weight: float) -> Any:
            if term.prefix:
                q = Q.regex_query(self.schema, field, re.escape(term.tokens[0]) + ".*")
            elif term.phrase and len(term.tokens) > 1:
                q = Q.phrase_query(self.schema, field, list[str | tuple[int, str]](term.tokens))
            elif len(term.tokens) == 1:
                q = Q.term_query(self.schema, field, term.tokens[0])
            else:  # an unquoted word of several tokens: all of them, anywhere in the field
                q = Q.boolean_query([(Occur.Must, Q.term_query(self.schema, field, tok)) for tok in term.tokens])
            return q if weight == 1.0 else Q.boost_query(q, weight)

        per_field = [one(f, w) for f, w in fields]
        if len(per_field) == 1:
            return per_field[0]
        if term.prefix or term.phrase or len(term.tokens) == 1:
            return Q.boolean_query([(Occur.Should, q) for q in per_field])
        # Several tokens: each may be in the title or the body (as in the FTS5 engine).
        each = [
            Q.boolean_query([(Occur.Should, Q.boost_query(Q.term_query(self.schema, "title", tok), TITLE_BOOST)), (Occur.Should, Q.term_query(self.schema, "body", tok))])
            for tok in term.tokens
        ]
        return Q.boolean_query([(Occur.Must, q) for q in each])

    # -- housekeeping ----------------------------------------------------------------------------
    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.directory.iterdir() if p.is_file()) if self.directory.is_dir() else 0

    def close(self) -> None:
        with contextlib.suppress(Exception):  # closing must not fail (a process at exit)
            self.rollback()
        if self._shadow is not None:
            self._shadow.cleanup()


def freshness(published: int | None) -> float:
    """The ``fresh`` value of an article published at ``published`` (see FRESH_FROM)."""
    if published is None:
        return 0.0
    f = min(1.0, max(0.0, (published - FRESH_FROM) / (FRESH_TO - FRESH_FROM)))
    return float(2 ** (1 + RECENCY * f) - 2)


