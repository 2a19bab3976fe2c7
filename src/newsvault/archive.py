"""The on-disk archive: record files in a (usually git) directory, plus derived data.

Layout (a duty-machine archive is already one)::

    newsvault.toml                         config: archive name, sources
    articles/<source>/<name>.md            one record per article (version 0), never rewritten
    articles/<name>.md                     single-outlet archives (old CDT layout): source from config
    revisions/<source>/<stem>/<seen>.md    later versions of articles/<source>/<stem>.md
    .newsvault/                            derived data (catalog, index): rebuildable, git-ignored

New record names sort newest first, like the original's counting-down ids, and never change:
``<9999999999 - published epoch seconds, 10 digits>_<article id>.md`` (26 bytes).

Writes are atomic and batched: each file is written to a temp file in its final folder and
fsynced, a journal names every pending rename (written and fsynced after the temp files), the
renames happen, the folders whose entries changed are fsynced, and the catalog commits. Only the
files and folders a batch touched are synced (as git and SQLite do), never the whole filesystem.
A crash at any instant leaves either no trace of a file or a complete one; the journal lets the
next writer finish what a killed one began.

This module knows nothing of search or any other consumer: whoever opens an archive registers
its listeners (see :mod:`newsvault.compose`), and recovery is an explicit call
(:meth:`Archive.recover`), never a side effect of reading :attr:`Archive.catalog`.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import stat
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, Protocol

from . import record as recordfmt
from .catalog import Article, Catalog, Version, open_catalog
from .catalog.timeline import current_at, order_versions
from .config import CONFIG_NAME, Config, MediaConfig, slugify
from .errors import ArchiveError, CatalogError, NotFound, RecordError
from .layout import NEWSVAULT, next_name, render_in_form
from .record import Record
from .urls import article_id, canonical_url

ARTICLES = "articles"
REVISIONS = "revisions"
STATE_DIR = ".newsvault"
CATALOG_FILE = "catalog.sqlite"
JOURNAL_FILE = "journal.json"
TEMP_PREFIX = ".nv-"
TEMP_SUFFIX = ".tmp"
_NAME_MAX = 9_999_999_999
UNDATED = "undated"  # name of a revision whose sighting time is unknown

__all__ = ["Archive", "AddResult", "Listener", "Skipped", "Status", "record_name", "is_archive", "write_atomic"]

Status = Literal["new", "revision", "unchanged"]


class Listener(Protocol):
    """Told about versions after each committed batch, and about all of them after a rebuild."""

    def __call__(self, archive: Archive, versions: list[Version], *, rebuild: bool) -> None: ...


@dataclass(frozen=True)
class Skipped:
    """An entry under articles/ or revisions/ that is not read as a record, and why."""

    path: str
    reason: str


def record_name(published_ms: int, aid: str) -> str:
    """File name of a new record: sorts newest first, 26 ASCII bytes, fixed once written."""
    seconds = min(max(published_ms // 1000, 0), _NAME_MAX)
    return f"{_NAME_MAX - seconds:010d}_{aid}.md"


def is_archive(path: Path) -> bool:
    return (path / CONFIG_NAME).is_file() or (path / STATE_DIR).is_dir() or (path / ARTICLES).is_dir()


def record_key(record: Record, source: str) -> str:
    """What identifies an article: its canonical URL, or for link-less items a content key."""
    canon = canonical_url(record.url)
    if canon:
        return canon
    digest = hashlib.sha256(f"{source}\x00{record.title}\x00{record.body[:2000]}".encode()).hexdigest()[:24]
    return f"nolink:{source}:{digest}"


def revision_seen(name: str) -> int | None:
    """When a revision file's name says its text was seen (epoch ms): ``<seen epoch
    seconds>.md``, or ``<seen>-<n>.md`` for another text claiming the same second. None for
    ``undated.md`` / ``undated-<n>.md`` (a text of unknown sighting time) and anything else."""
    stem = name[:-3] if name.endswith(".md") else name
    seconds, _, n = stem.partition("-")
    if seconds.isdigit() and (not n or n.isdigit()):
        return int(seconds) * 1000
    return None


def is_revision_name(name: str) -> bool:
    stem = name[:-3] if name.endswith(".md") else name
    base, _, n = stem.partition("-")
    return name.endswith(".md") and (base.isdigit() or base == UNDATED) and (not n or n.isdigit())


def _version(rel: str, record: Record, source: str, key: str, data: bytes, evidence: int | None = None) -> Version:
    """The catalog row of one record file: everything in it comes from the file and its path,
    except ``evidence`` of a record under articles/, which the caller may know (a fetch time)."""
    name = rel.rsplit("/", 1)[-1]
    if rel.startswith(REVISIONS + "/"):
        # A revision's name says when it was seen (to the second; the writer may know the
        # millisecond, which orders two versions of one second); undated ones fall back on
        # what the text says.
        named = revision_seen(name)
        evidence = evidence if evidence is not None and named is not None and evidence // 1000 * 1000 == named else named
    if evidence is None:
        evidence = recordfmt.front_matter_date(record)  # a Jekyll post: when the mirror posted it
    return Version(
        path=rel,
        article_id=article_id(key),
        rev=-1,
        source=source,
        url=record.url,
        canonical_url=key,
        title=record.title,
        published=record.published,
        seen=evidence,
        content_hash=record.text_hash,
        file_hash=hashlib.sha256(data).hexdigest(),
        size=len(data),
        variant=record.variant,
        evidence=evidence,
    )


@dataclass
class AddResult:
    status: Status
    article_id: str
    path: str | None  # file written (None when unchanged)


def _fsync_path(path: Path) -> None:
    """Make a file's data, or a folder's entries (new names, renames), durable."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# fsyncs issued together: the filesystem commits them as one group (ext4 and XFS journal
# commits, one disk cache flush) instead of one flush per file, one after the other.
_FSYNC_THREADS = 16


def _fsync_all(paths: list[Path]) -> None:
    """fsync every path (files or folders), concurrently when there are several."""
    if len(paths) <= 1:
        for p in paths:
            _fsync_path(p)
        return
    with ThreadPoolExecutor(max_workers=min(_FSYNC_THREADS, len(paths))) as pool:
        for _ in pool.map(_fsync_path, paths):
            pass  # surfaces the first error


@contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold SIGTERM/SIGINT while cleaning up, so that a second signal (or the first one turned
    into an exception mid-cleanup) cannot leave temp files behind; they are delivered after."""
    held = {signal.SIGTERM, signal.SIGINT}
    try:
        old = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    except (AttributeError, ValueError, OSError):  # not the main thread, or no such call here
        yield
        return
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _remove_all(paths: list[Path]) -> None:
    """Remove every path, even if a signal handler raises in between (in a program with threads,
    a signal held in this thread can still be handled): cleanup finishes, the process is already
    on its way out with the exception that started it."""
    for path in paths:
        for _attempt in range(3):
            try:
                path.unlink(missing_ok=True)
                break
            except OSError:
                break  # cannot be removed (read-only, gone with its folder): fsck reports it
            except BaseException:  # a second signal: finish the cleanup first
                continue


def _temp_name(final: Path) -> Path:
    return final.parent / f"{TEMP_PREFIX}{final.name}.{os.getpid()}{TEMP_SUFFIX}"


@dataclass
class _Batch:
    archive: Archive
    staged: list[tuple[Path, Path]] = field(default_factory=list)  # (temp, final)
    renamed: list[Path] = field(default_factory=list)
    versions: list[Version] = field(default_factory=list)
    reserved: set[Path] = field(default_factory=set)
    # The names reserved in each folder (a new record's name must not take one of them): a
    # scan of ``reserved`` for every record made a batch of n new records cost n² steps.
    names: dict[Path, list[str]] = field(default_factory=dict)
    made_dirs: set[Path] = field(default_factory=set)
    # Folders whose entries this batch changes: fsynced after the renames. A new folder's own
    # entry lives in its parent, so created parents are synced too.
    touched_dirs: set[Path] = field(default_factory=set)

    def stage(self, final: Path, data: bytes) -> None:
        if final.parent not in self.made_dirs:
            self._make_dirs(final.parent)
        tmp = _temp_name(final)
        # Register before writing so that a failed write (disk full, a signal) is cleaned up too.
        self.staged.append((tmp, final))
        self.reserved.add(final)
        self.names.setdefault(final.parent, []).append(final.name)
        self.touched_dirs.add(final.parent)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o666)  # umask applies, as with open()
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)

    def _make_dirs(self, folder: Path) -> None:
        missing = []
        d = folder
        while not d.exists() and d != self.archive.root:
            missing.append(d)
            d = d.parent
        folder.mkdir(parents=True, exist_ok=True)
        for m in missing:
            self.touched_dirs.add(m.parent)
        self.made_dirs.add(folder)

    def publish(self) -> None:
        if not self.staged:
            return
        root = self.archive.root
        # Every temp file and its name are durable before the journal points at them, so that a
        # rolled-forward rename is never an empty or partial file.
        _fsync_all([tmp for tmp, _final in self.staged])
        _fsync_all(sorted(self.touched_dirs))
        journal = self.archive.state_dir / JOURNAL_FILE
        payload = json.dumps([[str(t.relative_to(root)), str(f.relative_to(root))] for t, f in self.staged])
        _write_atomic(journal, payload.encode(), fsync=True)
        for tmp, final in self.staged:
            self.renamed.append(final)  # first: an interruption right after the rename still undoes it
            os.replace(tmp, final)
        # The renames are durable before the journal may be removed (after the catalog commit).
        _fsync_all(sorted(self.touched_dirs))

    def abort(self) -> None:
        """Undo the batch: its temp files, the files it already renamed (the archive goes back
        as it was) and its journal. Runs while an exception (often a signal) propagates."""
        paths = [tmp for tmp, _final in self.staged] + self.renamed + [self.archive.state_dir / JOURNAL_FILE]
        with _signals_deferred():
            _remove_all(paths)


def _writer_alive(temp_name: str) -> bool:
    """Whether the process that wrote temp file ``.nv-<name>.<pid>.tmp`` is still running."""
    try:
        pid = int(temp_name[: -len(TEMP_SUFFIX)].rsplit(".", 1)[1])
    except (IndexError, ValueError):
        return False
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _write_atomic(path: Path, data: bytes, fsync: bool = True) -> None:
    tmp = _temp_name(path)
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            if fsync:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)
        if fsync:
            _fsync_path(path.parent)
    except BaseException:
        with _signals_deferred():
            _remove_all([tmp])
        raise


def write_atomic(path: Path, data: bytes | str) -> None:
    """Write a single file atomically (temp file, fsync, rename). For derived files too."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_atomic(path, data.encode("utf-8") if isinstance(data, str) else data)


def stray_revision(rel: str, first_path: str | None) -> str | None:
    """Why the revision file ``rel`` must not join the article whose record file is
    ``first_path`` (its URL names that article, its folder another), or None."""
    if not rel.startswith(REVISIONS + "/") or first_path is None:
        return None
    folder = rel.rsplit("/", 2)[-2]
    stem = first_path.rsplit("/", 1)[-1].removesuffix(".md")
    if folder == stem:
        return None
    return f"a revision filed under {folder}/ whose URL names the article of {first_path}: not added to it"


def _odd_entry(entry: os.DirEntry[str]) -> str | None:
    """Why a directory entry is not walked or read (None: a regular file or a folder)."""
    if entry.is_symlink():
        try:
            target = os.readlink(entry.path)
        except OSError:
            target = "?"
        return f"symbolic link to {target}, not followed"
    if entry.is_dir(follow_symlinks=False) or entry.is_file(follow_symlinks=False):
        return None
    if not entry.name.endswith(".md"):
        return None  # not named like a record: none of our business
    mode = entry.stat(follow_symlinks=False).st_mode
    kind = "FIFO" if stat.S_ISFIFO(mode) else "socket" if stat.S_ISSOCK(mode) else "device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "special file"
    return f"a {kind}, not a regular file"


class Archive:
    """An archive directory. Open with :meth:`open` or create with :meth:`init`."""

    def __init__(self, root: Path, config: Config):
        self.root = root
        self.config = config
        self.state_dir = root / STATE_DIR
        self._catalog: Catalog | None = None
        self._batch: _Batch | None = None
        # Called as listener(archive, versions, rebuild=bool) after each committed batch with the
        # versions it added, and after reindex with all of them. Registered by whoever opens the
        # archive (newsvault.compose registers the search index); the archive knows none of them.
        self.listeners: list[Listener] = []

    # -- opening --------------------------------------------------------------------------------
    @classmethod
    def init(cls, path: Path | str, name: str | None = None, default_source: str | None = None, media: bool = False) -> Archive:
        """Create an archive at ``path``. ``media``: collect keeps article images (``[media]
        fetch``, with its caps written out); ``newsvault init`` turns it on unless ``--no-media``."""
        root = Path(path).resolve()
        if (root / CONFIG_NAME).exists():
            raise ArchiveError(f"{root} is already a newsvault archive")
        try:
            root.mkdir(parents=True, exist_ok=True)
            (root / ARTICLES).mkdir(exist_ok=True)
            (root / STATE_DIR).mkdir(exist_ok=True)
            config = Config(name=name or root.name, default_source=default_source, media=MediaConfig(fetch=media))
            write_atomic(root / CONFIG_NAME, config.dump())
            gitignore = root / ".gitignore"
            lines = gitignore.read_text().splitlines() if gitignore.exists() else []
            # warc/: each collector's own evidence (large, binary, named per collector run), so
            # kept beside the records rather than in the shared history; publish it as WACZ.
            for entry in (f"/{STATE_DIR}/", f"{TEMP_PREFIX}*{TEMP_SUFFIX}", "/warc/"):
                if entry not in lines:
                    lines.append(entry)
            write_atomic(gitignore, "\n".join(lines) + "\n")
        except OSError as e:
            raise ArchiveError(f"cannot create archive in {root}: {e.strerror or e}") from None
        archive = cls(root, config)
        archive.catalog  # noqa: B018 - an empty archive has an empty catalog: create it now
        return archive

    @classmethod
    def open(cls, path: Path | str = ".") -> Archive:
        """Open an archive directory. Nothing is read or repaired yet: see :meth:`recover`."""
        root = Path(path).resolve()
        if not root.is_dir():
            raise ArchiveError(f"{root}: no such directory")
        if not is_archive(root):
            raise ArchiveError(f"{root} is not a newsvault archive (no {CONFIG_NAME}, {STATE_DIR}/ or {ARTICLES}/); run 'newsvault init {path}'")
        return cls(root, Config.load(root / CONFIG_NAME))

    @property
    def catalog(self) -> Catalog:
        """The catalog, opened on first use as it is on disk: no rebuild, no recovery.

        A damaged catalog raises :class:`CatalogError`; :meth:`recover` rebuilds it."""
        if self._catalog is None:
            self._catalog = open_catalog(self.state_dir / CATALOG_FILE)
        return self._catalog

    def recover(self) -> list[str]:
        """Bring the derived data in line with the files before use; returns record paths added.

        * no catalog yet, in an archive that has records (a duty-machine archive opened for the
          first time): build it from the files;
        * a damaged catalog (it is derived data): set it aside and rebuild it from the files;
        * a batch that a killed writer left half-done: finish it (:meth:`finish_interrupted`).
        """
        try:
            catalog = self.catalog
        except CatalogError as e:
            if not e.damaged:
                raise
            self._set_aside_damaged_catalog(e)
            return [v.path for v in self._rebuild()[0]]
        if catalog.read_only:
            return []  # nothing can be finished or rebuilt on a read-only disk; reads still work
        if not catalog.list_articles(limit=1) and self._has_records():
            # Never built (first open of an existing archive, or a catalog created empty before
            # recovery ran): build it. Cheap to ask; an archive of unreadable files only is
            # scanned again, which costs little since nothing in it is parsed successfully.
            return [v.path for v in self._rebuild()[0]]
        return self.finish_interrupted()

    def _set_aside_damaged_catalog(self, error: CatalogError) -> None:
        path = self.state_dir / CATALOG_FILE
        aside = path.with_name(f"{CATALOG_FILE}.damaged-{int(time.time())}")
        try:
            os.replace(path, aside)
            for suffix in ("-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        except OSError as e:
            raise ArchiveError(
                f"{error}; it cannot be rebuilt here ({e.strerror or e}): "
                f"run 'newsvault fsck --repair' where the archive is writable"
            ) from None

    def _has_records(self) -> bool:
        for top in (ARTICLES, REVISIONS):
            d = self.root / top
            if d.is_dir() and not d.is_symlink() and any(d.iterdir()):
                return True
        return False

    def close(self) -> None:
        if self._catalog is not None:
            self._catalog.close()
            self._catalog = None

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- layout ---------------------------------------------------------------------------------
    def rel(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    @property
    def fallback_source(self) -> str:
        return self.config.default_source or slugify(self.root.name)

    def source_of(self, rel: str) -> str:
        parts = rel.split("/")
        if parts[0] == ARTICLES:
            return parts[1] if len(parts) > 2 else self.fallback_source
        if parts[0] == REVISIONS and len(parts) > 3:
            return parts[1]
        return self.fallback_source

    def record_files(self, skipped: list[Skipped] | None = None) -> Iterator[Path]:
        """Every record file (versions 0 and revisions), in path order.

        Only regular files are records: symbolic links (to files or folders) are never followed
        out of the archive, and FIFOs, sockets or devices named ``*.md`` are never opened (reading
        one would hang). Such entries are appended to ``skipped`` when given."""
        for top in (ARTICLES, REVISIONS):
            base = self.root / top
            if base.is_symlink():
                if skipped is not None:
                    skipped.append(Skipped(top, "symbolic link, not followed"))
                continue
            if base.is_dir():
                yield from self._walk_records(base, skipped)

    def _walk_records(self, folder: Path, skipped: list[Skipped] | None) -> Iterator[Path]:
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as e:
            if skipped is not None:
                skipped.append(Skipped(self.rel(folder), f"unreadable folder: {e.strerror or e}"))
            return
        subdirs = []
        for entry in entries:
            odd = _odd_entry(entry)
            if odd is None and entry.is_dir(follow_symlinks=False):
                subdirs.append(Path(entry.path))
            elif odd is None and entry.name.endswith(".md") and not entry.name.startswith(TEMP_PREFIX):
                yield Path(entry.path)
            elif odd is not None and skipped is not None:
                skipped.append(Skipped(self.rel(Path(entry.path)), odd))
        for sub in subdirs:
            yield from self._walk_records(sub, skipped)

    def safe_path(self, rel: str) -> Path:
        """The record file at ``rel``, refused unless it is a regular file inside the archive
        reached without following a symbolic link (a hostile clone cannot point outside)."""
        path = self.root / rel
        if not _inside(self.root, path):
            raise RecordError(f"{rel}: outside the archive")
        if os.path.realpath(path) != os.path.abspath(path):
            raise RecordError(f"{rel}: a symbolic link (or below one); not followed out of the archive")
        return path

    def read_bytes(self, rel: str) -> bytes:
        """The bytes of the record file at ``rel``: a regular file inside the archive, or RecordError."""
        path = self.safe_path(rel)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError as e:
            if e.errno == getattr(os, "ELOOP", 40):
                raise RecordError(f"{rel}: a symbolic link; not followed out of the archive") from None
            raise
        with os.fdopen(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise RecordError(f"{rel}: not a regular file")
            return f.read()

    # -- writing ----------------------------------------------------------------------------------
    @contextmanager
    def batch(self) -> Iterator[_Batch]:
        """Group writes: one sync of what they touched and one catalog commit for the group."""
        if self._batch is not None:
            yield self._batch
            return
        catalog = self.catalog
        if catalog.read_only:
            raise ArchiveError(f"cannot write to the archive at {self.root}: it is on a read-only file system")
        b = _Batch(self)
        self._batch = b
        try:
            with catalog.transaction():
                yield b
                b.publish()
        except BaseException:
            b.abort()
            raise
        finally:
            self._batch = None
        self._tell_listeners(b.versions, rebuild=False)
        # Only now: a writer killed before its listeners ran leaves the journal for recover().
        (self.state_dir / JOURNAL_FILE).unlink(missing_ok=True)

    def _tell_listeners(self, versions: list[Version], *, rebuild: bool) -> None:
        if versions or rebuild:
            for listener in self.listeners:
                listener(self, versions, rebuild=rebuild)

    def classify(self, record: Record, source: str, *, seen: int | None = None) -> Status:
        """What :meth:`add` would make of ``record``: "new", "revision" or "unchanged".

        The one revision rule of newsvault, applied to the article's files as evidence
        (:mod:`newsvault.catalog.timeline`): a text is a revision when adding it gives the
        article another version. A text seen at a known time ``seen`` (epoch ms: collect,
        recheck, ``<unix time>.md`` histories, Jekyll posts) is unchanged when it equals the
        version current at that time, so an edit later reverted (A, B, A) keeps three versions
        and replaying an observation is a no-op. A text of unknown sighting time
        (``seen=None``, a plain import) is unchanged when any file of the article has it."""
        return self._plan(record, source, seen)[0]

    def _plan(self, record: Record, source: str, seen: int | None, every_sighting: bool = False, aid: str | None = None) -> tuple[Status, bool]:
        """(status, whether a file is written). An "unchanged" text is still written when it
        dates a text the archive holds only undated, or only from a later time: the version
        then takes the earlier time the material gives. (``aid``: the record's article id,
        when the caller has it.)"""
        aid = aid or article_id(record_key(record, source))
        if self.catalog.get(aid) is None:
            return "new", True
        files = self.catalog.files(aid)
        text = record.text_hash
        if seen is None:
            return ("unchanged", False) if any(v.content_hash == text for v in files) else ("revision", True)
        # This very sighting is archived (a rerun): to the second for imported names, to the
        # millisecond for a collector, which may see A, B, A within one second.
        grain = 1000 if every_sighting else 1
        if any(v.content_hash == text and v.evidence is not None and v.evidence // grain == seen // grain for v in files):
            return "unchanged", False
        versions = sorted((v for v in files if v.rev >= 0), key=lambda v: v.rev)
        current = current_at(versions, seen)
        if current is not None and current.content_hash == text and not every_sighting:
            # A collector sees in time order: a sighting of the current text adds nothing.
            # Imported material arrives in any order, so each dated sighting is kept: an
            # earlier edit found later may sit between it and the one before.
            return "unchanged", False
        candidate = replace(files[0], path=f"{REVISIONS}/?", content_hash=text, evidence=seen, rev=-1)
        grows = len(order_versions([*files, candidate]).versions) > len(versions)
        return ("revision" if grows else "unchanged"), True

    def add(
        self,
        record: Record,
        source: str,
        *,
        raw: bytes | None = None,
        seen: int | None = None,
        keep_seen: bool = False,
    ) -> AddResult:
        """Archive one version of an article: new record, revision, or unchanged (see
        :meth:`classify`).

        ``raw`` is the file content to keep (imports keep bytes as they came); by default the
        record is rendered in canonical form. ``seen`` (epoch ms) is when the text was seen
        (None: unknown; the version is then dated by nothing but its publication). A revision
        is named by it (``<seen seconds>.md``, ``undated.md`` when unknown). A new article's
        record under ``articles/`` cannot carry it in its name: the catalog keeps it, and with
        ``keep_seen`` (imports, whose material must survive a rebuild) a copy is also filed as
        the sighting ``revisions/…/<seen>.md`` unless the text itself says it (a Jekyll date),
        and every dated sighting not yet archived is kept, in whatever order it arrives.
        """
        key = record_key(record, source)
        aid = article_id(key)
        with self.batch() as b:
            status, write = self._plan(record, source, seen, every_sighting=keep_seen, aid=aid)
            if not write:
                return AddResult("unchanged", aid, None)
            existing = self.catalog.get(aid)
            # A new record follows the repository's own layout (newsvault.layout); revisions are
            # newsvault's own files and keep the canonical form unless imported as they came.
            layout = self.config.layout if existing is None and self.config.layout is not None else NEWSVAULT
            data = raw if raw is not None else render_in_form(layout, record).encode("utf-8")
            written: list[Version] = []
            if existing is None:
                flat = layout.folders == "flat" and source == self.fallback_source
                folder = self.root / ARTICLES if flat else self.root / ARTICLES / source
                when = seen if seen is not None else int(time.time() * 1000)  # only names the file
                published = record.published if record.published is not None else when
                staged = b.names.get(folder, [])  # new files of this batch, not yet on disk
                final = self._free_name(folder, next_name(layout, folder, record, record_name(published, aid), staged), data)
                written.append(self._stage(b, final, record, source, key, data, evidence=seen))
                if keep_seen and seen is not None and recordfmt.front_matter_date(record) != seen:
                    sighting = self._free_name(self.root / REVISIONS / source / final.name[:-3], f"{seen // 1000}.md", data)
                    written.append(self._stage(b, sighting, record, source, key, data))
            else:
                stem = existing.path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
                folder = self.root / REVISIONS / existing.source / stem
                name = f"{seen // 1000}.md" if seen is not None else f"{UNDATED}.md"
                final = self._free_name(folder, name, data)
                written.append(self._stage(b, final, record, existing.source, key, data, evidence=seen))
        return AddResult(status, aid, written[0].path)

    def add_sighting(self, record: Record, source: str, *, raw: bytes, seen: int, stem: str) -> AddResult:
        """File ``raw``, a text seen at ``seen`` (epoch ms) that has no record file of its own (a
        version recovered from git), as the revision ``revisions/<source>/<stem>/<seen>.md``.

        ``stem`` names the folder when the article has no record file here (the repository
        deleted it): the sightings then are the article. Otherwise the revision goes beside the
        article's other versions, as :meth:`add` files it. A sighting already filed adds nothing.

        Git's commits come in time order, as a collector's passes do: a sighting of the text
        current at ``seen`` repeats a version and is not filed, so each version has one file,
        at the commit that first wrote its text (docs/continuing.md). The text of the record
        file keeps its sighting too: the commit's time is the only evidence of when it was seen,
        and the original overwrites that file in place."""
        key = record_key(record, source)
        aid = article_id(key)
        with self.batch() as b:
            status, write = self._plan(record, source, seen, aid=aid)
            if not write:
                return AddResult("unchanged", aid, None)
            existing = self.catalog.get(aid)
            if existing is not None:
                source = existing.source
                parts = existing.path.split("/")
                stem = parts[-2] if parts[0] == REVISIONS else parts[-1].rsplit(".", 1)[0]
            final = self._free_name(self.root / REVISIONS / source / stem, f"{seen // 1000}.md", raw)
            version = self._stage(b, final, record, source, key, raw, evidence=seen)
        return AddResult(status, aid, version.path)

    def _stage(self, b: _Batch, final: Path, record: Record, source: str, key: str, data: bytes, evidence: int | None = None) -> Version:
        if not final.exists():  # else: identical bytes a crashed run left there; adopt them
            b.stage(final, data)
        version = _version(self.rel(final), record, source, key, data, evidence=evidence)
        self.catalog.put_version(version)
        b.versions.append(version)
        return version

    def _free_name(self, folder: Path, name: str, data: bytes) -> Path:
        """``folder/name``, or the next free variant ``<stem>-<n>``; an existing file with the
        same bytes is reused. A revision's variant keeps its second: never an invented time."""
        stem, ext = name.rsplit(".", 1)
        candidate = folder / name
        for n in range(2, 1000):
            reserved = self._batch is not None and candidate in self._batch.reserved
            if not reserved and not os.path.lexists(candidate):
                return candidate
            if not reserved and self._is_leftover(candidate, data):
                return candidate
            candidate = folder / f"{stem}-{n}.{ext}"
        raise ArchiveError(f"no free file name for {name} in {folder}")

    def _is_leftover(self, path: Path, data: bytes) -> bool:
        """A regular file with exactly these bytes that the catalog does not list: what a killed
        run of this same write left behind."""
        rel = self.rel(path)
        if path.is_symlink() or not path.is_file() or self.catalog.version_at(rel) is not None:
            return False
        try:
            return self.read_bytes(rel) == data
        except (OSError, RecordError):
            return False

    # -- recovery and rebuild -----------------------------------------------------------------------
    def _roll_forward(self) -> list[tuple[str, str]] | None:
        """Finish the renames of a journalled batch whose writer died. None when there is no
        journal, or when its writer is still alive (a batch in progress in another process)."""
        journal = self.state_dir / JOURNAL_FILE
        if not journal.exists():
            return None
        try:
            entries = [(str(t), str(f)) for t, f in json.loads(journal.read_text())]
        except (ValueError, OSError, TypeError):
            entries = []
        if self._batch is None and any(_writer_alive(Path(t).name) for t, _ in entries):
            return None
        touched = set()
        for tmp_rel, final_rel in entries:
            tmp, final = self.root / tmp_rel, self.root / final_rel
            if not _inside(self.root, tmp) or not _inside(self.root, final):
                continue  # a journal is ours; one naming paths elsewhere is not acted on
            if tmp.exists() and not os.path.lexists(final):
                os.replace(tmp, final)  # temp files were synced before the journal was written
                touched.add(final.parent)
            tmp.unlink(missing_ok=True)
        _fsync_all(sorted(touched))
        return entries

    def finish_interrupted(self) -> list[str]:
        """Finish a batch that a killed process left half-done: roll the renames forward, add
        the files to the catalog, and tell the listeners (the search index) about all of them,
        since a writer killed after its commit never did. Returns the record paths added."""
        entries = self._roll_forward()
        if entries is None:
            return []
        done = []
        versions = []
        for _tmp_rel, final_rel in entries:
            final = self.root / final_rel
            if not final.is_file() or final.is_symlink():
                continue
            version = self.catalog.version_at(final_rel)
            if version is None:
                try:
                    version = self._index_file(final)
                except RecordError:
                    continue  # not a record (cannot happen for files we wrote); fsck reports it
                done.append(final_rel)
            versions.append(version)
        self._tell_listeners(versions, rebuild=False)
        (self.state_dir / JOURNAL_FILE).unlink(missing_ok=True)
        return done

    def read_version(self, path: Path) -> tuple[Record, Version]:
        rel = self.rel(path)
        data = self.read_bytes(rel)
        rec = recordfmt.parse(data, name=path.name)
        source = self.source_of(rel)
        return rec, _version(rel, rec, source, record_key(rec, source), data)

    def _index_file(self, path: Path) -> Version:
        _rec, version = self.read_version(path)
        existing = self.catalog.lookup_url(version.canonical_url)
        if existing is not None and (why := stray_revision(version.path, existing.path)):
            raise RecordError(why)  # never grafted onto the article its URL names
        if existing is not None and existing.source != version.source:
            version = Version(**{**version.__dict__, "source": existing.source})
        self.catalog.put_version(version)
        return version

    def refresh_paths(self, rels: list[str]) -> list[Version]:
        """Bring the catalog in line with the files at ``rels`` (record paths that changed on disk,
        e.g. what ``git`` says a pull or reset changed): rows of missing files are dropped, present
        files are (re)indexed. Returns the versions indexed; listeners hear of them."""
        records = [r for r in rels if r.startswith((ARTICLES + "/", REVISIONS + "/"))]
        versions: list[Version] = []
        with self.catalog.transaction():
            # the articles of dropped rows change too (a deleted file may end its article)
            dropped = [v for r in records if (v := self.catalog.version_at(r)) is not None]
            self.catalog.remove_paths(records)
            for rel in records:
                path = self.root / rel
                if path.is_file() and not path.is_symlink():
                    try:
                        versions.append(self._index_file(path))
                    except (RecordError, OSError):
                        continue  # not a record; fsck reports it
        self._tell_listeners(versions + dropped, rebuild=False)
        return versions

    def reindex(self, progress: Callable[[int], None] | None = None) -> dict[str, Any]:
        """Rebuild the catalog from the files alone (and, through the listeners, whatever else
        is derived). Returns counts, unreadable files and entries that are not records."""
        try:
            self.catalog  # noqa: B018 - open it here, so that a damaged one is set aside first
        except CatalogError as e:
            if not e.damaged:
                raise
            self._set_aside_damaged_catalog(e)
        added, errors = self._rebuild(progress)
        return {"versions": len(added), "articles": self.catalog.count_articles(), "errors": errors}

    def _rebuild(self, progress: Callable[[int], None] | None = None) -> tuple[list[Version], list[dict[str, str]]]:
        catalog = self.catalog
        if catalog.read_only:
            raise ArchiveError(f"cannot rebuild the catalog of {self.root}: the archive is on a read-only file system")
        errors: list[dict[str, str]] = []
        added: list[Version] = []
        skipped: list[Skipped] = []
        with catalog.transaction():
            self._roll_forward()  # files of an interrupted batch are records too
            catalog.clear()
            read: list[Version] = []
            for n, path in enumerate(self.record_files(skipped), 1):
                try:
                    read.append(self.read_version(path)[1])
                except (RecordError, OSError) as e:
                    errors.append({"path": self.rel(path), "reason": str(e)})
                if progress:
                    progress(n)
            # A revision sits in the folder of its article's record file; one found under
            # another article's folder (a hostile clone can add such a file) is not grafted
            # onto whichever article its URL names: fsck reports it.
            first = {v.article_id: v.path for v in read if v.path.startswith(ARTICLES + "/")}
            strays = {v.path: why for v in read if (why := stray_revision(v.path, first.get(v.article_id)))}
            errors.extend({"path": path, "reason": why} for path, why in strays.items())
            added = catalog.bulk_put(v for v in read if v.path not in strays)  # one batch of inserts, not queries per file
        errors.extend({"path": s.path, "reason": s.reason} for s in skipped)
        (self.state_dir / JOURNAL_FILE).unlink(missing_ok=True)
        self._tell_listeners(added, rebuild=True)
        return added, errors

    # -- reading ------------------------------------------------------------------------------------
    def resolve(self, ref: str) -> tuple[Article, int | None]:
        """Find an article by id, id prefix, ``id@rev``, URL, or record path. Returns (article, rev)."""
        ref = ref.strip()
        rev: int | None = None
        if "@" in ref and not ref.startswith(("http://", "https://")):
            ref, _, rev_text = ref.rpartition("@")
            if not rev_text.isdigit():
                raise NotFound(f"bad revision {rev_text!r}: use ID@N with N a number")
            rev = int(rev_text)
        article = self._find_article(ref)
        if article is not None and rev is None and ref.endswith(".md"):
            # A record path names one version: the one whose text that file holds.
            file = self.catalog.version_at(ref)
            if file is not None:
                rev = next((v.rev for v in self.catalog.versions(article.id) if v.path == ref or (file.rev < 0 and v.content_hash == file.content_hash)), None)
        if article is None:
            raise NotFound(f"no article {ref!r} in this archive (give an id, an id prefix of 4+ digits, a URL or a record path)")
        if rev is not None and not 0 <= rev < article.versions:
            raise NotFound(f"article {article.id} has versions 0–{article.versions - 1}, not {rev}")
        return article, rev

    def _find_article(self, ref: str) -> Article | None:
        catalog = self.catalog
        if "://" in ref or ref.startswith("nolink:"):
            return catalog.lookup_url(canonical_url(ref) if "://" in ref else ref)
        if ref.endswith(".md"):
            version = catalog.version_at(ref)
            return catalog.get(version.article_id) if version else None
        if len(ref) >= 4 and all(c in "0123456789abcdef" for c in ref.lower()):
            matches = catalog.find_prefix(ref.lower())
            if len(matches) > 1:
                raise NotFound(f"id {ref!r} is ambiguous: {', '.join(a.id for a in matches)}, …")
            return matches[0] if matches else None
        return None

    def read(self, rel: str) -> Record:
        """The record at ``rel`` (a path the catalog lists), read without leaving the archive."""
        return recordfmt.parse(self.read_bytes(rel))

    def source_display_name(self, slug: str) -> str:
        return self.config.display_name(slug)


def _inside(root: Path, path: Path) -> bool:
    return os.path.abspath(path).startswith(str(root) + os.sep)
