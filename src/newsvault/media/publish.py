"""Publishing with local images: original URL → the href of its local copy.

The site and the server never send a reader's browser to the publisher for an image: an image
kept in ``media/`` is shown from there (the site copies the files it uses into its own
``media/``; the server answers ``/media/<xx>/<sha256>.<ext>``), and one that is not becomes a
labelled placeholder (see :func:`newsvault.sanitize.sanitize_html`).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from .store import CATALOG_NAME, media_dir, rel_path

__all__ = ["MediaLinks", "MEDIA_NAME", "MEDIA_TYPES", "media_file"]

# The only file names /media/ serves: a sha256 and one of the raster types the fetcher keeps.
MEDIA_NAME = re.compile(r"([0-9a-f]{2})/(\1[0-9a-f]{62})\.(jpg|png|gif|webp|avif|bmp)")
MEDIA_TYPES = {"jpg": "image/jpeg", "png": "image/png", "gif": "image/gif", "webp": "image/webp", "avif": "image/avif", "bmp": "image/bmp"}


class MediaLinks:
    """Read-only lookups in an archive's media catalog (none yet: every lookup is None)."""

    def __init__(self, archive: Any) -> None:
        self.dir = media_dir(archive.root, archive.config.media.dir)
        self._db_path = archive.root / ".newsvault" / CATALOG_NAME
        self._db: sqlite3.Connection | None = None

    def _conn(self) -> sqlite3.Connection | None:
        if self._db is None and self._db_path.exists():
            self._db = sqlite3.connect(f"file:{self._db_path}?mode=ro", uri=True, check_same_thread=False)
        return self._db

    def rel(self, url: str) -> str | None:
        """``xx/<sha256>.<ext>`` of the kept copy of ``url``, when its file is there."""
        db = self._conn()
        if db is None:
            return None
        try:
            row = db.execute("SELECT sha256, ext FROM media WHERE url = ? AND status = 'ok'", (url,)).fetchone()
        except sqlite3.Error:  # a damaged media catalog costs images, never the page
            return None
        if not row:
            return None
        rel = rel_path(row[0], row[1])
        return rel if (self.dir / rel).is_file() else None

    def lookup(self, prefix: str) -> Callable[[str], str | None]:
        """URL → ``prefix + rel`` (``../../media/`` for a site page two folders down, ``/media/``
        on the server)."""

        def href(url: str) -> str | None:
            rel = self.rel(url)
            return prefix + rel if rel else None

        return href

    def files(self) -> Iterator[tuple[str, str, Callable[[], bytes]]]:
        """``(rel, sha256, read)`` of every kept file, for copying into a static site."""
        db = self._conn()
        if db is None:
            return
        for sha, ext in db.execute("SELECT DISTINCT sha256, ext FROM media WHERE status = 'ok' ORDER BY sha256"):
            path = self.dir / rel_path(sha, ext)
            if path.is_file():
                yield rel_path(sha, ext), sha, path.read_bytes

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


def media_file(archive_root: Path, configured_dir: str | None, name: str) -> tuple[Path, str] | None:
    """The file ``/media/<name>`` names and its content type, or None (a name not of the
    content-addressed form, or no such file)."""
    m = MEDIA_NAME.fullmatch(name)
    if m is None:
        return None
    path = media_dir(archive_root, configured_dir) / name
    return (path, MEDIA_TYPES[m.group(3)]) if path.is_file() else None
