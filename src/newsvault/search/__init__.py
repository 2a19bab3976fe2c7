"""Search: a Chinese-aware full-text index over the archive (tantivy, or SQLite FTS5).

Public API::

    from newsvault.search import search_archive, index_for, QueryError

    hits = search_archive(archive, "七国集团 加沙", sources=["rfi"], limit=10)
    hits[0].id, hits[0].title, hits[0].snippet_html   # snippet: original text, matches in <mark>

* :mod:`.tokens` - bigram tokens (folding and CJK ranges: :mod:`newsvault.chinese`);
* :mod:`.index`  - ``.newsvault/search.sqlite`` (documents, texts, queue) and the archive listener;
* :mod:`.rows`   - row ids (publication time) and source tokens, shared by the index and engines;
* :mod:`.engine` - the narrow interface to the full-text engine, and the FTS5 engine;
* :mod:`.tantivy_engine` - the tantivy engine (the default), with word-aware ranking;
* :mod:`.query`  - the query language, its safe translation, and snippets.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..errors import IndexBusy, QueryError
from .index import SearchIndex, _sqlite_errors, index_for, update_index
from .query import MAX_LIMIT, Hit, count, parse_day, parse_query, search

if TYPE_CHECKING:
    from ..archive import Archive

__all__ = ["search_archive", "count_matches", "index_for", "update_index", "SearchIndex", "Hit", "QueryError", "parse_query", "parse_day", "MAX_LIMIT"]


def search_archive(
    archive: Archive,
    q: str,
    *,
    sources: list[str] | None = None,
    since: int | None = None,
    until: int | None = None,
    limit: int = 20,
    offset: int = 0,
    progress: Callable[[int, int], None] | None = None,
    newest: bool = False,
) -> list[Hit]:
    """Search ``archive``: first index whatever is still queued, then run the query.

    On a read-only archive nothing is indexed, nor while another process is building the index:
    what is indexed is searched (the index's ``pending_count()`` says how many articles it is
    behind). Every failure is a
    :class:`~newsvault.errors.NewsvaultError` with a one-line message.
    """
    parse_query(q)  # refuse bad queries before doing any indexing work
    idx = index_for(archive)
    with _sqlite_errors(idx.path):
        if idx.pending_count() and not idx.read_only:
            with contextlib.suppress(IndexBusy):  # another process is indexing: search what is indexed
                idx.catch_up(archive, progress=progress)
        hits = search(idx, q, sources=sources, since=since, until=until, limit=limit, offset=offset, newest=newest)
        # Articles taken out of the catalog since they were indexed (fsck --repair, a reindex
        # that lost files) leave the index now and are not shown.
        present = {a.id for a in archive.catalog.list_articles(ids=[h.id for h in hits])}
        gone = [h.id for h in hits if h.id not in present]
        if gone and not idx.read_only:
            idx.remove(gone)
    return [h for h in hits if h.id in present]


def count_matches(
    archive: Archive, q: str, *, sources: list[str] | None = None, since: int | None = None, until: int | None = None,
) -> int:
    """How many indexed articles match ``q``, exactly: the total that ``search_archive`` pages
    through (call it after a search, which brings the index up to date first)."""
    idx = index_for(archive)
    with _sqlite_errors(idx.path):
        return count(idx, q, sources=sources, since=since, until=until)
