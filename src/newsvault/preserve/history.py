"""Every version of an article, and what changed between them (``newsvault history``).

Versions come from the catalog (version 0 under ``articles/``, revisions under ``revisions/``,
in the order they were seen); the diff of each consecutive pair is computed from the record
files' text (see :mod:`newsvault.preserve.diff`). Publish and serve use :func:`article_history`
to mark edited articles and link their versions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..archive import Archive
from ..catalog import Article, Version
from ..text import html_to_text
from .checks import deleted_articles
from .diff import Segment, diff_stats, diff_text
from .significance import Significance, Thresholds, classify

__all__ = ["Change", "History", "article_history"]


@dataclass
class Change:
    """The edit from version ``old.rev`` to version ``new.rev``."""

    old: Version
    new: Version
    title_segments: list[Segment] | None  # None when the title did not change
    segments: list[Segment]  # body text diff (paragraph, then word level)
    inserted: int  # characters, whitespace not counted
    deleted: int

    markup_only: bool = False  # the readable text is the same: ``segments`` diff the HTML itself
    significance: Significance | None = None  # minor or major, and how (preserve/significance.py)

    @property
    def minor(self) -> bool:
        return self.significance is not None and self.significance.minor

    def as_dict(self) -> dict[str, Any]:
        return {
            "from": self.old.rev,
            "to": self.new.rev,
            "seen": self.new.seen,
            "inserted": self.inserted,
            "deleted": self.deleted,
            "markup_only": self.markup_only,
            "minor": self.minor,
            "ways": list(self.significance.ways) if self.significance else [],
            "title": None if self.title_segments is None else {"old": self.old.title, "new": self.new.title},
            "diff": [{"op": s.op, "text": s.text} for s in self.segments],
        }


@dataclass
class History:
    article: Article
    versions: list[Version]
    changes: list[Change] = field(default_factory=list)
    deleted: int | None = None  # epoch ms when its deletion at the source was noticed

    def as_dict(self) -> dict[str, Any]:
        a = self.article
        return {
            "id": a.id,
            "source": a.source,
            "url": a.url,
            "title": a.title,
            "published": a.published,
            "deleted": self.deleted,
            "versions": [
                {"rev": v.rev, "path": v.path, "seen": v.seen, "title": v.title, "size": v.size, "content_hash": v.content_hash}
                for v in self.versions
            ],
            "changes": [c.as_dict() for c in self.changes],
        }


def article_history(archive: Archive, article: Article | str, *, diffs: bool = True) -> History:
    """Versions of ``article`` (an Article, or anything ``archive.resolve`` accepts), with a
    :class:`Change` for each consecutive pair whose content differs."""
    if isinstance(article, str):
        article, _rev = archive.resolve(article)
    versions = archive.catalog.versions(article.id)
    history = History(article, versions, deleted=deleted_articles(archive).get(article.id))
    if not diffs:
        return history
    texts: dict[str, str] = {}
    bodies: dict[str, str] = {}
    thresholds = Thresholds(archive.config.changes.minor, archive.config.changes.minor_chars)

    def body_of(v: Version) -> str:
        if v.path not in bodies:
            bodies[v.path] = archive.read(v.path).body
        return bodies[v.path]

    def text_of(v: Version) -> str:
        if v.path not in texts:
            texts[v.path] = html_to_text(body_of(v))
        return texts[v.path]

    for old, new in zip(versions, versions[1:], strict=False):
        if old.content_hash == new.content_hash:
            continue  # same title and body (e.g. bytes differing only outside them)
        segments = diff_text(text_of(old), text_of(new))
        title = diff_text(old.title, new.title) if old.title != new.title else None
        stats = diff_stats(segments)
        markup_only = title is None and stats["inserted"] == stats["deleted"] == 0
        if markup_only:
            # The readable text is the same but for spacing or paragraph breaks: the HTML changed
            # (a link, emphasis, an image, an embed). Show that, one tag a line.
            segments = diff_text(_tag_lines(body_of(old)), _tag_lines(body_of(new)))
            stats = diff_stats(segments)
        if title is not None:
            tstats = diff_stats(title)
            stats = {k: stats[k] + tstats[k] for k in stats}
        significance = classify(old.title, body_of(old), new.title, body_of(new), article.url, thresholds)
        history.changes.append(Change(old, new, title, segments, stats["inserted"], stats["deleted"], markup_only, significance))
        texts.pop(old.path, None)  # keep at most two texts and bodies in memory
        bodies.pop(old.path, None)
    return history


_BETWEEN_TAGS = re.compile(r">\s*<")


def _tag_lines(html: str) -> str:
    return _BETWEEN_TAGS.sub(">\n<", html)
