"""The narrow interface between the search index and the full-text engine behind it.

:class:`~newsvault.search.index.SearchIndex` owns everything that is not full-text search: the
SQLite file with the documents' row ids, their texts (for snippets), the queue of articles to
index and the transactions. An :class:`Engine` only holds postings: it is told which rows to
add and delete (always inside one of the index's transactions, and committed with it), and
answers a parsed :class:`~newsvault.search.query.Query` with the best row ids.

Two engines: :class:`Fts5Engine` (an FTS5 table in the same SQLite file) and
:class:`~newsvault.search.tantivy_engine.TantivyEngine` (a tantivy index in a directory beside
it, with dictionary words for word-aware ranking). Another engine fits behind the same methods.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from .rows import ROWID_SCALE, source_token
from .tokens import fold, index_tokens

if TYPE_CHECKING:
    from .query import Query, Term

__all__ = ["Engine", "Row", "Fts5Engine", "Filters"]

TITLE_WEIGHT = 4.0  # titles weigh this much more than bodies
RECENCY = 0.1  # at most a 10% boost for the newest articles, fading over about a year
YEAR_MS = 31_557_600_000


@dataclass(frozen=True)
class Row:
    """One document as an engine indexes it: tokens from :mod:`.tokens`, words from jieba."""

    rowid: int
    source: str
    title_tokens: str
    body_tokens: str
    words: str  # space-separated dictionary words of title and text ("" if the engine needs none)


@dataclass(frozen=True)
class Filters:
    sources: list[str]
    lo: int  # row id range, inclusive (row ids follow publication time: see index.py)
    hi: int


class Engine(Protocol):
    name: str  # part of the index's schema version: another engine means a rebuild
    needs_words: bool  # Row.words wanted (dictionary words cost a quarter of tokenising)
    needs_texts: bool  # delete() needs the title and text that were indexed

    def reset(self) -> None:
        """Drop every posting (a new, empty engine)."""

    def add(self, rows: list[Row], replace: bool = True) -> None:
        """Index rows. ``replace``: their row ids may be in the engine already (left by a write
        that SQLite never saw), delete those first; False when the index knows they are not."""

    def delete(self, rows: list[tuple[int, str, str, str]]) -> None:
        """Remove rows, given as (rowid, title, text, source) of what was indexed."""

    def commit(self) -> str | None:
        """Make changes since the last commit durable and searchable (called just before the
        SQLite transaction commits). Returns the new :meth:`stamp`, None if nothing changed."""

    def stamp(self) -> str:
        """The last commit of the engine, as a string that changes whenever a commit adds rows.
        The index stores it with its own commit: a different one later means the engine is
        ahead of the documents table (a process killed between the two commits)."""

    def rollback(self) -> None: ...

    def bulk(self, on: bool) -> None:
        """Switch bulk-build settings on (before a big catch-up) or off (after it)."""

    def optimize(self) -> None: ...

    def top(self, query: Query, filters: Filters, need: int, now: int) -> list[tuple[float, int]]:
        """The ``need`` best (score, rowid), best first: BM25 over every match (titles weigh
        TITLE_WEIGHT), times a recency factor of 1 to 1+RECENCY; equal scores newest first."""
        ...

    def count(self, query: Query, filters: Filters) -> int:
        """How many documents match (exactly)."""
        ...

    def size_bytes(self) -> int: ...

    def close(self) -> None: ...


def recency(now: int, published: int | None) -> float:
    if published is None:
        return 1.0
    return 1.0 + RECENCY / (1.0 + max(0, now - published) / YEAR_MS)


class Fts5Engine:
    """Postings in a contentless FTS5 table (title, body, src) of the index's SQLite file."""

    name = "fts5"
    needs_words = False
    needs_texts = True  # a contentless FTS5 row is deleted by giving back its tokens
    CREATE = "CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(title, body, src, content='', tokenize='ascii', detail=full)"
    BULK_HASH = 64 * 1024 * 1024  # in-memory FTS buffer during bulk builds (default: 1 MiB)
    CRISIS_MERGE = 16  # FTS5's default: a level holding this many segments is merged at once

    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def reset(self) -> None:
        self.db.execute("DROP TABLE IF EXISTS fts")
        self.db.execute(self.CREATE)

    def add(self, rows: list[Row], replace: bool = True) -> None:

        # FTS5 writes its in-memory buffer out as a new segment whenever a row id is not above
        # the previous one in the transaction: unsorted inserts made one segment per document,
        # and past 2,000 segments FTS5 fails with "database or disk is full".
        self.db.executemany(
            "INSERT INTO fts(rowid, title, body, src) VALUES (?,?,?,?)",
            ((r.rowid, r.title_tokens, r.body_tokens, source_token(r.source)) for r in sorted(rows, key=lambda r: r.rowid)),
        )

    def delete(self, rows: list[tuple[int, str, str, str]]) -> None:

        for rowid, title, body, source in sorted(rows):  # ascending: see add()
            self.db.execute(
                "INSERT INTO fts(fts, rowid, title, body, src) VALUES('delete', ?, ?, ?, ?)",
                (rowid, index_tokens(fold(title)), index_tokens(fold(body)), source_token(source)),
            )

    def commit(self) -> str | None:
        return None  # the SQLite transaction commits the table

    def stamp(self) -> str:
        return ""  # never ahead of the documents table: both are in one SQLite transaction

    def rollback(self) -> None:
        pass

    def bulk(self, on: bool) -> None:
        """A big buffer and no merging while inserting, one full merge at the end (about twice
        as fast). Stored in the file, so a build killed half-way keeps them, safely: the crisis
        merge still bounds the segments (FTS5 refuses to write past 2,000)."""
        if on:
            self.db.execute(f"INSERT INTO fts(fts, rank) VALUES('hashsize', {self.BULK_HASH})")
            self.db.execute("INSERT INTO fts(fts, rank) VALUES('automerge', 0)")
            self.db.execute(f"INSERT INTO fts(fts, rank) VALUES('crisismerge', {self.CRISIS_MERGE})")
        else:
            self.db.execute("INSERT INTO fts(fts, rank) VALUES('hashsize', 1048576)")
            self.db.execute("INSERT INTO fts(fts, rank) VALUES('automerge', 4)")

    def optimize(self) -> None:
        self.db.execute("INSERT INTO fts(fts) VALUES('optimize')")

    def _expr(self, query: Query, filters: Filters) -> str:
        expr = to_match(query)
        if filters.sources:
            expr = f"({expr}) AND (" + " OR ".join(f'src : "{source_token(s)}"' for s in filters.sources) + ")"
        return expr

    def top(self, query: Query, filters: Filters, need: int, now: int) -> list[tuple[float, int]]:
        # The recency factor from the row id (= publication time; undated ids are so low that
        # their factor is 1). Equal scores: the newer (higher row id) first.
        rows = self.db.execute(
            f"SELECT bm25(fts, {TITLE_WEIGHT}, 1.0, 0.0) * (1.0 + {RECENCY} / (1.0 + max(0, ? - rowid / {ROWID_SCALE}) / {YEAR_MS}.0)) AS s, "
            "rowid FROM fts WHERE fts MATCH ? AND rowid BETWEEN ? AND ? ORDER BY s, rowid DESC LIMIT ?",
            (now, self._expr(query, filters), filters.lo, filters.hi, need),
        ).fetchall()
        return [(-s, r) for s, r in rows]

    def count(self, query: Query, filters: Filters) -> int:
        row = self.db.execute(
            "SELECT count(*) FROM fts WHERE fts MATCH ? AND rowid BETWEEN ? AND ?", (self._expr(query, filters), filters.lo, filters.hi)
        ).fetchone()
        return int(row[0])

    def size_bytes(self) -> int:
        return 0  # inside the SQLite file, which the index measures

    def close(self) -> None:
        pass


# -- the FTS5 MATCH expression (every token quoted: no user syntax reaches FTS5's parser) ----------

def _quote(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def _fts_term(term: Term) -> str:
    col = "title : " if term.title_only else ""
    if term.prefix:
        return f"{col}{_quote(term.tokens[0])} *"
    if term.phrase or len(term.tokens) == 1:
        # One FTS5 phrase: its tokens must be adjacent and in order.
        return col + " + ".join(_quote(t) for t in term.tokens)
    # An unquoted word that tokenises into several tokens: all of them, anywhere.
    return "(" + " AND ".join(col + _quote(t) for t in term.tokens) + ")"


def to_match(query: Query) -> str:
    """The FTS5 MATCH expression for ``query`` (every token quoted: no user syntax gets through)."""
    groups = []
    for group in query.groups:
        parts = [_fts_term(t) for t in group]
        groups.append(parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")")
    expr = " AND ".join(groups)
    if query.excluded:
        expr = f"({expr}) NOT (" + " OR ".join(_fts_term(t) for t in query.excluded) + ")"
    return expr
