"""Feed parsing benchmark: items/s of the lxml fast path beside feedparser, on the same feeds, same run.

Feeds are built from real corpus articles (China Digital Times and the Jekyll mirror) in the
three formats the fast path reads — RSS 2.0 with content:encoded, RSS 1.0 (RDF), Atom 1.0 with
HTML content — plus the share of the conformance corpus (tests/testdata/feeds/corpus) that the
fast path accepts. Every number is the best of ``--runs`` timings.

    python bench/feeds.py [--feeds 20] [--items 50] [--runs 3]

Goal: the fast path several times (≥ 3×) faster than feedparser on the same feeds.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))

import feedparser  # noqa: E402

from collect_helpers import Item, atom, corpus_records, rdf, rss20  # noqa: E402
from newsvault.parse.fast_xml import parse_fast  # noqa: E402
from newsvault.parse.xml_feed import decode_xml, parse_xml_feed  # noqa: E402
from timing import best  # noqa: E402

URL = "https://feeds.example.org/feed"
CONFORMANCE = ROOT / "tests" / "testdata" / "feeds" / "corpus"


def build(fmt: Callable[[list[Item]], str], feeds: int, items: int) -> list[bytes]:
    pool = corpus_records("cdt", 70, max_bytes=8000) + corpus_records("jekyll", 150, max_bytes=8000)
    out = []
    for f in range(feeds):
        batch = [Item.of(pool[(f * items + i) % len(pool)]) for i in range(items)]
        out.append(fmt(batch).encode("utf-8"))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--feeds", type=int, default=20)
    ap.add_argument("--items", type=int, default=50)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    load = os.getloadavg()[0]
    print(f"# Feed parsing benchmark\n\n`python bench/feeds.py --feeds {args.feeds} --items {args.items} --runs {args.runs}` — "
          f"CPython {platform.python_version()}, {os.cpu_count()} CPUs, load {load:.1f} at start.\n")  # fmt: skip
    print("| feeds | items | newsvault fast path | newsvault feedparser path | feedparser alone | fast path vs feedparser |")
    print("|---|---|---|---|---|---|")
    worst = float("inf")
    for name, fmt in [("RSS 2.0 + content:encoded", rss20), ("RSS 1.0 (RDF)", rdf), ("Atom 1.0, html content", atom)]:
        docs = build(fmt, args.feeds, args.items)
        n = args.feeds * args.items
        for d in docs:  # the fast path must really take these feeds
            assert parse_fast(decode_xml(d, URL, None).encode(), URL) is not None, name
        fast = best(lambda docs=docs: [parse_xml_feed(d, URL) for d in docs], args.runs)
        full = best(lambda docs=docs: [parse_xml_feed(d, URL, fast=False) for d in docs], args.runs)
        bare = best(lambda docs=docs: [feedparser.parse(d, sanitize_html=False) for d in docs], args.runs)
        worst = min(worst, bare / fast)
        print(f"| {name} | {n} | {n / fast:,.0f} items/s ({fast * 1000 / n:.2f} ms/item) | {n / full:,.0f} items/s | "
              f"{n / bare:,.0f} items/s ({bare * 1000 / n:.2f} ms/item) | **{bare / fast:.1f}×** |")  # fmt: skip
    files = sorted(p for p in CONFORMANCE.iterdir() if p.suffix == ".xml")
    taken = [p for p in files if parse_fast(decode_xml(p.read_bytes(), URL, None).encode(), URL) is not None]
    print(f"\nConformance corpus: the fast path takes {len(taken)} of {len(files)} XML files; the rest use something only feedparser reads exactly.")
    print(f"\nSlowest ratio: {worst:.1f}× (goal ≥ 3×): {'met' if worst >= 3 else 'NOT met'}")


if __name__ == "__main__":
    main()
