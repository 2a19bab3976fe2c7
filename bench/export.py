"""Export speed and analysis cost, on generated rows (no network, no archive needed).

1. 1,000,000 ``versions`` rows written as Parquet through the export's own writer
   (``newsvault.export.writer.write_parquet``) beside the same rows written as JSON lines, in
   the same run: rows/s and bytes of each.
2. One analysis query (edits per month, with the median edit size) in DuckDB over
   10,000,000 generated version rows in Parquet: time and the process's peak memory.
3. The same query on Apache Spark in local mode (``local[2]``), reading the same Hive-partitioned
   Parquet files unchanged: time, the JVM's peak RSS, and whether the answers are identical
   (exit status 1 when they are not). Skipped, with the reason, when pyspark or Java is missing
   (``python3 -m pip install -e '.[bench]'`` and a Java 17+ runtime). Spark is kept offline:
   driver bound to 127.0.0.1, no UI.

    python3 bench/export.py [--rows 1000000] [--query-rows 10000000] [--no-spark]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from newsvault.export.analysis import connect
from newsvault.export.writer import write_parquet

SOURCES = ["rfi", "bbc", "dw", "voa", "nytimes", "rfa", "cdt", "zaobao"]
BASE_MS = 1_577_836_800_000  # 2020-01-01

# One question, two dialects: DuckDB's strftime is Spark's date_format; both medians are exact
# (the mean of the two middle values when the count is even). Both sessions run in UTC.
DUCKDB_QUERY = """SELECT strftime(seen, '%Y-%m') AS month, count(*) AS edits, median(chars_added + chars_removed) AS median_size
    FROM versions WHERE rev > 0 GROUP BY month ORDER BY month"""
SPARK_QUERY = """SELECT date_format(seen, 'yyyy-MM') AS month, count(*) AS edits, median(chars_added + chars_removed) AS median_size
    FROM versions WHERE rev > 0 GROUP BY month ORDER BY month"""
SPARK_DRIVER_MEMORY = "2g"


def rows(n: int, seed: int = 1) -> list[dict[str, Any]]:
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        out.append({
            "article_id": f"{i // 3:012x}", "source": SOURCES[i % len(SOURCES)], "rev": i % 3,
            "path": f"revisions/x/{i}.md", "seen": BASE_MS + rnd.randrange(5 * 365 * 86_400_000),
            "title": "标题" * rnd.randrange(3, 15), "content_hash": f"{rnd.getrandbits(64):016x}",
            "size": rnd.randrange(2_000, 60_000), "chars_added": rnd.randrange(0, 500), "chars_removed": rnd.randrange(0, 500),
        })
    return out


def bench_write(n: int, folder: Path) -> None:
    data = rows(n)
    t = time.perf_counter()
    write_parquet(folder / "v.parquet", "versions", [data])
    parquet_s = time.perf_counter() - t
    t = time.perf_counter()
    with open(folder / "v.jsonl", "w", encoding="utf-8") as f:
        for row in data:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    jsonl_s = time.perf_counter() - t
    for name, seconds, path in (("parquet (zstd)", parquet_s, folder / "v.parquet"), ("json lines (baseline)", jsonl_s, folder / "v.jsonl")):
        print(f"write {n:,} rows  {name:22s} {n / seconds:12,.0f} rows/s  {path.stat().st_size / 1e6:8.1f} MB  {seconds:6.2f} s")


def bench_query(n: int, folder: Path) -> list[tuple[Any, ...]]:
    import duckdb

    part = folder / "export" / "versions" / "source=all" / "year=0"
    part.mkdir(parents=True)
    con = duckdb.connect(":memory:")
    # generated in DuckDB itself: 10 M Python dicts would measure Python, not the query
    con.execute(f"""COPY (SELECT lpad(to_hex(i // 3), 12, '0') AS article_id, CAST(i % 3 AS INTEGER) AS rev,
        'revisions/x/' || i || '.md' AS path, make_timestamp(CAST(({BASE_MS} + (hash(i) % 157680000000)) * 1000 AS BIGINT)) AS seen,
        '标题' AS title, to_hex(hash(i * 7)) AS content_hash, CAST(2000 + hash(i) % 58000 AS BIGINT) AS size,
        CAST(hash(i * 3) % 500 AS BIGINT) AS chars_added, CAST(hash(i * 5) % 500 AS BIGINT) AS chars_removed
        FROM range({n}) t(i)) TO '{part / "part-0.parquet"}' (FORMAT parquet, COMPRESSION zstd)""")
    con.close()
    q = connect(folder / "export")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t = time.perf_counter()
    result = q.execute(DUCKDB_QUERY).fetchall()
    seconds = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    q.close()
    print(f"DuckDB query over {n:,} version rows: {len(result)} months in {seconds:.2f} s; process peak RSS {peak / 1024:.0f} MB (generating the file included; {before / 1024:.0f} MB before the query)")
    return result


def spark_missing() -> str | None:
    """Why Spark cannot run here, or None."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed; python3 -m pip install -e '.[bench]'"
    java = Path(os.environ["JAVA_HOME"], "bin", "java") if os.environ.get("JAVA_HOME") else shutil.which("java")
    if java is None or not Path(java).exists():
        return "no Java runtime; pyspark needs Java 17+, e.g. apt-get install openjdk-17-jre-headless"
    return None


def _java_children() -> list[int]:
    """The java processes descended from this one (the Spark driver JVM)."""
    parents: dict[int, int] = {}
    names: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        pid, rest = int(entry.name), stat.rsplit(")", 1)
        names[pid] = stat[stat.find("(") + 1 : stat.rfind(")")]
        parents[pid] = int(rest[1].split()[1])
    me = os.getpid()

    def descends(pid: int) -> bool:
        while pid > 1:
            pid = parents.get(pid, 0)
            if pid == me:
                return True
        return False

    return [pid for pid, name in names.items() if name == "java" and descends(pid)]


def _peak_rss_mb(pid: int) -> float | None:
    """The process's peak resident set (VmHWM), in MB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def spark_session() -> Any:
    """A local Spark session that opens no port beyond loopback and no UI."""
    from pyspark.sql import SparkSession

    os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"
    return (
        SparkSession.builder.master("local[2]").appName("newsvault-bench")
        .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", SPARK_DRIVER_MEMORY).config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )


def bench_spark(n: int, folder: Path, expected: list[tuple[Any, ...]]) -> bool:
    """The DuckDB query on Spark over the same files; True when the answers are identical."""
    t = time.perf_counter()
    spark = spark_session()
    spark.sparkContext.setLogLevel("ERROR")
    started = time.perf_counter() - t
    try:
        # the same Hive-partitioned directory DuckDB read: partition columns from the paths
        spark.read.parquet(str(folder / "export" / "versions")).createOrReplaceTempView("versions")
        t = time.perf_counter()
        rows = spark.sql(SPARK_QUERY).collect()
        seconds = time.perf_counter() - t
        t = time.perf_counter()
        spark.sql(SPARK_QUERY).collect()  # again: the first run includes the JVM's warm-up
        warm = time.perf_counter() - t
        jvms = _java_children()
        peak = max((p for p in map(_peak_rss_mb, jvms) if p is not None), default=None)
    finally:
        spark.stop()
    got = [(r["month"], int(r["edits"]), float(r["median_size"])) for r in rows]
    want = [(m, int(e), float(x)) for m, e, x in expected]
    memory = f"JVM peak RSS {peak:.0f} MB" if peak is not None else "JVM RSS not readable"
    print(f"Spark (local[2], driver memory {SPARK_DRIVER_MEMORY}) query over {n:,} version rows: {len(got)} months in {seconds:.2f} s (run again: {warm:.2f} s); {memory}; session start {started:.1f} s")
    same = got == want
    print(f"same answer: {'yes' if same else 'no'}")
    if not same:
        diff = next((f"{a} vs {b}" for a, b in zip(want, got, strict=False) if a != b), f"{len(want)} rows vs {len(got)}")
        print(f"  first difference (DuckDB vs Spark): {diff}")
    return same


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--query-rows", type=int, default=10_000_000)
    ap.add_argument("--no-spark", action="store_true", help="Skip the Spark comparison.")
    args = ap.parse_args()
    same = True
    with tempfile.TemporaryDirectory() as tmp:
        expected = bench_query(args.query_rows, Path(tmp))  # first: the peak RSS is then DuckDB's own
        why = "--no-spark given" if args.no_spark else spark_missing()
        if why is None:
            same = bench_spark(args.query_rows, Path(tmp), expected)
        else:
            print(f"Spark: skipped: {why}")
        bench_write(args.rows, Path(tmp))
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
