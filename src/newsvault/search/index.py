"""The search index: documents, texts and the queue in ``.newsvault/search.sqlite``; postings
in an :class:`~newsvault.search.engine.Engine` (tantivy in ``.newsvault/search.tantivy/``, or
an FTS5 table in the same SQLite file).

Derived data (rebuildable from the catalog and the record files at any time). Tables:

* ``docs``   - one row per article: rowid, article id, source, published, title;
* ``texts``  - the plain text, zlib-compressed, only for an engine that needs it to delete a
  row (FTS5). Otherwise snippets are cut from the archive's record files at query time
  (:attr:`SearchIndex.text_source`): the records are the archive, and a second copy of every
  text would be a third of the index;
* ``pending``- articles waiting to be indexed;
* ``meta``   - schema/tokenizer/engine version (a change means a rebuild).

Row ids follow publication time: ``rowid = published_ms * 1000 + n`` (n keeps them unique;
undated articles get ids below every dated one). So ``rowid`` ranges are date filters that
the engine applies itself, and a hit's date needs no lookup. Transactions are SQLite's; the
engine commits its postings just before SQLite commits (see engine.py).

Keeping current: :func:`update_index` is an :class:`~newsvault.archive.Archive` listener run
after each committed batch. Small batches (an hourly collect) are indexed at once. Large ones (a
bulk import, a rebuild) are only *queued*, because indexing costs several times more than
importing; every query first catches up with the queue (:meth:`SearchIndex.catch_up`), and
``newsvault index`` does it on demand.

Bulk builds tokenise in worker processes (folding, bigrams and jieba words are pure and
CPU-bound, and none of them releases the GIL) while the main process writes earlier chunks.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import queue
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
import weakref
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, cast

from ..boilerplate import strip_boilerplate
from ..chinese import index_words
from ..errors import CatalogError, IndexBusy, RecordError
from .engine import Engine, Fts5Engine, Row
from .rows import ROWID_SCALE, rowid_base
from .tokens import TOKENIZER_VERSION, extract_text, fold, index_tokens

if TYPE_CHECKING:
    from ..archive import Archive
    from ..catalog import Version

__all__ = ["Doc", "SearchIndex", "SEARCH_FILE", "update_index", "index_for", "SYNC_LIMIT"]

SEARCH_FILE = "search.sqlite"
# Batches touching more articles than this are queued instead of indexed during the write.
SYNC_LIMIT = 300
# Catch-up works in chunks: one transaction each, so an interrupted catch-up keeps its progress.
CHUNK = 1000
# Bulk builds tokenise chunks of BULK_CHUNK and commit every BULK_TX documents or BULK_TX_SECONDS.
# A commit is what bounds memory: tantivy queues the documents it is given (up to 10,000) until
# its one indexing thread has taken them, and only a commit waits for that queue to empty. At
# 100,000 articles the first search peaked at 734 MB with 50,000 a transaction, 480 MB with
# 10,000 and 345 MB with 2,000 (and chunks of 500, a 32 MB writer), in the same time (58 s): the
# price is more, smaller segments for tantivy to merge (12 after the build instead of 6; a query
# costs ~10 % more). The time bound keeps other writers' waits for SQLite's lock (60 s at most)
# short on slow machines; a build killed loses at most that much work.
BULK_CHUNK = 500
BULK_TX = 2000
BULK_TX_SECONDS = 20.0
# Catch-ups bigger than this use bulk settings.
BULK_MIN = 2000
# Plain text kept per article (scraped pages can be huge; real articles are far shorter).
MAX_TEXT = 200_000
# Dictionary words (for word-aware ranking) come from the title and this much of the text: the
# lead paragraphs, where a news article names its subject. Segmenting whole texts was a quarter
# of the cost of indexing; 1,000 characters still cost 15 % of the tokenising process, and the
# words field 14 % of tantivy's indexing. (Changing it changes the tokens: see tokens.py.)
WORDS_LEAD = 500
# Tokenising processes for bulk builds, at most (one fewer than the cores: the main process
# and the engine's own thread write).
MAX_WORKERS = 4

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS docs(
    rowid INTEGER PRIMARY KEY,
    article_id TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL,
    published INTEGER,
    title TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS texts(rowid INTEGER PRIMARY KEY, body BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS pending(article_id TEXT PRIMARY KEY);
"""
SCHEMA_VERSION = f"4/{TOKENIZER_VERSION}"  # + "/" + the engine's name
# The full-text engine behind the index (see engine.py): "tantivy" or "fts5".
DEFAULT_ENGINE = "tantivy"
ENGINE_DIR = "search.tantivy"


def pack(text: str) -> bytes:
    """Stored text, compressed: Chinese plain text takes about half the space (level 1: fast)."""
    return zlib.compress(text.encode("utf-8"), 1)


def unpack(blob: bytes | str) -> str:
    return blob if isinstance(blob, str) else zlib.decompress(blob).decode("utf-8")


@dataclass(frozen=True)
class Doc:
    """What the index needs of one article (plain text, not HTML)."""

    article_id: str
    source: str
    title: str
    text: str
    published: int | None


class SearchIndex:
    """One search database. Thread-safe: calls are serialised on one connection.

    On read-only media the file is opened read-only (``read_only``): what is indexed can be
    searched, nothing is written, and :meth:`pending_count` says how far the index is behind.
    A file that is not a search index (damaged, garbage) is replaced by an empty one and
    ``rebuilt`` is set, so that the caller queues every article again.
    """

    def __init__(self, path: Path, engine: str | None = None):
        self.path = Path(path)
        self.engine_name = engine or DEFAULT_ENGINE
        self.schema_version = f"{SCHEMA_VERSION}/{engine}"
        self.lock = threading.RLock()
        self.read_only = False
        self.rebuilt = False
        # Plain texts by article id, for snippets (index_for() reads the archive's records).
        self.text_source: Callable[[list[str]], dict[str, str]] | None = None
        self.workers = 0  # tokenising processes (bulk builds only: see bulk())
        self.chunk = CHUNK
        self.tx_docs = CHUNK  # documents a transaction (bulk builds: BULK_TX)
        self._replace: bool | None = None  # the engine may be ahead: see _engine_ahead()
        if self.path.exists() and not _writable(self.path.parent):
            self._open_read_only()
            return
        try:
            self._open()
        except IndexBusy:
            raise  # (not damage: another process is writing it)
        except (sqlite3.DatabaseError, CatalogError) as e:
            if isinstance(e, sqlite3.OperationalError) and not _is_damage(e):
                raise _error(self.path, e) from None
            # Derived data: a damaged file is thrown away and the index built again.
            self._discard()
            try:
                self._open()
            except sqlite3.Error as e2:
                raise _error(self.path, e2) from None
            self.rebuilt = True

    def _make_engine(self, read_only: bool = False) -> Engine:
        if self.engine_name == "fts5":
            return Fts5Engine(self.db)
        if self.engine_name == "tantivy":
            from .tantivy_engine import TantivyEngine  # (here: loading tantivy costs start-up, and an FTS5 index never needs it)

            return TantivyEngine(self.path.parent / ENGINE_DIR, read_only=read_only)
        raise CatalogError(f"unknown search engine {self.engine_name!r} (known: tantivy, fts5)")

    def _open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fresh = not self.path.exists() or self.path.stat().st_size == 0
        self.db = sqlite3.connect(self.path, isolation_level=None, timeout=60, check_same_thread=False)
        try:
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA mmap_size=268435456")
            self.db.executescript(_SCHEMA)
            row = self.db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
            engine_dir = self.path.parent / ENGINE_DIR
            lost = self.engine_name == "tantivy" and not (engine_dir / "meta.json").exists()
            try:
                self.engine = self._make_engine()
            except CatalogError:
                shutil.rmtree(engine_dir, ignore_errors=True)  # damaged: derived data, start over
                self.engine = self._make_engine()
                lost = True
            if row is None or row[0] != self.schema_version or lost:
                # (postings gone while the documents table says indexed: index everything again)
                self._reset_tables()
                self.rebuilt = self.rebuilt or fresh or lost
        except BaseException:
            self.db.close()
            raise

    def _open_read_only(self) -> None:
        self.read_only = True
        try:
            # immutable: no -shm or -wal files can be made on read-only media.
            self.db = sqlite3.connect(f"{self.path.as_uri()}?immutable=1", uri=True, isolation_level=None, check_same_thread=False)
            row = self.db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
        except sqlite3.Error as e:
            raise CatalogError(f"{self.path}: the search index cannot be read ({e}) and the archive is read-only; search a writable copy") from None
        if row is None or row[0] != self.schema_version:
            raise CatalogError(f"{self.path}: the search index was made by another newsvault version and the archive is read-only; search a writable copy")
        try:
            self.engine = self._make_engine(read_only=True)
        except CatalogError as e:
            raise CatalogError(f"{e}; the archive is read-only: search a writable copy") from None

    def _discard(self) -> None:
        for p in [self.path, *(self.path.parent / (self.path.name + x) for x in ("-wal", "-shm", "-journal"))]:
            try:
                p.unlink(missing_ok=True)
            except OSError as e:
                raise CatalogError(f"{self.path}: the search index is damaged and cannot be replaced ({e.strerror or e})") from None

    def _reset_tables(self) -> None:
        # Rows made by another tokenizer, layout or engine cannot be deleted correctly: start
        # over, and queue every article that was indexed.
        with self.transaction():
            pending = [r[0] for r in self.db.execute("SELECT article_id FROM docs")]
            self.db.execute("DELETE FROM docs")
            self.db.execute("DELETE FROM texts")
            self.db.execute("DROP TABLE IF EXISTS fts")
            self.engine.reset()
            self.db.executemany("INSERT OR IGNORE INTO pending(article_id) VALUES (?)", ((a,) for a in pending))
            self.db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES('schema', ?)", (self.schema_version,))

    def close(self) -> None:
        with self.lock:
            self.engine.close()
            self.db.close()

    def _check_writable(self) -> None:
        if self.read_only:
            raise CatalogError(f"{self.path}: the archive is read-only, so its search index cannot be updated")

    # -- transactions ------------------------------------------------------------------------
    class _Tx:
        def __init__(self, index: SearchIndex):
            self.index = index

        def __enter__(self) -> None:
            self.index._check_writable()
            self.index.lock.acquire()
            try:
                self.outer = self.index.db.in_transaction
                if not self.outer:
                    self.index.db.execute("BEGIN IMMEDIATE")
                    self.index._replace = None
            except sqlite3.Error as e:
                self.index.lock.release()
                raise _error(self.index.path, e) from None

        def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
            db = self.index.db
            try:
                if self.outer:
                    return
                if exc_type is None:
                    stamp = self.index.engine.commit()  # postings first: see tantivy_engine.py
                    if stamp is not None:
                        db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES('engine', ?)", (stamp,))
                    db.execute("COMMIT")
                else:
                    self.index.engine.rollback()
                    if db.in_transaction:
                        # SQLite itself rolls back on some errors (a full disk): only roll
                        # back what is still open, so the real error is the one reported.
                        db.execute("ROLLBACK")
            except sqlite3.Error as e:
                if exc_type is None:
                    raise _error(self.index.path, e) from None
            finally:
                self.index.lock.release()
            if isinstance(exc, sqlite3.Error) and not self.outer:
                raise _error(self.index.path, exc) from None

    def transaction(self) -> SearchIndex._Tx:
        return SearchIndex._Tx(self)

    # -- writing -------------------------------------------------------------------------------
    def add_documents(self, docs: Iterable[Doc], batch: int = 2000) -> tuple[int, int]:
        """Index ``docs`` (replacing earlier rows of the same articles). Returns (docs, text bytes)."""
        done = [0, 0]

        def chunks() -> Iterator[tuple[list[Doc], list[str]]]:
            chunk: list[Doc] = []
            for doc in docs:
                chunk.append(doc)
                if len(chunk) >= batch:
                    yield chunk, []
                    chunk = []
            if chunk:
                yield chunk, []

        def count(docs: int, _gone: int, text_bytes: int) -> None:
            done[0] += docs
            done[1] += text_bytes

        self._pipeline(chunks(), count)
        return done[0], done[1]

    def _pipeline(self, chunks: Iterable[tuple[list[Doc], list[str]]], after: Callable[[int, int, int], None] | None = None) -> None:
        """Tokenise and write chunks of (documents, article ids to remove). Each chunk is one
        transaction, or, in bulk builds, as many as make up :attr:`tx_docs` documents: the
        engine's segments are then bigger and fewer (less merging), and a thread writes them
        while this one reads and submits the next chunks (the engine lets go of the GIL while
        it commits)."""
        with _Tokenisers(self.workers, self.engine.needs_words) as tokenisers, _ChunkWriter(self, after, threaded=bool(tokenisers.procs)) as writer:
            for docs, gone in chunks:
                texts = [d.text[:MAX_TEXT] for d in docs]
                writer.put(_Chunk(docs, gone, texts, tokenisers.submit([(d.title, t) for d, t in zip(docs, texts, strict=True)])))

    def _write_chunk(self, chunk: _Chunk) -> None:
        """Write one chunk (inside a transaction)."""
        docs, rows = chunk.docs, chunk.tokens()
        with self.transaction():
            if chunk.gone:
                self.remove(chunk.gone)
            if docs:
                self._delete_articles([d.article_id for d in docs])
                ids = self._allocate([d.published for d in docs])
                self.db.executemany(
                    "INSERT INTO docs(rowid, article_id, source, published, title) VALUES (?,?,?,?,?)",
                    ((i, d.article_id, d.source, d.published, d.title) for i, d in zip(ids, docs, strict=True)),
                )
                if self.engine.needs_texts:
                    self.db.executemany("INSERT INTO texts(rowid, body) VALUES (?,?)", ((i, pack(t)) for i, t in zip(ids, chunk.texts, strict=True)))
                self.engine.add([Row(i, d.source, tt, bt, w) for i, d, (tt, bt, w) in zip(ids, docs, rows, strict=True)], replace=self._engine_ahead())
                self.db.executemany("DELETE FROM pending WHERE article_id=?", ((d.article_id,) for d in docs))

    def _engine_ahead(self) -> bool:
        """Whether the engine may hold rows the documents table does not (it committed, then
        the process was killed before SQLite did): new row ids must then replace what the
        engine has under them. Asked once a transaction (see Engine.stamp)."""
        if self._replace is None:
            row = self.db.execute("SELECT value FROM meta WHERE key='engine'").fetchone()
            self._replace = self.engine.stamp() != (row[0] if row else "")
        return self._replace

    def _allocate(self, published: list[int | None]) -> list[int]:
        """Free row ids in publication order (see the module docstring)."""
        taken: set[int] = set()
        out = []
        for p in published:
            base = rowid_base(p)
            span = 2**40 if p is None else ROWID_SCALE
            row = self.db.execute("SELECT max(rowid) FROM docs WHERE rowid >= ? AND rowid < ?", (base, base + span)).fetchone()
            candidate = base if row[0] is None else row[0] + 1
            # Above the range's highest row, a candidate inside the range is free in the table.
            while candidate in taken or (candidate >= base + span and self.db.execute("SELECT 1 FROM docs WHERE rowid=?", (candidate,)).fetchone()):
                candidate += 1
            taken.add(candidate)
            out.append(candidate)
        return out

    def _delete_articles(self, article_ids: list[str]) -> None:
        """Remove the rows of these articles (a contentless FTS5 row is deleted by giving back its tokens)."""
        found: list[tuple[int, str, str, str]] = []
        for i in range(0, len(article_ids), 500):
            part = article_ids[i : i + 500]
            marks = ",".join("?" * len(part))
            if self.engine.needs_texts:
                found += [
                    (rowid, title, unpack(body), source)
                    for rowid, title, body, source in self.db.execute(
                        f"SELECT d.rowid, d.title, t.body, d.source FROM docs d JOIN texts t ON t.rowid = d.rowid WHERE d.article_id IN ({marks})", part
                    )
                ]
            else:
                found += [(rowid, "", "", source) for rowid, source in self.db.execute(f"SELECT rowid, source FROM docs WHERE article_id IN ({marks})", part)]
        self.engine.delete(found)
        for rowid, *_ in found:
            self.db.execute("DELETE FROM docs WHERE rowid=?", (rowid,))
            self.db.execute("DELETE FROM texts WHERE rowid=?", (rowid,))

    def remove(self, article_ids: Iterable[str]) -> None:
        ids = list(article_ids)
        with self.transaction():
            self._delete_articles(ids)
            self.db.executemany("DELETE FROM pending WHERE article_id=?", ((a,) for a in ids))

    def clear(self) -> None:
        with self.transaction():
            self.db.execute("DELETE FROM docs")
            self.db.execute("DELETE FROM texts")
            self.db.execute("DELETE FROM pending")
            self.engine.reset()

    def enqueue(self, article_ids: Iterable[str]) -> None:
        with self.transaction():
            self.db.executemany("INSERT OR IGNORE INTO pending(article_id) VALUES (?)", ((a,) for a in article_ids))

    @contextmanager
    def bulk(self) -> Iterator[None]:
        """Settings for building many documents at once: a big in-memory buffer, no merging
        while inserting, one full merge at the end (about twice as fast as the defaults).

        These settings are stored in the file, so a build killed half-way keeps them; they are
        safe to keep: FTS5's crisis merge (at its default, 16 segments a level) still bounds
        the number of segments (FTS5 refuses to write past 2,000)."""
        with self.transaction():
            self.engine.bulk(True)
        self.workers, self.chunk, self.tx_docs = worker_count(), BULK_CHUNK, BULK_TX
        try:
            yield
        finally:
            self.workers, self.chunk, self.tx_docs = 0, CHUNK, CHUNK
            with self.transaction():
                self.engine.bulk(False)
            self.optimize()
            self.checkpoint()

    def checkpoint(self) -> None:
        with self.lock, _sqlite_errors(self.path):
            self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def optimize(self) -> None:
        """Merge the index into one b-tree (smaller, faster queries); worth it after bulk builds."""
        with self.transaction():
            self.engine.optimize()

    def vacuum(self) -> None:
        """Give the space of dropped rows back to the file system (after a rebuild)."""
        self._check_writable()
        with self.lock, _sqlite_errors(self.path):
            self.db.execute("VACUUM")
            self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    # -- reading -------------------------------------------------------------------------------
    def pending_count(self) -> int:
        with self.lock, _sqlite_errors(self.path):
            return int(self.db.execute("SELECT count(*) FROM pending").fetchone()[0])

    def count(self) -> int:
        with self.lock, _sqlite_errors(self.path):
            return int(self.db.execute("SELECT count(*) FROM docs").fetchone()[0])

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.path.parent.glob(self.path.name + "*") if p.is_file()) + self.engine.size_bytes()

    def texts(self, rowids: list[int]) -> dict[int, tuple[str, str]]:
        """(title, plain text) of these rows, for snippets: stored texts if the engine keeps
        them, else read through :attr:`text_source` (no text without one)."""
        if not rowids:
            return {}
        marks = ",".join("?" * len(rowids))
        docs = {r: (a, t) for r, a, t in self.db.execute(f"SELECT rowid, article_id, title FROM docs WHERE rowid IN ({marks})", rowids)}
        if self.engine.needs_texts:
            bodies = {r: unpack(b) for r, b in self.db.execute(f"SELECT rowid, body FROM texts WHERE rowid IN ({marks})", rowids)}
        elif self.text_source is not None:
            by_id = self.text_source([a for a, _t in docs.values()])
            bodies = {r: by_id.get(a, "") for r, (a, _t) in docs.items()}
        else:
            bodies = {}
        return {r: (t, bodies.get(r, "")) for r, (_a, t) in docs.items()}

    # -- keeping up with an archive -----------------------------------------------------------------
    def catch_up(self, archive: Archive, progress: Callable[[int, int], None] | None = None) -> int:
        """Index every queued article (its latest version). Returns how many were indexed.

        Each chunk is its own transaction, so a catch-up that is killed resumes where it
        stopped. On a read-only archive nothing can be indexed: returns 0."""
        if self.read_only:
            return 0
        total = self.pending_count()
        if total >= BULK_MIN:
            with self.bulk():
                return self._catch_up(archive, total, progress)
        return self._catch_up(archive, total, progress)

    def _catch_up(self, archive: Archive, total: int, progress: Callable[[int, int], None] | None) -> int:
        done = [0]

        def chunks() -> Iterator[tuple[list[Doc], list[str]]]:
            # Keyset paging on a connection of its own: the writer may hold a transaction (and
            # this index's lock) open across chunks, and earlier chunks may not be written yet.
            reader = sqlite3.connect(self.path, timeout=60)
            try:
                last = ""
                while True:
                    with _sqlite_errors(self.path):
                        ids = [r[0] for r in reader.execute("SELECT article_id FROM pending WHERE article_id > ? ORDER BY article_id LIMIT ?", (last, self.chunk))]
                    if not ids:
                        return
                    last = ids[-1]
                    docs = list(documents(archive, ids))
                    found = {d.article_id for d in docs}
                    yield docs, [a for a in ids if a not in found]  # no longer in the catalog, or unreadable
            finally:
                reader.close()

        def step(docs: int, gone: int, _text_bytes: int) -> None:
            done[0] += docs + gone
            if progress:
                progress(done[0], total)

        self._pipeline(chunks(), step)
        return done[0]

    def index_articles(self, archive: Archive, article_ids: list[str]) -> None:
        """(Re)index these articles from the archive; ones no longer there leave the index."""
        docs = list(documents(archive, article_ids))
        found = {d.article_id for d in docs}
        self._pipeline([(docs, [a for a in article_ids if a not in found])])


Tokens = tuple[str, str, str]  # title tokens, body tokens, dictionary words


def tokenise(texts: list[tuple[str, str]], words: bool) -> list[Tokens]:
    """The tokens of each (title, plain text): the costly, pure part of indexing."""
    out = []
    for title, text in texts:
        t, b = fold(title), fold(text)
        out.append((index_tokens(t), index_tokens(b), index_words(t + "\n" + b[:WORDS_LEAD]) if words else ""))
    return out


def worker_count() -> int:
    """Tokenising processes for a bulk build: one fewer than the usable cores."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(0, min(MAX_WORKERS, cores - 1))


@dataclass
class _Chunk:
    docs: list[Doc]
    gone: list[str]  # article ids to remove
    texts: list[str]  # the documents' texts, cut to MAX_TEXT
    tokens: Callable[[], list[Tokens]]  # waits for the tokenisers
    written: tuple[int, int, int] = (0, 0, 0)  # documents, removals, text bytes (once written)

    def __len__(self) -> int:
        return len(self.docs) + len(self.gone)

    def release(self) -> None:
        """Keep only the counts: a bulk transaction holds up to BULK_TX documents until it
        commits, and holding their texts too was most of a build's memory."""
        self.written = (len(self.docs), len(self.gone), sum(len(t.encode("utf-8")) for t in self.texts))
        self.docs, self.gone, self.texts = [], [], []


class _ChunkWriter:
    """Writes chunks in order, grouped into transactions of about ``index.tx_docs`` documents
    (or BULK_TX_SECONDS); ``after`` gets each chunk's counts (documents, removals, text bytes) once its transaction has committed.

    Threaded (bulk builds), a thread of its own writes while the caller reads and submits the
    next chunks, at most ``DEPTH`` of them waiting. An error on either side stops the writing
    after the open transaction (transactions committed stay: each leaves the index whole); the
    writer's is raised to the caller."""

    DEPTH = 2

    def __init__(self, index: SearchIndex, after: Callable[[int, int, int], None] | None, threaded: bool):
        self.index, self.after = index, after
        self.error: BaseException | None = None
        self.ended = False  # the end of the chunks was taken from the queue
        self.stopping = False  # the caller failed: write no more
        self.queue: queue.Queue[_Chunk | None] = queue.Queue(self.DEPTH)
        self.thread = threading.Thread(target=self._run, name="newsvault-index-writer", daemon=True) if threaded else None
        if self.thread:
            self.thread.start()

    def put(self, chunk: _Chunk) -> None:
        if self.error is not None:
            raise self.error
        if self.thread:
            self.queue.put(chunk)
        else:
            self._write(chunk)

    def _next(self) -> _Chunk | None:
        chunk = self.queue.get()
        self.ended = chunk is None
        return chunk

    def _run(self) -> None:
        while not self.ended and (chunk := self._next()) is not None:
            if self.error is None and not self.stopping:  # (else drained: the caller never waits on a full queue)
                try:
                    self._write(chunk)
                except BaseException as e:
                    self.error = e

    def _write(self, chunk: _Chunk) -> None:
        """Write ``chunk``, and (threaded) those that follow while the transaction is below
        ``tx_docs`` documents and BULK_TX_SECONDS."""
        written = [chunk]
        size = len(chunk)
        end = time.monotonic() + BULK_TX_SECONDS
        with self.index.transaction():
            self.index._write_chunk(chunk)
            chunk.release()
            while self.thread and size < self.index.tx_docs and time.monotonic() < end and not self.stopping and (nxt := self._next()) is not None:
                size += len(nxt)
                self.index._write_chunk(nxt)
                nxt.release()
                written.append(nxt)
        if self.after:
            for c in written:
                self.after(*c.written)

    def __enter__(self) -> _ChunkWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        if self.thread:
            self.stopping = exc_type is not None
            self.queue.put(None)
            self.thread.join()
        if exc_type is None and self.error is not None:
            raise self.error


class _Tokenisers:
    """:func:`tokenise` in worker processes, or inline (no workers, or none could start).

    Workers are plain ``python -c`` processes reading pickled chunks on stdin and writing
    their tokens to stdout, in order. (multiprocessing's spawn would run the caller's main
    script again in each worker, and fork would copy the engine's threads mid-lock.) Chunks go
    round-robin, so results come back in the order they were submitted. A thread per worker
    reads its results as they come, so that a worker never waits on a full pipe while this
    process is writing the next chunk to it.
    """

    def __init__(self, workers: int, words: bool):
        self.words = words
        self.procs: list[subprocess.Popen[bytes]] = []
        self.results: list[queue.SimpleQueue[Any]] = []
        self.sent = 0
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        try:
            for _ in range(workers if sys.executable else 0):  # (no interpreter to start when embedded)
                proc = subprocess.Popen(
                    [sys.executable, "-c", "from newsvault.search.index import tokenise_worker; tokenise_worker()"],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    env=env,
                )
                self.procs.append(proc)
                self.results.append(queue.SimpleQueue())
                threading.Thread(target=_read_all, args=(proc.stdout, self.results[-1]), daemon=True).start()
        except OSError:  # cannot start processes here: tokenise inline
            self.close()

    def submit(self, texts: list[tuple[str, str]]) -> Callable[[], list[Tokens]]:
        """Start tokenising; the returned function waits for the tokens."""
        if not self.procs:
            done = tokenise(texts, self.words)
            return lambda: done
        n = self.sent % len(self.procs)
        self.sent += 1
        stdin = self.procs[n].stdin
        assert stdin is not None
        with contextlib.suppress(OSError):  # the worker is gone: its reader thread says why
            _send(stdin, (texts, self.words))
        results = self.results[n]

        def wait() -> list[Tokens]:
            got = results.get()
            if isinstance(got, BaseException):
                raise got
            return cast(list[Tokens], got)

        return wait

    def close(self) -> None:
        for proc in self.procs:
            with contextlib.suppress(OSError):
                if proc.stdin:
                    proc.stdin.close()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if proc.stdout:
                proc.stdout.close()
        self.procs = []
        self.results = []

    def __enter__(self) -> _Tokenisers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _send(stream: IO[bytes], obj: object) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(len(data).to_bytes(8, "little") + data)
    stream.flush()


def _receive(stream: IO[bytes]) -> Any:
    head = stream.read(8)
    data = stream.read(int.from_bytes(head, "little")) if len(head) == 8 else b""
    if len(head) < 8 or not data:
        raise CatalogError("a tokenising process of the search index ended unexpectedly (out of memory?); run 'newsvault index' again")
    return pickle.loads(data)


def _read_all(stream: IO[bytes], results: queue.SimpleQueue[Any]) -> None:
    while True:
        try:
            results.put(_receive(stream))
        except (CatalogError, OSError, ValueError, pickle.UnpicklingError) as e:
            results.put(e if isinstance(e, CatalogError) else CatalogError(f"a tokenising process of the search index failed ({e})"))
            return


def tokenise_worker() -> None:
    """The loop of a tokenising process: (texts, words) in, tokens out, until stdin closes."""
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    while head := stdin.read(8):
        texts, words = pickle.loads(stdin.read(int.from_bytes(head, "little")))
        _send(stdout, tokenise(texts, words))


def documents(archive: Archive, article_ids: list[str]) -> Iterator[Doc]:
    """The latest version of each article as a :class:`Doc`, its publisher's footers left out
    (articles that cannot be read are skipped)."""
    for article in archive.catalog.list_articles(ids=article_ids):
        try:
            record = archive.read(article.latest_path)
        except (OSError, RecordError):
            continue
        yield Doc(article.id, article.source, record.title, extract_text(strip_boilerplate(record.body, record.url)), article.published)


def _texts_of(archive_ref: weakref.ref[Archive]) -> Callable[[list[str]], dict[str, str]]:
    """Plain texts of articles read from the archive's record files (a weak reference: the
    index lives as long as its archive, not the other way round)."""

    def texts(article_ids: list[str]) -> dict[str, str]:
        archive = archive_ref()
        return {} if archive is None else {d.article_id: d.text for d in documents(archive, article_ids)}

    return texts


def _writable(directory: Path) -> bool:
    return os.access(directory, os.W_OK) and not _read_only_mount(directory)


def _read_only_mount(directory: Path) -> bool:
    try:
        return bool(os.statvfs(directory).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def _is_damage(e: sqlite3.DatabaseError) -> bool:
    """Errors that mean the file is not a usable search index (as opposed to locked, full…)."""
    text = str(e).lower()
    return not isinstance(e, sqlite3.OperationalError) or any(
        w in text for w in ("malformed", "not a database", "file is not", "no such table", "no such column", "corrupt", "vtable constructor")
    )


def _error(path: Path, e: BaseException) -> CatalogError:
    """A SQLite error in the user's terms (one line, with what to do)."""
    text = str(e)
    low = text.lower()
    if "full" in low:
        return CatalogError(f"{path}: no room to write the search index ({text}); free some space and run 'newsvault index'")
    if "locked" in low or "busy" in low:
        return CatalogError(f"{path}: the search index is in use by another newsvault process; try again when it is done")
    if "readonly" in low or "read-only" in low:
        return CatalogError(f"{path}: the search index cannot be written (read-only); search a writable copy")
    if isinstance(e, sqlite3.DatabaseError) and _is_damage(e):
        return CatalogError(f"{path}: the search index is damaged ({text}); 'newsvault index --rebuild' builds it again")
    return CatalogError(f"{path}: search index error ({text})")


@contextmanager
def _sqlite_errors(path: Path) -> Iterator[None]:
    try:
        yield
    except sqlite3.Error as e:
        raise _error(path, e) from None


_indexes: weakref.WeakKeyDictionary[Archive, SearchIndex] = weakref.WeakKeyDictionary()
_indexes_lock = threading.Lock()


def index_for(archive: Archive) -> SearchIndex:
    """The search index of ``archive`` (opened once per Archive object, closed with it)."""
    with _indexes_lock:
        idx = _indexes.get(archive)
        if idx is None:
            idx = SearchIndex(archive.state_dir / SEARCH_FILE)
            idx.text_source = _texts_of(weakref.ref(archive))
            _indexes[archive] = idx
            weakref.finalize(archive, idx.close)
            if idx.rebuilt:
                # A new or replaced index file in an archive with articles: queue them all.
                idx.enqueue(a.id for a in archive.catalog.list_articles())
                idx.rebuilt = False
        return idx


def update_index(archive: Archive, versions: list[Version], rebuild: bool = False) -> None:
    """Bring the search index up to date with ``versions`` just added to ``archive``.

    Registered by :class:`~newsvault.archive.Archive` as a listener: runs after each committed
    batch, and after ``reindex`` with ``rebuild=True`` (everything is dropped and queued).
    """
    idx = index_for(archive)
    if rebuild:
        with idx.transaction():
            idx.clear()
            idx.enqueue(a.id for a in archive.catalog.list_articles())
        return
    ids = list(dict.fromkeys(v.article_id for v in versions))
    if len(ids) > SYNC_LIMIT:
        idx.enqueue(ids)
    elif ids:
        try:
            idx.index_articles(archive, ids)
        except IndexBusy:  # another process is building the index: it, or the next query, takes these
            idx.enqueue(ids)


def build(index: SearchIndex, docs: Iterable[Doc]) -> dict[str, float]:
    """Index an iterable of documents directly (benchmarks: no record files needed)."""
    t0 = time.perf_counter()
    count, size = index.add_documents(docs)
    return {"docs": count, "bytes": size, "seconds": time.perf_counter() - t0}
