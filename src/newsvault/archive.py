"""The on-disk archive: record files in a (usually git) directory, plus derived data.

Layout (a duty-machine archive is already one)::

    newsvault.toml                         config: archive name, sources
    articles/<source>/<name>.md            one record per article (version 0), never rewritten
    articles/<name>.md                     single-outlet archives (old CDT layout): source from config
    revisions/<source>/<stem>/<seen>.md    later versions of articles/<source>/<stem>.md
    .newsvault/                            derived data (catalog, index): rebuildable, git-ignored

New record names sort newest first, like the original's counting-down ids, and never change:
``<9999999999 - published epoch seconds, 10 digits>_<article id>.md`` (26 bytes).

Writes are atomic and batched: each file is written to a temp file in its final folder, the
batch is synced to disk once, a journal names every pending rename, the renames happen, and the
catalog commits. A crash at any instant leaves either no trace of a file or a complete one; the
journal lets the next writer finish what a killed one began.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from . import record as recordfmt
from .catalog import Article, Catalog, Version, open_catalog
from .config import CONFIG_NAME, Config, slugify
from .errors import ArchiveError, NotFound, RecordError
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

__all__ = ["Archive", "AddResult", "record_name", "is_archive"]


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


def _version(rel: str, record: Record, source: str, key: str, data: bytes) -> Version:
    """The catalog row of one record file: everything in it comes from the file and its path."""
    name = rel.rsplit("/", 1)[-1][:-3]
    # A revision's file name is when it was seen (epoch seconds); version 0's first sighting is
    # not recorded anywhere in the files, so it is unknown.
    seen = int(name) * 1000 if rel.startswith(REVISIONS + "/") and name.isdigit() else None
    return Version(
        path=rel,
        article_id=article_id(key),
        rev=-1,
        source=source,
        url=record.url,
        canonical_url=key,
        title=record.title,
        published=record.published,
        seen=seen,
        content_hash=record.text_hash,
        file_hash=hashlib.sha256(data).hexdigest(),
        size=len(data),
        variant=record.variant,
    )


@dataclass
class AddResult:
    status: str  # "new" | "revision" | "unchanged"
    article_id: str
    path: str | None  # file written (None when unchanged)


_libc = None


def _syncfs(path: Path) -> None:
    """Flush one filesystem (cheaper than fsync per file, narrower than sync())."""
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
    fd = os.open(path, os.O_RDONLY)
    try:
        if not hasattr(_libc, "syncfs") or _libc.syncfs(fd) != 0:
            os.sync()
    finally:
        os.close(fd)


@dataclass
class _Batch:
    archive: Archive
    staged: list[tuple[Path, Path]] = field(default_factory=list)  # (temp, final)
    renamed: list[Path] = field(default_factory=list)
    versions: list[Version] = field(default_factory=list)
    reserved: set[Path] = field(default_factory=set)
    made_dirs: set[Path] = field(default_factory=set)

    def stage(self, final: Path, data: bytes) -> None:
        if final.parent not in self.made_dirs:
            final.parent.mkdir(parents=True, exist_ok=True)
            self.made_dirs.add(final.parent)
        tmp = final.parent / f"{TEMP_PREFIX}{final.name}.{os.getpid()}{TEMP_SUFFIX}"
        # Register before writing so that a failed write (disk full) is cleaned up too.
        self.staged.append((tmp, final))
        self.reserved.add(final)
        with open(tmp, "wb") as f:
            f.write(data)

    def publish(self) -> None:
        if not self.staged:
            return
        root = self.archive.root
        _syncfs(root)
        journal = self.archive.state_dir / JOURNAL_FILE
        payload = json.dumps([[str(t.relative_to(root)), str(f.relative_to(root))] for t, f in self.staged])
        _write_atomic(journal, payload.encode(), fsync=True)
        for tmp, final in self.staged:
            os.replace(tmp, final)
            self.renamed.append(final)
        _syncfs(root)

    def abort(self) -> None:
        for tmp, _final in self.staged:
            tmp.unlink(missing_ok=True)
        for final in self.renamed:  # files this batch created: the archive goes back as it was
            final.unlink(missing_ok=True)
        (self.archive.state_dir / JOURNAL_FILE).unlink(missing_ok=True)


def _current_at(versions: list[Version], seen: int) -> Version:
    """The version a reader would have seen at ``seen`` (epoch ms); versions are in rev order."""
    current = versions[0]
    for v in versions[1:]:
        if v.seen is not None and v.seen <= seen:
            current = v
    return current


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
    tmp = path.parent / f"{TEMP_PREFIX}{path.name}.{os.getpid()}{TEMP_SUFFIX}"
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            if fsync:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_atomic(path: Path, data: bytes | str) -> None:
    """Write a single file atomically (temp file, fsync, rename). For derived files too."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_atomic(path, data.encode("utf-8") if isinstance(data, str) else data)


class Archive:
    """An archive directory. Open with :meth:`open` or create with :meth:`init`."""

    def __init__(self, root: Path, config: Config):
        self.root = root
        self.config = config
        self.state_dir = root / STATE_DIR
        self._catalog: Catalog | None = None
        self._batch: _Batch | None = None
        # Called as listener(archive, versions, rebuild=bool) after each committed batch with the
        # versions it added, and after reindex with all of them (the search index listens).
        self.listeners: list[Callable[..., None]] = []

    # -- opening --------------------------------------------------------------------------------
    @classmethod
    def init(cls, path: Path | str, name: str | None = None, default_source: str | None = None) -> Archive:
        root = Path(path).resolve()
        if (root / CONFIG_NAME).exists():
            raise ArchiveError(f"{root} is already a newsvault archive")
        try:
            root.mkdir(parents=True, exist_ok=True)
            (root / ARTICLES).mkdir(exist_ok=True)
            (root / STATE_DIR).mkdir(exist_ok=True)
            config = Config(name=name or root.name, default_source=default_source)
            write_atomic(root / CONFIG_NAME, config.dump())
            gitignore = root / ".gitignore"
            lines = gitignore.read_text().splitlines() if gitignore.exists() else []
            for entry in (f"/{STATE_DIR}/", f"{TEMP_PREFIX}*{TEMP_SUFFIX}"):
                if entry not in lines:
                    lines.append(entry)
            write_atomic(gitignore, "\n".join(lines) + "\n")
        except OSError as e:
            raise ArchiveError(f"cannot create archive in {root}: {e.strerror or e}") from None
        return cls(root, config)

    @classmethod
    def open(cls, path: Path | str = ".") -> Archive:
        root = Path(path).resolve()
        if not root.is_dir():
            raise ArchiveError(f"{root}: no such directory")
        if not is_archive(root):
            raise ArchiveError(f"{root} is not a newsvault archive (no {CONFIG_NAME}, {STATE_DIR}/ or {ARTICLES}/); run 'newsvault init {path}'")
        archive = cls(root, Config.load(root / CONFIG_NAME))
        return archive

    @property
    def catalog(self) -> Catalog:
        if self._catalog is None:
            fresh = not (self.state_dir / CATALOG_FILE).exists()
            self._catalog = open_catalog(self.state_dir / CATALOG_FILE)
            self._install_default_listeners()
            if fresh and self._has_records():
                # An existing archive (e.g. duty-machine's) opened for the first time.
                self.reindex()
            else:
                self.recover()
        return self._catalog

    def _install_default_listeners(self) -> None:
        from .search.index import update_index

        if update_index not in self.listeners:
            self.listeners.append(update_index)

    def _has_records(self) -> bool:
        for top in (ARTICLES, REVISIONS):
            d = self.root / top
            if d.is_dir() and any(d.iterdir()):
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

    def record_files(self) -> Iterator[Path]:
        """Every record file (versions 0 and revisions), in path order."""
        for top in (ARTICLES, REVISIONS):
            base = self.root / top
            if not base.is_dir():
                continue
            for dirpath, dirnames, filenames in os.walk(base):
                dirnames.sort()
                for name in sorted(filenames):
                    if name.endswith(".md") and not name.startswith(TEMP_PREFIX):
                        yield Path(dirpath) / name

    # -- writing ----------------------------------------------------------------------------------
    @contextmanager
    def batch(self) -> Iterator[_Batch]:
        """Group writes: one disk sync and one catalog commit for the whole group."""
        if self._batch is not None:
            yield self._batch
            return
        catalog = self.catalog
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
        if b.versions:
            for listener in self.listeners:
                listener(self, b.versions, rebuild=False)
        # Only now: a writer killed before its listeners ran leaves the journal for recover().
        (self.state_dir / JOURNAL_FILE).unlink(missing_ok=True)

    def add(
        self,
        record: Record,
        source: str,
        *,
        raw: bytes | None = None,
        seen: int | None = None,
    ) -> AddResult:
        """Archive one version of an article: new record, revision, or unchanged.

        ``raw`` is the file content to keep (imports keep bytes as they came); by default the
        record is rendered in canonical form. ``seen`` (epoch ms) defaults to now.
        """
        key = record_key(record, source)
        aid = article_id(key)
        content_hash = record.text_hash
        observed = seen is not None
        seen = seen if observed else int(time.time() * 1000)
        with self.batch() as b:
            catalog = self.catalog
            existing = catalog.get(aid)
            if existing is not None and self._is_unchanged(aid, content_hash, seen if observed else None):
                return AddResult("unchanged", aid, None)
            data = raw if raw is not None else recordfmt.render(record).encode("utf-8")
            if existing is None:
                folder = self.root / ARTICLES / source
                published = record.published if record.published is not None else seen
                final = self._free_name(folder, record_name(published, aid), data)
                status = "new"
            else:
                stem = existing.path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
                folder = self.root / REVISIONS / existing.source / stem
                final = self._free_name(folder, f"{seen // 1000}.md", data, bump_seconds=True)
                source = existing.source
                status = "revision"
            if not final.exists():  # else: identical bytes a crashed run left there; adopt them
                b.stage(final, data)
            version = _version(self.rel(final), record, source, key, data)
            catalog.put_version(version)
            b.versions.append(version)
        return AddResult(status, aid, version.path)

    def _is_unchanged(self, aid: str, content_hash: str, seen: int | None) -> bool:
        versions = self.catalog.versions(aid)
        if seen is None:
            # When this text was seen is unknown (a plain import): a text already kept is not
            # news, so re-importing an archive never adds versions.
            return any(v.content_hash == content_hash for v in versions)
        # Seen at a known time (collect, recheck, <unix time>.md histories): unchanged means
        # "same as the version current then", so an edit later reverted (A, B, A) keeps all
        # three versions, and replaying the same observation is still a no-op.
        return _current_at(versions, seen).content_hash == content_hash

    def _free_name(self, folder: Path, name: str, data: bytes, bump_seconds: bool = False) -> Path:
        """``folder/name``, or the next free variant; an existing file with the same bytes is reused."""
        stem, ext = name.rsplit(".", 1)
        candidate = folder / name
        for n in range(2, 1000):
            reserved = self._batch is not None and candidate in self._batch.reserved
            if not reserved and not candidate.exists():
                return candidate
            if not reserved and candidate.is_file() and candidate.read_bytes() == data and self.catalog.version_at(self.rel(candidate)) is None:
                return candidate
            candidate = folder / (f"{int(stem) + n - 1}.{ext}" if bump_seconds else f"{stem}-{n}.{ext}")
        raise ArchiveError(f"no free file name for {name} in {folder}")

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
        for tmp_rel, final_rel in entries:
            tmp, final = self.root / tmp_rel, self.root / final_rel
            if tmp.exists() and not final.exists():
                os.replace(tmp, final)  # temp files were synced before the journal was written
            tmp.unlink(missing_ok=True)
        return entries

    def recover(self) -> list[str]:
        """Finish a batch that a killed process left half-done: roll the renames forward, add
        the files to the catalog, and tell the listeners (the search index) about all of them,
        since a writer killed after its commit never did."""
        entries = self._roll_forward()
        if entries is None:
            return []
        done = []
        versions = []
        for _tmp_rel, final_rel in entries:
            final = self.root / final_rel
            if not final.exists():
                continue
            version = self.catalog.version_at(final_rel)
            if version is None:
                try:
                    version = self._index_file(final)
                except RecordError:
                    continue  # not a record (cannot happen for files we wrote); fsck reports it
                done.append(final_rel)
            versions.append(version)
        if versions:
            for listener in self.listeners:
                listener(self, versions, rebuild=False)
        (self.state_dir / JOURNAL_FILE).unlink(missing_ok=True)
        return done

    def read_version(self, path: Path) -> tuple[Record, Version]:
        data = path.read_bytes()
        rec = recordfmt.parse(data, name=path.name)
        rel = self.rel(path)
        source = self.source_of(rel)
        return rec, _version(rel, rec, source, record_key(rec, source), data)

    def _index_file(self, path: Path) -> Version:
        _rec, version = self.read_version(path)
        existing = self.catalog.lookup_url(version.canonical_url)
        if existing is not None and existing.source != version.source:
            version = Version(**{**version.__dict__, "source": existing.source})
        self.catalog.put_version(version)
        return version

    def reindex(self, progress: Callable[[int], None] | None = None) -> dict:
        """Rebuild the catalog from the files alone. Returns counts and unreadable files."""
        catalog = self.catalog if self._catalog is not None else open_catalog(self.state_dir / CATALOG_FILE)
        self._catalog = catalog
        self._install_default_listeners()  # so that the search index is rebuilt too
        errors: list[dict] = []
        added: list[Version] = []
        with catalog.transaction():
            self._roll_forward()  # files of an interrupted batch are records too
            catalog.clear()
            for n, path in enumerate(self.record_files(), 1):
                try:
                    added.append(self._index_file(path))
                except (RecordError, OSError) as e:
                    errors.append({"path": self.rel(path), "reason": str(e)})
                if progress:
                    progress(n)
        (self.state_dir / JOURNAL_FILE).unlink(missing_ok=True)
        for listener in self.listeners:
            listener(self, added, rebuild=True)
        return {"versions": len(added), "articles": catalog.count_articles(), "errors": errors}

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
        catalog = self.catalog
        article: Article | None = None
        if "://" in ref or ref.startswith("nolink:"):
            article = catalog.lookup_url(canonical_url(ref) if "://" in ref else ref)
        elif ref.endswith(".md"):
            version = catalog.version_at(ref)
            article = catalog.get(version.article_id) if version else None
        elif len(ref) >= 4 and all(c in "0123456789abcdef" for c in ref.lower()):
            matches = catalog.find_prefix(ref.lower())
            if len(matches) > 1:
                raise NotFound(f"id {ref!r} is ambiguous: {', '.join(a.id for a in matches)}, …")
            article = matches[0] if matches else None
        if article is None:
            raise NotFound(f"no article {ref!r} in this archive (give an id, an id prefix of 4+ digits, a URL or a record path)")
        if rev is not None and not 0 <= rev < article.versions:
            raise NotFound(f"article {article.id} has versions 0–{article.versions - 1}, not {rev}")
        return article, rev

    def read(self, rel: str) -> Record:
        return recordfmt.parse((self.root / rel).read_bytes())

    def source_display_name(self, slug: str) -> str:
        return self.config.display_name(slug)
