"""Article images on the built site in real headless Chromium, from file:// with the network cut
off: kept images show from the site's own media/, missing ones are small labelled placeholders,
and the page asks no other host for anything."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from collect_helpers import local_archive, no_dns
from http_helpers import LoopbackServer
from media_helpers import enable_media, image, reopen
from newsvault.fetch import FetchPolicy
from newsvault.media import backfill
from newsvault.publish.render import article_path
from newsvault.publish.site import build_site
from newsvault.record import Record
from publish_helpers import CHROMIUM, chromium

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's chromium"),
]
SHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
T0 = 1_750_000_000_000


def test_images_show_offline_and_missing_ones_are_placeholders(tmp_path: Path, loopback: LoopbackServer):
    loopback.static("/shot.png", image("PNG", (900, 600), (30, 90, 160)), "image/png")
    archive = local_archive(tmp_path / "archive")
    enable_media(archive.root)
    archive = reopen(archive)
    body = (
        "<p>CDT编者按：本文已被禁止分享（如图）</p>"
        f'<p><img src="{loopback.url("/shot.png")}" alt="微信提示：此内容因违规无法查看" width="900" height="600"></p>'
        "<p>以下截图未能存档：</p>"
        f'<p><img src="{loopback.url("/gone.png")}" alt="已被删除的微博截图" width="1200" height="900"></p><p>正文结束。</p>'
    )
    with archive.batch():
        result = archive.add(Record("【立此存照】本文已被禁止分享", loopback.url("/a/1.html"), T0, body), "cdt", seen=T0)
    assert backfill(archive, policy=FetchPolicy(timeout=2, resolver=no_dns), now=T0).fetched == 1
    build_site(archive, tmp_path / "site")
    archive.close()
    url = (tmp_path / "site" / article_path(result.article_id)).as_uri()
    shots = SHOTS if os.environ.get("NEWSVAULT_SCREENSHOTS") == "1" else tmp_path
    with chromium() as browser:
        for width in (390, 1280):
            page = browser.new_page(viewport={"width": width, "height": 900})
            outside: list[str] = []

            def route(r, outside=outside):
                if r.request.url.startswith("file:"):
                    r.continue_()
                else:
                    outside.append(r.request.url)
                    r.abort()

            page.route("**/*", route)
            page.goto(url, wait_until="load")
            kept = page.locator("article img")
            assert kept.count() == 1
            assert kept.evaluate("img => img.complete && img.naturalWidth") == 900  # loaded, from media/
            box = kept.bounding_box()
            assert box is not None and box["width"] <= width
            placeholder = page.locator(".media-missing")
            assert placeholder.count() == 1 and "已被删除的微博截图" in placeholder.inner_text()
            ph = placeholder.bounding_box()
            assert ph is not None and ph["height"] < 80  # a line of text, not a 900-pixel empty box
            assert placeholder.locator("a").get_attribute("href") == loopback.url("/gone.png")
            assert outside == []
            page.screenshot(path=str(shots / f"media-{width}.png"), full_page=True)
            page.close()
