"""Search at scale: index build speed, query latency, index size, against a brute-force scan.

    python bench/search.py -n 100000                 # 100k generated variants of real records
    python bench/search.py -n 1000000 --max-build 600 # 1M, building for at most 10 minutes

The records come from ``bench/scale.py`` (variants of the corpus records). They are not written
as files: documents go straight into the index (``SearchIndex.add_documents``), which is what
``newsvault index`` does after reading the files. Build MB/s counts the records' HTML bodies
(the input) and includes text extraction, folding, tokenising and FTS5 insertion.

Latency: a fixed query mix (below), each query run 5 times warm; p50/p95 of all runs, results
including snippets. Baseline in the same run: a brute-force scan, the same texts held folded in
memory and each query's words tested as substrings (cheaper than what the index does: no
ranking, no snippets), over the same documents.
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from newsvault.search.index import Doc, SearchIndex  # noqa: E402
from newsvault.search.query import parse_query, search  # noqa: E402
from newsvault.search.tokens import extract_text, fold  # noqa: E402
from scale import variants  # noqa: E402

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


def scan_words(q: str) -> list[str]:
    """What the brute-force scan looks for: each positive term, folded, as a substring."""
    parsed = parse_query(q)
    return [fold(t.text).strip('"') for t in parsed.terms]


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(p / 100 * (len(values) - 1))))
    return values[k]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=100_000, help="records to generate")
    ap.add_argument("--dir", type=Path, default=Path("/tmp/nv-bench-search"), help="where the index goes")
    ap.add_argument("--max-build", type=float, default=600, help="stop building after this many seconds")
    ap.add_argument("--scan-limit", type=int, default=0, help="hold at most this many texts for the scan (0: all)")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--like-queries", type=int, default=5, help="queries timed with the SQL LIKE baseline")
    args = ap.parse_args()

    args.dir.mkdir(parents=True, exist_ok=True)
    db = args.dir / f"search-{args.n}.sqlite"
    for p in args.dir.glob(db.name + "*"):
        p.unlink()
    index = SearchIndex(db)

    scan_texts: list[str] = []
    html_bytes = 0
    built = 0
    t0 = time.perf_counter()
    deadline = t0 + args.max_build
    stopped_early = False
    scan_prep = [0.0]

    def docs():
        nonlocal html_bytes, built, stopped_early
        for i, (source, rec) in enumerate(variants(args.n)):
            if time.perf_counter() > deadline:
                stopped_early = True
                return
            html_bytes += len(rec.body.encode("utf-8"))
            text = extract_text(rec.body)
            if not args.scan_limit or len(scan_texts) < args.scan_limit:
                # The scan's own copy of the text; its cost is taken out of the build time.
                t = time.perf_counter()
                scan_texts.append(fold(rec.title + "\n" + text))
                scan_prep[0] += time.perf_counter() - t
            built += 1
            if built % 50_000 == 0:
                dt = time.perf_counter() - t0
                print(f"  … {built:,} docs, {html_bytes / 1e6 / dt:.1f} MB/s", flush=True)
            aid = hashlib.sha256(rec.url.encode()).hexdigest()[:12]
            yield Doc(aid, source, rec.title, text, rec.published)

    with index.bulk():  # what 'newsvault index' uses for big catch-ups; ends with one merge
        index.add_documents(docs(), batch=5000)
        t_insert = time.perf_counter() - t0 - scan_prep[0]
        t1 = time.perf_counter()
    t_opt = time.perf_counter() - t1
    build_s = t_insert + t_opt
    size = index.size_bytes()
    print(f"built {built:,} docs{' (stopped at the time limit)' if stopped_early else ''}: "
          f"{html_bytes / 1e6:.0f} MB of HTML in {build_s:.1f} s (insert {t_insert:.1f} s + optimize {t_opt:.1f} s) "
          f"= {html_bytes / 1e6 / build_s:.1f} MB/s; index {size / 1e6:.0f} MB")

    # Warm up, then time.
    for q in QUERIES:
        search(index, q, limit=10)
    lat: list[float] = []
    per_query: dict[str, list[float]] = {}
    counts: dict[str, int] = {}
    for _ in range(args.runs):
        for q in QUERIES:
            t = time.perf_counter()
            hits = search(index, q, limit=10)
            dt = (time.perf_counter() - t) * 1000
            lat.append(dt)
            per_query.setdefault(q, []).append(dt)
            counts[q] = len(hits)

    scan_lat: list[float] = []
    scan_matches: dict[str, int] = {}
    texts = scan_texts
    for q in QUERIES:
        words = scan_words(q)
        t = time.perf_counter()
        n = sum(1 for s in texts if all(w in s for w in words))
        scan_lat.append((time.perf_counter() - t) * 1000)
        scan_matches[q] = n
    scale = built / max(1, len(texts))  # when the scan held fewer texts, extrapolate linearly
    scan_lat = [x * scale for x in scan_lat]

    # Second baseline: SQL LIKE over the same texts on disk (the texts table of the index), on
    # the first LIKE_QUERIES queries of the mix (it is slow).
    like_lat: list[float] = []
    for q in QUERIES[: args.like_queries]:
        words = scan_words(q)
        sql = "SELECT count(*) FROM texts WHERE " + " AND ".join("(title || body) LIKE ?" for _ in words)
        t = time.perf_counter()
        index.db.execute(sql, [f"%{w}%" for w in words]).fetchone()
        like_lat.append((time.perf_counter() - t) * 1000)

    p50, p95 = statistics.median(lat), percentile(lat, 95)
    s50, s95 = statistics.median(scan_lat), percentile(scan_lat, 95)
    print(f"\nquery mix ({len(QUERIES)} queries × {args.runs} runs, top 10 with snippets):")
    for q in QUERIES:
        print(f"  {statistics.median(per_query[q]):8.1f} ms  {q}  (scan {scan_lat[QUERIES.index(q)]:8.1f} ms, {scan_matches[q]:,} scan matches)")
    print(f"\nindex  p50 {p50:.1f} ms  p95 {p95:.1f} ms")
    print(f"scan   p50 {s50:.1f} ms  p95 {s95:.1f} ms" + (f"  (measured on {len(texts):,} texts, scaled ×{scale:.1f})" if scale > 1.01 else ""))
    if like_lat:
        l50 = statistics.median(like_lat)
        idx50 = statistics.median([statistics.median(per_query[q]) for q in QUERIES[: args.like_queries]])
        print(f"LIKE   p50 {l50:.1f} ms over the first {len(like_lat)} queries (index p50 on those: {idx50:.1f} ms, {l50 / idx50:.0f}×)")
    print(f"speed-up at p50: {s50 / p50:.0f}× vs the in-memory scan")
    print(f"index size: {size / 1e6:.0f} MB for {built:,} docs ({size / max(1, built):.0f} B/doc)")


if __name__ == "__main__":
    main()
