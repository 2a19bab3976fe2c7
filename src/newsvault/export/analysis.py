"""Queries over a Parquet export with DuckDB, the embedded analysis engine.

Views ``articles``, ``versions``, ``checks`` and ``media`` are registered over the partition
files (the partition columns come from the directory names); a table with no file yet is an
empty view with the documented columns, so a query never fails because, say, no recheck ran.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .schema import PARTITIONS, TABLES

__all__ = ["connect", "run_query"]

_SQL_TYPES = {"string": "VARCHAR", "int64": "BIGINT", "int32": "INTEGER", "timestamp": "TIMESTAMPTZ"}


def _empty_view(table: str) -> str:
    columns = [f"CAST(NULL AS {_SQL_TYPES[k]}) AS {c}" for c, k in TABLES[table]]
    if "year" in PARTITIONS[table]:
        columns.append("CAST(NULL AS BIGINT) AS year")
    return f"SELECT {', '.join(columns)} WHERE false"


def connect(root: Path) -> Any:
    """An in-memory DuckDB connection with the export's views (UTC session time zone)."""
    import duckdb

    con = duckdb.connect(":memory:")
    con.execute("SET TimeZone = 'UTC'")
    for table in TABLES:
        files = sorted((root / table).rglob("*.parquet"))
        if files:
            pattern = (root / table).as_posix().replace("'", "''") + "/**/*.parquet"
            body = f"SELECT * FROM read_parquet('{pattern}', hive_partitioning = true, hive_types_autocast = false, hive_types = {_hive_types(table)})"
        else:
            body = _empty_view(table)
        con.execute(f"CREATE VIEW {table} AS {body}")
    return con


def _hive_types(table: str) -> str:
    types = {"source": "VARCHAR", "year": "BIGINT"}
    return "{" + ", ".join(f"'{c}': {types[c]}" for c in PARTITIONS[table]) + "}"


def run_query(root: Path, query: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Column names and rows of ``query``; a DuckDB error becomes a QueryError in its words."""
    import duckdb

    from ..errors import QueryError

    con = connect(root)
    try:
        result = con.execute(query)
        columns = [d[0] for d in result.description or []]
        return columns, result.fetchall()
    except duckdb.Error as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise QueryError(f"SQL: {first}") from None
    finally:
        con.close()
