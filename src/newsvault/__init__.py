"""newsvault: keep news that might disappear.

The public API, for scripts and other tools (everything else is internal and may change)::

    from newsvault import Archive, Record, parse, render, canonical_url, article_id
    archive = Archive.open("path/to/archive")
    with archive.batch():
        archive.add(Record(title, url, published_ms, body_html), "rfi")

Errors all derive from :class:`NewsvaultError`; catch the subclass you care about.
"""

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version

from .archive import AddResult, Archive
from .errors import (
    ArchiveError,
    CatalogError,
    ConfigError,
    FeedError,
    FetchError,
    NewsvaultError,
    NotFound,
    QueryError,
    RecordError,
)
from .record import Record, parse, render
from .urls import article_id, canonical_url

try:
    __version__ = _version("newsvault")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0+unknown"

__all__ = [
    "Archive",
    "AddResult",
    "Record",
    "parse",
    "render",
    "canonical_url",
    "article_id",
    "NewsvaultError",
    "ArchiveError",
    "CatalogError",
    "ConfigError",
    "FeedError",
    "FetchError",
    "NotFound",
    "QueryError",
    "RecordError",
    "__version__",
]
