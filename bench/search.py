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

The engine's own overhead, same run (on unless ``--no-bare``): a bare tantivy-py index over the
same token streams. The tokens of every article are made once by the index's own ``tokenise``
and written to a file with the row ids the full build gave (timed: that CPU counts for the bare
build too); a fresh process then feeds them to tantivy with its defaults (``index.writer()``,
one commit at the end). Each build runs in a process of its own, and a thread of this one
samples the resident memory of the build's whole process tree (the tokenising workers
included) every 20 ms: "peak" is the highest sum. Ranking: the same queries, top 10, no
snippets: newsvault's whole path (parsing, the engine's query, the ranked row ids, the
documents table) against tantivy's ``searcher.search`` on query objects built beforehand, the
row ids read from its fast field. The bare index's counts are printed beside the engine's.

``--save-answers FILE`` writes each query's count and top-10 article ids; ``--check-answers
FILE`` compares a run's with them and exits 1 if any differ (same results before and after a
change).

The first search on an archive (``--archive-n N``, issue 26 item 6): an archive of N records
written through the archive (not timed; kept in ``DIR/archive-N`` for the next run), its search
index removed, then ``newsvault search`` as a user runs it, the peak resident memory of its
process tree sampled the same way, ``--first-runs`` times.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pickle
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from newsvault.search.index import MAX_TEXT, Doc, SearchIndex, tokenise  # noqa: E402
from newsvault.search.query import _filters, _top, count, parse_query, search  # noqa: E402
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


# -- memory of a process tree, sampled from outside ---------------------------------------------

PAGE = os.sysconf("SC_PAGE_SIZE")


def tree_rss(pid: int) -> int:
    """Resident bytes of process ``pid`` and all its descendants (0 once it has ended)."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/statm") as f:
                total += int(f.read().split()[1]) * PAGE
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo.extend(int(c) for c in f.read().split())
        except (OSError, ValueError):
            continue
    return total


def run_sampled(cmd: list[str], **kw) -> tuple[subprocess.CompletedProcess, int]:
    """Run ``cmd``; returns its result and the peak resident bytes of its process tree."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, **kw)
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.02):
            peak[0] = max(peak[0], tree_rss(proc.pid))

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    out, _ = proc.communicate()
    done.set()
    t.join()
    return subprocess.CompletedProcess(cmd, proc.returncode, out, None), peak[0]


def child(script_args: list[str]) -> dict:
    """Run this script's ``--child`` mode in a fresh process; its JSON answer with the tree's peak."""
    done, peak = run_sampled([sys.executable, __file__, *script_args])
    if done.returncode != 0:
        raise SystemExit(f"bench child {script_args[:2]} failed ({done.returncode})")
    info = json.loads(done.stdout.strip().splitlines()[-1])
    info["peak"] = peak
    return info


# -- the builds (each in a process of its own) ---------------------------------------------------

def build(engine: str, meta: list[Meta], records: Path, where: Path, max_build: float) -> dict:
    shutil.rmtree(where, ignore_errors=True)
    where.mkdir(parents=True)
    index = SearchIndex(where / "search.sqlite", engine=engine)
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
                print(f"  … {engine}: {built:,} docs, {html_bytes / 1e6 / (time.perf_counter() - t0):.1f} MB/s", file=sys.stderr, flush=True)
            yield Doc(aid, source, title, extract_text(body.decode("utf-8")), published)

    with index.bulk():  # what 'newsvault index' uses for big catch-ups; ends with one merge
        index.add_documents(docs(), batch=index.chunk)  # (the chunks a catch-up reads)
        t_insert = time.perf_counter() - t0
        t1 = time.perf_counter()
    t_final = time.perf_counter() - t1
    seconds = t_insert + t_final
    cpu = cpu_seconds() - c0  # every thread of the process (tantivy's too), and the tokenisers
    size = index.size_bytes()
    index.close()
    return {"engine": engine, "docs": built, "stopped": stopped, "mb": html_bytes / 1e6, "seconds": seconds, "cpu": cpu, "insert": t_insert, "final": t_final, "size": size}


def write_tokens(meta: list[Meta], records: Path, index_path: Path, out: Path) -> dict:
    """The token streams of the full build (its own ``tokenise``, its row ids), for the bare build."""
    t0, c0 = time.perf_counter(), cpu_seconds()
    con = sqlite3.connect(f"{index_path.as_uri()}?mode=ro", uri=True)
    rowids = dict(con.execute("SELECT article_id, rowid FROM docs"))
    con.close()
    n = 0
    with open(out, "wb") as f:
        for i in range(0, len(meta), 1000):
            part = [m for m in meta[i : i + 1000] if m[0] in rowids]
            texts = [(title, extract_text((records / aid[:2] / aid).read_text(encoding="utf-8"))[:MAX_TEXT]) for aid, _s, title, _p in part]
            rows = [(rowids[aid], source, *tokens) for (aid, source, _t, _p), tokens in zip(part, tokenise(texts, True), strict=True)]
            pickle.dump(rows, f, protocol=pickle.HIGHEST_PROTOCOL)
            n += len(rows)
    return {"docs": n, "seconds": time.perf_counter() - t0, "cpu": cpu_seconds() - c0}


def bare_build(tokens: Path, where: Path) -> dict:
    """tantivy-py alone over the token streams: its defaults, one commit, merges waited for."""
    import tantivy

    from newsvault.search.rows import published_of
    from newsvault.search.tantivy_engine import _schema, freshness

    shutil.rmtree(where, ignore_errors=True)
    where.mkdir(parents=True)
    t0, c0 = time.perf_counter(), cpu_seconds()
    index = tantivy.Index(_schema(), str(where))
    writer = index.writer()
    n = 0
    with open(tokens, "rb") as f:
        while True:
            try:
                rows = pickle.load(f)
            except EOFError:
                break
            for rid, source, title, body, words in rows:
                writer.add_document(tantivy.Document(rid=rid, fresh=freshness(published_of(rid)), src=source.lower(), title=title, body=title + " " + body, words=words))
            n += len(rows)
    writer.commit()
    writer.wait_merging_threads()
    size = sum(p.stat().st_size for p in where.iterdir() if p.is_file())
    return {"engine": "bare tantivy", "docs": n, "seconds": time.perf_counter() - t0, "cpu": cpu_seconds() - c0, "size": size}


# -- queries ---------------------------------------------------------------------------------------

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
    top = {q: [h.id for h in search(index, q, limit=10)] for q in QUERIES}
    return {"p50": statistics.median(lat), "p95": percentile(lat, 95), "per_query": {q: statistics.median(v) for q, v in per_query.items()}, "counts": counts, "top": top}


def rank(index: SearchIndex, q: str, now: int) -> list:
    """newsvault's ranking alone: what ``search`` does before it reads texts for snippets."""
    query = parse_query(q)
    filters = _filters(query, None, None, None)
    with index.lock:
        return _top(index, query, filters, 10, now)


def ranking(index: SearchIndex, bare_dir: Path | None, runs: int) -> dict:
    """Top 10 without snippets: newsvault's path, and (``bare_dir``) bare tantivy's, interleaved
    query by query so that both see the same machine."""
    from newsvault.search.tantivy_engine import TantivyEngine

    now = int(time.time() * 1000)
    ours: list[float] = []
    bare: list[float] = []
    prepared = []
    if bare_dir is not None:
        engine = TantivyEngine(bare_dir)
        searcher = engine.index.searcher()
        for q in QUERIES:
            query = parse_query(q)
            prepared.append(engine._query(query, _filters(query, None, None, None)))
    counts = {q: int(searcher.search(tq, 1, count=True).count) for q, tq in zip(QUERIES, prepared, strict=True)} if prepared else {}

    def bare_top(tq) -> list[int]:
        hits = searcher.search(tq, 10, count=False, weight_by_field="fresh").hits
        return searcher.fast_field_values("rid", [a for _s, a in hits]) if hits else []

    for _ in range(2):  # warm up
        for i, q in enumerate(QUERIES):
            rank(index, q, now)
            if prepared:
                bare_top(prepared[i])
    for _ in range(runs):
        for i, q in enumerate(QUERIES):
            t = time.perf_counter()
            rank(index, q, now)
            ours.append((time.perf_counter() - t) * 1000)
            if prepared:
                t = time.perf_counter()
                bare_top(prepared[i])
                bare.append((time.perf_counter() - t) * 1000)
    out = {"p50": statistics.median(ours), "p95": percentile(ours, 95), "bare_counts": counts}
    if bare:
        out |= {"bare_p50": statistics.median(bare), "bare_p95": percentile(bare, 95)}
    return out


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
        f"[{info['mb'] / info['cpu']:.1f} MB per CPU-second, load {os.getloadavg()[0]:.1f}]; peak memory {info['peak'] / 1e6:.0f} MB; "
        f"index {info['size'] / 1e6:.0f} MB = {info['size'] / max(1, info['docs']):.0f} B/article; "
        f"p50 {lat['p50']:.2f} ms, p95 {lat['p95']:.2f} ms",
        flush=True,
    )


def overhead(info: dict, tok: dict, bare: dict, ranked: dict) -> None:
    """The full engine against bare tantivy over the same tokens (issue 26 item 5)."""
    bare_cpu = tok["cpu"] + bare["cpu"]
    print(
        f"engine overhead at {info['docs']:,}: build CPU {info['cpu']:.1f} s vs bare {bare_cpu:.1f} s (tokenising {tok['cpu']:.1f} + tantivy {bare['cpu']:.1f}) = {info['cpu'] / bare_cpu:.2f}×; "
        f"peak memory {info['peak'] / 1e6:.0f} MB vs bare {bare['peak'] / 1e6:.0f} MB = {info['peak'] / bare['peak']:.2f}×; "
        f"bare index {bare['size'] / 1e6:.0f} MB",
        flush=True,
    )
    print(
        f"ranking, top 10 without snippets: p50 {ranked['p50']:.2f} / p95 {ranked['p95']:.2f} ms vs bare tantivy {ranked['bare_p50']:.2f} / {ranked['bare_p95']:.2f} ms "
        f"= {ranked['p50'] / ranked['bare_p50']:.2f}× / {ranked['p95'] / ranked['bare_p95']:.2f}×",
        flush=True,
    )


def first_search(n: int, base: Path, runs: int) -> None:
    """Peak memory of the first ``newsvault search`` on an archive of n records (it builds the index)."""
    from scale import make_archive

    root = base / f"archive-{n}"
    if not (root / ".newsvault").is_dir():
        shutil.rmtree(root, ignore_errors=True)
        t = time.perf_counter()
        make_archive(root, n).close()
        print(f"archive of {n:,} records written in {time.perf_counter() - t:.0f} s (not counted)", flush=True)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    for i in range(runs):
        for p in (root / ".newsvault").glob("search.*"):
            shutil.rmtree(p) if p.is_dir() else p.unlink()
        t = time.perf_counter()
        done, peak = run_sampled([sys.executable, "-m", "newsvault", "-C", str(root), "search", "台湾", "--limit", "10"], env=env)
        seconds = time.perf_counter() - t
        if done.returncode != 0:
            raise SystemExit(f"newsvault search failed ({done.returncode})")
        print(f"first search, {n:,} articles (run {i + 1}): {seconds:.1f} s, peak memory {peak / 1e6:.0f} MB (the whole process tree) [load {os.getloadavg()[0]:.1f}]", flush=True)


def check_answers(path: Path, answers: dict) -> bool:
    """Whether ``answers`` (counts and top ids per query) are those saved in ``path``; says which differ."""
    before = json.loads(path.read_text(encoding="utf-8"))
    same = True
    for q in QUERIES:
        a, b = answers.get(q), before.get(q)
        if a != b:
            same = False
            print(f"  DIFFERENT {q}: count {b and b['count']} → {a and a['count']}, top {b and b['top']} → {a and a['top']}")
    print(f"answers {'the same as' if same else 'DIFFER from'} {path} ({len(QUERIES)} queries: counts and top 10)")
    return same


def run_child(args: argparse.Namespace) -> None:
    """``--child build ENGINE`` / ``--child tokens`` / ``--child bare``: one step in a fresh process."""
    step = args.child[0]
    meta_file, records = args.dir / "meta.pickle", args.dir / "records"
    if step == "bare":
        info = bare_build(args.dir / "tokens.pickle", args.dir / "bare")
    else:
        meta = pickle.loads(meta_file.read_bytes())
        if step == "tokens":
            info = write_tokens(meta, records, args.dir / "tantivy" / "search.sqlite", args.dir / "tokens.pickle")
        else:
            engine, n = args.child[1], int(args.child[2])
            info = build(engine, meta[:n], records, args.dir / engine, args.max_build)
    print(json.dumps(info))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=100_000, help="records for the tantivy engine")
    ap.add_argument("--fts5-n", type=int, default=None, help="records for the FTS5 baseline (default: -n, at most 100,000)")
    ap.add_argument("--dir", type=Path, default=Path("/tmp/nv-bench-search"), help="where the indexes go")
    ap.add_argument("--max-build", type=float, default=7200, help="stop building after this many seconds")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--scan-n", type=int, default=None, help="articles for the in-memory scan baseline (default: -n; 0: none)")
    ap.add_argument("--no-bare", action="store_true", help="no bare tantivy baseline")
    ap.add_argument("--save-answers", type=Path, help="write each query's count and top 10 ids here")
    ap.add_argument("--check-answers", type=Path, help="exit 1 unless the counts and top 10 ids are those saved here")
    ap.add_argument("--archive-n", type=int, default=0, help="also measure the first search on an archive of this many records")
    ap.add_argument("--first-runs", type=int, default=3)
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        return run_child(args)
    scan: list[tuple[str, str]] = []
    scan_n = args.n if args.scan_n is None else args.scan_n
    fts5_n = args.fts5_n if args.fts5_n is not None else min(args.n, 100_000)

    records = args.dir / "records"
    args.dir.mkdir(parents=True, exist_ok=True)
    meta = write_records(max(args.n, fts5_n), records, scan, scan_n)
    (args.dir / "meta.pickle").write_bytes(pickle.dumps(meta))
    scanned = scan_latency(scan, args.runs) if scan else {}
    scan.clear()  # (memory for the builds)
    results = []
    overheads = []
    for engine, n in (("tantivy", args.n), ("fts5", fts5_n)):
        if n <= 0:
            continue
        info = child(["--dir", str(args.dir), "--max-build", str(args.max_build), "--child", "build", engine, str(n)])
        index = SearchIndex(args.dir / engine / "search.sqlite", engine=engine)
        index.text_source = lambda ids: {a: extract_text(p.read_text(encoding="utf-8")) for a in ids if (p := records / a[:2] / a).exists()}
        lat = latency(index, args.runs)
        report(info, lat)
        results.append((info, lat))
        if engine == "tantivy" and not args.no_bare:
            tok = child(["--dir", str(args.dir), "--child", "tokens"])
            bare = child(["--dir", str(args.dir), "--child", "bare"])
            ranked = ranking(index, args.dir / "bare", args.runs)
            overheads.append((info, tok, bare, ranked))
            overhead(info, tok, bare, ranked)
            (args.dir / "tokens.pickle").unlink()
        index.close()
    shutil.rmtree(records, ignore_errors=True)  # (8 GB at a million)

    print(f"\nquery mix ({len(QUERIES)} queries × {args.runs} runs, top 10 with snippets), p50 ms and exact match counts:")
    print("  " + " | ".join(f"{info['engine']} at {info['docs']:,}" for info, _ in results) + (" | bare tantivy" if overheads else ""))
    for q in QUERIES:
        bare_count = f" | {overheads[0][3]['bare_counts'][q]:>8,}" if overheads else ""
        print("  " + " | ".join(f"{lat['per_query'][q]:7.2f} ms {lat['counts'][q]:>8,}" for _, lat in results) + bare_count + f"  {q}")
    print()
    for info, lat in results:
        report(info, lat)
    for o in overheads:
        overhead(*o)
    if scanned:
        t = results[0][1]
        print(
            f"in-memory scan {scanned['docs']:>9,} docs: p50 {scanned['p50']:.0f} ms, p95 {scanned['p95']:.0f} ms (finding only) "
            f"= {scanned['p50'] / t['p50']:.0f}× the p50 and {scanned['p95'] / t['p95']:.0f}× the p95 of tantivy at {results[0][0]['docs']:,}"
        )
    answers = {q: {"count": results[0][1]["counts"][q], "top": results[0][1]["top"][q]} for q in QUERIES} if results else {}
    if args.save_answers:
        args.save_answers.write_text(json.dumps(answers, ensure_ascii=False, indent=1), encoding="utf-8")
    if args.archive_n:
        first_search(args.archive_n, args.dir, args.first_runs)
    if args.check_answers and not check_answers(args.check_answers, answers):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
