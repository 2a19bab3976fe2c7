"""SQLite backend of the catalog (WAL mode; one writer, many readers)."""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..errors import CatalogError
from . import Article, Version
from .timeline import Ordered, order_versions

# 2: versions ordered by evidence (the ``evidence`` column, repeats at rev -1).
SCHEMA_VERSION = 2

_SCHEMA = """
CREATE TABLE IF NOT EXISTS versions(
    path TEXT PRIMARY KEY,
    article_id TEXT NOT NULL,
    rev INTEGER NOT NULL,
    source TEXT NOT NULL,
    url TEXT NOT NULL,
    canonical_url TEXT NOT NULL,
    title TEXT NOT NULL,
    published INTEGER,
    seen INTEGER,
    content_hash TEXT NOT NULL,
    file_hash TEXT NOT NULL,
    size INTEGER NOT NULL,
    variant TEXT NOT NULL,
    evidence INTEGER
);
CREATE INDEX IF NOT EXISTS versions_article ON versions(article_id, rev);
CREATE TABLE IF NOT EXISTS articles(
    id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    url TEXT NOT NULL,
    canonical_url TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    published INTEGER,
    path TEXT NOT NULL,
    latest_path TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    size INTEGER NOT NULL,
    versions INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS articles_published ON articles(published DESC, id);
CREATE INDEX IF NOT EXISTS articles_source ON articles(source, published DESC, id);
"""

_VERSION_COLS = "path, article_id, rev, source, url, canonical_url, title, published, seen, content_hash, file_hash, size, variant, evidence"
_VERSION_SLOTS = ",".join("?" * 14)
_ARTICLE_COLS = "id, source, url, canonical_url, title, published, path, latest_path, content_hash, size, versions"


def _row(v: Version) -> tuple[Any, ...]:
    return (
        v.path, v.article_id, v.rev, v.source, v.url, v.canonical_url, v.title, v.published, v.seen,
        v.content_hash, v.file_hash, v.size, v.variant, v.evidence,
    )


def _article_row(article_id: str, ordered: Ordered) -> tuple[Any, ...]:
    """The article's row: its record is the file under articles/ (whatever version it holds),
    its title and text those of the latest version."""
    versions = ordered.versions
    first, latest = versions[0], versions[-1]
    every = versions + ordered.repeats
    record = min((v for v in every if v.path.startswith("articles/")), key=lambda v: v.path, default=first)
    published = next((v.published for v in versions if v.published is not None), None)
    return (
        article_id, first.source, first.url, first.canonical_url, latest.title, published,
        record.path, latest.path, latest.content_hash, sum(v.size for v in every), len(versions),
    )


def _writable(directory: Path) -> bool:
    try:
        with tempfile.TemporaryFile(dir=directory):
            return True
    except OSError:
        return False


def _damage(path: Path) -> str | None:
    """Why the file at ``path`` is not a whole SQLite database, judged from its header alone
    (cheap at every open, unlike a full check): garbage, or a database cut short."""
    size = path.stat().st_size
    if size == 0:
        return None  # SQLite's empty database
    with open(path, "rb") as f:
        header = f.read(100)
    if len(header) < 100 or not header.startswith(b"SQLite format 3\0"):
        return "not a SQLite database"
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    # The page count is only valid when the change counter matches its "valid for" copy, and
    # a checkpoint in progress (a non-empty WAL) may have written the header before the pages.
    wal = Path(f"{path}-wal")
    quiet = not wal.exists() or wal.stat().st_size == 0
    if header[24:28] == header[92:96] and quiet and pages * page_size > size:
        return f"truncated: {size} of {pages * page_size} bytes"
    return None


def _damaged(path: Path, reason: object) -> CatalogError:
    return CatalogError(
        f"the catalog {path} is damaged ({reason}); it is derived data: "
        f"'newsvault fsck --repair' rebuilds it from the record files",
        damaged=True,
    )


def connect_read_only(path: Path) -> sqlite3.Connection:
    """A connection that never writes, even where the -shm file cannot be created (a read-only
    disk): SQLite's ``immutable`` mode, which is safe there since nobody can be writing."""
    if _writable(path.parent):
        return sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, check_same_thread=False)
    return sqlite3.connect(f"{path.as_uri()}?immutable=1", uri=True, isolation_level=None, check_same_thread=False)


class SQLiteCatalog:
    def __init__(self, path: Path):
        self.path = path
        self.read_only = False
        self._depth = 0
        if path.exists():
            reason = _damage(path)
            if reason:
                raise _damaged(path, reason)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(path, isolation_level=None, timeout=30, check_same_thread=False)
            self.db.execute("PRAGMA journal_mode=WAL")
        except (sqlite3.OperationalError, OSError) as e:
            if path.exists() and not _writable(path.parent):
                # A read-only archive (mounted read-only, a copy on a CD…) can still be read.
                self._open_read_only()
                return
            raise CatalogError(f"{path}: cannot open catalog ({getattr(e, 'strerror', None) or e})") from None
        except sqlite3.DatabaseError as e:
            self.db.close()
            raise _damaged(path, e) from None
        try:
            self.db.execute("PRAGMA synchronous=NORMAL")
            version = self.db.execute("PRAGMA user_version").fetchone()[0]
            if version == 1:
                # Derived data in the older order (by arrival): dropped, so that recovery
                # rebuilds it from the files.
                self.db.executescript("DROP TABLE IF EXISTS versions; DROP TABLE IF EXISTS articles;")
            elif version not in (0, SCHEMA_VERSION):
                raise CatalogError(f"{path}: catalog schema {version} is not supported; run 'newsvault reindex'")
            self.db.executescript(_SCHEMA)
            self.db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except sqlite3.OperationalError as e:
            self.db.close()
            raise CatalogError(f"{path}: cannot open catalog ({e})") from None
        except sqlite3.DatabaseError as e:
            self.db.close()
            raise _damaged(path, e) from None

    def _open_read_only(self) -> None:
        self.db = connect_read_only(self.path)
        self.read_only = True
        try:
            self.db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.DatabaseError as e:
            self.db.close()
            raise _damaged(self.path, e) from None

    # -- transactions ------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self.db.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        else:
            self.db.execute("COMMIT")
        finally:
            self._depth = 0

    # -- writing ------------------------------------------------------------------------------
    def put_version(self, version: Version) -> None:
        with self.transaction():
            self.db.execute(f"INSERT OR REPLACE INTO versions({_VERSION_COLS}) VALUES ({_VERSION_SLOTS})", _row(version))
            self._refresh_article(version.article_id)

    def _refresh_article(self, article_id: str) -> None:
        ordered = order_versions(self._versions(article_id))
        if not ordered.versions:
            self.db.execute("DELETE FROM articles WHERE id=?", (article_id,))
            return
        self.db.executemany(
            "UPDATE versions SET rev=?, seen=? WHERE path=?",
            [(v.rev, v.seen, v.path) for v in ordered.versions + ordered.repeats],
        )
        self.db.execute(f"INSERT OR REPLACE INTO articles({_ARTICLE_COLS}) VALUES (?,?,?,?,?,?,?,?,?,?,?)", _article_row(article_id, ordered))

    def bulk_put(self, versions: Iterable[Version]) -> list[Version]:
        """Add many versions at once (a rebuild from the files): versions are ordered here
        (:func:`order_versions`, as :meth:`put_version` does one article at a time), then
        written with two ``executemany`` calls, instead of a query per file. A version whose
        article is known under another source takes that source, as :meth:`put_version`
        callers do. Returns the versions as stored (repeats, rev -1, included)."""
        groups: dict[str, list[Version]] = {}
        for v in versions:
            group = groups.setdefault(v.article_id, [])
            if group and group[0].source != v.source:
                v = replace(v, source=group[0].source)
            group.append(v)
        stored: list[Version] = []
        articles = []
        for article_id, group in groups.items():
            ordered = order_versions(group)
            stored += ordered.versions + ordered.repeats
            articles.append(_article_row(article_id, ordered))
        with self.transaction():
            self.db.executemany(f"INSERT OR REPLACE INTO versions({_VERSION_COLS}) VALUES ({_VERSION_SLOTS})", [_row(v) for v in stored])
            self.db.executemany(f"INSERT OR REPLACE INTO articles({_ARTICLE_COLS}) VALUES (?,?,?,?,?,?,?,?,?,?,?)", articles)
        return stored

    def remove_paths(self, paths: Iterable[str]) -> None:
        with self.transaction():
            touched = set()
            for p in paths:
                row = self.db.execute("SELECT article_id FROM versions WHERE path=?", (p,)).fetchone()
                if row:
                    touched.add(row[0])
                    self.db.execute("DELETE FROM versions WHERE path=?", (p,))
            for article_id in touched:
                self._refresh_article(article_id)

    def clear(self) -> None:
        with self.transaction():
            self.db.execute("DELETE FROM versions")
            self.db.execute("DELETE FROM articles")

    # -- reading ------------------------------------------------------------------------------
    def _versions(self, article_id: str) -> list[Version]:
        rows = self.db.execute(f"SELECT {_VERSION_COLS} FROM versions WHERE article_id=?", (article_id,))
        return [Version(*r) for r in rows]

    def versions(self, article_id: str) -> list[Version]:
        return sorted((v for v in self._versions(article_id) if v.rev >= 0), key=lambda v: v.rev)

    def files(self, article_id: str) -> list[Version]:
        return self._versions(article_id)

    def version_at(self, path: str) -> Version | None:
        row = self.db.execute(f"SELECT {_VERSION_COLS} FROM versions WHERE path=?", (path,)).fetchone()
        return Version(*row) if row else None

    def lookup_url(self, canonical_url: str) -> Article | None:
        row = self.db.execute(f"SELECT {_ARTICLE_COLS} FROM articles WHERE canonical_url=?", (canonical_url,)).fetchone()
        return Article(*row) if row else None

    def get(self, article_id: str) -> Article | None:
        row = self.db.execute(f"SELECT {_ARTICLE_COLS} FROM articles WHERE id=?", (article_id,)).fetchone()
        return Article(*row) if row else None

    def find_prefix(self, prefix: str, limit: int = 2) -> list[Article]:
        rows = self.db.execute(
            f"SELECT {_ARTICLE_COLS} FROM articles WHERE id >= ? AND id < ? ORDER BY id LIMIT ?",
            (prefix, prefix + "\uffff", limit),
        )
        return [Article(*r) for r in rows]

    def paths(self) -> Iterator[str]:
        for (p,) in self.db.execute("SELECT path FROM versions ORDER BY path"):
            yield p

    def iter_articles(self) -> Iterator[Article]:
        # one cursor read as it goes: a whole-archive pass holds one article at a time
        for r in self.db.execute(f"SELECT {_ARTICLE_COLS} FROM articles ORDER BY published DESC, id"):
            yield Article(*r)

    def list_articles(
        self,
        source: str | None = None,
        since: int | None = None,
        until: int | None = None,
        limit: int | None = None,
        offset: int = 0,
        ids: Iterable[str] | None = None,
        edited: bool = False,
    ) -> list[Article]:
        where, args = self._where(source, since, until)
        if ids is not None:
            ids = list(ids)
            where.append(f"id IN ({','.join('?' * len(ids))})")
            args.extend(ids)
        if edited:  # articles with revisions: what the changes pages list
            where.append("versions > 1")
        sql = f"SELECT {_ARTICLE_COLS} FROM articles"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY published DESC, id LIMIT ? OFFSET ?"
        args += [limit if limit is not None else -1, offset]
        return [Article(*r) for r in self.db.execute(sql, args)]

    @staticmethod
    def _where(source: str | None, since: int | None, until: int | None) -> tuple[list[str], list[Any]]:
        where: list[str] = []
        args: list[Any] = []
        if source:
            where.append("source = ?")
            args.append(source)
        if since is not None:
            where.append("published >= ?")
            args.append(since)
        if until is not None:
            where.append("published < ?")
            args.append(until)
        return where, args

    def count_articles(self, source: str | None = None) -> int:
        where, args = self._where(source, None, None)
        sql = "SELECT count(*) FROM articles" + (" WHERE " + " AND ".join(where) if where else "")
        count: int = self.db.execute(sql, args).fetchone()[0]
        return count

    def stats(self) -> dict[str, Any]:
        per_source: dict[str, dict[str, Any]] = {}
        for source, records, versions, first, last, size in self.db.execute(
            "SELECT source, count(*), sum(versions), min(published), max(published), sum(size) "
            "FROM articles GROUP BY source ORDER BY source"
        ):
            per_source[source] = {
                "records": records,
                "revisions": versions - records,
                "first_published": first,
                "last_published": last,
                "bytes": size,
            }
        totals = {
            "records": sum(s["records"] for s in per_source.values()),
            "revisions": sum(s["revisions"] for s in per_source.values()),
            "bytes": sum(s["bytes"] for s in per_source.values()),
            "first_published": min((s["first_published"] for s in per_source.values() if s["first_published"] is not None), default=None),
            "last_published": max((s["last_published"] for s in per_source.values() if s["last_published"] is not None), default=None),
        }
        return {"sources": per_source, "total": totals}

    def close(self) -> None:
        self.db.close()
