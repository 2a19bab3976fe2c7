"""Evidence benchmark: the cost of a pass's manifest and time-stamp token, and of its WARC files.

The same 300-feed loopback pass as bench/collect.py (real corpus articles, each feed on
127.0.0.1), run twice into new archives with WARC capture on: once without
``[evidence] timestamp_authorities`` (the manifest only) and once with a time-stamp authority on
127.0.0.1 (tests/tsa_helpers.py: a CA made here, answers signed by ``openssl ts -reply``). Each
pass is timed from its start to its token stored; the WARC and manifest bytes per 1,000
articles are counted from the archive it leaves.

    python bench/evidence.py [--feeds 300] [--items 10] [--out bench/results/evidence.md]
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from collect import build_feeds  # noqa: E402
from collect_helpers import FeedServer  # noqa: E402
from newsvault.archive import Archive  # noqa: E402
from newsvault.collect import run_pass  # noqa: E402
from newsvault.evidence import recorder_for  # noqa: E402
from newsvault.evidence.manifest import manifest_paths  # noqa: E402
from newsvault.evidence.seal import seal_pass  # noqa: E402
from newsvault.fetch import FetchPolicy  # noqa: E402
from tsa_helpers import LoopbackTSA  # noqa: E402


def one_pass(work: Path, srv: FeedServer, feeds: int, items: int, tsa: str | None) -> dict[str, float]:
    archive = Archive.init(work)
    archive.config.allow_private = True
    archive.config.warc = True
    if tsa:
        archive.config.evidence.timestamp_authorities = [tsa]
    sources, _ = build_feeds(srv, feeds, items)
    archive.config.sources = sources
    recorder = recorder_for(archive)
    t0 = time.perf_counter()
    report = asyncio.run(run_pass(archive, sources, FetchPolicy(capture=recorder)))
    t1 = time.perf_counter()
    manifest, stamped = seal_pass(archive, recorder, "collect")
    t2 = time.perf_counter()
    assert manifest and (not tsa or stamped.written), stamped.error
    articles = report.totals()["new"]
    warc = sum(p.stat().st_size for p in (work / "warc").rglob("*.warc.gz"))
    manifests = sum((work / m).stat().st_size for m in manifest_paths(work))
    tokens = sum(p.stat().st_size for p in (work / "manifests").rglob("*.tsr"))
    return {"articles": articles, "pass": t1 - t0, "seal": t2 - t1, "warc": warc, "manifest": manifests, "token": tokens}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--feeds", type=int, default=300)
    ap.add_argument("--items", type=int, default=10)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "evidence.md")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp, FeedServer() as srv, LoopbackTSA(Path(tmp) / "pki") as tsa:
        off = one_pass(Path(tmp) / "off", srv, args.feeds, args.items, None)
        on = one_pass(Path(tmp) / "on", srv, args.feeds, args.items, tsa.url)
    per_k = 1000 / max(on["articles"], 1)
    lines = [
        "# Evidence: manifest and time-stamp cost of one pass",
        "",
        f"`python bench/evidence.py --feeds {args.feeds} --items {args.items}` on {platform.machine()}, Python {platform.python_version()}, "
        f"{on['articles']:.0f} new articles in {args.feeds} feeds on 127.0.0.1; TSA on 127.0.0.1 (openssl ts -reply).",
        "",
        "| | pass (fetch, write) | manifest + token | total |",
        "| --- | --- | --- | --- |",
        f"| without timestamping | {off['pass']:.2f} s | {off['seal']:.3f} s | {off['pass'] + off['seal']:.2f} s |",
        f"| with timestamping | {on['pass']:.2f} s | {on['seal']:.3f} s | {on['pass'] + on['seal']:.2f} s |",
        "",
        f"Per 1,000 articles: WARC {on['warc'] * per_k / 1e6:.1f} MB (gzip, feed-bodied items; page-bodied sources add each page), "
        f"manifest {on['manifest'] * per_k / 1e3:.0f} KB, token {on['token']} B a pass.",
    ]
    text = "\n".join(lines) + "\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
