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
import re
import sqlite3
import stat
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from . import record as recordfmt
from .archive import ARTICLES, REVISIONS, Archive
from .config import slugify
from .encoding import decode
from .errors import ArchiveError, InputError, RecordError
from .githistory import HistoryReport, is_repository, recover_history

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
    # Files kept, but with a claim about their time that the material contradicts.
    warnings: list[dict[str, str]] = field(default_factory=list)
    # What the git history of an imported repository gave (see newsvault.githistory).
    history: HistoryReport | None = None

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
            "warnings": self.warnings,
            "history": self.history.as_dict() if self.history is not None else None,
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


_JEKYLL_NAME = re.compile(r"(\d{4})-(\d{2})-(\d{2})-")
# A history name may run a little ahead of a publication date given in another time zone.
_SLACK_MS = 24 * 3600 * 1000


def _seen_from_name(path: Path) -> int | None:
    """When the file's name says its text was seen (epoch ms), or None.

    Version histories are kept as ``<unix time>.md`` (see corpus/cdt-history), Jekyll posts as
    ``YYYY-MM-DD-<title>.md`` (the day the mirror posted them)."""
    stem = path.stem
    if stem.isdigit() and 9 <= len(stem) <= 10:
        return int(stem) * 1000
    m = _JEKYLL_NAME.match(path.name)
    if m and path.parent.name == "_posts":
        try:
            return int(datetime(int(m[1]), int(m[2]), int(m[3]), tzinfo=UTC).timestamp() * 1000)
        except ValueError:
            return None
    return None


def _sighting(path: Path, rec: recordfmt.Record, now: int) -> tuple[int | None, str | None]:
    """(when the material says the text was seen, or None; why a claimed time was set aside).

    A time in the future, or well before the article's own publication date, is not evidence
    of anything: the file is kept, undated, with a warning."""
    seen = recordfmt.front_matter_date(rec) or _seen_from_name(path)
    if seen is None:
        return None, None
    shown = datetime.fromtimestamp(seen / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")
    if seen > now + _SLACK_MS:
        return None, f"claims to have been seen {shown}, in the future; kept with an unknown time"
    if rec.published is not None and seen < rec.published - _SLACK_MS:
        published = datetime.fromtimestamp(rec.published / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")
        return None, f"claims to have been seen {shown}, before its publication ({published}); kept with an unknown time"
    return seen, None


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
    for repo in given:
        # A repository's own history holds the texts its files had before (an imported
        # duty-machine clone gives the versions that opening it in place gives).
        if repo.is_dir() and (repo / ".git").exists() and is_repository(repo):
            def source_in(rel: str, rec: recordfmt.Record, repo: Path = repo) -> str:
                return _source_for(repo / rel, rec, archive, source)

            try:
                history = recover_history(archive, repo, source_for=source_in, incremental=False)
            except OSError as e:
                raise ArchiveError(f"cannot write to the archive at {archive.root}: {e.strerror or e}") from None
            if report.history is None:
                report.history = history
            else:
                for name in ("commits", "blobs", "revisions", "sightings", "removed"):
                    setattr(report.history, name, getattr(report.history, name) + getattr(history, name))
                report.history.notes += history.notes
                report.history.warnings += history.warnings
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
    seen, doubt = _sighting(path, rec, int(time.time() * 1000))
    if doubt:
        report.warnings.append({"path": str(path), "reason": doubt})
    result = archive.add(rec, _source_for(path, rec, archive, source), raw=raw, seen=seen, keep_seen=True)
    if result.path is not None and seen is not None:
        second = seen // 1000
        if any(v.evidence is not None and v.evidence // 1000 == second and v.content_hash != rec.text_hash for v in archive.catalog.files(result.article_id)):
            report.warnings.append({"path": str(path), "reason": f"another text of this article claims the same time; both kept (as {result.path}), ordered by content"})
    if result.status == "new":
        report.imported += 1
    elif result.status == "revision":
        report.revisions += 1
    else:
        report.unchanged += 1
