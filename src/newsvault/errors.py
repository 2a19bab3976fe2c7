"""One exception hierarchy, so callers catch at the level they care about.

Every message is written for the person running newsvault, not for a debugger:
the CLI prints ``str(error)`` and exits non-zero, without a traceback.
"""


class NewsvaultError(Exception):
    """Base class of every error newsvault raises on purpose."""


class RecordError(NewsvaultError):
    """A file is not a readable article record (the message says why)."""


class ArchiveError(NewsvaultError):
    """The archive directory cannot be opened or written."""


class CatalogError(NewsvaultError):
    """The catalog database is missing, damaged or locked.

    ``damaged`` is true when the file is not a readable database: the catalog is derived data,
    so it can be set aside and rebuilt from the record files."""

    def __init__(self, message: str, *, damaged: bool = False) -> None:
        super().__init__(message)
        self.damaged = damaged


class IndexBusy(CatalogError):
    """Another process is writing the search index (a bulk build holds it until it is done)."""


class InputError(NewsvaultError):
    """A file or folder given to newsvault (to import, for instance) cannot be used."""


class ConfigError(NewsvaultError):
    """The archive's config file is invalid."""


class NotFound(NewsvaultError):
    """No article matches the given id or URL."""


class FetchError(NewsvaultError):
    """A feed or page could not be fetched (after retries)."""


class FeedError(NewsvaultError):
    """A feed was fetched but yields no usable items."""


class QueryError(NewsvaultError):
    """A search query or filter is invalid."""
