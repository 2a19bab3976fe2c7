"""Publishing with local images: the site and the server show kept copies, placeholders for
the rest, and never point a reader's browser at the publisher."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from collect_helpers import local_archive, no_dns
from http_helpers import LoopbackServer
from media_helpers import enable_media, image, reopen
from newsvault.archive import Archive
from newsvault.fetch import FetchPolicy
from newsvault.media import backfill, open_store
from newsvault.publish.site import build_site
from newsvault.record import Record
from newsvault.sanitize import sanitize_html
from search_helpers import live_server

FAST = FetchPolicy(timeout=0.5, deadline=2.0, retries=0, resolver=no_dns)
T0 = 1_750_000_000_000
KEPT = {"https://e.org/a.png": "../../media/aa/a.png", "https://e.org/big.png": "../../media/bb/big.png"}
REMOTE_IMG = re.compile(r"<img[^>]*\bsrc=\"(?!data:|\.\./|/media/)")


def test_kept_images_point_at_local_copies_and_the_rest_become_placeholders():
    html = (
        '<p><img src="https://e.org/a.png" alt="截图" width="600" height="400"></p>'
        '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" data-src="/lazy.png" alt="被删的&lt;帖子&gt;" width="600" height="400">'
        '<img src="small.png" srcset="small.png 1x, /big.png 2x">'
        '<picture><source srcset="/big.png 2x"><img src="/nope.png"></picture><p>后文</p>'
        '<img src="data:image/png;base64,iVBORw0KGgo=" alt="inline">'
    )
    out = sanitize_html(html, "https://e.org/n/1.html", KEPT.get)
    assert out.count('src="../../media/aa/a.png"') == 1 and out.count('src="../../media/bb/big.png"') == 2
    assert 'width="600" height="400"' in out  # a kept image keeps its size
    placeholder = re.search(r'<span class="media-missing">[^<]*<a href="https://e.org/lazy.png"[^>]*>原图</a></span>', out)
    assert placeholder and "被删的&lt;帖子&gt;" in placeholder.group(0)  # alt text, escaped; no width or height
    assert "data:image/png;base64" in out and "<p>后文</p>" in out
    assert not REMOTE_IMG.search(out)
    linked = sanitize_html('<a href="https://e.org/x"><img src="https://e.org/gone.png" alt="图"></a>', "https://e.org/", KEPT.get)
    assert linked.count("<a ") == 1 and '<span class="media-missing">［图片未存档：图］</span></a>' in linked  # no link in a link
    # Without a lookup (no media catalog passed) publishing is as before.
    assert '<img src="https://e.org/a.png"' in sanitize_html(html, "https://e.org/n/1.html")


@pytest.fixture
def published(tmp_path: Path, loopback: LoopbackServer):
    shot = image("PNG", (120, 80), (10, 120, 200))
    loopback.static("/shot.png", shot, "image/png")
    archive = local_archive(tmp_path / "archive")
    enable_media(archive.root)
    archive = reopen(archive)
    body = (
        f'<p>CDT编者按：本文已被禁止分享（如图）</p><p><img src="{loopback.url("/shot.png")}" alt="截图" width="1200" height="800"></p>'
        f'<p><img src="{loopback.url("/gone.png")}" alt="已删除的微博" width="1200" height="800"></p>'
    )
    with archive.batch():
        result = archive.add(Record("有图为证", loopback.url("/a/1.html"), T0, body), "cdt", seen=T0)
    report = backfill(archive, policy=FAST, now=T0)
    assert report.fetched == 1 and report.failed == {"http-error": 1}
    yield archive, result.article_id, shot
    archive.close()


def test_the_site_copies_kept_images_and_links_them_relatively(published, tmp_path: Path):
    archive, aid, shot = published
    site = tmp_path / "site"
    build_site(archive, site)
    page = (site / "articles" / aid[:2] / f"{aid}.html").read_text(encoding="utf-8")
    src = re.search(r'<img src="([^"]+)" alt="截图"', page)
    assert src and src.group(1).startswith("../../media/")
    assert (site / "articles" / aid[:2] / src.group(1)).resolve().read_bytes() == shot
    assert '<span class="media-missing">［图片未存档：已删除的微博］' in page and "1200" not in page.split("media-missing")[1][:200]
    for html in site.rglob("*.html"):
        assert not REMOTE_IMG.search(html.read_text(encoding="utf-8")), html
    assert "img-src 'self' data:" in page


def test_the_server_serves_kept_images_under_a_strict_policy(published):
    archive, aid, shot = published
    with open_store(archive) as store:
        rel = next(r.rel for r in store.rows() if r.status == "ok")
    with live_server(archive.root) as url, httpx.Client(base_url=url, timeout=30) as client:
        page = client.get(f"/articles/{aid}")
        assert page.status_code == 200 and f'src="/media/{rel}"' in page.text and not REMOTE_IMG.search(page.text)
        assert "img-src 'self' data:" in page.headers["content-security-policy"]
        got = client.get(f"/media/{rel}")
        assert got.status_code == 200 and got.content == shot and got.headers["content-type"] == "image/png"
        assert "img-src 'self' data:" in got.headers["content-security-policy"]
        for bad in ("/media/aa/../../newsvault.toml", f"/media/{rel[:2]}/{'0' * 64}.png", "/media/zz/x.svg", f"/media/{rel[:-3]}svg"):
            assert client.get(bad).status_code == 404, bad


def test_an_archive_without_media_publishes_placeholders(tmp_path: Path):
    archive = Archive.init(tmp_path / "a")
    try:
        with archive.batch():
            result = archive.add(Record("无图", "https://news.example.test/1", T0, '<p>文</p><img src="https://news.example.test/p.jpg" alt="照片">'), "x", seen=T0)
        build_site(archive, tmp_path / "site")
        page = (tmp_path / "site" / "articles" / result.article_id[:2] / f"{result.article_id}.html").read_text(encoding="utf-8")
        assert "［图片未存档：照片］" in page and not REMOTE_IMG.search(page)
    finally:
        archive.close()
