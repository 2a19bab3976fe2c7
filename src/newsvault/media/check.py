"""Media for fsck: is every kept image's file there, with the bytes its name promises? And,
for ``fsck --repair``, fetching again what is missing or corrupt."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

from ..fetch import FetchPolicy
from .fetching import fetch_images, open_store
from .store import CATALOG_NAME

__all__ = ["media_problems", "refetch"]


def media_problems(archive: Any) -> list[tuple[str, str, str]]:
    """``(kind, path, detail)`` for each image catalogued ``ok`` whose file is missing
    (``media-missing``) or whose bytes do not hash to its name (``media-corrupt``)."""
    if not (archive.root / ".newsvault" / CATALOG_NAME).exists():
        return []
    out: list[tuple[str, str, str]] = []
    checked: dict[str, str | None] = {}
    with open_store(archive) as store:
        for row in store.rows(status="ok"):
            path = store.path(row)
            if path is None or row.rel is None:
                continue
            if row.rel not in checked:
                checked[row.rel] = _problem(path, row.sha256 or "")
            kind = checked[row.rel]
            if kind is not None:
                shown = _shown(archive, path)
                what = "is missing" if kind == "media-missing" else "does not match its sha256 (damaged)"
                out.append((kind, shown, f"the image of {row.url} {what}; 'newsvault fsck --repair' fetches it again"))
    return out


def _problem(path: Any, sha: str) -> str | None:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return "media-missing"
    except OSError:
        return "media-corrupt"
    return None if hashlib.sha256(data).hexdigest() == sha else "media-corrupt"


def _shown(archive: Any, path: Any) -> str:
    try:
        return str(path.relative_to(archive.root.resolve()).as_posix())
    except ValueError:
        return str(path)


def refetch(archive: Any, policy: FetchPolicy | None = None) -> tuple[int, int]:
    """Fetch again the images whose files are missing or corrupt; return (fetched, tried).
    A corrupt file is removed first (its name is a promise it no longer keeps)."""
    bad: list[tuple[str, str]] = []
    with open_store(archive) as store:
        for row in store.rows(status="ok"):
            path = store.path(row)
            if path is not None and _problem(path, row.sha256 or "") is not None:
                path.unlink(missing_ok=True)
                bad.append((row.url, row.source))
        for url, _ in bad:
            store.db.execute("UPDATE media SET status = 'pending', next_retry = NULL WHERE url = ?", (url,))
        store.commit()
    if not bad:
        return 0, 0
    report = asyncio.run(fetch_images(archive, bad, policy))
    return report.fetched, len(bad)
