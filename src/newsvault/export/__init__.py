"""The archive as a research dataset: every article, version, recheck and (later) media file.

``export_dataset(archive, directory, fmt="parquet"|"jsonl")`` writes four tables, each
partitioned Hive-style (``articles/source=cdt/year=2020/part-0.parquet``), with the column
names and types of :mod:`.schema` (documented in ``docs/dataset.md``). The export is
incremental: a partition is rewritten only when its rows changed, and nothing is read from the
record files at all when the archive has not changed since the last export. Rows stream from
the archive to the files, so memory stays flat as the archive grows.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .schema import PARTITIONS, TABLES
from .writer import Manifest, TableWriter, year_of

if TYPE_CHECKING:
    from ..archive import Archive

__all__ = ["export_dataset", "ExportReport", "TABLES", "PARTITIONS", "archive_state"]

FORMATS = ("parquet", "jsonl")


@dataclass
class ExportReport:
    directory: str
    fmt: str
    rows: dict[str, int]
    written: int  # partitions (re)written
    unchanged: int
    removed: int
    up_to_date: bool = False  # nothing changed since the last export: nothing was read

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def summary(self) -> str:
        if self.up_to_date:
            return f"{self.directory}: up to date"
        counts = ", ".join(f"{t} {n}" for t, n in self.rows.items())
        return f"exported {counts} rows to {self.directory} ({self.fmt}): {self.written} partitions written, {self.unchanged} unchanged, {self.removed} removed"


def archive_state(archive: Archive) -> str:
    """A fingerprint of what the export is made from: every article's latest content and
    version count, and the size and time of each checks file."""
    h = hashlib.sha256()
    for a in archive.catalog.iter_articles():
        h.update(f"{a.id} {a.content_hash} {a.versions} {a.title}\n".encode())
    checks = archive.root / "checks"
    if checks.is_dir():
        for p in sorted(checks.glob("*.jsonl")):
            st = p.stat()
            h.update(f"{p.name} {st.st_size} {st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def export_dataset(archive: Archive, directory: Path | str, *, fmt: str = "parquet") -> ExportReport:
    from ..errors import NewsvaultError
    from .rows import article_rows, check_rows, last_live

    if fmt not in FORMATS:
        raise NewsvaultError(f"unknown export format {fmt!r} (use parquet or jsonl)")
    root = Path(directory)
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise NewsvaultError(f"cannot create the export directory {root}: {e.strerror or e}") from None
    manifest = Manifest.load(root, fmt)
    state = archive_state(archive)
    if manifest.state == state and manifest.partitions:
        return ExportReport(str(root), fmt, {}, 0, len(manifest.partitions), 0, up_to_date=True)
    # Rows stream from the catalog and the record files into the partitions' files (writer.py):
    # one article's rows are in memory at a time, whatever the archive's size.
    writer = TableWriter(root, fmt, manifest)
    for row, vrows in article_rows(archive, last_live(archive)):
        writer.add("articles", {**row, "year": year_of(row["published"] if row["published"] is not None else row["first_seen"])})
        for v in vrows:
            writer.add("versions", {**v, "year": year_of(v["seen"])})
    for c in check_rows(archive):
        writer.add("checks", {**c, "year": year_of(c["checked"])})
    writer.finish()
    manifest.state = state
    manifest.save(root)
    return ExportReport(str(root), fmt, writer.rows, writer.written, writer.unchanged, writer.removed)
