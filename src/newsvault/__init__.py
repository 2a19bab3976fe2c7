"""newsvault: keep news that might disappear.

The public API, for scripts and other tools (everything else is internal and may change)::

    from newsvault import Archive, Record, parse, render, canonical_url, article_id
    archive = Archive.open("path/to/archive")
    with archive.batch():
        archive.add(Record(title, url, published_ms, body_html), "rfi")

Errors all derive from :class:`NewsvaultError`; catch the subclass you care about.

The names are imported on first use, so that ``import newsvault`` (and so every CLI command,
``--help`` included) starts quickly.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

# Kept equal to [project].version in pyproject.toml by a test (importlib.metadata costs a
# quarter of a second at start-up).
__version__ = "0.1.0"

_EXPORTS = {
    "Archive": "archive",
    "AddResult": "archive",
    "Record": "record",
    "parse": "record",
    "render": "record",
    "canonical_url": "urls",
    "article_id": "urls",
    "NewsvaultError": "errors",
    "ArchiveError": "errors",
    "CatalogError": "errors",
    "ConfigError": "errors",
    "FeedError": "errors",
    "FetchError": "errors",
    "NotFound": "errors",
    "QueryError": "errors",
    "RecordError": "errors",
}

__all__ = [*_EXPORTS, "__version__"]

if TYPE_CHECKING:  # what type checkers and IDEs see; at run time __getattr__ imports on first use
    from .archive import AddResult as AddResult
    from .archive import Archive as Archive
    from .errors import ArchiveError as ArchiveError
    from .errors import CatalogError as CatalogError
    from .errors import ConfigError as ConfigError
    from .errors import FeedError as FeedError
    from .errors import FetchError as FetchError
    from .errors import NewsvaultError as NewsvaultError
    from .errors import NotFound as NotFound
    from .errors import QueryError as QueryError
    from .errors import RecordError as RecordError
    from .record import Record as Record
    from .record import parse as parse
    from .record import render as render
    from .urls import article_id as article_id
    from .urls import canonical_url as canonical_url


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'newsvault' has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
