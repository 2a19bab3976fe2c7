"""Row ids and source tokens: what the index and both engines agree on, shared from here so
that the engines need not import the index (which imports them).

A row id is the publication time in ms times ``ROWID_SCALE`` plus a serial, so that a date range
is a row-id range and recency can be read off the id; undated articles sit below every date.
"""

from __future__ import annotations

import hashlib

__all__ = ["ROWID_SCALE", "UNDATED", "rowid_base", "published_of", "source_token"]

ROWID_SCALE = 1000
UNDATED = -(2**62)
_MAX_MS = 10**15  # clamp absurd dates so that row ids stay in range


def rowid_base(published: int | None) -> int:
    if published is None:
        return UNDATED
    return max(-_MAX_MS, min(_MAX_MS, published)) * ROWID_SCALE


def published_of(rowid: int) -> int | None:
    return None if rowid < -_MAX_MS * ROWID_SCALE else rowid // ROWID_SCALE


def source_token(slug: str) -> str:
    """The one token standing for a source in the ``src`` column (any slug, even 泡泡 or nei.st)."""
    return "s" + hashlib.blake2b(slug.encode("utf-8"), digest_size=6).hexdigest()
