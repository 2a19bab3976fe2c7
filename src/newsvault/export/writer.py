"""Writing tables as Hive-partitioned files, rewriting only the partitions whose rows changed.

``manifest.json`` in the export's root maps each partition directory to the sha256 of its
rows; a partition whose hash is unchanged (and whose file is there) is not rewritten, one whose
rows are gone is removed. Files are written to a temp name and renamed, so a reader (or a
crash) never sees half a file.

Rows stream: each is hashed and appended, as a JSON line, to its partition's spool under
``.spool/`` as it comes, a few MB held at a time, so memory does not grow with the archive.
When every row is in, a changed partition's spool becomes its file (JSON lines: the spool is
the file; Parquet: the spool is read back in row groups of at most ``ROW_GROUP_BYTES``).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .schema import PARTITIONS, TABLES, schema

__all__ = ["Manifest", "TableWriter", "partition_of", "year_of", "write_parquet"]

Row = dict[str, Any]
MANIFEST = "manifest.json"
FORMAT_VERSION = 1
SPOOL = ".spool"  # partitions being written; removed when the export ends (or at the next)
BUFFER_BYTES = 8 << 20  # JSON held in memory, across all partitions, before it goes to the spools
# A Parquet row group holds at most this much of the spool's JSON (a smaller partition is one
# group, as pyarrow's write_table makes it): the bound on a Parquet export's memory.
ROW_GROUP_BYTES = 16 << 20


def year_of(ms: int | None) -> int:
    """The UTC year of an epoch-ms time; 0 when unknown (Hive partition ``year=0``)."""
    return datetime.fromtimestamp(ms / 1000, UTC).year if ms is not None else 0


def partition_of(table: str, row: Row) -> str:
    """``source=cdt/year=2020``: the partition directory of a row."""
    parts = []
    for column in PARTITIONS[table]:
        value = row.get(column)
        parts.append(f"{column}={'__unknown__' if value in (None, '') else value}")
    return "/".join(parts)


@dataclass
class Manifest:
    fmt: str
    partitions: dict[str, str] = field(default_factory=dict)  # "articles/source=x/year=2020" -> sha256
    state: str = ""  # fingerprint of the archive the export was made from

    @classmethod
    def load(cls, root: Path, fmt: str) -> Manifest:
        try:
            data = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls(fmt)
        if not isinstance(data, dict) or data.get("format") != fmt or data.get("version") != FORMAT_VERSION:
            return cls(fmt)  # another format or layout: everything is rewritten
        return cls(fmt, dict(data.get("partitions", {})), str(data.get("state", "")))

    def save(self, root: Path) -> None:
        data = {
            "format": self.fmt, "version": FORMAT_VERSION, "state": self.state, "partitions": dict(sorted(self.partitions.items())),
            "tables": {t: {c: k for c, k in cols} for t, cols in TABLES.items()},
            "partitioning": {t: list(p) for t, p in PARTITIONS.items()},
        }
        tmp = root / (MANIFEST + ".tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(tmp, root / MANIFEST)


def _hash_line(row: Row) -> bytes:
    """A row as the partition's hash reads it: key order and value types do not matter."""
    return json.dumps(row, ensure_ascii=False, sort_keys=True, default=str).encode("utf-8") + b"\n"


@dataclass
class TableWriter:
    """Writes the partitions of ``tables`` into ``root`` in ``fmt`` (``parquet`` or ``jsonl``).

    ``add`` each row (in the order the files keep), then ``finish`` once."""

    root: Path
    fmt: str
    manifest: Manifest
    tables: tuple[str, ...] = tuple(TABLES)
    written: int = 0
    unchanged: int = 0
    removed: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    _hashes: dict[str, Any] = field(default_factory=dict)  # partition key -> running sha256
    _buffers: dict[str, list[str]] = field(default_factory=dict)
    _buffered: int = 0

    def __post_init__(self) -> None:
        self.rows = {t: 0 for t in self.tables}
        shutil.rmtree(self.root / SPOOL, ignore_errors=True)  # a spool left by an interrupted export

    @property
    def file_name(self) -> str:
        return "part-0.parquet" if self.fmt == "parquet" else "part-0.jsonl"

    def add(self, table: str, row: Row) -> None:
        key = f"{table}/{partition_of(table, row)}"
        h = self._hashes.get(key)
        if h is None:
            h = self._hashes[key] = hashlib.sha256()
            self._buffers[key] = []
            (self.root / SPOOL / key).mkdir(parents=True, exist_ok=True)
        h.update(_hash_line(row))
        line = json.dumps(row, ensure_ascii=False) + "\n"
        self._buffers[key].append(line)
        self._buffered += len(line)
        self.rows[table] += 1
        if self._buffered >= BUFFER_BYTES:
            self._flush()

    def write(self, table: str, rows: Iterable[Row]) -> None:
        for row in rows:
            self.add(table, row)

    def _flush(self) -> None:
        for key, lines in self._buffers.items():
            if lines:
                with open(self._spool(key), "a", encoding="utf-8") as f:
                    f.writelines(lines)
                lines.clear()
        self._buffered = 0

    def _spool(self, key: str) -> Path:
        return self.root / SPOOL / key / "part-0.jsonl"

    def finish(self) -> None:
        """Put each changed partition in place and remove the partitions that have no rows now."""
        self._flush()
        for key, h in self._hashes.items():
            digest = h.hexdigest()
            if self.manifest.partitions.get(key) == digest and (self.root / key / self.file_name).exists():
                self.unchanged += 1
                continue
            self._write_partition(key.split("/", 1)[0], self.root / key, self._spool(key))
            self.manifest.partitions[key] = digest
            self.written += 1
        for key in [k for k in self.manifest.partitions if k.split("/", 1)[0] in self.tables and k not in self._hashes]:
            shutil.rmtree(self.root / key, ignore_errors=True)
            del self.manifest.partitions[key]
            self.removed += 1
        for table in self.tables:
            (self.root / table).mkdir(parents=True, exist_ok=True)  # an empty table is an empty folder
        shutil.rmtree(self.root / SPOOL, ignore_errors=True)

    def _write_partition(self, table: str, folder: Path, spool: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / self.file_name
        if self.fmt == "parquet":
            tmp = folder / (self.file_name + ".tmp")
            write_parquet(tmp, table, _row_groups(spool))
            os.replace(tmp, target)
        else:
            os.replace(spool, target)  # the spool's lines are the file's


def _row_groups(spool: Path) -> Iterator[list[Row]]:
    """The spool's rows, in order, in lists of at most ``ROW_GROUP_BYTES`` of JSON each."""
    group: list[Row] = []
    size = 0
    with open(spool, encoding="utf-8") as f:
        for line in f:
            group.append(json.loads(line))
            size += len(line)
            if size >= ROW_GROUP_BYTES:
                yield group
                group, size = [], 0
    if group:
        yield group


def write_parquet(path: Path, table: str, groups: Iterable[list[Row]]) -> None:
    """Lists of rows as one Parquet file, one row group each, without the partition columns
    (they are in the path)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    without = tuple(c for c in PARTITIONS[table] if c in dict(TABLES[table]))
    s = schema(table, without=without)
    with pq.ParquetWriter(path, s, compression="zstd") as writer:
        for group in groups:
            columns = {name: [row.get(name) for row in group] for name in s.names}
            writer.write_table(pa.table(columns, schema=s))
