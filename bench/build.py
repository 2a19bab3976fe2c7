"""Benchmark `newsvault build --site`: a full build of an archive of N scaled records, then an
incremental rebuild after adding 100 more, each beside the time to copy as many files as the
build wrote (same machine, same run, same disk).

    python bench/build.py [-n 100000] [--dir /tmp/nv-bench-build] [--reuse]

Goals: full build < 120 s, incremental < 5 s at 100,000 records.

Then the offline search index's coverage: for a sample of articles (``--sample``, default
2,000; 0 = all), is the article found by a word (a CJK bigram) from the end of its text? And
how many bytes such a query loads (meta.js, its term's shards, and for the first page of
results in relevance order their title chunks and snippet texts) beside the whole index's size.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from newsvault.archive import Archive  # noqa: E402
from newsvault.publish import search_index as SI  # noqa: E402
from newsvault.publish.lists import build_lists  # noqa: E402
from newsvault.publish.site import build_site  # noqa: E402
from newsvault.text import html_to_text  # noqa: E402
from scale import make_archive, variants  # noqa: E402


def copy_files(archive: Archive, n: int, dest: Path) -> float:
    """Seconds to copy n record files (the baseline: plain file I/O of the same count)."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    files = []
    for p in archive.record_files():
        files.append(p)
        if len(files) >= n:
            break
    while len(files) < n:  # fewer records than files written: copy some twice
        files += files[: n - len(files)]
    t = time.perf_counter()
    for i, p in enumerate(files):
        shutil.copyfile(p, dest / f"{i}.md")
    took = time.perf_counter() - t
    shutil.rmtree(dest)
    return took


class StaticIndex:
    """The built site's search index read as search.js reads it (shards loaded on demand,
    ranked with the weights meta.js carries, text files loaded for the first page of hits)."""

    def __init__(self, site: Path) -> None:
        self.site = site
        self.dir = site / "search"
        self.meta = json.loads(re.search(r"NV\.meta=(.*);", (self.dir / "meta.js").read_text(encoding="utf-8")).group(1))  # type: ignore[union-attr]
        self.shards: dict[str, dict[str, list[str]]] = {}
        self.ids: dict[str, int] = {}
        for path in (self.dir / "d").glob("*.js"):
            for m in re.finditer(r"NV\.d\(\d+,(\[.*\])\);", path.read_text(encoding="utf-8")):
                for row in json.loads(m.group(1)):
                    self.ids[row[1]] = row[0]

    def files_for(self, term: str) -> list[str]:
        return [f"t/{SI.shard_of(term, self.meta['shards'])}.js"] + [f"t/g{g}-{SI.shard_of(term, n)}.js" for g, n in self.meta["gens"]]

    def _shard(self, name: str) -> dict[str, list[str]]:
        if name not in self.shards:
            terms: dict[str, list[str]] = {}
            path = self.dir / name
            if path.exists():
                for entries in SI.read_shard(path.read_text(encoding="utf-8")):
                    for k, v in entries.items():
                        terms.setdefault(k, []).append(v)
            self.shards[name] = terms
        return self.shards[name]

    def postings(self, term: str) -> dict[int, int]:
        """docno -> weight, merged over segments and generations (later ones win)."""
        out: dict[int, int] = {}
        for name in self.files_for(term):
            for postings in self._shard(name).get(term, []):
                out.update(SI.decode(postings))
        return out

    def ranked(self, term: str) -> list[int]:
        """Hits of a one-term query in search.js's relevance order."""
        rank = self.meta["rank"]
        hits = self.postings(term)
        return sorted(hits, key=lambda d: (-(rank["impact"][hits[d] & 3] + rank["title"] * (hits[d] >> 2)), -d))

    def query_bytes(self, term: str) -> int:
        """Bytes search.js loads for a one-term query: meta.js, the term's shards, then for the
        first page of hits their document chunks and text files (snippets)."""
        page = self.ranked(term)[: self.meta["rank"]["page"]]
        files = [self.dir / "meta.js"] + [self.dir / f for f in self.files_for(term)]
        files += [self.dir / "d" / f"{c}.js" for c in sorted({d // self.meta["chunk"] for d in page})]
        files += [self.site / SI.text_path(d) for d in page]
        return sum(f.stat().st_size for f in files if f.exists())


_CJK_PAIR = re.compile(r"[\u4e00-\u9fff]{2}")


def coverage(archive: Archive, site: Path, sample: int) -> tuple[int, int, int, list[int]]:
    """(articles checked, found by a word from the end of their text, with no such word, bytes a query loaded)."""
    index = StaticIndex(site)
    articles = archive.catalog.list_articles()
    if sample and sample < len(articles):
        articles = random.Random(1).sample(articles, sample)
    found = without = 0
    loads: list[int] = []
    for a in articles:
        text = html_to_text(archive.read(a.latest_path).body)
        words = _CJK_PAIR.findall(text[-60:])
        if not words:
            without += 1
            continue
        term = SI.fold(words[-1])
        loads.append(index.query_bytes(term))
        if index.ids.get(a.id) in index.postings(term):
            found += 1
    return len(articles), found, without, loads


def _pct(values: list[int], p: int) -> int:
    """The p-th percentile of sorted values (nearest rank)."""
    return values[min(len(values) - 1, max(0, -(-p * len(values) // 100) - 1))] if values else 0


def reset_peak_rss() -> None:
    """Start this process's peak RSS again from now (Linux: writing 5 to clear_refs), so that
    setting up the archive does not count."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def peak_rss_mb() -> tuple[int, int]:
    """Peak RSS (MB) of this process since :func:`reset_peak_rss`, and of the largest finished
    child (the render workers)."""
    try:
        with open("/proc/self/status") as f:
            me = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:")) // 1024
    except (OSError, StopIteration):
        me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    return me, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024


def cpu() -> float:
    """CPU seconds used so far by this process and its finished children (the render workers)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=100_000)
    ap.add_argument("--dir", type=Path, default=Path("/tmp/nv-bench-build"))
    ap.add_argument("--reuse", action="store_true", help="reuse an archive of N records left by an earlier run")
    ap.add_argument("--out", type=Path, help="write the figures (markdown) here as well")
    ap.add_argument("--sample", type=int, default=2000, help="articles checked for search coverage (0: all)")
    args = ap.parse_args()

    root = args.dir / "archive"
    site = args.dir / "site"
    if args.reuse and root.exists():
        archive = Archive.open(root)
        # An earlier run may have added the extra 100: start again from a copy-free state by
        # dropping the site only; the incremental step below adds 100 new, unseen variants.
    else:
        if args.dir.exists():
            shutil.rmtree(args.dir)
        args.dir.mkdir(parents=True)
        t = time.perf_counter()
        archive = make_archive(root, args.n)
        print(f"setup: {args.n} records written through the archive in {time.perf_counter() - t:.0f} s (not counted)")
    if site.exists():
        shutil.rmtree(site)
    shutil.rmtree(root / "lists", ignore_errors=True)  # a full build writes every list again
    (root / "README.md").unlink(missing_ok=True)
    for p in (archive.state_dir / "publish").glob("site-*.json"):
        p.unlink()
    for p in (archive.state_dir / "publish").glob("search-*.json"):
        p.unlink()
    stats = archive.catalog.stats()["total"]
    records = stats["records"] + stats["revisions"]
    print(f"archive: {stats['records']} articles + {stats['revisions']} revisions = {records} records, cpus={os.cpu_count()}")

    rows = []
    reset_peak_rss()
    c0 = cpu()
    t = time.perf_counter()
    articles = archive.catalog.list_articles()
    load_s = time.perf_counter() - t
    t = time.perf_counter()
    lists = build_lists(archive, articles)
    lists_s = time.perf_counter() - t
    t = time.perf_counter()
    full = build_site(archive, site, articles=articles)
    full_s = time.perf_counter() - t
    full_cpu = cpu() - c0
    c1 = cpu()
    copy_full = copy_files(archive, full.written, args.dir / "copy")
    copy_full_cpu = cpu() - c1
    rows.append(("full build: load catalog rows", 0, load_s, None))
    rows.append(("full build: lists", len(lists.written), lists_s, None))
    rows.append(("full build: site", full.written, full_s, copy_full))
    rows.append(("**full build: total**", full.written + len(lists.written), load_s + lists_s + full_s, copy_full))
    rows.append(("full build: CPU seconds (all processes)", "", full_cpu, copy_full_cpu))
    full_rss = peak_rss_mb()
    print("full build phases:", full.phases)
    print(f"full: site {full_s:.1f} s ({full.written} files, {full.articles_rendered} articles), lists {lists_s:.1f} s; copy {full.written} files {copy_full:.1f} s")

    # Incremental: 100 new articles (variants past the ones already archived).
    existing = archive.catalog.count_articles()
    extra = [x for i, x in enumerate(variants(records + 100)) if i >= records]
    with archive.batch():
        for source, rec in extra:
            archive.add(rec, source)
    added = archive.catalog.count_articles() - existing
    reset_peak_rss()
    c0 = cpu()
    t = time.perf_counter()
    articles = archive.catalog.list_articles()
    load2_s = time.perf_counter() - t
    t = time.perf_counter()
    lists2 = build_lists(archive, articles)
    lists2_s = time.perf_counter() - t
    t = time.perf_counter()
    inc = build_site(archive, site, articles=articles)
    inc_s = time.perf_counter() - t
    inc_cpu = cpu() - c0
    c1 = cpu()
    copy_inc = copy_files(archive, inc.written, args.dir / "copy")
    copy_inc_cpu = cpu() - c1
    rows.append(("incremental: load catalog rows", 0, load2_s, None))
    rows.append(("incremental: lists", len(lists2.written), lists2_s, None))
    rows.append(("incremental: site", inc.written, inc_s, copy_inc))
    rows.append(("**incremental (+100 records): total**", inc.written + len(lists2.written), load2_s + lists2_s + inc_s, copy_inc))
    rows.append(("incremental: CPU seconds", "", inc_cpu, copy_inc_cpu))
    inc_rss = peak_rss_mb()
    print("incremental phases:", inc.phases)
    print(f"incremental (+{len(extra)} records, {added} new articles): site {inc_s:.2f} s ({inc.written} files, {inc.skipped} unchanged), lists {lists2_s:.2f} s; copy {inc.written} files {copy_inc:.2f} s")

    with open("/proc/loadavg") as f:
        load = f.read().split()[:3]
    size = sum(f.stat().st_size for f in site.rglob("*") if f.is_file())
    search = sum(f.stat().st_size for f in (site / "search").rglob("*") if f.is_file())
    lines = [
        f"# Build benchmark ({records} records: {stats['records']} articles + {stats['revisions']} revisions)",
        "",
        f"Command: `python bench/build.py -n {args.n}` on {os.cpu_count()} CPUs.",
        "",
        "| step | files written | time | copying as many files |",
        "|---|---:|---:|---:|",
    ]
    for name, files, secs, base in rows:
        lines.append(f"| {name} | {files} | {secs:.2f} s | {'-' if base is None else f'{base:.2f} s'} |")
    lines += [
        "",
        f"Site: {size / 1e6:.0f} MB, of which search index {search / 1e6:.0f} MB; goals: full < 120 s, incremental < 5 s.",
        f"Peak RSS of the full build: {full_rss[0]} MB (this process), {full_rss[1]} MB (the largest worker); "
        f"of the incremental build: {inc_rss[0]} MB (workers: the largest so far, {inc_rss[1]} MB); goal ≤ 400 MB.",
        f"Load average at the end: {' '.join(load)} (other processes share the machine; CPU seconds are less",
        "sensitive to that than wall-clock times: on an idle machine a build takes about CPU ÷ 2 on 2 cores).",
        f"Phases of the full site build (s): {full.phases}",
        f"Phases of the incremental site build (s): {inc.phases}",
    ]
    t = time.perf_counter()
    checked, found, without, loads = coverage(archive, site, args.sample)
    loads.sort()
    meta = StaticIndex(site).meta
    texts = sum(f.stat().st_size for f in (site / "search" / "x").rglob("*.js"))
    static = sum((site / "static" / f).stat().st_size for f in ("search.js", "t2s.js"))
    lines += [
        "",
        f"Offline search coverage: {found} of {checked - without} sampled articles found by a word from the end of their text "
        f"({100 * found / max(1, checked - without):.1f} %; {without} had no Chinese word there); each article's text indexed up to "
        f"{meta['lead']} characters ({meta['clipped']} longer).",
        f"Bytes a one-word query loads (meta.js, the term's shards, then for the first {meta['rank']['page']} hits in relevance order "
        f"their title chunks and text files): median {_pct(loads, 50)} B, p95 {_pct(loads, 95)} B, max {_pct(loads, 100)} B, "
        f"once the page's scripts ({static} B: search.js and t2s.js) are loaded; "
        f"index {search / 1e6:.0f} MB, of which postings and titles {(search - texts) / 1e6:.0f} MB and snippet texts {texts / 1e6:.0f} MB "
        f"(checked in {time.perf_counter() - t:.0f} s, not counted).",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
