"""Rows of the dataset, built from the archive: catalog, record files and ``checks/``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..archive import Archive
    from ..catalog import Article, Version

__all__ = ["article_rows", "check_rows", "last_live"]

Row = dict[str, Any]


def _edit_sizes(old: str, new: str) -> tuple[int, int]:
    from ..preserve.diff import diff_stats, diff_text

    stats = diff_stats(diff_text(old, new))
    return stats["inserted"], stats["deleted"]


def last_live(archive: Archive) -> dict[str, int]:
    """Article id -> the latest check that found it at its source (live or changed), epoch ms."""
    from ..preserve.checks import iter_checks

    latest: dict[str, int] = {}
    for c in iter_checks(archive.root):
        aid, checked = c.get("id"), c.get("checked")
        if c.get("status") in ("live", "changed") and isinstance(checked, int) and isinstance(aid, str):
            latest[aid] = max(checked, latest.get(aid, checked))
    return latest


def _article(archive: Archive, a: Article, live_at: dict[str, int], deleted: dict[str, int]) -> tuple[Row, list[Row]]:
    from ..boilerplate import strip_boilerplate
    from ..publish.lang import detect_lang
    from ..text import html_to_text

    versions: list[Version] = archive.catalog.versions(a.id)
    version_rows: list[Row] = []
    previous = ""
    text = html = ""
    for v in versions:
        # ``html`` is the record's body as archived and the edit sizes measure the record's
        # edits; ``text`` is what readers see, the publisher's footers left out (boilerplate.py).
        html = archive.read(v.path).body
        raw = html_to_text(html)
        added, removed = _edit_sizes(previous, raw) if v.rev > 0 else (0, 0)
        previous = raw
        version_rows.append({
            "article_id": a.id, "source": a.source, "rev": v.rev, "path": v.path, "seen": v.seen,
            "title": v.title, "content_hash": v.content_hash, "size": v.size,
            "chars_added": added, "chars_removed": removed,
        })
    text = html_to_text(strip_boilerplate(html, a.url)) if versions else ""
    seen = [v.seen for v in versions if v.seen is not None]
    live = live_at.get(a.id)
    last = max([*seen, *([live] if live is not None else [])], default=None)
    row = {
        "id": a.id, "source": a.source, "url": a.url, "title": a.title, "published": a.published,
        "first_seen": min(seen) if seen else None, "last_seen": last, "text": text, "html": html,
        "language": detect_lang(text), "deleted_at": deleted.get(a.id), "versions": len(versions),
    }
    return row, version_rows


def article_rows(archive: Archive, live_at: dict[str, int]) -> Iterator[tuple[Row, list[Row]]]:
    """Each article's row and its versions' rows, one article at a time (newest first)."""
    from ..preserve.checks import deleted_articles

    deleted = deleted_articles(archive)
    for a in archive.catalog.iter_articles():
        yield _article(archive, a, live_at, deleted)


def check_rows(archive: Archive) -> Iterator[Row]:
    """A row for each line of ``checks/``, in file order, read as it goes."""
    from ..preserve.checks import iter_checks

    for c in iter_checks(archive.root):
        checked = c.get("checked")
        yield {
            "article_id": c.get("id"), "source": c.get("source"), "url": c.get("url"),
            "checked": checked if isinstance(checked, int) else None, "status": c.get("status"),
            "http": c.get("http") if isinstance(c.get("http"), int) else None, "reason": c.get("reason"),
            "final_url": c.get("final_url"), "path": c.get("path"),
        }
