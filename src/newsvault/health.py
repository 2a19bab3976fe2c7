"""Source health: how each source's collection has been going.

For every source: the last successful pass, the last failed one with its reason, how many
passes in a row have failed, and how many articles it published a day over the last 7 days.

Where it lives: each collect pass appends one row per source to ``.newsvault/health.sqlite``
(:func:`record_pass`, called by :func:`newsvault.collect.pipeline.run_pass`). It is local state
about this machine's passes, not part of the archive: it is not committed, ``reindex`` leaves
it alone, and deleting it loses only the pass history (articles a day come from the catalog).
Recording never fails a pass: a read-only archive or a locked database only skips the row.

Shown by ``newsvault source ls`` and ``newsvault stats`` (and their ``--json``), the site's
``health.html`` and the reader server's ``/health``.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .archive import Archive

__all__ = ["HEALTH_FILE", "SourceHealth", "record_pass", "record_outcome", "source_health", "health_rows", "any_pass_recorded", "DAYS"]

HEALTH_FILE = "health.sqlite"
DAYS = 7
_DAY_MS = 86_400_000
_SCHEMA = """CREATE TABLE IF NOT EXISTS passes (
    source TEXT NOT NULL, at INTEGER NOT NULL, ok INTEGER NOT NULL, reason TEXT,
    new INTEGER NOT NULL DEFAULT 0, revised INTEGER NOT NULL DEFAULT 0)"""
_INDEX = "CREATE INDEX IF NOT EXISTS passes_source_at ON passes (source, at)"


@dataclass
class SourceHealth:
    """One source's health; times in epoch ms (None: never)."""

    source: str
    last_success: int | None = None
    last_failure: int | None = None
    last_failure_reason: str | None = None
    failures_in_a_row: int = 0
    per_day: list[int] = field(default_factory=lambda: [0] * DAYS)  # articles published, oldest day first
    followed: bool = True  # in newsvault.toml; False: its articles were only imported

    @property
    def articles_a_day(self) -> float:
        return sum(self.per_day) / DAYS

    @property
    def status(self) -> str:
        """``ok``, ``failing`` (the last pass failed), ``unknown`` (followed, no pass recorded yet)
        or ``imported`` (not followed and never collected: nothing will ever be recorded)."""
        if self.failures_in_a_row:
            return "failing"
        if self.last_success is not None:
            return "ok"
        return "unknown" if self.followed or self.last_failure is not None else "imported"

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source, "status": self.status, "last_success": self.last_success,
            "last_failure": self.last_failure, "last_failure_reason": self.last_failure_reason,
            "failures_in_a_row": self.failures_in_a_row, "articles_per_day": self.per_day,
            "articles_a_day": round(self.articles_a_day, 2),
        }


def _connect(archive: Archive, *, create: bool) -> sqlite3.Connection | None:
    path = archive.state_dir / HEALTH_FILE
    if not create and not path.exists():
        return None
    if create:
        path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=5)
    if create:
        conn.execute(_SCHEMA)
        conn.execute(_INDEX)
    return conn


def record_outcome(archive: Archive, rows: Iterable[tuple[str, int, bool, str | None, int, int]]) -> None:
    """Append (source, at ms, ok, reason, new, revised) rows; problems writing are ignored."""
    with contextlib.suppress(sqlite3.Error, OSError):
        conn = _connect(archive, create=True)
        assert conn is not None
        try:
            with conn:
                conn.executemany("INSERT INTO passes VALUES (?, ?, ?, ?, ?, ?)",
                                 [(s, at, int(ok), reason, new, rev) for s, at, ok, reason, new, rev in rows])
        finally:
            conn.close()


def record_pass(archive: Archive, report: Any) -> None:
    """Record a finished collect pass (a :class:`~newsvault.collect.pipeline.PassReport`). An
    interrupted pass is not recorded: its unfinished sources neither failed nor succeeded."""
    if report.interrupted:
        return
    record_outcome(archive, [(s.slug, report.started, not s.failed, s.reason, s.new, s.revised) for s in report.sources])


def _passes(archive: Archive, health: dict[str, SourceHealth]) -> None:
    try:
        conn = _connect(archive, create=False)
    except sqlite3.Error:
        return
    if conn is None:
        return
    try:
        for slug, h in health.items():
            rows = conn.execute("SELECT at, ok, reason FROM passes WHERE source = ? ORDER BY at DESC, rowid DESC", (slug,))
            for at, ok, reason in rows:
                if ok:
                    h.last_success = h.last_success or at
                    if h.last_failure is not None:
                        break  # both known, and the run of failures ended here
                else:
                    if h.last_success is None:
                        h.failures_in_a_row += 1
                    if h.last_failure is None:
                        h.last_failure, h.last_failure_reason = at, reason
                if h.last_success is not None and h.last_failure is not None:
                    break
    except sqlite3.Error:
        pass
    finally:
        conn.close()


def source_health(archive: Archive, sources: Iterable[str] | None = None, *, now: int | None = None) -> dict[str, SourceHealth]:
    """Health of ``sources`` (default: the configured ones, then any others with articles)."""
    configured = [s.slug for s in archive.config.sources]
    if sources is None:
        sources = configured + sorted(set(archive.catalog.stats()["sources"]) - set(configured))
    health = {slug: SourceHealth(slug, followed=slug in configured) for slug in sources}
    _passes(archive, health)
    now = int(time.time() * 1000) if now is None else now
    start = now - DAYS * _DAY_MS
    for slug, h in health.items():
        for a in archive.catalog.list_articles(source=slug, since=start, until=now):
            if a.published is not None:
                day = min(DAYS - 1, (a.published - start) // _DAY_MS)
                h.per_day[day] += 1
    return health


def _utc_minute(ms: int | None) -> str:
    if ms is None:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(ms / 1000))


def health_rows(health: dict[str, SourceHealth]) -> list[list[str]]:
    """The CLI's health table (``source ls``, ``stats``): a header, then a row a source."""
    rows = [["source", "status", "last success UTC", "last failure UTC", "failed in a row", f"a day ({DAYS} d)", "last failure reason"]]
    for h in health.values():
        reason = (h.last_failure_reason or "-").replace("\n", " ")
        rows.append([h.source, h.status, _utc_minute(h.last_success), _utc_minute(h.last_failure), str(h.failures_in_a_row),
                     f"{h.articles_a_day:.1f}", reason[:100] + ("…" if len(reason) > 100 else "")])
    return rows


def any_pass_recorded(health: dict[str, SourceHealth]) -> bool:
    return any(h.last_success is not None or h.last_failure is not None for h in health.values())
