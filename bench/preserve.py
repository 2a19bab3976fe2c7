"""Benchmark the preservation tools, each beside a baseline measured in the same run.

    python bench/preserve.py [--corpus ../shared/corpus] [--articles 300] [--runs 3]

* fsck: a full check of an archive holding the whole corpus, beside the unavoidable part of it
  (reading and hashing every record file);
* recheck: articles checked per second against local servers (no per-host delay, so the figure
  is the tool's own cost), beside a plain httpx GET loop over the same URLs; and with the
  articles spread over 4 hosts (127.0.0.1-4), which recheck checks in parallel;
* history: diffs of every article replayed from corpus/cdt-history.

Everything is written under /tmp; nothing in the repository changes.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import httpx  # noqa: E402

from inputs import default_corpus  # noqa: E402
from newsvault.archive import Archive, write_atomic  # noqa: E402
from newsvault.clean import clean_html  # noqa: E402
from newsvault.compose import init_archive  # noqa: E402
from newsvault.config import CONFIG_NAME, Source  # noqa: E402
from newsvault.importer import import_paths  # noqa: E402
from newsvault.preserve.fsck import check  # noqa: E402
from newsvault.preserve.history import article_history  # noqa: E402
from newsvault.preserve.recheck import RecheckPolicy, recheck  # noqa: E402
from newsvault.record import Record, parse  # noqa: E402
from timing import best  # noqa: E402


def bench_fsck(corpus: Path, tmp: Path, runs: int) -> None:
    archive = init_archive(tmp / "full")
    t = time.perf_counter()
    report = import_paths(archive, [corpus])
    print(f"setup: imported {report.seen} corpus files in {time.perf_counter() - t:.1f} s")
    files = list(archive.record_files())
    size = sum(p.stat().st_size for p in files)

    def read_hash() -> None:
        for p in files:
            hashlib.sha256(p.read_bytes()).hexdigest()

    result = {}

    def run_check() -> None:
        result["r"] = check(archive)

    base = best(read_hash, runs)
    full = best(run_check, runs)
    r = result["r"]
    assert r.clean, r.problems
    print(f"fsck check: {len(files)} record files, {size / 1e6:.1f} MB: {full:.3f} s "
          f"({len(files) / full:,.0f} files/s); baseline read+sha256 {base:.3f} s; ratio {full / base:.2f}")
    archive.close()


class _Pages(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out at once (no 40 ms delayed-ACK stall)
    pages: dict[str, bytes] = {}

    def do_GET(self) -> None:  # noqa: N802
        body = self.pages.get(self.path, b"")
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a: object) -> None:
        pass


def _page(title: str, body: str) -> bytes:
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title></head><body>"
            f"<nav>首页 新闻</nav><article>{body}</article><footer>©</footer></body></html>").encode()


def bench_recheck(corpus: Path, tmp: Path, n: int, runs: int) -> None:
    records = []
    for f in sorted((corpus / "jekyll" / "_posts").glob("*.md")):
        try:
            rec = parse(f.read_bytes())
        except Exception:
            continue
        if rec.variant == "jekyll" and 500 < len(rec.body) < 30000:
            records.append(rec)
        if len(records) == n:
            break
    servers = []
    for host in ("127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4"):
        httpd = ThreadingHTTPServer((host, 0), _Pages)
        httpd.daemon_threads = True
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        servers.append(httpd)
    try:
        for hosts in (1, 4):
            archive = init_archive(tmp / f"recheck-{hosts}")
            archive.config.sources = [Source("sel", "bench", ["http://127.0.0.1/feed"], body="page", selector="article")]
            archive.config.allow_private = True  # the bench servers are on 127.0.0.x
            write_atomic(archive.root / CONFIG_NAME, archive.config.dump())
            urls = []
            with archive.batch():
                for i, rec in enumerate(records):
                    s = servers[i % hosts]
                    path = f"/a/{hosts}/{i}.html"
                    url = f"http://{s.server_address[0]}:{s.server_address[1]}{path}"
                    body = clean_html(rec.body)
                    _Pages.pages[path] = _page(rec.title, body)
                    archive.add(Record(rec.title, url, rec.published, body), "sel")
                    urls.append(url)

            def plain(urls: list[str] = urls) -> None:
                with httpx.Client() as c:
                    for u in urls:
                        c.get(u).raise_for_status()

            policy = RecheckPolicy(delay=0.0, timeout=10, flush_every=1000)
            articles = archive.catalog.list_articles()
            out = {}

            def run(out: dict = out, archive: Archive = archive, articles: list = articles, policy: RecheckPolicy = policy) -> None:
                out["r"] = recheck(archive, articles=articles, policy=policy)

            base = best(plain, runs)
            full = best(run, runs)
            statuses = {r.status for r in out["r"]}
            assert statuses == {"live"}, statuses
            print(f"recheck, {len(urls)} articles on {hosts} host{'s' if hosts > 1 else ''}: {full:.2f} s "
                  f"({len(urls) / full:.0f} articles/s; fetch, extract, clean, compare, record); "
                  f"baseline sequential httpx GET {base:.2f} s ({len(urls) / base:.0f}/s)")
            archive.close()
    finally:
        for s in servers:
            s.shutdown()
    print("recheck at the default politeness (--delay 1): at most 1 request/s per host, hosts in parallel (up to 8)")


def bench_history(corpus: Path, tmp: Path, runs: int) -> None:
    archive = init_archive(tmp / "history")
    files = sorted((corpus / "cdt-history").glob("*/*.md"), key=lambda p: (int(p.stem), str(p)))
    for f in files:
        import_paths(archive, [f])
    articles = archive.catalog.list_articles()
    out = {}

    def run() -> None:
        out["n"] = sum(len(article_history(archive, a).changes) for a in articles)

    def read_only() -> None:
        for a in articles:
            for v in archive.catalog.versions(a.id):
                archive.read(v.path)

    base = best(read_only, runs)
    full = best(run, runs)
    print(f"history: {len(articles)} articles, {out['n']} diffs: {full:.3f} s ({full / out['n'] * 1000:.1f} ms a diff); "
          f"baseline reading every version {base:.3f} s")
    archive.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", type=Path, default=None, help="default: the reference corpus beside the repository, else tests/corpus (bench/inputs.py)")
    ap.add_argument("--articles", type=int, default=300)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    args.corpus = args.corpus or default_corpus()
    with tempfile.TemporaryDirectory(dir="/tmp", prefix="nv-bench-preserve-") as tmp:
        bench_fsck(args.corpus, Path(tmp), args.runs)
        bench_recheck(args.corpus, Path(tmp), args.articles, args.runs)
        bench_history(args.corpus, Path(tmp), args.runs)


if __name__ == "__main__":
    main()
