"""The composition root: open an archive with the listeners newsvault runs, then recover.

:class:`~newsvault.archive.Archive` knows nothing of its consumers (the search index is one);
this module is the one place that wires them together, so dependencies point down::

    from newsvault.compose import open_archive

    archive = open_archive(path)                   # listeners registered, recovery done
    archive = open_archive(path, recover=False)    # e.g. fsck: look before anything changes
    archive = open_archive(path, listeners=[])     # no search index kept up to date

Then the catalog and the search index catch up with git and the work tree (a pull, a
checkout, a hand edit: :mod:`newsvault.catchup`), for about the cost of one ``git status``.

Recovery (:meth:`Archive.recover`) is an explicit step here, not a side effect of reading
``archive.catalog``: it builds the catalog of an archive opened for the first time, rebuilds a
damaged one, and finishes a batch that a killed writer left half-done.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from pathlib import Path

from . import catchup
from .archive import CATALOG_FILE, Archive, Listener
from .errors import CatalogError

__all__ = ["open_archive", "init_archive", "attach", "default_listeners", "deferred_listeners"]


def default_listeners() -> list[Listener]:
    """What newsvault keeps in step with every write: the search index."""
    from .search.index import update_index  # imported here: the core never imports search

    return [update_index]


def attach(archive: Archive, listeners: Iterable[Listener] | None = None) -> Archive:
    """Register ``listeners`` (default: :func:`default_listeners`) on ``archive``, once each."""
    for listener in default_listeners() if listeners is None else listeners:
        if listener not in archive.listeners:
            archive.listeners.append(listener)
    return archive


def open_archive(
    path: Path | str = ".",
    *,
    listeners: Iterable[Listener] | None = None,
    recover: bool = True,
    catch_up: bool = True,
    work_tree: bool = True,
    warn: Callable[[str], None] | None = None,
    read_history: bool = True,
) -> Archive:
    """Open the archive at ``path`` with ``listeners`` (default: :func:`default_listeners`)
    and, unless ``recover`` is false, bring its derived data in line with its files; then,
    unless ``catch_up`` is false, with what git and the work tree hold now
    (:func:`newsvault.catchup.catch_up`; ``work_tree`` false: committed changes only)."""
    archive = attach(Archive.open(path), listeners)
    try:
        foreign = recover and _foreign_repository(archive)
        if foreign:
            _first_look(archive)
        existed = (archive.state_dir / CATALOG_FILE).is_file()
        if recover:
            archive.recover()
        if foreign and warn is not None:
            warn("built the catalog of a repository newsvault has not opened before and recorded its layout; 'newsvault open' recovers its history from git (docs/continuing.md)")
        if catch_up and recover:
            catchup.catch_up(archive, fresh=not existed, work_tree=work_tree, warn=warn)
            if read_history:  # (``newsvault open`` reads it itself, and reports what it found)
                _read_new_history(archive, warn)
        elif catch_up and existed:
            # without recovery, a damaged catalog is left for the caller (fsck) to see
            with contextlib.suppress(CatalogError):
                catchup.catch_up(archive, work_tree=work_tree, warn=warn)
    except BaseException:
        archive.close()
        raise
    return archive


def _foreign_repository(archive: Archive) -> bool:
    """A repository another archiver wrote (git, records, no newsvault.toml), never opened here."""
    from .config import CONFIG_NAME

    root = archive.root
    if archive.state_dir.exists() or (root / CONFIG_NAME).exists() or not (root / "articles").is_dir():
        return False  # (decided without importing githistory: the case of every command but the first)
    from . import githistory

    return githistory.is_repository(root)


def _first_look(archive: Archive) -> None:
    """What any first command does in such a repository (see docs/continuing.md): the records'
    source comes from what they say, never from the folder's name; the layout and list form
    are recorded, so that a ``collect`` before ``open`` names and lists its records like their
    neighbours; and ``.newsvault/`` is git-ignored so that the original's ``git add .`` never
    commits the catalog. The history is left for ``open``."""
    from .archive import write_atomic
    from .config import CONFIG_NAME
    from .continuing import ignore_state, record_layout, records_source

    source = records_source(archive)
    if source is not None:
        archive.config.default_source = source
    record_layout(archive, opened=False)
    with contextlib.suppress(OSError):  # a read-only clone is still readable, as it is
        ignore_state(archive)
        write_atomic(archive.root / CONFIG_NAME, archive.config.dump())


def _read_new_history(archive: Archive, warn: Callable[[str], None] | None) -> None:
    """A repository opened in place (``newsvault open``: its layout is in newsvault.toml) reads
    the commits git brought since the last command, so a pull's earlier texts are versions too."""
    if archive.config.layout is None or not archive.config.layout.opened:
        return  # newsvault's own archive, or one whose history waits for ``open``
    from . import githistory
    from .errors import NewsvaultError

    if not githistory.is_repository(archive.root):
        return
    try:
        report = githistory.recover_history(archive)
    except (OSError, NewsvaultError) as exc:  # a read-only clone, a damaged history: still readable
        if warn is not None:
            warn(f"could not read the repository's history: {exc}")
        return
    if warn is not None and report.revisions:
        warn(f"{report.revisions} earlier versions recovered from git")


def init_archive(
    path: Path | str,
    *,
    name: str | None = None,
    default_source: str | None = None,
    listeners: Iterable[Listener] | None = None,
) -> Archive:
    """Create an empty archive at ``path`` and return it opened with ``listeners``."""
    return attach(Archive.init(path, name=name, default_source=default_source), listeners)


def deferred_listeners() -> list[Listener]:
    """:func:`default_listeners` for short passes (``collect``, ``save``): the search index is only
    queued (:mod:`newsvault.index_queue`); the next search, ``serve`` or ``index`` drains it."""
    from .index_queue import queue_for_index

    return [queue_for_index]
