"""Queue articles for the search index without opening it: the listener of short passes.

An hourly ``collect`` is a short process. Indexing its articles as it writes them means
loading the full-text engine, the Simplified/Traditional tables and the word dictionary
(together more than the rest of the pass), committing an engine segment, and all of it again
the next hour. Queueing them instead costs one SQLite insert: the search index keeps a queue
(its ``pending`` table, see :mod:`newsvault.search.index`) that every search, ``serve`` and
``newsvault index`` drains before it answers, so a search right after the pass still finds
what the pass archived.

This module imports nothing of the search package (the queue is one table of its file):
importing the index is a cost of its own.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .archive import Archive
    from .catalog import Version

__all__ = ["queue_for_index", "INDEX_FILE"]

# The search index's file (newsvault.search.index.SEARCH_FILE); its queue is the table
# pending(article_id TEXT PRIMARY KEY).
INDEX_FILE = "search.sqlite"


def queue_for_index(archive: Archive, versions: list[Version], rebuild: bool = False) -> None:
    """An :class:`~newsvault.archive.Archive` listener: queue the articles of ``versions``.

    With no index file yet there is nothing to queue into: the first search makes the index
    and queues every article itself. A rebuild, or an index whose queue cannot be written (a
    damaged file, a lock held past the timeout), goes to the index's own listener, which
    starts a damaged file over."""
    path = archive.state_dir / INDEX_FILE
    ids = list(dict.fromkeys(v.article_id for v in versions))
    if rebuild or (ids and _has_index(path) and not _enqueue(path, ids)):
        from .search.index import update_index  # (only then: loading the index is what this avoids)

        update_index(archive, versions, rebuild=rebuild)


def _has_index(path: Path) -> bool:
    try:
        return path.stat().st_size > 0  # (an empty file is a new index too)
    except FileNotFoundError:
        return False


def _enqueue(path: Path, ids: list[str]) -> bool:
    """Insert ``ids`` into the queue of the index file at ``path``; False if that failed (a
    damaged file, a lock held past the timeout): the index's own listener then takes them."""
    try:
        db = sqlite3.connect(path, timeout=60, isolation_level=None)
    except sqlite3.Error:
        return False
    try:
        db.execute("PRAGMA synchronous=NORMAL")  # (as the index itself writes)
        db.execute("BEGIN IMMEDIATE")
        db.executemany("INSERT OR IGNORE INTO pending(article_id) VALUES (?)", ((a,) for a in ids))
        db.execute("COMMIT")
        return True
    except sqlite3.Error:
        return False
    finally:
        db.close()
