"""Where media live: content-addressed files and the media catalog.

Files: ``<media dir>/<first 2 hex>/<sha256>.<ext>`` — the same bytes are stored once however
many articles (or URLs) show them, and a file's name is its checksum, so fsck can verify it.

Catalog: ``.newsvault/media.sqlite``, one row per image URL: its state (``ok`` or why not),
what it resolved to (sha256, type, size, dimensions), when it was first seen, how many
attempts were made and when the next one is due. It is derived-data style (git-ignored); the
files themselves are what a mirror needs.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = ["MediaStore", "MediaRow", "media_dir", "CATALOG_NAME"]

CATALOG_NAME = "media.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS media (
    url TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    sha256 TEXT,
    type TEXT,
    ext TEXT,
    size INTEGER,
    width INTEGER,
    height INTEGER,
    first_seen INTEGER NOT NULL,
    status TEXT NOT NULL,
    error TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_retry INTEGER
);
CREATE INDEX IF NOT EXISTS media_sha ON media(sha256);
CREATE INDEX IF NOT EXISTS media_due ON media(status, next_retry);
"""


@dataclass(frozen=True)
class MediaRow:
    url: str
    source: str
    sha256: str | None
    type: str | None
    ext: str | None
    size: int | None
    width: int | None
    height: int | None
    first_seen: int
    status: str  # "pending", "ok", or a failure kind
    error: str | None
    attempts: int
    next_retry: int | None

    @property
    def rel(self) -> str | None:
        """The file's path relative to the media dir (``ab/abcd….jpg``), when stored."""
        return rel_path(self.sha256, self.ext) if self.sha256 and self.ext else None


def rel_path(sha256: str, ext: str) -> str:
    return f"{sha256[:2]}/{sha256}.{ext}"


def media_dir(archive_root: Path, configured: str | None) -> Path:
    """The media folder: ``media/`` in the archive, or ``[media] dir`` (relative to the archive)."""
    return (archive_root / (configured or "media")).resolve()


class MediaStore:
    """The media files of one archive and their catalog. Use as a context manager."""

    def __init__(self, archive_root: Path, directory: Path) -> None:
        self.root = archive_root
        self.dir = directory
        state = archive_root / ".newsvault"
        state.mkdir(exist_ok=True)
        self.db = sqlite3.connect(state / CATALOG_NAME)
        self.db.executescript(_SCHEMA)

    def __enter__(self) -> MediaStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    # -- files ----------------------------------------------------------------------------------
    def put(self, data: bytes, ext: str) -> tuple[str, Path, bool]:
        """Store ``data`` once under its sha256; return the digest, the file's path and whether
        the file is new (False: the same bytes were already kept, for this URL or another)."""
        sha = hashlib.sha256(data).hexdigest()
        path = self.dir / rel_path(sha, ext)
        created = False
        if not path.exists() or hashlib.sha256(path.read_bytes()).hexdigest() != sha:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            created = True
        return sha, path, created

    def path(self, row: MediaRow) -> Path | None:
        return self.dir / row.rel if row.rel else None

    # -- catalog --------------------------------------------------------------------------------
    def get(self, url: str) -> MediaRow | None:
        cur = self.db.execute("SELECT * FROM media WHERE url = ?", (url,))
        row = cur.fetchone()
        return MediaRow(*row) if row else None

    def note(self, url: str, source: str, now: int) -> MediaRow:
        """The row of ``url``, added as ``pending`` when new."""
        self.db.execute(
            "INSERT OR IGNORE INTO media (url, source, first_seen, status, attempts) VALUES (?, ?, ?, 'pending', 0)",
            (url, source, now),
        )
        row = self.get(url)
        assert row is not None
        return row

    def stored(self, url: str, sha: str, mime: str, ext: str, size: int, width: int, height: int) -> None:
        self.db.execute(
            "UPDATE media SET sha256=?, type=?, ext=?, size=?, width=?, height=?, status='ok', error=NULL,"
            " attempts=attempts+1, next_retry=NULL WHERE url=?",
            (sha, mime, ext, size, width, height, url),
        )

    def failed(self, url: str, status: str, error: str, next_retry: int) -> None:
        self.db.execute(
            "UPDATE media SET status=?, error=?, attempts=attempts+1, next_retry=? WHERE url=?",
            (status, error[:500], next_retry, url),
        )

    def commit(self) -> None:
        self.db.commit()

    def rows(self, *, source: str | None = None, status: str | None = None, limit: int | None = None) -> Iterator[MediaRow]:
        sql, args = "SELECT * FROM media WHERE 1=1", list[object]()
        if source:
            sql, args = sql + " AND source = ?", [*args, source]
        if status:
            sql, args = sql + " AND status = ?", [*args, status]
        sql += " ORDER BY first_seen DESC, url"
        if limit is not None:
            sql, args = sql + " LIMIT ?", [*args, limit]
        for row in self.db.execute(sql, args):
            yield MediaRow(*row)

    def local_paths(self, urls: list[str]) -> dict[str, str]:
        """URL → file path relative to the media dir, for the URLs stored ``ok``."""
        out: dict[str, str] = {}
        for url in urls:
            row = self.get(url)
            if row is not None and row.status == "ok" and row.rel:
                out[url] = row.rel
        return out

    def bytes_stored(self, source: str | None = None) -> int:
        """Bytes of distinct files (a file shared by two URLs counts once)."""
        sql = "SELECT COALESCE(SUM(size), 0) FROM (SELECT DISTINCT sha256, size FROM media WHERE status='ok'"
        args: tuple[str, ...] = ()
        if source:
            sql, args = sql + " AND source = ?", (source,)
        return int(self.db.execute(sql + ")", args).fetchone()[0])

    def counts(self) -> dict[str, int]:
        return {status: n for status, n in self.db.execute("SELECT status, COUNT(*) FROM media GROUP BY status ORDER BY status")}
