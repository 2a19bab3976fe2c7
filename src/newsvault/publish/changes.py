"""Every edit and every deletion in the archive, newest first: what the changes pages and the
changes feeds show (``changes.html`` and ``feeds/changes/<slug|all>.xml`` on the static site,
``/changes`` and ``/feeds/changes/<slug|all>.xml`` on the reader server).

An edit is a version after the first (v1…vN, as ``newsvault history`` numbers them), dated when
it was seen; a deletion is a ``gone`` or soft-deleted re-check (``checks/*.jsonl``), dated when it
was noticed. Listing them is cheap (catalog rows and the checks); describing one (its +N −M and
first changed words) reads and diffs the versions, so only the newest :data:`CHANGES_SIZE` are
described.

A minor change (:mod:`newsvault.preserve.significance`: only boilerplate, markup, whitespace or
full/half-width punctuation) is listed with ``minor`` set: the changes pages hide it unless the
reader asks, and the change feeds leave it out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from ..archive import Archive
from ..catalog import Article
from ..preserve.checks import deleted_articles
from ..preserve.diff import Segment
from ..preserve.history import Change, article_history

__all__ = ["ChangeEvent", "CHANGES_SIZE", "change_events", "change_label", "minor_label", "describe", "recent_changes"]

CHANGES_SIZE = 100
_EXCERPT = 40  # characters of the first deleted and the first inserted text


@dataclass(frozen=True)
class ChangeEvent:
    """One edit (``kind`` "edit": version ``rev`` replaced ``rev - 1``) or one deletion
    (``kind`` "deleted", ``rev`` None), at ``when`` (epoch ms)."""

    kind: str
    article: Article
    when: int
    rev: int | None = None
    summary: str = ""  # "+N −M", "仅标记改动", "文字相同" or "原文已被删除" (once described)
    removed: str = ""  # the first deleted text, shortened
    added: str = ""  # the first inserted text, shortened
    change: Change | None = None

    @property
    def minor(self) -> bool:
        """Kept as a version, not announced (known once described; a deletion never is)."""
        return self.change is not None and self.change.minor

    @property
    def minor_note(self) -> str:
        return minor_label(self.change)

    @property
    def title_changed(self) -> bool:
        return self.change is not None and self.change.title_segments is not None

    @property
    def is_latest(self) -> bool:
        return self.rev is not None and self.rev == self.article.versions - 1


def change_label(c: Change | None) -> str:
    """A change in a few characters, as ``newsvault history`` prints it: +N −M, or its kind."""
    if c is None:
        return "文字相同"
    if c.markup_only:
        return "仅标记改动"
    return f"+{c.inserted} −{c.deleted}"


def minor_label(c: Change | None) -> str:
    """How a minor change differs (``仅页脚样板改动``, ``仅空白、标记改动``…); "" for a major one."""
    if c is None or not c.minor or c.significance is None or not c.significance.ways:
        return ""
    return "仅" + "、".join(_WAY_NAMES.get(w, w) for w in c.significance.ways) + "改动"


# How ``change_label`` names the ways a minor change differs (preserve/significance.py).
_WAY_NAMES = {"boilerplate": "页脚样板", "markup": "标记", "whitespace": "空白", "punctuation": "全半角标点", "small": "少量文字"}


def change_events(archive: Archive, articles: Sequence[Article] | None = None, deleted: dict[str, int] | None = None,
                  *, source: str | None = None) -> list[ChangeEvent]:
    """Every edit and deletion (of ``source``, or all), newest first, not yet described.
    ``articles`` and ``deleted``: what the caller loaded already (every article; the deletions)."""
    if deleted is None:
        deleted = deleted_articles(archive)
    if articles is None:
        # Only what changed (the catalog picks the edited; deletions by id), not every article.
        edited = archive.catalog.list_articles(source=source, edited=True)
        known = {a.id for a in edited}
        gone = [i for i in deleted if i not in known]
        articles = edited + [a for k in range(0, len(gone), 500) for a in archive.catalog.list_articles(ids=gone[k : k + 500])]
    events: list[ChangeEvent] = []
    for a in articles:
        if source is not None and a.source != source:
            continue
        if a.versions > 1:
            for v in archive.catalog.versions(a.id)[1:]:
                events.append(ChangeEvent("edit", a, v.seen if v.seen is not None else (v.published or 0), v.rev))
        if a.id in deleted:
            events.append(ChangeEvent("deleted", a, deleted[a.id]))
    # Newest first; at the same moment a deletion after the edits it follows.
    events.sort(key=lambda e: (e.when, e.kind == "deleted", e.rev or 0), reverse=True)
    return events


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _EXCERPT else text[:_EXCERPT] + "…"


def _first(segments: Sequence[Segment], op: str) -> str:
    return next((_shorten(s.text) for s in segments if s.op == op and s.text.strip()), "")


def describe(archive: Archive, events: Sequence[ChangeEvent]) -> list[ChangeEvent]:
    """``events`` with their summaries (each article's versions diffed once)."""
    histories: dict[str, dict[int, Change]] = {}
    out = []
    for e in events:
        if e.kind == "deleted":
            out.append(replace(e, summary="原文已被删除"))
            continue
        assert e.rev is not None
        if e.article.id not in histories:
            histories[e.article.id] = {c.new.rev: c for c in article_history(archive, e.article).changes}
        c = histories[e.article.id].get(e.rev)
        segments = [] if c is None else (c.title_segments or []) + c.segments
        out.append(replace(e, summary=change_label(c), removed=_first(segments, "delete"), added=_first(segments, "insert"), change=c))
    return out


def recent_changes(archive: Archive, *, source: str | None = None, limit: int = CHANGES_SIZE,
                   articles: Sequence[Article] | None = None, deleted: dict[str, int] | None = None) -> list[ChangeEvent]:
    """The newest ``limit`` edits and deletions, described."""
    return describe(archive, change_events(archive, articles, deleted, source=source)[:limit])
