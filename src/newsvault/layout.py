"""A repository's own layout, detected once and followed by every new record.

An archive newsvault created names its records ``articles/<source>/<10 digits>_<id>.md`` in
canonical form. A repository it continues (docs/continuing.md) has its own habits, which new
records must follow so that it still reads as one archive on GitHub and in the original's
tools:

* ``folders``: ``per-source`` (``articles/<source>/<name>.md``) or ``flat`` (``articles/<name>.md``,
  one outlet: the old CDT layout);
* ``names``: ``newsvault`` (``<9999999999 - published seconds>_<id>.md``) or ``counting-down``
  (the original's ids, newest lowest: ``<n>.md``, or ``<n>_<title>.md`` when ``titled``; CDT's
  ``0xFFFFF ^ post id`` names count down the same way). A new record takes the number one below
  the lowest in its folder, so it sorts first, as the original's newest-first-by-name rule wants;
* ``form``: ``canonical`` or ``cdt`` (no time comment; a ``日期：`` line under the header).

Recorded in newsvault.toml as ``[layout]``; an archive without one uses newsvault's own.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from . import record as recordfmt
from .errors import RecordError
from .record import Record

__all__ = ["Layout", "NEWSVAULT", "detect", "next_name", "render_in_form"]

FOLDERS = ("per-source", "flat")
NAMES = ("newsvault", "counting-down")
FORMS = ("canonical", "cdt")
_NEWSVAULT_NAME = re.compile(r"\d{10}_[0-9a-f]{12}\.md")
_COUNTING = re.compile(r"(\d{1,9})(?:_(.*))?\.md", re.S)
_TITLE_MAX_BYTES = 200  # a file name stays well under the 255-byte limit of most file systems


@dataclass(frozen=True)
class Layout:
    folders: str = "per-source"
    names: str = "newsvault"
    titled: bool = False
    form: str = "canonical"

    def to_toml(self) -> dict[str, Any]:
        return {"folders": self.folders, "names": self.names, "titled": self.titled, "form": self.form}


NEWSVAULT = Layout()


def _sample(folder: Path, limit: int = 200) -> list[Path]:
    names = sorted(p for p in folder.iterdir() if p.is_file() and not p.is_symlink() and p.suffix == ".md")
    return names[:limit]


def detect(root: Path) -> Layout:
    """The layout of the records under ``root/articles`` (newsvault's own when there are none)."""
    articles = root / "articles"
    if not articles.is_dir():
        return NEWSVAULT
    flat = _sample(articles)
    folders = "flat" if flat else "per-source"
    files = flat or [p for d in sorted(articles.iterdir()) if d.is_dir() and not d.is_symlink() for p in _sample(d, 20)]
    if not files:
        return NEWSVAULT if not flat else Layout(folders="flat")
    if sum(bool(_NEWSVAULT_NAME.fullmatch(p.name)) for p in files) * 2 > len(files):
        names, titled = "newsvault", False
    else:
        counted = [m for p in files if (m := _COUNTING.fullmatch(p.name))]
        names = "counting-down" if counted else "newsvault"
        titled = sum(m[2] is not None for m in counted) * 2 > len(counted) if counted else False
    forms: Counter[str] = Counter()
    for p in files[:50]:
        try:
            forms[recordfmt.parse(p.read_bytes(), name=p.name).variant] += 1
        except (OSError, RecordError):
            continue
    form = "cdt" if forms["cdt"] > forms["canonical"] else "canonical"
    return Layout(folders, names, titled, form)


def _title_part(title: str) -> str:
    # What a file name cannot hold; the original wrote titles as they were otherwise.
    text = re.sub(r"[/\x00-\x1f\x7f]", " ", title).strip()
    raw = text.encode("utf-8")[:_TITLE_MAX_BYTES]
    return raw.decode("utf-8", "ignore").strip()


def next_name(layout: Layout, folder: Path, record: Record, default: str) -> str:
    """The file name of a new record in ``folder`` under ``layout``; ``default`` is newsvault's."""
    if layout.names != "counting-down":
        return default
    numbers = [int(m[1]) for p in folder.glob("*.md") if (m := _COUNTING.fullmatch(p.name))] if folder.is_dir() else []
    n = min(numbers, default=0xFFFFF + 1) - 1
    if n < 0:
        return default  # the count is exhausted: newsvault's names still sort newest first
    title = _title_part(record.title) if layout.titled else ""
    return f"{n}_{title}.md" if title else f"{n}.md"


def render_in_form(layout: Layout, record: Record) -> str:
    """The text of a new record in the repository's form."""
    if layout.form != "cdt" or record.published is None:
        return recordfmt.render(record)
    when = format_datetime(datetime.fromtimestamp(record.published / 1000, tz=UTC))  # RFC 2822, +0000
    header = recordfmt.render_header(record.title, record.url, None)
    return header.removesuffix("\n") + f"日期：{when}\n\n{record.body}\n"
