"""The hourly job on a large archive in a fresh runner: cold and warm catalog, beside ``git status``.

Generates (once, cached under ``bench/out/hourly-<N>/``, git-ignored) an archive of N canonical
records over 300 sources, committed to git, written straight to files (the layout and names
newsvault itself uses; the catalog is then built from the files, as in a fresh runner). Then, on
127.0.0.1, 300 feeds each list their source's two newest records, and a few feeds one new
article; measured in the same run:

* ``git status`` on the tree (the floor: any tool must at least look at the files once);
* the hourly pass ``newsvault collect --commit`` with no ``.newsvault/`` (cold: a fresh runner
  without a cache; the catalog is rebuilt from the files);
* the same pass again with the cache (warm), with new articles again.

    python bench/hourly.py [-n 300000] [--new 5]

Targets: cold < 2 min, warm < 20 s.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from newsvault.archive import record_key, record_name  # noqa: E402
from newsvault.config import Config, Source  # noqa: E402
from newsvault.record import Record, render  # noqa: E402
from newsvault.urls import article_id  # noqa: E402

SOURCES = 300
OUT = ROOT / "bench" / "out"


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, text=True).stdout.strip()


def slug(i: int) -> str:
    return f"s{i:03d}"


def article(i: int) -> tuple[str, Record]:
    """Record number i: its source and text (short bodies keep generation quick; the catalog
    reads headers, so body length matters little here)."""
    src = i % SOURCES
    published = 1_600_000_000_000 + i * 60_000
    body = f"<p>第{i}篇报道。</p><p>" + "记者从现场发回的报道称，局势仍在发展。" * (12 + i % 7) + "</p>"
    # Full text (not a teaser, so no page is fetched), and links to a closed loopback port all
    # the same: a benchmark never reaches beyond this machine.
    return slug(src), Record(f"报道第{i}篇：局势仍在发展", f"http://127.0.0.1:9/{slug(src)}/a/{i}", published, body)


def generate(dest: Path, n: int) -> None:
    tmp = dest.with_name(dest.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    t = time.perf_counter()
    for s in range(SOURCES):
        (tmp / "articles" / slug(s)).mkdir(parents=True)
    for i in range(n):
        src, rec = article(i)
        name = record_name(rec.published or 0, article_id(record_key(rec, src)))
        (tmp / "articles" / src / name).write_text(render(rec), encoding="utf-8")
    config = Config(name="bench", allow_private=True, sources=[Source(slug(s), slug(s), ["http://127.0.0.1:1/feed"]) for s in range(SOURCES)])
    (tmp / "newsvault.toml").write_text(config.dump(), encoding="utf-8")
    (tmp / ".gitignore").write_text("/.newsvault/\n")
    print(f"wrote {n} records in {time.perf_counter() - t:.0f} s", flush=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(tmp)], check=True)
    git(tmp, "config", "user.name", "bench")
    git(tmp, "config", "user.email", "bench@example.org")
    git(tmp, "add", "-A")
    git(tmp, "commit", "-qm", "generated")
    git(tmp, "repack", "-adq")  # as a clone from a host would be: packed (300,000 loose objects would set off git gc mid-pass)
    git(tmp, "prune")
    os.replace(tmp, dest)
    print(f"generated {dest} in {time.perf_counter() - t:.0f} s", flush=True)


def rss(items: list[Record]) -> bytes:
    parts = [
        f"<item><title>{escape(r.title)}</title><link>{escape(r.url)}</link>"
        f"<pubDate>{format_datetime(datetime.fromtimestamp((r.published or 0) / 1000, tz=UTC))}</pubDate>"
        f"<description>{escape(r.body)}</description></item>"
        for r in items
    ]
    return f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title><link>https://example.org/</link>{"".join(parts)}</channel></rss>'.encode()


class Feeds:
    """300 feeds on 127.0.0.1: each source's two newest records, plus what ``add`` puts there."""

    def __init__(self, n: int) -> None:
        self.items: dict[str, list[Record]] = {slug(s): [] for s in range(SOURCES)}
        for i in range(max(0, n - 2 * SOURCES), n):
            src, rec = article(i)
            self.items[src].append(rec)
        feeds = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                body = rss(feeds.items.get(self.path.strip("/").removesuffix(".xml"), []))
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, src: str) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/{src}.xml"

    def add(self, start: int, count: int) -> None:
        for i in range(start, start + count):
            src, rec = article(i)
            self.items[src].append(rec)


def timed(args: list[str], cwd: Path) -> tuple[float, str]:
    t = time.perf_counter()
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    elapsed = time.perf_counter() - t
    if done.returncode not in (0, 3):
        raise SystemExit(f"{' '.join(args)} exited {done.returncode}: {done.stderr.strip()}")
    return elapsed, done.stdout.strip().splitlines()[-2] if done.stdout.strip() else ""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=300_000)
    ap.add_argument("--new", type=int, default=5, help="new articles a pass finds")
    args = ap.parse_args()
    base = OUT / f"hourly-{args.n}"
    if not base.exists():
        generate(base, args.n)
    run = OUT / f"hourly-{args.n}-run"
    shutil.rmtree(run, ignore_errors=True)
    subprocess.run(["git", "clone", "-q", str(base), str(run)], check=True)  # a fresh runner's checkout
    git(run, "config", "user.name", "bench")
    git(run, "config", "user.email", "bench@example.org")
    feeds = Feeds(args.n)
    config = Config.load(run / "newsvault.toml")
    for s in config.sources:
        s.feeds = [feeds.url(s.slug)]
    (run / "newsvault.toml").write_text(config.dump(), encoding="utf-8")
    git(run, "commit", "-qam", "feeds on this machine")
    nv = [sys.executable, "-m", "newsvault", "collect", "--commit", "--timeout", "5", "--retries", "0"]

    status, _ = timed(["git", "status", "--porcelain"], run)
    print(f"git status                      {status:7.1f} s", flush=True)
    feeds.add(args.n, args.new)
    cold, line = timed(nv, run)
    print(f"pass, cold (no .newsvault/)     {cold:7.1f} s   {line}", flush=True)
    feeds.add(args.n + args.new, args.new)
    warm, line = timed(nv, run)
    print(f"pass, warm                      {warm:7.1f} s   {line}", flush=True)
    print(f"\n{args.n} records, {SOURCES} feeds on 127.0.0.1, {args.new} new articles a pass; targets: cold < 120 s, warm < 20 s")


if __name__ == "__main__":
    main()
