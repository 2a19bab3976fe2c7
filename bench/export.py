"""Export speed and analysis cost, on generated rows (no network, no archive needed).

1. 1,000,000 ``versions`` rows written as Parquet through the export's own writer
   (``newsvault.export.writer.write_parquet``) beside the same rows written as JSON lines, in
   the same run: rows/s and bytes of each.
2. One analysis query (edits per source per month, with the median edit size) in DuckDB over
   10,000,000 generated version rows in Parquet: time and the process's peak memory.

    python3 bench/export.py [--rows 1000000] [--query-rows 10000000]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import tempfile
import time
from pathlib import Path

from newsvault.export.analysis import connect
from newsvault.export.writer import write_parquet

SOURCES = ["rfi", "bbc", "dw", "voa", "nytimes", "rfa", "cdt", "zaobao"]
BASE_MS = 1_577_836_800_000  # 2020-01-01


def rows(n: int, seed: int = 1) -> list[dict]:
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
    write_parquet(folder / "v.parquet", "versions", data)
    parquet_s = time.perf_counter() - t
    t = time.perf_counter()
    with open(folder / "v.jsonl", "w", encoding="utf-8") as f:
        for row in data:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    jsonl_s = time.perf_counter() - t
    for name, seconds, path in (("parquet (zstd)", parquet_s, folder / "v.parquet"), ("json lines (baseline)", jsonl_s, folder / "v.jsonl")):
        print(f"write {n:,} rows  {name:22s} {n / seconds:12,.0f} rows/s  {path.stat().st_size / 1e6:8.1f} MB  {seconds:6.2f} s")


def bench_query(n: int, folder: Path) -> None:
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
    result = q.execute("""SELECT strftime(seen, '%Y-%m') AS month, count(*) AS edits, median(chars_added + chars_removed) AS median_size
        FROM versions WHERE rev > 0 GROUP BY month ORDER BY month""").fetchall()
    seconds = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"query over {n:,} version rows: {len(result)} months in {seconds:.2f} s; process peak RSS {peak / 1024:.0f} MB (generating the file included; {before / 1024:.0f} MB before the query)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--query-rows", type=int, default=10_000_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bench_query(args.query_rows, Path(tmp))  # first: the peak RSS is then DuckDB's own
        bench_write(args.rows, Path(tmp))
    print("Spark: not compared (pyspark needs a Java runtime, not installed on this machine)")


if __name__ == "__main__":
    main()
