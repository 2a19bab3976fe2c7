"""The catalog: what is in the archive, derived from the record files only.

Everything outside this package talks to the catalog through :class:`Catalog`, so that a second
backend (PostgreSQL, for many collectors sharing one catalog) is one new module. The SQLite
backend lives in :mod:`newsvault.catalog.sqlite`.

Model: an *article* (one canonical URL, one short id) has one or more *versions*, ordered by
when the material says each text was seen (:mod:`newsvault.catalog.timeline`); the record file
under ``articles/`` is the text archived first, other files are under ``revisions/``. A file
whose text repeats a version (a later or undated sighting of it) is listed with ``rev`` -1.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

__all__ = ["Article", "Version", "Catalog", "open_catalog"]


@dataclass(frozen=True)
class Version:
    path: str  # relative to the archive root, '/'-separated
    article_id: str
    rev: int
    source: str
    url: str
    canonical_url: str
    title: str
    published: int | None  # epoch ms
    seen: int | None  # epoch ms: when this version's text was first seen (None: unknown)
    content_hash: str  # Record.text_hash: what a reader sees
    file_hash: str  # sha256 of the file's bytes
    size: int
    variant: str
    # epoch ms: when this file says its text was seen (a revision's name, a Jekyll post's date,
    # a collector's fetch); ``seen`` and ``rev`` are derived from it (catalog.timeline).
    evidence: int | None = None


@dataclass(frozen=True)
class Article:
    id: str
    source: str
    url: str
    canonical_url: str
    title: str  # of the latest version
    published: int | None
    path: str  # the record file (version 0)
    latest_path: str
    content_hash: str  # of the latest version
    size: int  # bytes of all versions
    versions: int


class Catalog(Protocol):
    """The narrow interface every backend provides."""

    read_only: bool  # opened where it cannot be written (a read-only disk): reads only

    def transaction(self) -> AbstractContextManager[None]: ...
    def put_version(self, version: Version) -> None: ...

    def bulk_put(self, versions: Iterable[Version]) -> list[Version]: ...
    def lookup_url(self, canonical_url: str) -> Article | None: ...
    def get(self, article_id: str) -> Article | None: ...
    def find_prefix(self, prefix: str, limit: int = 2) -> list[Article]: ...
    def versions(self, article_id: str) -> list[Version]: ...
    def files(self, article_id: str) -> list[Version]: ...  # every file, repeats included
    def version_at(self, path: str) -> Version | None: ...
    def paths(self) -> Iterator[str]: ...
    def iter_articles(self) -> Iterator[Article]: ...  # every article, list_articles' order, streamed
    def list_articles(
        self,
        source: str | None = None,
        since: int | None = None,
        until: int | None = None,
        limit: int | None = None,
        offset: int = 0,
        ids: Iterable[str] | None = None,
        edited: bool = False,
    ) -> list[Article]: ...
    def count_articles(self, source: str | None = None) -> int: ...
    def stats(self) -> dict[str, Any]: ...
    def remove_paths(self, paths: Iterable[str]) -> None: ...
    def clear(self) -> None: ...
    def close(self) -> None: ...


def open_catalog(path: Path) -> Catalog:
    from .sqlite import SQLiteCatalog

    return SQLiteCatalog(path)
