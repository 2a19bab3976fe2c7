"""Benchmark `newsvault save`: 100 article pages over loopback, against the bare fetch plus
trafilatura extraction of the same pages in the same run.

    python bench/save.py [-n 100] [--repeat 9]

The pages are the default adapter's kind (trafilatura reads the body), each a distinct article
of ~6 KB of Chinese text, served by the tests' loopback server on 127.0.0.1 (the archive allows
private addresses for it). The server runs in a child process, so its threads' CPU is in neither
side's figure: each side's CPU time is this process's, the client's alone. ``save`` does everything the command does: fetch, adapter, clean,
record, archive (one write batch for the run: one catalog transaction, one fsync batch), the
search index's listener as the command has it (the articles are queued into an index file that
exists, as in an archive searched before; the next search indexes them), WARC capture off,
images off. Target: save ≤ 1.5× the bare fetch + extraction.

A third figure, measured in the same rounds, is the disk's own part: creating, writing and
syncing 100 files of a record's size in the same folder, and nothing else. On a file system
that creates files slowly it shows how much of save's time is the disk's: ext4 without a
journal, for one, skips inodes freed in the last minutes when it allocates, so that after a
test run has deleted many files one creation can cost 0.5 ms instead of 0.03, and a run of this
bench deleting its own archives slows the next ones (0.017 s for the disk's part, then 0.040
and 0.065 s in the two runs that followed). ``--dir DIR`` puts the archives in a new folder
under DIR and leaves them there (remove DIR when done), so that runs in a row stay comparable.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))

import trafilatura  # noqa: E402

from http_helpers import LoopbackServer, Reply  # noqa: E402
from newsvault.archive import Archive, write_atomic  # noqa: E402
from newsvault.compose import deferred_listeners, init_archive  # noqa: E402
from newsvault.config import CONFIG_NAME  # noqa: E402
from newsvault.fetch import Fetcher, FetchPolicy  # noqa: E402
from newsvault.save import save_urls  # noqa: E402
from newsvault.search.index import SEARCH_FILE, SearchIndex  # noqa: E402

_WORDS = ["存档", "新闻", "删除", "审查", "读者", "记忆", "历史", "网站", "公众号", "专栏", "记者", "报道", "政府", "城市", "村镇", "银行", "储户", "赔付", "法院", "律师"]


def page(n: int, rng: random.Random) -> bytes:
    paras = "".join(f"<p>{''.join(rng.choice(_WORDS) for _ in range(60))}。</p>" for _ in range(8))
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>报道 {n}</title>'
        f'<meta property="og:title" content="第 {n} 篇报道"><meta name="author" content="记者{n}">'
        f'<meta property="article:published_time" content="2024-02-01T10:00:00+08:00"></head>'
        f'<body><nav><a href="/">首页</a><a href="/about">关于</a></nav><article><h1>第 {n} 篇报道</h1>{paras}</article>'
        f"<footer>版权所有 · 联系我们</footer></body></html>"
    ).encode()


async def bare(urls: list[str]) -> None:
    async with Fetcher(FetchPolicy(allow_private=True)) as f:
        for url in urls:
            r = await f.get(url)
            trafilatura.extract(r.text(), url=url, output_format="html", include_images=True, include_links=True, favor_recall=True)


def _archive(root: Path) -> Archive:
    archive = init_archive(root, listeners=deferred_listeners())  # what `newsvault save` opens
    archive.config.allow_private = True
    archive.config.warc = False
    write_atomic(archive.root / CONFIG_NAME, archive.config.dump())
    SearchIndex(archive.state_dir / SEARCH_FILE).close()  # an index to queue into (else nothing is queued)
    return archive


def timed_save(root: Path, urls: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process: the client alone, the server is a child)."""
    archive = _archive(root)
    t0, c0 = time.perf_counter(), time.process_time()
    results = save_urls(archive, urls, FetchPolicy(allow_private=True))
    took = time.perf_counter() - t0, time.process_time() - c0
    archive.close()
    bad = [r for r in results if r.status != "new"]
    assert not bad, bad[:3]
    return took


def timed_files(folder: Path, n: int, size: int = 6000) -> tuple[float, float]:
    """Create, write and fsync n files of ``size`` bytes in a new folder (synced as the archive
    syncs a batch's files: its own ``_fsync_all``): the least that keeping n pages as files
    costs on this disk."""
    from newsvault.archive import _fsync_all

    folder.mkdir(parents=True)
    data = b"x" * size
    t0, c0 = time.perf_counter(), time.process_time()
    paths = []
    for i in range(n):
        path = folder / f"{i:010d}.md"
        path.write_bytes(data)
        paths.append(path)
    _fsync_all(paths)
    return time.perf_counter() - t0, time.process_time() - c0


def timed_bare(urls: list[str]) -> tuple[float, float]:
    t0, c0 = time.perf_counter(), time.process_time()
    asyncio.run(bare(urls))
    return time.perf_counter() - t0, time.process_time() - c0


def serve(n: int) -> None:
    """The child: serve pages 0…n-1 on a free loopback port, print its base URL, stop at EOF."""
    rng = random.Random(27)
    with LoopbackServer() as srv:
        for i in range(n):
            srv.route(f"/a/{i}", Reply(200, page(i, rng), {"Content-Type": "text/html; charset=utf-8"}))
        print(srv.base, flush=True)
        sys.stdin.read()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=9, help="rounds of both sides, alternated; the best of each is compared")
    ap.add_argument("--dir", type=Path, help="put the archives in a new folder here and keep them (default: a temporary folder, removed)")
    ap.add_argument("--serve", type=int, metavar="N", help=argparse.SUPPRESS)  # the server child
    args = ap.parse_args()
    if args.serve is not None:
        return serve(args.serve)
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(args.n + 3)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None and server.stdin is not None
    try:
        base = server.stdout.readline().strip()
        if not base.startswith("http://127.0.0.1:"):
            raise SystemExit(f"the page server did not start ({base!r})")
        urls = [f"{base}/a/{i}" for i in range(args.n + 3)]
        urls, warm = urls[: args.n], urls[args.n :]
        with contextlib.nullcontext(tempfile.mkdtemp(dir=args.dir)) if args.dir else tempfile.TemporaryDirectory() as tmp:
            # Warm-up, both sides alike: imports (trafilatura's, the search index's segmenter), connections.
            timed_bare(warm)
            timed_save(Path(tmp) / "warm", warm)
            # Alternated rounds, each save into a fresh archive: on a shared machine the best round
            # of each side is the figure least disturbed by other work, and CPU time (this
            # process's, the client's alone) is less disturbed than wall time. A round is a
            # quarter of a second, so one scheduling hiccup moves it by a tenth: nine rounds (five
            # left the ratio anywhere from 1.33x to 1.70x between runs of the same code).
            bares, saves, disks = [], [], []
            for r in range(args.repeat):
                bares.append(timed_bare(urls))
                saves.append(timed_save(Path(tmp) / f"archive-{r}", urls))
                disks.append(timed_files(Path(tmp) / f"files-{r}", len(urls)))
    finally:
        server.stdin.close()
        server.wait(timeout=10)
    n = args.n
    for what, index in (("wall", 0), ("CPU", 1)):
        b, v = min(t[index] for t in bares), min(t[index] for t in saves)
        print(f"{what} time, best of {args.repeat} rounds (pages: {n})")
        print(f"  bare fetch + trafilatura: {b:.2f} s ({b / n * 1000:.1f} ms a page; rounds {', '.join(f'{t[index]:.2f}' for t in bares)})")
        print(f"  newsvault save:           {v:.2f} s ({v / n * 1000:.1f} ms a page; rounds {', '.join(f'{t[index]:.2f}' for t in saves)})")
        d = min(t[index] for t in disks)
        print(f"  ratio: {v / b:.2f}x (target <= 1.5x)")
        print(f"  the disk's part, {n} files created and synced in the same folder: {d:.3f} s ({d / v:.0%} of save)")

if __name__ == "__main__":
    main()
