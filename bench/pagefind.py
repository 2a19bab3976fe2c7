"""Benchmark the static site's offline search beside Pagefind, on the same generated site.

    python bench/pagefind.py [-n 10000] [--dir /tmp/nv-bench-pagefind] [--reuse] [--queries 50]

Builds an archive of N scaled records (bench/scale.py, as bench/build.py does) and its static
site, then runs Pagefind (``pip install .[bench]``; ``--force-language zh`` so that it keeps one
index, ``--glob articles/**`` so that it indexes the article pages only) on that site, and
compares, each in the same run:

* index bytes on disk: ``search/`` against Pagefind's bundle;
* bytes a browser downloads for the same queries as served with gzip (median, p95): both sites
  are served from 127.0.0.1 and queried in headless Chromium through their own loaders
  (search.html with ``static/search.js``; Pagefind's ``pagefind.js``, its WebAssembly and
  ``data()`` of the first page of results), recording every file requested; a file is counted at
  its gzip size (Pagefind's, already gzipped, as they are);
* build time and peak RSS (``/usr/bin/time -v``: the largest process) of the whole site build
  against Pagefind's indexing alone;
* which articles are found: how many of the articles holding the query as an exact phrase each
  engine returns, and how many of the first page shown hold it.

Queries: half two-character words, half four-character phrases, cut from the titles of a seeded
sample of articles (so every query has at least one exact match).
"""

from __future__ import annotations

import argparse
import functools
import gzip
import http.server
import json
import random
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from build import StaticIndex, _pct  # noqa: E402
from newsvault.archive import Archive  # noqa: E402
from newsvault.publish import search_index as SI  # noqa: E402
from newsvault.text import html_to_text  # noqa: E402
from scale import make_archive  # noqa: E402

PAGE = 20  # results whose titles and snippets a query shows (search_index.RANK["page"])
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
_RUN = re.compile(r"[\u4e00-\u9fff]+")
_ARTICLE = re.compile(r"articles/[0-9a-f]{2}/([0-9a-f]+)\.html")

BUILD = """
import sys, time
sys.path.insert(0, sys.argv[2])
from newsvault.archive import Archive
from newsvault.publish.lists import build_lists
from newsvault.publish.site import build_site
archive = Archive.open(sys.argv[1])
articles = archive.catalog.list_articles()
build_lists(archive, articles)
build_site(archive, sys.argv[3], articles=articles)
"""

# Pagefind's own loader, as a site's search box uses it: the first page of results' data().
PAGEFIND_PAGE = """<!doctype html><meta charset="utf-8"><title>pagefind</title>
<script type="module">
window.pf = await import("/pagefind/pagefind.js");
await window.pf.options({basePath: "/pagefind/"});
window.query = async (q, k) => {
  const s = await window.pf.search(q);
  const data = await Promise.all(s.results.slice(0, k).map((r) => r.data()));
  return {n: s.results.length, urls: data.map((d) => d.url), ids: s.results.map((r) => r.id)};
};
window.urls = async (q, limit) => {
  const s = await window.pf.search(q);
  const data = await Promise.all(s.results.slice(0, limit).map((r) => r.data()));
  return data.map((d) => d.url);
};
window.ready = true;
</script>
"""


def timed(cmd: list[str]) -> tuple[float, int]:
    """(wall seconds, peak RSS in MB of the largest process) of ``cmd`` under /usr/bin/time -v."""
    t = time.perf_counter()
    out = subprocess.run(["/usr/bin/time", "-v", *cmd], capture_output=True, text=True, check=True)
    took = time.perf_counter() - t
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", out.stderr)
    return took, int(m.group(1)) // 1024 if m else 0


def tree_bytes(path: Path) -> tuple[int, int]:
    files = [f for f in path.rglob("*") if f.is_file()]
    return sum(f.stat().st_size for f in files), len(files)


@functools.cache
def served_bytes(path: Path) -> int:
    """Bytes on the wire with gzip (level 6, as web servers default to); gzip files as they are."""
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        return len(data)
    return min(len(data), len(gzip.compress(data, 6)))


class Recorder(http.server.SimpleHTTPRequestHandler):
    """Serves the site and records every path asked for (no caching: each query starts cold)."""

    requested: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.requested.append(unquote(urlsplit(self.path).path))
        super().do_GET()

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, *args: object) -> None:
        pass


def serve(site: Path) -> tuple[http.server.ThreadingHTTPServer, type[Recorder]]:
    handler = type("SiteRecorder", (Recorder,), {"requested": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, handler


def pick_queries(archive: Archive, n: int) -> list[str]:
    rng = random.Random(26)
    articles = archive.catalog.list_articles()
    out: list[str] = []
    while len(out) < n:
        runs = [r for r in _RUN.findall(rng.choice(articles).title) if len(r) >= 4]
        if not runs:
            continue
        run = rng.choice(runs)
        size = 2 if len(out) % 2 == 0 else 4
        start = rng.randrange(len(run) - size + 1)
        q = run[start : start + size]
        if q not in out:
            out.append(q)
    return out


def texts_of(archive: Archive) -> dict[str, str]:
    """Article id -> title and plain text (what both engines index)."""
    return {a.id: a.title + "\n" + html_to_text(archive.read(a.latest_path).body) for a in archive.catalog.list_articles()}


def run_ours(site: Path, queries: list[str], truth: dict[str, set[str]], browser) -> list[dict]:
    server, handler = serve(site)
    index = StaticIndex(site)
    by_docno = {v: k for k, v in index.ids.items()}
    base = f"http://127.0.0.1:{server.server_address[1]}"
    out = []
    try:
        for q in queries:
            handler.requested.clear()
            page = browser.new_page()
            page.goto(f"{base}/search.html?q={quote(q)}")
            page.wait_for_function("() => document.getElementById('status').textContent.indexOf('条结果') >= 0", timeout=60_000)
            shown = [m.group(1) for h in page.eval_on_selector_all("#results a.t", "els => els.map(e => e.getAttribute('href'))")
                     if (m := _ARTICLE.search(h))]
            page.close()
            files = [p for p in handler.requested if p.startswith(("/search/", "/static/search.js", "/static/t2s.js"))]
            # Every hit (not only the page shown): the AND of the query's terms, as search.js scores.
            folded = SI.fold(q)
            terms = [folded[i : i + 2] for i in range(len(folded) - 1)]
            hits = set.intersection(*(set(index.postings(t)) for t in terms))
            found = {by_docno[d] for d in hits if d in by_docno}
            out.append(_row(q, site, files, len(found), shown, found, truth[q]))
    finally:
        server.shutdown()
    return out


def run_pagefind(site: Path, queries: list[str], truth: dict[str, set[str]], browser, recall_limit: int) -> list[dict]:
    (site / "pf-bench.html").write_text(PAGEFIND_PAGE, encoding="utf-8")
    server, handler = serve(site)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    out = []
    try:
        for q in queries:
            page = browser.new_page()
            page.goto(f"{base}/pf-bench.html")
            page.wait_for_function("() => window.ready === true", timeout=60_000)
            handler.requested.clear()  # the query's own loads: pagefind.js's import above included below
            handler.requested.append("/pagefind/pagefind.js")
            res = page.evaluate("([q, k]) => window.query(q, k)", [q, PAGE])
            files = [p for p in handler.requested if p.startswith("/pagefind/")]
            shown = [m.group(1) for u in res["urls"] if (m := _ARTICLE.search(u))]
            # Which articles it finds beyond the page (not counted as loaded bytes).
            urls = page.evaluate("([q, k]) => window.urls(q, k)", [q, recall_limit]) if res["n"] > PAGE else res["urls"]
            page.close()
            found = {m.group(1) for u in urls if (m := _ARTICLE.search(u))}
            out.append(_row(q, site, files, res["n"], shown, found, truth[q], capped=res["n"] > recall_limit))
    finally:
        server.shutdown()
    return out


def _row(q: str, site: Path, files: list[str], n: int, shown: list[str], found: set[str], exact: set[str], capped: bool = False) -> dict:
    return {"q": q, "bytes": sum(served_bytes(site / f.lstrip("/")) for f in dict.fromkeys(files) if (site / f.lstrip("/")).is_file()),
            "files": len(set(files)), "hits": n, "exact": len(exact), "exact_found": len(found & exact),
            "shown": len(shown), "shown_exact": sum(1 for s in shown if s in exact), "capped": capped}


def summary(name: str, rows: list[dict]) -> str:
    loads = sorted(r["bytes"] for r in rows)
    exact = sum(r["exact"] for r in rows)
    found = sum(r["exact_found"] for r in rows)
    shown = sum(r["shown"] for r in rows)
    shown_exact = sum(r["shown_exact"] for r in rows)
    missed = sum(1 for r in rows if r["exact_found"] < r["exact"])
    return (f"| {name} | {_pct(loads, 50) / 1000:.1f} KB | {_pct(loads, 95) / 1000:.1f} KB | "
            f"{found} of {exact} ({100 * found / max(1, exact):.1f} %; {missed} queries missed some) | "
            f"{shown_exact} of {shown} ({100 * shown_exact / max(1, shown):.1f} %) |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=10_000)
    ap.add_argument("--dir", type=Path, default=Path("/tmp/nv-bench-pagefind"))
    ap.add_argument("--reuse", action="store_true", help="reuse the archive an earlier run left (the site is built again)")
    ap.add_argument("--queries", type=int, default=50)
    ap.add_argument("--recall-limit", type=int, default=2000, help="Pagefind results whose data() is read to see which articles it found")
    ap.add_argument("--out", type=Path, help="write the figures (markdown) here as well")
    args = ap.parse_args()

    root, site = args.dir / "archive", args.dir / "site"
    if not (args.reuse and root.exists()):
        shutil.rmtree(args.dir, ignore_errors=True)
        args.dir.mkdir(parents=True)
        make_archive(root, args.n)
    archive = Archive.open(root)
    shutil.rmtree(site, ignore_errors=True)
    for p in (archive.state_dir / "publish").glob("*"):
        if p.name.startswith(("site-", "search-")):
            p.unlink()
    src = str(Path(__file__).resolve().parents[1] / "src")
    ours_s, ours_mb = timed([sys.executable, "-c", BUILD, str(root), src, str(site)])
    ours_bytes, ours_files = tree_bytes(site / "search")
    site_bytes, _ = tree_bytes(site)
    pf_s, pf_mb = timed([sys.executable, "-m", "pagefind", "--site", str(site), "--glob", "articles/**/*.html",
                         "--force-language", "zh", "--output-subdir", "pagefind", "--silent"])
    pf_bytes, pf_files = tree_bytes(site / "pagefind")
    print(f"built: newsvault site {ours_s:.1f} s, {ours_mb} MB peak; Pagefind {pf_s:.1f} s, {pf_mb} MB peak")

    queries = pick_queries(archive, args.queries)
    texts = texts_of(archive)
    truth = {q: {aid for aid, t in texts.items() if q in t} for q in queries}
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            ours = run_ours(site, queries, truth, browser)
            theirs = run_pagefind(site, queries, truth, browser, args.recall_limit)
        finally:
            browser.close()
    lines = [
        f"# Offline search beside Pagefind ({args.n} generated articles, {len(queries)} queries)",
        "",
        f"Command: `python bench/pagefind.py -n {args.n}`.",
        "",
        "| | index on disk | build | peak RSS |",
        "|---|---:|---:|---:|",
        f"| newsvault (search/; whole site {site_bytes / 1e6:.0f} MB) | {ours_bytes / 1e6:.1f} MB in {ours_files} files | "
        f"{ours_s:.1f} s (whole site) | {ours_mb} MB |",
        f"| Pagefind {_version()} | {pf_bytes / 1e6:.1f} MB in {pf_files} files | {pf_s:.1f} s (index only) | {pf_mb} MB |",
        "",
        f"| | query loads, median (gzip) | p95 | articles holding the exact phrase that it returns | of the first {PAGE} shown, holding it |",
        "|---|---:|---:|---:|---:|",
        summary("newsvault", ours),
        summary("Pagefind", theirs),
        "",
        "Query loads count everything the loader fetched for a query from a cold start (scripts, WebAssembly, "
        "meta, index shards, the first page's titles and texts).",
        "",
        "| query | newsvault bytes | hits | exact found | Pagefind bytes | hits | exact found | exact |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for a, b in zip(ours, theirs, strict=True):
        lines.append(f"| {a['q']} | {a['bytes']} | {a['hits']} | {a['exact_found']} | {b['bytes']} | {b['hits']}"
                     f"{' (capped)' if b['capped'] else ''} | {b['exact_found']} | {a['exact']} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    print(json.dumps({"ours_bytes": ours_bytes, "pagefind_bytes": pf_bytes}))


def _version() -> str:
    out = subprocess.run([sys.executable, "-m", "pagefind", "--version"], capture_output=True, text=True)
    return out.stdout.strip().split()[-1] if out.returncode == 0 and out.stdout.strip() else ""


if __name__ == "__main__":
    main()
