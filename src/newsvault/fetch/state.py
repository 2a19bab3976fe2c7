"""What the collector remembers between passes (derived, rebuildable, never the catalog).

``.newsvault/collect-state.sqlite`` holds, per feed URL, the ETag, Last-Modified and a digest of
the body of the last response whose items were all archived (so a 304 — or the same bytes from
a server without validators — never hides an item that was not), and per archived item a
fingerprint of its feed entry (title, link, raw body), so that an entry seen again unchanged
costs neither cleaning nor a page fetch. Losing the file costs one full pass, nothing more.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..archive import Archive

__all__ = ["ValidatorStore", "STATE_FILE"]

STATE_FILE = "collect-state.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feeds (
    url TEXT PRIMARY KEY, etag TEXT, last_modified TEXT, digest TEXT, updated INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS entries (
    key TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, updated INTEGER NOT NULL
);
"""


class ValidatorStore:
    """Conditional-GET validators and page-entry fingerprints, in one small SQLite file."""

    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = self._connect()
        except sqlite3.DatabaseError:
            # Derived data: a damaged file is replaced, costing one unconditional pass.
            path.unlink(missing_ok=True)
            self._db = self._connect()

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30)
        db.execute("PRAGMA journal_mode=WAL")
        db.executescript(_SCHEMA)
        return db

    @classmethod
    def for_archive(cls, archive: Archive) -> ValidatorStore:
        return cls(archive.state_dir / STATE_FILE)

    def validators(self, url: str) -> tuple[str | None, str | None, str | None]:
        """``(etag, last_modified, body digest)`` of the feed's last complete response."""
        row = self._db.execute("SELECT etag, last_modified, digest FROM feeds WHERE url = ?", (url,)).fetchone()
        return (row[0], row[1], row[2]) if row else (None, None, None)

    def fingerprint(self, key: str) -> str | None:
        row = self._db.execute("SELECT fingerprint FROM entries WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def save(self, validators: dict[str, tuple[str | None, str | None, str | None]], fingerprints: dict[str, str]) -> None:
        """Record what a pass archived completely, in one transaction."""
        now = int(time.time() * 1000)
        with self._db:
            self._db.executemany(
                "INSERT INTO feeds (url, etag, last_modified, digest, updated) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT(url) DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified, "
                "digest = excluded.digest, updated = excluded.updated",
                [(u, e, m, d, now) for u, (e, m, d) in validators.items()],
            )
            self._db.executemany(
                "INSERT INTO entries (key, fingerprint, updated) VALUES (?, ?, ?) "
                "ON CONFLICT(key) DO UPDATE SET fingerprint = excluded.fingerprint, updated = excluded.updated",
                [(k, f, now) for k, f in fingerprints.items()],
            )

    def forget(self, url: str) -> None:
        with self._db:
            self._db.execute("DELETE FROM feeds WHERE url = ?", (url,))

    def close(self) -> None:
        self._db.close()
