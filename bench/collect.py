"""Collector benchmark: 300 feeds × 50 items served on 127.0.0.1, a cold pass and a warm pass.

Each pass is timed beside a baseline measured in the same run: the same number of bare HTTP
GETs (httpx, same concurrency limits, bodies read and dropped; conditional GETs answered 304
for the warm baseline). Items are real corpus articles (China Digital Times and the Jekyll
mirror), each given a unique URL per feed.

    python bench/collect.py [--feeds 300] [--items 50] [--dir /tmp/nv-bench-collect] [--out bench/results/collect.md]

Goal: cold pass < 30 s, warm pass (all 304) < 3 s on the development machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import resource
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))

import httpx  # noqa: E402

from collect_helpers import FeedServer, Item, corpus_records, rss20  # noqa: E402
from newsvault.archive import Archive  # noqa: E402
from newsvault.clean import is_teaser  # noqa: E402
from newsvault.collect import run_pass  # noqa: E402
from newsvault.config import Source  # noqa: E402
from newsvault.fetch import FetchPolicy  # noqa: E402


def build_feeds(srv: FeedServer, feeds: int, items: int) -> tuple[list[Source], int]:
    # Full articles only (a short body would count as a teaser and send the collector to the
    # publisher's page, which this offline benchmark cannot reach).
    pool = [r for r in corpus_records("cdt", 70, max_bytes=8000) + corpus_records("jekyll", 30, max_bytes=8000) if not is_teaser(r.body)]
    total_bytes = 0
    sources = []
    for f in range(feeds):
        batch = []
        for i in range(items):
            rec = pool[(f * items + i) % len(pool)]
            sep = "&" if "?" in rec.url else "?"
            batch.append(Item(rec.title, f"{rec.url}{sep}feed={f}&item={i}", rec.body, rec.published))
        body = rss20(batch, title=f"feed {f}")
        total_bytes += len(body.encode())
        srv.static(f"/feeds/{f}.xml", body)
        sources.append(Source(f"s{f:03d}", f"source {f}", [srv.url(f"/feeds/{f}.xml")]))
    return sources, total_bytes


async def bare_gets(urls: list[str], policy: FetchPolicy, conditional: dict[str, str] | None = None) -> tuple[float, dict[str, str]]:
    """The same GETs with nothing else: the floor a pass cannot go below."""
    limits = httpx.Limits(max_connections=policy.concurrency, max_keepalive_connections=policy.concurrency)
    per_host = asyncio.Semaphore(policy.per_host)  # all feeds are on one host here
    etags: dict[str, str] = {}
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:

        async def one(url: str) -> None:
            headers = {"If-None-Match": conditional[url]} if conditional else {}
            async with per_host:
                r = await client.get(url, headers=headers)
            etags[url] = r.headers.get("etag", "")

        t = time.perf_counter()
        await asyncio.gather(*(one(u) for u in urls))
        return time.perf_counter() - t, etags


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--feeds", type=int, default=300)
    ap.add_argument("--items", type=int, default=50)
    ap.add_argument("--dir", type=Path, default=Path("/tmp/nv-bench-collect"))
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "collect.md")
    args = ap.parse_args()

    load = os.getloadavg()
    print(f"load average before the run: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    if args.dir.exists():
        shutil.rmtree(args.dir)
    policy = FetchPolicy(allow_private=True)  # the feeds are served from 127.0.0.1
    with FeedServer() as srv:
        t = time.perf_counter()
        sources, total_bytes = build_feeds(srv, args.feeds, args.items)
        print(f"built {args.feeds} feeds × {args.items} items ({total_bytes / 1e6:.1f} MB) in {time.perf_counter() - t:.1f} s")
        urls = [s.feeds[0] for s in sources]

        base_cold, etags = asyncio.run(bare_gets(urls, policy))
        archive = Archive.init(args.dir / "archive")
        cold = asyncio.run(run_pass(archive, sources, policy))
        t_cold = cold.seconds
        tot = cold.totals()
        assert cold.ok and tot["new"] == args.feeds * args.items, cold.totals()
        rss_cold = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"cold: {t_cold:.2f} s for {tot['new']} new records, of which {cold.write_seconds:.2f} s archiving  (bare GETs: {base_cold:.2f} s; {t_cold / base_cold:.1f}x, goal <= 3x)")
        print(f"peak RSS after the cold pass: {rss_cold:.0f} MB (this process: the pass, the feed server and its feeds; not the worker processes)")

        base_warm, _ = asyncio.run(bare_gets(urls, policy, conditional=etags))
        warm = asyncio.run(run_pass(archive, sources, policy))
        wt = warm.totals()
        assert warm.ok and wt["not_modified"] == args.feeds and wt["new"] == 0, wt
        print(f"warm: {warm.seconds:.2f} s, {wt['not_modified']} × 304  (bare conditional GETs: {base_warm:.2f} s; {warm.seconds / base_warm:.2f}x, goal <= 1.5x)")

        # Every feed answers 200 without validators, same items in different bytes (a new
        # channel title): everything is parsed and cleaned again, and nothing is written.
        for f, s in enumerate(sources):
            body = srv_body(srv, s).replace(f"<title>feed {f}</title>".encode(), f"<title>feed {f} (rebuilt)</title>".encode(), 1)
            srv.static(s.feeds[0][len(srv.base):], body, conditional=False)
        same = asyncio.run(run_pass(archive, sources, policy))
        st = same.totals()
        assert same.ok and st["new"] == st["revised"] == 0 and st["unchanged"] == args.feeds * args.items, st
        print(f"unchanged 200s: {same.seconds:.2f} s, {st['unchanged']} items re-parsed, nothing written")
        # The same bytes again, still without validators: recognised by digest, like a 304.
        again = asyncio.run(run_pass(archive, sources, policy))
        at = again.totals()
        assert again.ok and at["not_modified"] == args.feeds, at
        print(f"same bytes, no validators: {again.seconds:.2f} s")
        archive.close()

    files = sum(1 for _ in (args.dir / "archive" / "articles").rglob("*.md"))
    cmd = f"python bench/collect.py --feeds {args.feeds} --items {args.items}"
    text = f"""# Collector benchmark

`{cmd}` — {platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs, archive in `{args.dir}`,
load average {load[0]:.1f} when the run started (other work was sharing the machine).

{args.feeds} RSS 2.0 feeds × {args.items} items (real corpus articles, {total_bytes / 1e6:.1f} MB of feeds) on one
127.0.0.1 `ThreadingHTTPServer`; default fetch policy (32 connections, 6 per host). Baselines are
the same number of bare httpx GETs in the same run, same limits.

| pass | newsvault | baseline (bare GETs) | goal |
|---|---|---|---|
| cold: fetch, parse, clean, archive {tot['new']} records ({files} files) | {t_cold:.2f} s | {base_cold:.2f} s | < 30 s |
| … of which archiving (files, catalog, search-index listener) | {cold.write_seconds:.2f} s | | |
| warm: every feed answers 304 | {warm.seconds:.2f} s | {base_warm:.2f} s (conditional GETs) | < 3 s |
| ratios, same run | cold {t_cold / base_cold:.1f}x, warm {warm.seconds / base_warm:.2f}x the bare GETs | | cold <= 3x, warm <= 1.5x |
| peak RSS after the cold pass (this process: pass, feed server, feeds; `getrusage`) | {rss_cold:.0f} MB | | <= 400 MB |
| unchanged: every feed answers 200 (new bytes, same items): re-parsed, entries recognised by fingerprint, nothing written | {same.seconds:.2f} s | {base_cold:.2f} s | – |
| same bytes again, server without validators (digest match) | {again.seconds:.2f} s | {base_cold:.2f} s | – |

Parsing and cleaning run in worker processes (CPUs − 1, at least one; passes of 16+ sources)
while the event loop fetches and the main process archives; archiving (the archive core and
the search-index listener) is the serial part of a cold pass.
"""
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}")


def srv_body(srv: FeedServer, source: Source) -> bytes:
    """The bytes a feed route served (re-fetched once, to re-register it without validators)."""
    return httpx.get(source.feeds[0]).content


if __name__ == "__main__":
    main()
