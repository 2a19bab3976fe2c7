"""A repository's own layout, detected once and followed by every new record.

An archive newsvault created names its records ``articles/<source>/<10 digits>_<id>.md`` in
canonical form. A repository it continues (docs/continuing.md) has its own habits, which new
records must follow so that it still reads as one archive on GitHub and in the original's
tools:

* ``folders``: ``per-source`` (``articles/<source>/<name>.md``) or ``flat`` (``articles/<name>.md``,
  one outlet: the old CDT layout);
* ``names``: ``newsvault`` (``<9999999999 - published seconds>_<id>.md``), ``counting-down``
  (the original's ids, newest lowest: ``<n>.md``, or ``<n>_<title>.md`` when ``titled``) or
  ``post-id`` (CDT's ``0xFFFFF ^ <WordPress post id>``). A counted-down record takes the number
  one below the lowest in its folder, so it sorts first, as the original's newest-first-by-name
  rule wants; a ``post-id`` record takes its post id's number when the material carries one (the
  feed item's guid or link ``?p=<id>``), and counts down only when it does not;
* ``form``: ``canonical`` or ``cdt`` (no time comment; a ``日期：`` line under the header);
* ``lists``: the form of the lists the original wrote (:class:`ListForm`; None: newsvault's own,
  or no lists), followed by :mod:`newsvault.publish.lists`.

Recorded in newsvault.toml as ``[layout]`` (and ``[layout.lists]``); an archive without one
uses newsvault's own.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from . import record as recordfmt
from .errors import RecordError
from .record import Record

__all__ = ["Layout", "ListForm", "NEWSVAULT", "detect", "next_name", "post_id", "render_in_form"]

FOLDERS = ("per-source", "flat")
NAMES = ("newsvault", "counting-down", "post-id")
FORMS = ("canonical", "cdt")
LIST_ORDERS = ("name", "published")
LIST_LINKS = ("spaces", "percent")
README_LINKS = ("raw", "percent")
_COUNT_TOP = 0xFFFFF  # the original's first id; CDT's names are this XOR the post id
_POST_ID_HOSTS = ("chinadigitaltimes.net",)  # WordPress sites whose records the original named by post id
_NEWSVAULT_NAME = re.compile(r"\d{10}_[0-9a-f]{12}\.md")
_COUNTING = re.compile(r"(\d{1,9})(?:_(.*))?\.md", re.S)
_TITLE_MAX_BYTES = 200  # a file name stays well under the 255-byte limit of most file systems


@dataclass(frozen=True)
class ListForm:
    """How the original wrote its lists (read from them once, by
    :func:`newsvault.publish.lists.detect_list_form`), so that a rebuilt list differs from the
    last one only by the entries that changed.

    ``file``: a source's list (``{name}``: its display name), or ``README.md`` when the README
    itself is the list of a single-outlet repository. ``size``: entries per list. ``order``:
    ``name`` (the record files that sort first) or ``published`` (newest first). ``dated``: each
    entry starts ``{M}-{D} `` (UTC+8). ``links``: how a link spells the record's path (``spaces``:
    only spaces percent-encoded, as duty-machine/news; ``percent``: every non-ASCII byte too).
    ``root``: what a link puts before ``articles/`` (``/`` or nothing). ``header``, ``footer``:
    what a new list starts and ends with (``{name}``, ``{source}``); an existing list keeps its
    own. ``readme``: how README.md spells a link to a list it does not link yet (``raw`` or
    ``percent``)."""

    file: str = "lists/{name}.md"
    size: int = 300
    order: str = "name"
    dated: bool = True
    links: str = "spaces"
    root: str = "/"
    header: str = "{name}\n------\n\n"
    footer: str = ""
    readme: str = "raw"

    def to_toml(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Layout:
    folders: str = "per-source"
    names: str = "newsvault"
    titled: bool = False
    form: str = "canonical"
    lists: ListForm | None = None
    # False: recorded by the first command in the repository, whose git history ``newsvault
    # open`` has not read yet (until then no command reads it: that writes revisions/).
    opened: bool = True

    def to_toml(self) -> dict[str, Any]:
        out: dict[str, Any] = {"folders": self.folders, "names": self.names, "titled": self.titled, "form": self.form}
        if not self.opened:
            out["opened"] = False
        if self.lists is not None:
            out["lists"] = self.lists.to_toml()
        return out


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
    hosts: dict[Path, Counter[str]] = {}
    first = files[:50]
    sampled = {p.parent for p in first}
    for p in first + [p for p in files[50:] if p.parent not in sampled][:50]:  # every folder's host too
        try:
            rec = recordfmt.parse(p.read_bytes(), name=p.name)
        except (OSError, RecordError):
            continue
        forms[rec.variant] += 1
        hosts.setdefault(p.parent, Counter())[(urlsplit(rec.url).hostname or "").removeprefix("www.")] += 1
    form = "cdt" if forms["cdt"] > forms["canonical"] else "canonical"
    if names == "counting-down" and any(c.most_common(1)[0][0] in _POST_ID_HOSTS for c in hosts.values()):
        names = "post-id"  # a CDT folder: its numbers are 0xFFFFF ^ the WordPress post id
    return Layout(folders, names, titled, form)


def _title_part(title: str) -> str:
    # What a file name cannot hold; the original wrote titles as they were otherwise.
    text = re.sub(r"[/\x00-\x1f\x7f]", " ", title).strip()
    raw = text.encode("utf-8")[:_TITLE_MAX_BYTES]
    return raw.decode("utf-8", "ignore").strip()


def post_id(record: Record) -> int | None:
    """The WordPress post id the material gives for ``record``: ``?p=<id>`` in the feed item's
    guid (WordPress writes ``https://host/?p=<id>`` there) or in its link or shortlink."""
    for ref in (record.guid, record.url):
        try:
            values = parse_qs(urlsplit(ref).query).get("p", [])
        except ValueError:
            continue
        if len(values) == 1 and values[0].isdigit() and 0 < int(values[0]) <= _COUNT_TOP:
            return int(values[0])
    return None


def next_name(layout: Layout, folder: Path, record: Record, default: str, staged: Iterable[str] = ()) -> str:
    """The file name of a new record in ``folder`` under ``layout``; ``default`` is newsvault's.
    ``staged``: names given to new records of the same batch, not yet on disk."""
    if layout.names == "newsvault":
        return default
    names = [*(p.name for p in folder.glob("*.md")), *staged] if folder.is_dir() else list(staged)
    numbers = {int(m[1]) for name in names if (m := _COUNTING.fullmatch(name))}
    pid = post_id(record) if layout.names == "post-id" else None
    named = _COUNT_TOP ^ pid if pid is not None else None
    # no post id known (or its number taken by another record): count down, as the original
    n = named if named is not None and named not in numbers else min(numbers, default=_COUNT_TOP + 1) - 1
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
