"""The reader server's page cache over real HTTP: kept answers, ETag/304, gzip, and a kept page
replaced as soon as the archive changes (another writer's commit, no waiting)."""

from __future__ import annotations

import gzip

import httpx
import pytest

from collect_helpers import local_archive, no_dns
from media_helpers import enable_media, image, reopen
from newsvault.compose import open_archive
from newsvault.fetch import FetchPolicy
from newsvault.media import backfill
from newsvault.record import Record
from newsvault.serve.cache import accepts_gzip
from publish_helpers import SEEN_BASE, make_archive
from search_helpers import live_server

NEW_TITLE = "缓存失效测试：新到的文章"
NEW_WORD = "鸭嘴兽缓存"


@pytest.fixture
def served(tmp_path):
    archive = make_archive(tmp_path / "a", xss=False)
    archive.close()
    with live_server(tmp_path / "a") as base, httpx.Client(base_url=base, timeout=30) as c:
        yield tmp_path / "a", c


def add_article(root) -> None:
    """What a collect in another process does: one new article, committed (and indexed)."""
    archive = open_archive(root)
    try:
        with archive.batch():
            archive.add(Record(NEW_TITLE, "https://news.example.test/new/1", SEEN_BASE + 86_400_000,
                               f"<p>今天的{NEW_WORD}新闻正文。</p>"), "cdt", seen=SEEN_BASE + 86_400_000)
    finally:
        archive.close()


def test_a_kept_page_is_replaced_when_the_archive_changes(served):
    root, c = served
    first = c.get("/")
    assert first.status_code == 200 and NEW_TITLE not in first.text
    assert c.get("/").text == first.text  # kept
    search = c.get("/api/search", params={"q": NEW_WORD}).json()
    assert search["total"] == 0
    etag = first.headers["etag"]
    assert c.get("/", headers={"if-none-match": etag}).status_code == 304
    add_article(root)
    # Right away: the catalog's data_version moved, so nothing kept before is answered.
    after = c.get("/", headers={"if-none-match": etag})
    assert after.status_code == 200 and NEW_TITLE in after.text
    assert after.headers["etag"] != etag
    found = c.get("/api/search", params={"q": NEW_WORD}).json()
    assert found["total"] == 1 and found["results"][0]["title"] == NEW_TITLE


def test_etag_gzip_and_head(served):
    _root, c = served
    plain = c.get("/api/articles", params={"limit": 5}, headers={"accept-encoding": "identity"})
    assert plain.status_code == 200 and "content-encoding" not in plain.headers
    zipped = c.get("/api/articles", params={"limit": 5}, headers={"accept-encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip" and zipped.headers["vary"] == "accept-encoding"
    assert zipped.content == plain.content  # httpx decoded it: the same bytes
    assert zipped.headers["etag"] != plain.headers["etag"]  # two representations, two tags
    with c.stream("GET", "/api/articles", params={"limit": 5}, headers={"accept-encoding": "gzip"}) as r:
        body = b"".join(r.iter_raw())
    assert gzip.decompress(body) == plain.content and int(r.headers["content-length"]) == len(body)
    head = c.head("/api/articles", params={"limit": 5}, headers={"accept-encoding": "identity"})
    assert head.status_code == 200 and head.content == b"" and head.headers["etag"] == plain.headers["etag"]
    assert int(head.headers["content-length"]) == len(plain.content)
    # The security headers are on kept answers and 304s too.
    not_modified = c.get("/api/articles", params={"limit": 5}, headers={"if-none-match": f'W/"x", {plain.headers["etag"]}', "accept-encoding": "identity"})
    assert not_modified.status_code == 304 and not_modified.headers["x-frame-options"] == "DENY"


def test_errors_are_not_kept(served):
    _root, c = served
    for _ in range(2):
        r = c.get("/articles/ffffffffffff")
        assert r.status_code == 404 and "etag" not in r.headers


@pytest.mark.parametrize(("value", "allowed"), [
    (b"gzip, deflate", True), (b"br;q=1.0, gzip;q=0.5", True), (b"gzip;q=0", False), (b"gzip;q=0.000", False),
    (b"identity", False), (b"", False), (b"*", True), (b"GZIP", True), (b"gzip;q=bad", False),
])
def test_accept_encoding(value, allowed):
    assert accepts_gzip(value) is allowed


def test_a_kept_article_page_shows_images_kept_after_it(tmp_path, loopback):
    """`media backfill` writes only the media catalog: the page kept before it must still go."""
    loopback.static("/shot.png", image("PNG", (60, 40), (10, 120, 200)), "image/png")
    archive = local_archive(tmp_path / "archive")
    enable_media(archive.root)
    archive = reopen(archive)
    try:
        with archive.batch():
            aid = archive.add(Record("有图", loopback.url("/a/1.html"), SEEN_BASE,
                                     f'<p>正文</p><p><img src="{loopback.url("/shot.png")}" alt="截图"></p>'), "cdt", seen=SEEN_BASE).article_id
        with live_server(archive.root) as base, httpx.Client(base_url=base, timeout=30) as c:
            before = c.get(f"/articles/{aid}").text
            assert 'src="/media/' not in before and "截图" in before
            assert c.get(f"/articles/{aid}").text == before  # kept
            report = backfill(archive, policy=FetchPolicy(timeout=0.5, deadline=2.0, retries=0, resolver=no_dns), now=SEEN_BASE)
            assert report.fetched == 1
            assert 'src="/media/' in c.get(f"/articles/{aid}").text
    finally:
        archive.close()
