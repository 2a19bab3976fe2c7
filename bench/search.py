"""Search at scale: build speed, index size and query latency of the two engines, same run.

    python bench/search.py -n 100000                       # tantivy at 100k, FTS5 at 100k
    nice python bench/search.py -n 1000000 --fts5-n 100000  # tantivy at 1M beside FTS5 at 100k

The records come from ``bench/scale.py`` (variants of the corpus records). First, not timed,
each body is written to a record file (``records/``: the archive; not counted in the index size
either). Then the timed build does what a catch-up does: read each record file, make its HTML
plain text, and index it (``SearchIndex.add_documents`` under the bulk settings of ``newsvault
index``, tokenising in worker processes). Build MB/s counts the records' HTML bodies (the
input) and includes reading them, text extraction, folding, tokenising (bigrams, and jieba
words for tantivy), the engine's inserts and its final merge. CPU seconds include the
tokenising processes. Snippets are cut from the record files at query time, as in an archive
(FTS5 keeps its own copy of the texts: it needs them to delete rows).

Latency: a fixed query mix (below), each query run ``--runs`` times warm, top 10 with
highlighted snippets; p50/p95 over all runs. Counts: exact matches per query (the engine
ranks every one of them).

Baseline without an index, same run: the in-memory scan, the plain texts of the first
``--scan-n`` articles (folded, held in a list, made while writing the records) searched for every
word of each query with Python's substring search (what grep does, minus the disk), p50 over
the mix; it only finds, it does not rank.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import shutil
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from newsvault.search.index import Doc, SearchIndex  # noqa: E402
from newsvault.search.query import count, search  # noqa: E402
from newsvault.search.tokens import extract_text, fold  # noqa: E402
from scale import variants  # noqa: E402
from timing import percentile  # noqa: E402

# A fixed mix: common and rare Chinese words, 2-character words, Traditional input, English,
# a phrase, filters. Words a reader of this archive would type.
QUERIES = [
    "加沙",
    "七国集团 加沙",
    "台湾",
    "臺灣 選舉",
    "香港 国安法",
    "新冠 疫苗",
    "习近平",
    "人权律师",
    "审查",
    "美国 制裁 华为",
    "\"一个声音\"",
    "疫情 source:rfi",
    "Taiwan",
    "Hong Kong protests",
    "privacy law",
    "刘晓波",
    "言论自由",
    "维吾尔",
    "诗歌 格丽克",
    "抗体检测",
]


def cpu_seconds() -> float:
    """CPU time of this process and of its ended children (the tokenising processes)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


Meta = tuple[str, str, str, "int | None"]  # article id, source, title, published (what the catalog gives)


def write_records(n: int, records: Path, scan: list[tuple[str, str]], scan_n: int) -> list[Meta]:
    """The archive the index is built from, not timed: each article's body in a record file,
    and what the catalog knows of it. The first ``scan_n`` texts are kept for the scan."""
    shutil.rmtree(records, ignore_errors=True)
    meta: list[Meta] = []
    for i, (source, rec) in enumerate(variants(n)):
        aid = hashlib.sha256(rec.url.encode()).hexdigest()[:12]
        (records / aid[:2]).mkdir(parents=True, exist_ok=True)
        (records / aid[:2] / aid).write_text(rec.body, encoding="utf-8")
        meta.append((aid, source, rec.title, rec.published))
        if len(scan) < scan_n:
            scan.append((source, fold(extract_text(rec.body))))
        if (i + 1) % 100_000 == 0:
            print(f"  … {i + 1:,} records written", flush=True)
    return meta


def build(engine: str, meta: list[Meta], records: Path, where: Path, max_build: float) -> tuple[SearchIndex, dict]:
    shutil.rmtree(where, ignore_errors=True)
    where.mkdir(parents=True)
    index = SearchIndex(where / "search.sqlite", engine=engine)
    index.text_source = lambda ids: {a: extract_text(p.read_text(encoding="utf-8")) for a in ids if (p := records / a[:2] / a).exists()}
    html_bytes = built = 0
    t0 = time.perf_counter()
    c0 = cpu_seconds()
    deadline = t0 + max_build
    stopped = False

    def docs():
        """What a catch-up reads: each record file, its HTML made plain text."""
        nonlocal html_bytes, built, stopped
        for aid, source, title, published in meta:
            if time.perf_counter() > deadline:
                stopped = True
                return
            body = (records / aid[:2] / aid).read_bytes()
            html_bytes += len(body)
            built += 1
            if built % 100_000 == 0:
                print(f"  … {engine}: {built:,} docs, {html_bytes / 1e6 / (time.perf_counter() - t0):.1f} MB/s", flush=True)
            yield Doc(aid, source, title, extract_text(body.decode("utf-8")), published)

    with index.bulk():  # what 'newsvault index' uses for big catch-ups; ends with one merge
        index.add_documents(docs(), batch=5000)
        t_insert = time.perf_counter() - t0
        t1 = time.perf_counter()
    t_final = time.perf_counter() - t1
    seconds = t_insert + t_final
    cpu = cpu_seconds() - c0  # every thread of the process (tantivy's too), and the tokenisers
    size = index.size_bytes()
    info = {"engine": engine, "docs": built, "stopped": stopped, "mb": html_bytes / 1e6, "seconds": seconds, "cpu": cpu, "insert": t_insert, "final": t_final, "size": size}
    return index, info


def latency(index: SearchIndex, runs: int) -> dict:
    for q in QUERIES:  # warm up
        search(index, q, limit=10)
    lat: list[float] = []
    per_query: dict[str, list[float]] = {}
    for _ in range(runs):
        for q in QUERIES:
            t = time.perf_counter()
            search(index, q, limit=10)
            dt = (time.perf_counter() - t) * 1000
            lat.append(dt)
            per_query.setdefault(q, []).append(dt)
    counts = {q: count(index, q) for q in QUERIES}
    return {"p50": statistics.median(lat), "p95": percentile(lat, 95), "per_query": {q: statistics.median(v) for q, v in per_query.items()}, "counts": counts}


def scan_latency(scan: list[tuple[str, str]], runs: int) -> dict:
    """The mix answered by scanning the texts (see the module docstring)."""
    lat: list[float] = []
    counts: dict[str, int] = {}
    for q in QUERIES:
        words = [fold(w.strip('"')) for w in q.split() if ":" not in w]
        sources = [w.split(":", 1)[1] for w in q.split() if w.startswith("source:")]
        for _ in range(max(1, runs // 2)):
            t = time.perf_counter()
            found = sum(1 for src, text in scan if all(w in text for w in words) and (not sources or src in sources))
            lat.append((time.perf_counter() - t) * 1000)
        counts[q] = found
    return {"p50": statistics.median(lat), "p95": percentile(lat, 95), "docs": len(scan), "counts": counts}


def report(info: dict, lat: dict) -> None:
    print(
        f"{info['engine']:8} {info['docs']:>9,} docs{' (time limit)' if info['stopped'] else ''}: {info['mb']:.0f} MB of HTML in {info['seconds']:.1f} s "
        f"(insert {info['insert']:.1f} + final merge {info['final']:.1f}) = {info['mb'] / info['seconds']:.1f} MB/s "
        f"[{info['mb'] / info['cpu']:.1f} MB per CPU-second, load {os.getloadavg()[0]:.1f}]; "
        f"index {info['size'] / 1e6:.0f} MB = {info['size'] / max(1, info['docs']):.0f} B/article; "
        f"p50 {lat['p50']:.2f} ms, p95 {lat['p95']:.2f} ms",
        flush=True,
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=100_000, help="records for the tantivy engine")
    ap.add_argument("--fts5-n", type=int, default=None, help="records for the FTS5 baseline (default: -n, at most 100,000)")
    ap.add_argument("--dir", type=Path, default=Path("/tmp/nv-bench-search"), help="where the indexes go")
    ap.add_argument("--max-build", type=float, default=7200, help="stop building after this many seconds")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--scan-n", type=int, default=None, help="articles for the in-memory scan baseline (default: -n; 0: none)")
    args = ap.parse_args()
    scan: list[tuple[str, str]] = []
    scan_n = args.n if args.scan_n is None else args.scan_n
    fts5_n = args.fts5_n if args.fts5_n is not None else min(args.n, 100_000)

    records = args.dir / "records"
    meta = write_records(max(args.n, fts5_n), records, scan, scan_n)
    scanned = scan_latency(scan, args.runs) if scan else {}
    scan.clear()  # (memory for the builds)
    results = []
    for engine, n in (("tantivy", args.n), ("fts5", fts5_n)):
        if n <= 0:
            continue
        index, info = build(engine, meta[:n], records, args.dir / engine, args.max_build)
        lat = latency(index, args.runs)
        report(info, lat)
        results.append((info, lat))
        index.close()
    shutil.rmtree(records, ignore_errors=True)  # (8 GB at a million)

    print(f"\nquery mix ({len(QUERIES)} queries × {args.runs} runs, top 10 with snippets), p50 ms and exact match counts:")
    print("  " + " | ".join(f"{info['engine']} at {info['docs']:,}" for info, _ in results))
    for q in QUERIES:
        print("  " + " | ".join(f"{lat['per_query'][q]:7.2f} ms {lat['counts'][q]:>8,}" for _, lat in results) + f"  {q}")
    print()
    for info, lat in results:
        report(info, lat)
    if scanned:
        t = results[0][1]
        print(
            f"in-memory scan {scanned['docs']:>9,} docs: p50 {scanned['p50']:.0f} ms, p95 {scanned['p95']:.0f} ms (finding only) "
            f"= {scanned['p50'] / t['p50']:.0f}× the p50 and {scanned['p95'] / t['p95']:.0f}× the p95 of tantivy at {results[0][0]['docs']:,}"
        )


if __name__ == "__main__":
    main()
