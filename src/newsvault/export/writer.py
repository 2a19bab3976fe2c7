"""Writing a table as Hive-partitioned files, rewriting only the partitions whose rows changed.

``manifest.json`` in the export's root maps each partition directory to the sha256 of its
rows; a partition whose hash is unchanged (and whose file is there) is not rewritten, one whose
rows are gone is removed. Files are written to a temp name and renamed, so a reader (or a
crash) never sees half a file.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .schema import PARTITIONS, TABLES, schema

__all__ = ["Manifest", "TableWriter", "partition_of", "year_of"]

Row = dict[str, Any]
MANIFEST = "manifest.json"
FORMAT_VERSION = 1


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


def _digest(rows: list[Row]) -> str:
    h = hashlib.sha256()
    for row in rows:
        h.update(json.dumps(row, ensure_ascii=False, sort_keys=True, default=str).encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()


@dataclass
class TableWriter:
    """Writes the partitions of tables into ``root`` in ``fmt`` (``parquet`` or ``jsonl``)."""

    root: Path
    fmt: str
    manifest: Manifest
    written: int = 0
    unchanged: int = 0
    removed: int = 0
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def file_name(self) -> str:
        return "part-0.parquet" if self.fmt == "parquet" else "part-0.jsonl"

    def write(self, table: str, rows: Iterable[Row]) -> None:
        groups: dict[str, list[Row]] = {}
        n = 0
        for row in rows:
            groups.setdefault(f"{table}/{partition_of(table, row)}", []).append(row)
            n += 1
        self.rows[table] = n
        for key, group in groups.items():
            digest = _digest(group)
            if self.manifest.partitions.get(key) == digest and (self.root / key / self.file_name).exists():
                self.unchanged += 1
                continue
            self._write_partition(table, self.root / key, group)
            self.manifest.partitions[key] = digest
            self.written += 1
        for key in [k for k in self.manifest.partitions if k.split("/", 1)[0] == table and k not in groups]:
            shutil.rmtree(self.root / key, ignore_errors=True)
            del self.manifest.partitions[key]
            self.removed += 1
        (self.root / table).mkdir(parents=True, exist_ok=True)  # an empty table is an empty folder

    def _write_partition(self, table: str, folder: Path, rows: list[Row]) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / self.file_name
        tmp = folder / (self.file_name + ".tmp")
        if self.fmt == "parquet":
            write_parquet(tmp, table, rows)
        else:
            with open(tmp, "w", encoding="utf-8") as f:
                for row in rows:
                    f.write(json.dumps(row, ensure_ascii=False) + "\n")
        os.replace(tmp, target)


def write_parquet(path: Path, table: str, rows: list[Row]) -> None:
    """``rows`` as one Parquet file, without the partition columns (they are in the path)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    without = tuple(c for c in PARTITIONS[table] if c in dict(TABLES[table]))
    s = schema(table, without=without)
    columns = {name: [row.get(name) for row in rows] for name in s.names}
    pq.write_table(pa.table(columns, schema=s), path, compression="zstd")
