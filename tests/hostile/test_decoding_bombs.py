"""Answers that are small on the wire and huge once decoded: ``Content-Encoding: gzip, gzip``.

``tests/testdata/hostile/spaces-4gib.gz.gz`` is 6,777 bytes: a gzip (level 9, mtime 0) of a
4,174,526-byte single-member gzip of 4 GiB of spaces, made with

    co = zlib.compressobj(9, zlib.DEFLATED, 31)
    inner = b"".join(co.compress(b" " * 2**20) for _ in range(4096)) + co.flush()
    gzip.compress(inner, 9, mtime=0)

Decoding a whole network chunk at once, as httpx does, took collect to 8.2 GB. Each answer here
(feed, a teaser's article page, an image) must end in a one-line error for that answer, with
the collecting process's peak memory under 400 MB.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from collect_helpers import Item, allow_private, rss20
from conftest import REPO
from http_helpers import Reply
from newsvault.archive import write_atomic
from newsvault.config import CONFIG_NAME, Config
from newsvault.fetch.decoding import STEP, BodyTooLarge, BoundedDecoder, UnsupportedEncoding

BOMB = (REPO / "tests" / "testdata" / "hostile" / "spaces-4gib.gz.gz").read_bytes()
PEAK_LIMIT_MB = 400
PUBLISHED = 1_699_359_302_000

# Runs the real CLI and reports its own peak RSS (the test process's would include pytest's).
CHILD = """
import resource, runpy, sys
sys.argv = ["newsvault", *sys.argv[1:]]
try:
    runpy.run_module("newsvault", run_name="__main__", alter_sys=True)
finally:
    with open(__import__("os").environ["PEAK_FILE"], "w") as f:
        f.write(str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024))
"""


def collect_measured(root: Path, tmp_path: Path) -> tuple[subprocess.CompletedProcess, int]:
    peak = tmp_path / "peak"
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "PEAK_FILE": str(peak)}
    proc = subprocess.run([sys.executable, "-c", CHILD, "-C", str(root), "collect", "--json"],
                          capture_output=True, text=True, env=env, timeout=120)
    return proc, int(peak.read_text())


def bomb_reply(content_type: str) -> Reply:
    return Reply(200, BOMB, {"Content-Type": content_type, "Content-Encoding": "gzip, gzip"})


def archive_for(tmp_path: Path, cli, feed_url: str, media: bool = False) -> Path:
    root = tmp_path / "a"
    cli("init", "--no-media", str(root), check=True)
    cli("-C", str(root), "source", "add", "s", feed_url, check=True)
    allow_private(root)
    if media:
        config = Config.load(root / CONFIG_NAME)
        config.media.fetch = True
        write_atomic(root / CONFIG_NAME, config.dump())
    return root


def test_the_bomb_is_what_the_docstring_says():
    inner = gzip.decompress(BOMB)
    assert len(BOMB) == 6777 and len(inner) == 4_174_526
    d = zlib.decompressobj(31)
    assert d.decompress(inner, 1 << 20) == b" " * (1 << 20)  # spaces, and far more than 1 MiB of them


@pytest.mark.slow
def test_a_feed_sent_as_a_nested_gzip_bomb_fails_alone_within_the_memory_limit(srv, tmp_path, cli):
    srv.route("/feed.xml", bomb_reply("application/rss+xml"))
    srv.static("/healthy.xml", rss20([Item("健康的文章", srv.url("/h1"), "<p>" + "正文" * 100 + "</p>", PUBLISHED)]))
    root = archive_for(tmp_path, cli, srv.url("/feed.xml"))
    cli("-C", str(root), "source", "add", "healthy", srv.url("/healthy.xml"), check=True)
    proc, peak = collect_measured(root, tmp_path)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert peak < PEAK_LIMIT_MB, f"collect peaked at {peak} MB"
    assert proc.returncode == 3, proc.stdout + proc.stderr  # some sources archived, not all
    bombed, healthy = json.loads(proc.stdout)["sources"]
    assert bombed["reason"].endswith("body is larger than the 20 MB cap (stopped reading)"), bombed
    assert healthy["ok"] and healthy["new"] == 1, healthy


@pytest.mark.slow
def test_an_article_page_sent_as_a_bomb_costs_only_that_page(srv, tmp_path, cli):
    srv.route("/page", bomb_reply("text/html; charset=utf-8"))
    srv.static("/feed.xml", rss20([Item("看这里", srv.url("/page"), "", PUBLISHED, teaser="<p>一句摘要。</p>")], content_encoded=False))
    root = archive_for(tmp_path, cli, srv.url("/feed.xml"))
    proc, peak = collect_measured(root, tmp_path)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert peak < PEAK_LIMIT_MB, f"collect peaked at {peak} MB"
    source = json.loads(proc.stdout)["sources"][0]
    assert source["new"] == 1, source  # the teaser is kept; the page is not
    assert any("larger than the 20 MB cap" in w for w in source["warnings"]), source


@pytest.mark.slow
def test_an_image_sent_as_a_bomb_is_refused_within_the_memory_limit(srv, tmp_path, cli):
    srv.route("/photo.jpg", bomb_reply("image/jpeg"))
    body = f'<p>{"正文" * 100}</p><p><img src="{srv.url("/photo.jpg")}" alt="照片"></p>'
    srv.static("/feed.xml", rss20([Item("有图的文章", srv.url("/a1"), body, PUBLISHED)]))
    root = archive_for(tmp_path, cli, srv.url("/feed.xml"), media=True)
    proc, peak = collect_measured(root, tmp_path)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert peak < PEAK_LIMIT_MB, f"collect peaked at {peak} MB"
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert srv.hits["/photo.jpg"] >= 1
    assert not any((root / "media").rglob("*.jpg")) if (root / "media").exists() else True


@pytest.mark.slow
def test_eight_legal_7000_by_7000_images_are_decoded_within_the_memory_limit(srv, tmp_path, cli):
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (7000, 7000), (200, 30, 30)).save(buf, "PNG")  # legal: 49 M pixels, under the limit
    png = buf.getvalue()
    for n in range(8):  # eight URLs, fetched concurrently; the same bytes, so one file is kept
        srv.route(f"/big{n}.png", Reply(200, png, {"Content-Type": "image/png"}))
    body = "<p>" + "正文" * 100 + "</p>" + "".join(f'<p><img src="{srv.url(f"/big{n}.png")}"></p>' for n in range(8))
    srv.static("/feed.xml", rss20([Item("八张大图", srv.url("/a1"), body, PUBLISHED)]))
    root = archive_for(tmp_path, cli, srv.url("/feed.xml"), media=True)
    proc, peak = collect_measured(root, tmp_path)
    assert "Traceback" not in proc.stderr and proc.returncode == 0, proc.stderr
    # One such image is 196 MB decoded; ~290 MB is typical here, ~480 MB was seen once under a
    # loaded suite. Eight decoded at once took 1,224 MB: the bound allows two, never eight.
    assert peak < 3 * 196 + 100, f"collect peaked at {peak} MB"
    assert all(srv.hits[f"/big{n}.png"] == 1 for n in range(8))
    assert len(list((root / "media").rglob("*.png"))) == 1  # decoded, checked and kept


# The decoder itself: exact round trips, and every bound.

def _feed(decoder: BoundedDecoder, data: bytes, size: int = 7000) -> bytes:
    for i in range(0, len(data), size):
        decoder.feed(data[i : i + size])
    return decoder.finish()


@pytest.mark.parametrize("encoding, encode", [
    ("gzip", gzip.compress),
    ("x-gzip", gzip.compress),
    ("deflate", zlib.compress),
    ("deflate", lambda d: zlib.compress(d)[2:-4]),  # raw deflate, as some servers send it
    ("gzip, gzip", lambda d: gzip.compress(gzip.compress(d))),
    ("deflate, gzip", lambda d: gzip.compress(zlib.compress(d))),
    ("identity", lambda d: d),
    ("", lambda d: d),
])
def test_every_accepted_encoding_round_trips_exactly(encoding, encode):
    data = os.urandom(3 * STEP) + "同一个声音".encode() * 50_000
    assert _feed(BoundedDecoder(encoding, 20 << 20), encode(data)) == data


def test_a_body_of_several_gzip_members_is_read_whole():
    assert _feed(BoundedDecoder("gzip", 1 << 20), gzip.compress(b"a" * 1000) + gzip.compress(b"b" * 1000)) == b"a" * 1000 + b"b" * 1000


def test_the_cap_holds_on_the_wire_in_each_layer_and_decoded():
    with pytest.raises(BodyTooLarge, match="on the wire"):
        _feed(BoundedDecoder("", 1000), b"x" * 1001)
    with pytest.raises(BodyTooLarge, match="decoded"):
        _feed(BoundedDecoder("gzip", 1000), gzip.compress(b"x" * 1001))
    assert _feed(BoundedDecoder("gzip", 1000), gzip.compress(b"x" * 1000)) == b"x" * 1000
    with pytest.raises(BodyTooLarge):
        _feed(BoundedDecoder("gzip, gzip", 20 << 20), BOMB)


def test_encodings_that_cannot_be_bounded_are_refused_by_name():
    for name in ("br", "zstd", "compress", "gzip, br"):
        with pytest.raises(UnsupportedEncoding, match="not accepted"):
            BoundedDecoder(name, 1000)


def test_a_corrupt_stream_is_an_error_not_a_silent_truncation():
    with pytest.raises(zlib.error):
        _feed(BoundedDecoder("gzip", 1 << 20), b"\x1f\x8b\x08\x00" + b"garbage" * 10)
