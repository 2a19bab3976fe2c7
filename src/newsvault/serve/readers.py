"""Per-thread access to the archive for the reader server, and noticing changes made meanwhile.

Starlette runs the (synchronous) handlers in a thread pool; each thread opens its own
:class:`~newsvault.archive.Archive` (so its own SQLite connections), which lets SQLite work in
parallel while Python renders. New catalog content is seen by the next query (SQLite); what the
renderer caches is refreshed when the files it comes from change: deletion state when
``checks/*.jsonl`` change (``newsvault recheck`` run meanwhile), the whole archive when
``newsvault.toml`` does. Files are looked at at most once a second, whatever the request rate.

:meth:`Readers.state` sums all of it up in one value, for the page cache
(:mod:`~newsvault.serve.cache`): it changes with any commit to the catalog, the search index
or the media catalog (SQLite's ``data_version``, exact, whichever process wrote) and with the
generations above.
What git changes under a running server (a ``git pull``, a checkout) moves HEAD or git's index
file: when either changes, one thread catches the catalog and search index up with the tree
(:func:`newsvault.catchup.catch_up`) before it answers, and the others see the result through
SQLite. A hand edit that git's index does not notice is taken in by the next command or restart.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

from ..archive import CATALOG_FILE, STATE_DIR, Archive
from ..catalog.sqlite import connect_read_only
from ..catchup import catch_up as catch_up_tree
from ..compose import open_archive
from ..errors import IndexBusy
from ..media.store import CATALOG_NAME as MEDIA_CATALOG
from ..preserve.checks import CHECKS_DIR
from ..publish.render import PageRenderer
from ..search import index_for
from ..search.index import SEARCH_FILE

__all__ = ["Readers", "ChangeWatch", "DatabaseVersion"]

CONFIG_FILE = "newsvault.toml"


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


def _git_dir(root: Path) -> Path | None:
    try:
        done = subprocess.run(["git", "-C", str(root), "rev-parse", "--absolute-git-dir"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return Path(done.stdout.strip()) if done.returncode == 0 and done.stdout.strip() else None


class ChangeWatch:
    """Generations of the archive's checks, config and git tree: each grows when its files change."""

    def __init__(self, root: Path, interval: float = 1.0) -> None:
        self.root = root
        self.interval = interval
        self.lock = threading.Lock()
        self.checked = time.monotonic()
        self.checks_state = self._checks_state()
        self.config_state = _stamp(root / CONFIG_FILE)
        self.git_dir = _git_dir(root)
        self.tree_state = self._tree_state()
        self.checks_generation = 0
        self.config_generation = 0
        self.tree_generation = 0

    def _tree_state(self) -> tuple[tuple[int, int] | None, ...]:
        """HEAD, the branch it names and git's index: a pull, a checkout or a commit moves one."""
        if self.git_dir is None:
            return ()
        head = self.git_dir / "HEAD"
        try:
            target = head.read_text(encoding="utf-8").strip()
        except OSError:
            target = ""
        ref = self.git_dir / target.removeprefix("ref: ") if target.startswith("ref: ") else None
        return (_stamp(head), _stamp(ref) if ref else None, _stamp(self.git_dir / "packed-refs"), _stamp(self.git_dir / "index"))

    def _checks_state(self) -> tuple[tuple[str, tuple[int, int] | None], ...]:
        try:
            names = sorted(n for n in os.listdir(self.root / CHECKS_DIR) if n.endswith(".jsonl"))
        except OSError:
            return ()
        return tuple((n, _stamp(self.root / CHECKS_DIR / n)) for n in names)

    def poll(self) -> None:
        """Look at the files if the last look is more than ``interval`` seconds old."""
        if time.monotonic() - self.checked < self.interval or not self.lock.acquire(blocking=False):
            return
        try:
            self.checked = time.monotonic()
            checks, config = self._checks_state(), _stamp(self.root / CONFIG_FILE)
            if checks != self.checks_state:
                self.checks_state = checks
                self.checks_generation += 1
            if config != self.config_state:
                self.config_state = config
                self.config_generation += 1
            tree = self._tree_state()
            if tree != self.tree_state:
                self.tree_state = tree
                self.tree_generation += 1
        finally:
            self.lock.release()


class DatabaseVersion:
    """Which committed state of one SQLite file is current: its ``PRAGMA data_version`` (which
    changes when any other connection, in any process, commits) and the file's identity (a
    file replaced by a rebuild is a new state too). None while the file does not exist."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.db: sqlite3.Connection | None = None
        self.ident: tuple[int, int] | None = None

    def __call__(self) -> tuple[int, int, int] | None:
        try:
            st = self.path.stat()
        except OSError:
            self.close()
            return None
        ident = (st.st_dev, st.st_ino)
        try:
            if self.db is None or ident != self.ident:
                self.close()
                self.db, self.ident = connect_read_only(self.path), ident
            row = self.db.execute("PRAGMA data_version").fetchone()
        except sqlite3.Error:
            self.close()
            return None
        return (*ident, int(row[0]))

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
        self.db = self.ident = None


class Readers:
    """One Archive (and page renderer) per worker thread, kept up to date by a :class:`ChangeWatch`."""

    def __init__(self, root: Path, watch_interval: float = 1.0) -> None:
        self.root = root
        self.local = threading.local()
        self.catch_up_lock = threading.Lock()
        self.watch = ChangeWatch(root, watch_interval)
        # The media catalog too: `media backfill` keeps images without touching the catalog,
        # and article pages then point at the kept copies.
        self.versions = [DatabaseVersion(root / STATE_DIR / name) for name in (CATALOG_FILE, SEARCH_FILE, MEDIA_CATALOG)]
        self.state_lock = threading.Lock()
        self.tree_lock = threading.Lock()
        self.tree_synced = -1  # the tree generation the catalog was last caught up with

    def state(self) -> tuple[object, ...]:
        """A value that changes whenever what the pages are rendered from changes (see the
        module docstring): cheap, a few microseconds."""
        with self.state_lock:
            self.watch.poll()
            self._sync_tree()  # a pull moves the catalog (and so data_version) before the cache looks
            state = (self.watch.config_generation, self.watch.checks_generation, self.watch.tree_generation)
            return (*state, *(v() for v in self.versions))

    def _sync_tree(self) -> None:
        """Catch the catalog up with the git tree once per change of it (one thread does it;
        the others wait for it, so that no request is answered from before a pull it follows)."""
        generation = self.watch.tree_generation
        if self.tree_synced == generation:
            return
        with self.tree_lock:
            if self.tree_synced == generation:
                return
            archive = open_archive(self.root, catch_up=False)
            try:
                catch_up_tree(archive)
            finally:
                archive.close()
            self.tree_synced = generation

    def _fresh(self) -> None:
        """Forget this thread's cached state that changed files made stale."""
        self.watch.poll()
        self._sync_tree()
        local = self.local
        if getattr(local, "config_generation", 0) != self.watch.config_generation:
            archive = getattr(local, "archive", None)
            if archive is not None:
                archive.close()
            local.archive = local.renderer = None
            local.config_generation = self.watch.config_generation
        renderer = getattr(local, "renderer", None)
        state = (self.watch.checks_generation, self.watch.tree_generation)
        if renderer is not None and getattr(local, "checks_generation", (0, 0)) != state:
            renderer.refresh()  # a pull may bring deletion checks as well as records
        local.checks_generation = state

    def archive(self) -> Archive:
        self._fresh()
        a: Archive | None = getattr(self.local, "archive", None)
        if a is None:
            a = self.local.archive = open_archive(self.root, catch_up=False)  # (done once, in _sync_tree)
        return a

    def renderer(self) -> PageRenderer:
        archive = self.archive()
        r: PageRenderer | None = getattr(self.local, "renderer", None)
        if r is None:
            r = self.local.renderer = PageRenderer(archive, mode="live")
        return r

    def catch_up(self) -> int:
        """Index what imports queued meanwhile (one thread at a time does it)."""
        idx = index_for(self.archive())
        if not idx.pending_count():
            return 0
        with self.catch_up_lock:
            try:
                return idx.catch_up(self.archive())
            except IndexBusy:  # another process is building the index: serve what is indexed
                return 0
