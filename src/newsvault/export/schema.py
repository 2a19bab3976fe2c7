"""The dataset's tables: column names and Arrow types (documented in ``docs/dataset.md``).

Times are UTC timestamps in milliseconds (Parquet) or epoch milliseconds (JSON lines). The
partition columns (``source``, ``year``) are in the directory names of the Parquet files
(Hive style), not inside them; JSON lines files carry every column.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["TABLES", "PARTITIONS", "schema", "TIME_COLUMNS"]

_TS = "timestamp"
# table -> [(column, type name)]; type names: string, int64, int32, timestamp
TABLES: dict[str, list[tuple[str, str]]] = {
    "articles": [
        ("id", "string"), ("source", "string"), ("url", "string"), ("title", "string"),
        ("published", _TS), ("first_seen", _TS), ("last_seen", _TS), ("text", "string"),
        ("html", "string"), ("language", "string"), ("deleted_at", _TS), ("versions", "int32"),
    ],
    "versions": [
        ("article_id", "string"), ("source", "string"), ("rev", "int32"), ("path", "string"), ("seen", _TS),
        ("title", "string"), ("content_hash", "string"), ("size", "int64"),
        ("chars_added", "int64"), ("chars_removed", "int64"),
    ],
    "checks": [
        ("article_id", "string"), ("source", "string"), ("url", "string"), ("checked", _TS), ("status", "string"),
        ("http", "int32"), ("reason", "string"), ("final_url", "string"), ("path", "string"),
    ],
    "media": [
        ("article_id", "string"), ("source", "string"), ("url", "string"), ("path", "string"),
        ("content_type", "string"), ("size", "int64"), ("sha256", "string"), ("fetched", _TS),
    ],
}
# table -> partition columns (Hive directories), each derived from one row
PARTITIONS: dict[str, tuple[str, ...]] = {
    "articles": ("source", "year"), "versions": ("source", "year"), "checks": ("source", "year"), "media": ("source",),
}
TIME_COLUMNS = {t: {c for c, k in cols if k == _TS} for t, cols in TABLES.items()}


def schema(table: str, *, without: tuple[str, ...] = ()) -> pa.Schema:
    import pyarrow as pa

    types = {"string": pa.string(), "int64": pa.int64(), "int32": pa.int32(), _TS: pa.timestamp("ms", tz="UTC")}
    return pa.schema([(c, types[k]) for c, k in TABLES[table] if c not in without])
