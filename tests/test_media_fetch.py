"""Article images fetched from a local server: every way of referring to one, every way of
failing, stored once, retried later — and the text always archived."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

import pytest

from collect_helpers import Item, local_archive, no_dns, rss20
from http_helpers import LoopbackServer, Reply
from media_helpers import SVG_WITH_SCRIPT, bomb_png, enable_media, image, reopen, serve_huge_jpeg
from newsvault.archive import Archive
from newsvault.collect import run_pass
from newsvault.config import Source
from newsvault.fetch import FetchPolicy
from newsvault.media import backfill, image_urls, open_store
from newsvault.media.fetching import RETRY_BASE_MS
from newsvault.record import Record

FAST = FetchPolicy(timeout=0.5, deadline=2.0, retries=0, backoff=0.05, resolver=no_dns)
T0 = 1_750_000_000_000

PLAIN, SMALL, BIG, LAZY, PICTURE, POSTER = (image("PNG", (40 + n, 30)) for n in range(6))


def serve_images(srv: LoopbackServer) -> None:
    srv.static("/plain.png", PLAIN, "image/png")
    srv.static("/copy-of-plain.png", PLAIN, "image/png")  # same bytes, another URL
    srv.static("/small.png", SMALL, "image/png")
    srv.static("/big.png", BIG, "image/png")
    srv.static("/lazy.png", LAZY, "image/png")
    srv.static("/picture.png", PICTURE, "image/png")
    srv.static("/poster.png", POSTER, "image/png")
    srv.static("/error.jpg", "<html><body>Service unavailable</body></html>", "image/jpeg")
    srv.static("/bomb.png", bomb_png(), "image/png")
    srv.static("/evil.svg", SVG_WITH_SCRIPT, "image/svg+xml")
    srv.hang("/slow.jpg")
    # /missing.png: the server's default 404


def article_html(srv: LoopbackServer, huge: str) -> str:
    u = srv.url
    return (
        f'<p>CDT编者按：本文已被禁止分享（如图）</p><p><img src="{u("/plain.png")}" alt="截图"></p>'
        f'<p><img src="{u("/small.png")}" srcset="{u("/small.png")} 300w, {u("/big.png")} 1200w"></p>'
        f'<p><img class="lazy" src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" data-src="{u("/lazy.png")}" width="600" height="400"></p>'
        f'<picture><source srcset="{u("/picture.png")} 2x"><img src="{u("/copy-of-plain.png")}"></picture>'
        f'<video poster="{u("/poster.png")}"></video>'
        f'<img src="{u("/missing.png")}"><img src="{u("/error.jpg")}"><img src="{huge}">'
        f'<img src="{u("/bomb.png")}"><img src="{u("/evil.svg")}"><img src="{u("/slow.jpg")}">'
    )


@pytest.fixture
def media_archive(tmp_path: Path):
    archive = local_archive(tmp_path / "archive")
    enable_media(archive.root)
    archive = reopen(archive)
    yield archive
    archive.close()


def add(archive: Archive, url: str, body: str, source: str = "cdt") -> str:
    with archive.batch():
        result = archive.add(Record("有图为证", url, T0, body), source, seen=T0)
    assert result.path
    return result.path


def statuses(archive: Archive) -> dict[str, str]:
    with open_store(archive) as store:
        return {row.url.rsplit("/", 1)[1]: row.status for row in store.rows()}


def test_image_urls_finds_every_kind_of_reference():
    html = (
        '<img src="/a.png"><img data-src="b.png" src="data:image/gif;base64,AAAA"><img data-original="//cdn.example/c.jpg">'
        '<img data-lazy-src="d.jpg"><img srcset="e1.jpg 1x, e2.jpg 2x"><picture><source srcset="f1.webp 480w, f2.webp 960w"></picture>'
        '<video poster="g.jpg"></video><img src="javascript:alert(1)"><img src="/a.png#again">'
    )
    found = image_urls(html, "https://example.org/news/1.html")
    assert found == [
        "https://example.org/a.png", "https://example.org/news/b.png", "https://cdn.example/c.jpg", "https://example.org/news/d.jpg",
        "https://example.org/news/e2.jpg", "https://example.org/news/f2.webp", "https://example.org/news/g.jpg",
    ]


def test_every_image_is_classified_stored_once_and_retried_later(media_archive: Archive, loopback: LoopbackServer):
    serve_images(loopback)
    with LoopbackServer() as huge:
        first = add(media_archive, loopback.url("/a/1.html"), article_html(loopback, serve_huge_jpeg(huge)))
        second = add(media_archive, loopback.url("/a/2.html"), f'<p>又见</p><img src="{loopback.url("/plain.png")}">')
        before = {p: (media_archive.root / p).read_bytes() for p in (first, second)}
        report = backfill(media_archive, policy=FAST, now=T0)
        assert huge.sent["/huge.jpg"] < 20 * 1024 * 1024  # the 10 MB cap stopped the stream early
    assert statuses(media_archive) == {
        "plain.png": "ok", "copy-of-plain.png": "ok", "small.png": "ok", "big.png": "ok", "lazy.png": "ok", "picture.png": "ok", "poster.png": "ok",
        "missing.png": "http-error", "error.jpg": "not-image", "huge.jpg": "too-large", "bomb.png": "bomb", "evil.svg": "svg",
        "slow.jpg": "timeout",
    }
    assert report.fetched == 7 and report.new_files == 6  # plain.png and its copy: one file
    files = sorted(p.relative_to(media_archive.root).as_posix() for p in (media_archive.root / "media").rglob("*.png"))
    assert files == sorted(report.paths)
    for rel in files:
        sha = Path(rel).stem
        assert rel == f"media/{sha[:2]}/{sha}.png" and hashlib.sha256((media_archive.root / rel).read_bytes()).hexdigest() == sha
    assert {p: (media_archive.root / p).read_bytes() for p in before} == before  # records untouched

    # A rerun before the retry is due fetches nothing; once due, only what failed.
    hits = len(loopback.requests)
    again = backfill(media_archive, policy=FAST, now=T0 + 60_000)
    assert len(loopback.requests) == hits and again.waiting == 6 and again.already == 7
    later = backfill(media_archive, policy=FAST, now=T0 + RETRY_BASE_MS + 1)
    fetched_again = {r.path for r in loopback.requests[hits:]}
    assert fetched_again == {"/missing.png", "/error.jpg", "/bomb.png", "/evil.svg", "/slow.jpg"}  # huge.jpg: its server is gone
    assert later.fetched == 0 and sum(later.failed.values()) == 6
    with open_store(media_archive) as store:
        row = store.get(loopback.url("/missing.png"))
        assert row is not None and row.attempts == 2 and row.next_retry == T0 + RETRY_BASE_MS + 1 + 2 * RETRY_BASE_MS


def test_a_recovered_image_is_kept_on_the_next_due_pass(media_archive: Archive, loopback: LoopbackServer):
    loopback.route("/flaky.png", [Reply(404), Reply(200, PLAIN, {"Content-Type": "image/png"})])
    add(media_archive, loopback.url("/a/1.html"), f'<img src="{loopback.url("/flaky.png")}">')
    assert backfill(media_archive, policy=FAST, now=T0).failed == {"http-error": 1}
    assert backfill(media_archive, policy=FAST, now=T0 + RETRY_BASE_MS).fetched == 1
    assert statuses(media_archive) == {"flaky.png": "ok"}


def test_budgets_and_limit_defer_the_rest(tmp_path: Path, loopback: LoopbackServer):
    archive = local_archive(tmp_path / "archive")
    enable_media(archive.root, pass_mb=1)
    archive = reopen(archive)
    try:
        from media_helpers import image as make

        noisy = [make("BMP", (400, 400), (n, 0, 0)) for n in range(12)]  # 480 KB each
        for n, data in enumerate(noisy):
            loopback.static(f"/{n}.bmp", data, "image/bmp")
        add(archive, loopback.url("/a/1.html"), "".join(f'<img src="{loopback.url(f"/{n}.bmp")}">' for n in range(12)))
        limited = backfill(archive, policy=FAST, now=T0, limit=1)
        assert limited.fetched == 1 and limited.deferred == 11
        rest = backfill(archive, policy=FAST, now=T0)
        # the 1 MB pass budget: checked as each fetch starts (8 at a time at most)
        assert rest.fetched + rest.deferred == 11 and 2 <= rest.fetched <= 2 + 8 and rest.deferred >= 1
        assert list(statuses(archive).values()).count("pending") == rest.deferred
    finally:
        archive.close()


def test_collect_archives_the_text_then_keeps_its_images(media_archive: Archive, loopback: LoopbackServer):
    serve_images(loopback)
    body = f'<p>正文</p><img src="{loopback.url("/plain.png")}"><img src="{loopback.url("/missing.png")}">'
    loopback.static("/feed.xml", rss20([Item("有图", loopback.url("/a/1.html"), body, T0)]))
    report = asyncio.run(run_pass(media_archive, [Source("cdt", "cdt", [loopback.url("/feed.xml")])], FAST, workers=0))
    rep = report.sources[0]
    assert rep.new == 1 and not rep.errors
    assert any("missing.png" in w and "HTTP 404" in w for w in rep.warnings), (rep.warnings, rep.paths)
    media = [p for p in rep.paths if p.startswith("media/")]
    assert len(media) == 1 and (media_archive.root / media[0]).read_bytes() == PLAIN  # committed with the record
    assert statuses(media_archive) == {"plain.png": "ok", "missing.png": "http-error"}


def test_collect_with_media_off_fetches_no_image(tmp_path: Path, loopback: LoopbackServer):
    archive = local_archive(tmp_path / "archive")
    try:
        serve_images(loopback)
        body = f'<p>正文</p><img src="{loopback.url("/plain.png")}">'
        loopback.static("/feed.xml", rss20([Item("有图", loopback.url("/a/1.html"), body, T0)]))
        report = asyncio.run(run_pass(archive, [Source("cdt", "cdt", [loopback.url("/feed.xml")])], FAST, workers=0))
        assert report.sources[0].new == 1 and loopback.hits["/plain.png"] == 0
        assert not (archive.root / "media").exists()
    finally:
        archive.close()


def test_recheck_keeps_the_images_of_a_new_revision(tmp_path: Path, loopback: LoopbackServer):
    from newsvault.archive import write_atomic
    from newsvault.config import CONFIG_NAME
    from newsvault.preserve.recheck import RecheckPolicy, recheck

    archive = local_archive(tmp_path / "archive")
    archive.config.sources = [Source("sel", "选择器站", [loopback.url("/feed")], body="page", selector="article", hosts=["127.0.0.1"])]
    write_atomic(archive.root / CONFIG_NAME, archive.config.dump())
    enable_media(archive.root)
    archive = reopen(archive)
    try:
        text = "<p>" + "这是一段足够长的正文，用来比较页面与存档是否一致。" * 8 + "</p>"
        url = loopback.url("/news/1.html")
        with archive.batch():
            archive.add(Record("被编辑的文章", url, T0, text), "sel", seen=T0)
        loopback.static("/added.png", PLAIN, "image/png")
        edited = f'{text}<p>（编者补充截图）<img src="{loopback.url("/added.png")}" alt="补充"></p>'
        page = f"<html><head><title>被编辑的文章</title></head><body><article>{edited}</article></body></html>"
        loopback.static("/news/1.html", page, "text/html; charset=utf-8")
        results = recheck(archive, policy=RecheckPolicy(delay=0, timeout=2))
        assert [r.status for r in results] == ["changed"]
        assert statuses(archive) == {"added.png": "ok"}
    finally:
        archive.close()
