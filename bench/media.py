"""Benchmark article images: fetch throughput beside bare GETs, and media bytes per 1,000 articles.

    python bench/media.py [--corpus DIR] [--articles 400] [--runs 3]

Corpus records (CDT and the Jekyll mirror) keep their real image references, rewritten to a
local server (one URL per distinct original URL, so an image shown by two articles is still one
image). The real images cannot be fetched here, so each is a synthetic photo-like JPEG
(640x360 to 1200x800, quality 80, made distinct by a few trailing bytes): the bytes per 1,000
articles therefore assume news-photo sizes; the images per article are the corpus's own.

* throughput: ``media backfill``'s fetch, sniff, Pillow decode, store and catalog, in images
  a second, beside a bare httpx GET of the same URLs at the same concurrency (the floor);
* growth: bytes added to ``media/`` per 1,000 articles, and images per article.

Everything is written under /tmp; nothing in the repository changes.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import html
import io
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
from newsvault.config import CONFIG_NAME, Config  # noqa: E402
from newsvault.fetch import FetchPolicy  # noqa: E402
from newsvault.media import backfill, image_urls  # noqa: E402
from newsvault.media.fetching import _CONCURRENCY  # noqa: E402
from newsvault.record import Record, parse  # noqa: E402

SIZES = [(640, 360), (800, 450), (800, 533), (1000, 562), (1024, 683), (1200, 675), (1200, 800), (900, 600)]


def photos() -> list[bytes]:
    from PIL import Image, ImageFilter

    out = []
    for n, size in enumerate(SIZES):
        bands = [Image.effect_noise(size, 60 + 10 * n).filter(ImageFilter.GaussianBlur(2 + n % 3)) for _ in range(3)]
        buf = io.BytesIO()
        Image.merge("RGB", bands).save(buf, "JPEG", quality=80)
        out.append(buf.getvalue())
    return out


class Server:
    def __init__(self, files: dict[str, bytes]) -> None:
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802
                data = files.get(self.path)
                self.send_response(200 if data is not None else 404)
                self.send_header("Content-Type", "image/jpeg")
                self.send_header("Content-Length", str(len(data or b"")))
                self.end_headers()
                self.wfile.write(data or b"")

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


def corpus_records(corpus: Path, n: int) -> list[Record]:
    files = sorted((corpus / "cdt" / "articles").glob("*.md")) + sorted((corpus / "jekyll" / "_posts").glob("*.md"))
    out = []
    for p in files:
        try:
            r = parse(p.read_bytes(), name=p.name)
        except Exception:  # noqa: BLE001 - a record this benchmark cannot read is skipped
            continue
        out.append(r)
        if len(out) >= n:
            break
    return out


def prepare(corpus: Path, n: int, tmp: Path, base: str, files: dict[str, bytes], pool: list[bytes]) -> tuple[Archive, list[str]]:
    """An archive of ``n`` corpus articles whose images point at the local server."""
    Archive.init(tmp).close()
    config = Config.load(tmp / CONFIG_NAME)
    config.allow_private = True
    config.media.fetch = True
    config.media.pass_mb = 0
    write_atomic(tmp / CONFIG_NAME, config.dump())
    archive = Archive.open(tmp)
    urls: list[str] = []
    with archive.batch():
        for i, r in enumerate(corpus_records(corpus, n)):
            body, mine = r.body, {}
            for original in image_urls(r.body, r.url):
                path = f"/img/{hashlib.sha1(original.encode()).hexdigest()[:16]}.jpg"
                mine[path] = original
                body = body.replace(html.escape(original), base + path).replace(original, base + path)
            if any(not u.startswith(base) for u in image_urls(body, f"{base}/a/{i}.html")):
                continue  # a reference this rewrite missed: never let the benchmark reach an outlet
            for path in mine:
                if path not in files:
                    files[path] = pool[len(files) % len(pool)] + path.encode()  # distinct bytes per image
                    urls.append(base + path)
            archive.add(Record(r.title, f"{base}/a/{i}.html", r.published, body), "bench", seen=1_700_000_000_000)
    return archive, urls


async def no_dns(host: str, port: int) -> list[str]:
    raise OSError(f"the benchmark resolves no names ({host})")


async def bare_gets(urls: list[str]) -> None:
    sem = asyncio.Semaphore(_CONCURRENCY)
    async with httpx.AsyncClient(timeout=30) as client:

        async def one(u: str) -> None:
            async with sem:
                (await client.get(u)).raise_for_status()

        await asyncio.gather(*(one(u) for u in urls))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", type=Path, default=None, help="default: the reference corpus beside the repository, else tests/corpus (bench/inputs.py)")
    ap.add_argument("--articles", type=int, default=400)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    args.corpus = args.corpus or default_corpus()
    pool = photos()
    files: dict[str, bytes] = {}
    server = Server(files)
    policy = FetchPolicy(timeout=10, retries=0, resolver=no_dns)  # loopback literals only
    with tempfile.TemporaryDirectory(prefix="nv-bench-media-") as t:
        tmp = Path(t)
        archive, urls = prepare(args.corpus, args.articles, tmp / "archive", server.base, files, pool)
        articles = len(archive.catalog.list_articles())
        print(f"setup: {articles} corpus articles, {len(urls)} distinct images, synthetic JPEGs averaging {sum(map(len, pool)) / len(pool) / 1024:.0f} KB")
        bare = []
        ours = []
        for run in range(args.runs):
            t0 = time.perf_counter()
            asyncio.run(bare_gets(urls))
            bare.append(time.perf_counter() - t0)
            store = tmp / f"run{run}"
            archive.close()
            Archive.open(tmp / "archive").close()
            for f in (tmp / "archive" / ".newsvault").glob("media.sqlite*"):
                f.unlink()
            import shutil

            shutil.rmtree(tmp / "archive" / "media", ignore_errors=True)
            archive = Archive.open(tmp / "archive")
            t0 = time.perf_counter()
            report = backfill(archive, policy=policy)
            ours.append(time.perf_counter() - t0)
            assert report.fetched == len(urls), (report.summary(), report.warnings)
            del store
        media_bytes = sum(p.stat().st_size for p in (tmp / "archive" / "media").rglob("*") if p.is_file())
        archive.close()
    n = len(urls)
    print(f"bare httpx GET ({_CONCURRENCY} at a time): {n / min(bare):7.0f} images/s  (best of {args.runs})")
    print(f"media backfill (fetch+verify+store):  {n / min(ours):7.0f} images/s  ({min(ours) / min(bare):.1f}x the bare GETs' time)")
    print(f"growth: {n / articles * 1000:.0f} images and {media_bytes / articles * 1000 / 1024 / 1024:.0f} MB of media per 1,000 articles "
          f"({n / articles:.1f} images an article)")


if __name__ == "__main__":
    main()
