"""``newsvault import``: bring record files of any variant into the archive, losing nothing.

Each file ends in exactly one of: imported (a new article), revision (a new version of an
article already here), unchanged (this exact text is already here), rejected (with a reason).
So ``imported + revisions + unchanged + rejected == seen``, always. Files are stored byte for
byte as they came (only re-encoded to UTF-8 when they arrived as GB18030 or Big5).

Only regular files are read: a symbolic link (to a file or a folder) is rejected, never
followed, so importing a hostile tree cannot copy files from elsewhere on the machine into the
archive, and a FIFO or device is rejected without being opened. A path named on the command
line that does not exist is an error, not an empty import.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from . import record as recordfmt
from .archive import ARTICLES, REVISIONS, Archive
from .config import slugify
from .encoding import decode
from .errors import ArchiveError, InputError, RecordError

__all__ = ["ImportReport", "import_paths", "iter_candidates", "check_paths"]

MAX_FILE_BYTES = 64 * 1024 * 1024
BATCH_FILES = 2000
RECORD_SUFFIXES = (".md", ".markdown", ".txt")


@dataclass
class ImportReport:
    seen: int = 0
    imported: int = 0
    revisions: int = 0
    unchanged: int = 0
    rejected: int = 0
    rejects: list[dict[str, str]] = field(default_factory=list)
    bytes: int = 0

    def reject(self, path: Path | str, reason: str) -> None:
        self.rejected += 1
        self.rejects.append({"path": str(path), "reason": reason})

    def as_dict(self) -> dict[str, Any]:
        return {
            "seen": self.seen,
            "imported": self.imported,
            "revisions": self.revisions,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "bytes": self.bytes,
            "rejects": self.rejects,
        }


def iter_candidates(paths: Iterable[Path]) -> Iterator[Path]:
    """Files named directly, and record-like files found under directories (hidden ones skipped).

    Symbolic links met while walking are yielded too (folders as well as files), so that they
    are counted and rejected rather than silently followed or dropped."""
    for path in paths:
        if path.is_dir():
            for dirpath, dirnames, filenames in os.walk(path):
                dirnames.sort()
                links = [d for d in dirnames if not d.startswith(".") and os.path.islink(os.path.join(dirpath, d))]
                dirnames[:] = [d for d in dirnames if not d.startswith(".") and d not in links]
                for name in sorted(filenames + links):
                    if name.startswith("."):
                        continue
                    if name in links or name.lower().endswith(RECORD_SUFFIXES):
                        yield Path(dirpath) / name
        else:
            yield path


def check_paths(paths: Iterable[Path]) -> None:
    """Refuse, before anything is written, paths that do not exist (a typo must not look like an
    import of nothing)."""
    for path in paths:
        if not os.path.lexists(path):
            raise InputError(f"{path}: no such file or directory; nothing was imported")


def _read(path: Path) -> bytes:
    if os.path.islink(path):
        raise RecordError("symbolic link, not followed")
    # O_NONBLOCK: opening a FIFO must not wait for a writer; O_NOFOLLOW: a link swapped in now.
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise IsADirectoryError if stat.S_ISDIR(st.st_mode) else RecordError("not a regular file")
        if st.st_size > MAX_FILE_BYTES:
            raise RecordError(f"too large ({st.st_size / 1e6:.0f} MB; records are limited to {MAX_FILE_BYTES // 2**20} MiB)")
        return f.read(MAX_FILE_BYTES + 1)


def _source_for(path: Path, rec: recordfmt.Record, archive: Archive, explicit: str | None) -> str:
    if explicit:
        return explicit
    for key in ("tags", "categories", "source"):
        value = rec.meta.get(key)
        if isinstance(value, list) and value:
            value = value[0]
        if value:
            return slugify(str(value))
    parts = path.parts
    for top in (ARTICLES, REVISIONS):
        if top in parts:
            i = len(parts) - 1 - parts[::-1].index(top)
            if len(parts) - i > 2:  # articles/<slug>/<file>
                return slugify(parts[i + 1])
    host = urlsplit(rec.url).hostname if rec.url else None
    if host:
        known = archive.config.source_for_host(host)
        if known:
            return known
    parent = path.parent.name
    if parent in (ARTICLES, "_posts") and path.parent.parent.name:
        parent = path.parent.parent.name
    return slugify(parent) if parent else archive.fallback_source


def _seen_from_name(path: Path) -> int | None:
    # Version histories are often kept as <unix time>.md (see corpus/cdt-history).
    stem = path.stem
    if stem.isdigit() and 9 <= len(stem) <= 10:
        return int(stem) * 1000
    return None


def import_paths(
    archive: Archive,
    paths: Iterable[Path | str],
    source: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Import files and directories into ``archive``. Raises ArchiveError if it cannot write."""
    report = ImportReport()
    if source is not None:
        source = slugify(source)
    given = [Path(p) for p in paths]
    check_paths(given)
    pending = list(iter_candidates(given))
    total = len(pending)
    done = 0
    while done < total:
        chunk = pending[done : done + BATCH_FILES]
        snapshot = (report.imported, report.revisions, report.unchanged)
        try:
            with archive.batch():
                for path in chunk:
                    _import_one(archive, path, source, report)
        except (OSError, sqlite3.Error) as e:
            # The archive cannot be written (read-only, full disk, ...): this batch is undone.
            report.imported, report.revisions, report.unchanged = snapshot
            raise ArchiveError(
                f"cannot write to the archive at {archive.root}: {getattr(e, 'strerror', None) or e}; "
                f"nothing from the failing batch was kept ({done} of {total} files were imported before it)"
            ) from None
        done += len(chunk)
        report.seen = done
        if progress:
            progress(done, total)
    report.seen = total
    return report


def _import_one(archive: Archive, path: Path, source: str | None, report: ImportReport) -> None:
    try:
        data = _read(path)
    except FileNotFoundError:
        report.reject(path, "file vanished before it could be read")
        return
    except PermissionError:
        report.reject(path, "permission denied")
        return
    except IsADirectoryError:
        report.reject(path, "is a directory")
        return
    except RecordError as e:
        report.reject(path, str(e))
        return
    except OSError as e:
        report.reject(path, f"unreadable: {e.strerror or e}")
        return
    report.bytes += len(data)
    try:
        text, encoding = decode(data)
        rec = recordfmt.parse(text, name=path.name)
    except RecordError as e:
        report.reject(path, str(e))
        return
    raw = data if encoding == "utf-8" and not data.startswith(b"\xef\xbb\xbf") else text.encode("utf-8")
    result = archive.add(rec, _source_for(path, rec, archive, source), raw=raw, seen=_seen_from_name(path))
    if result.status == "new":
        report.imported += 1
    elif result.status == "revision":
        report.revisions += 1
    else:
        report.unchanged += 1
