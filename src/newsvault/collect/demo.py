"""Sample feeds shipped with newsvault, for a demo that runs offline (``file://`` URLs).

Built from real archived articles (see ``newsvault/demo/feeds``): an RSS 2.0 feed with full
``content:encoded`` bodies (法广), an Atom feed (译言), and a CDT-style feed of teasers whose
article pages are local files, collected with CDT's real settings (page body, selector
``div.post-content``, emoji category filter: one of its three items is filtered out).

The real articles' images are on their outlets' hosts, which an offline demo does not contact
(the demo archive's ``[media] hosts`` is 127.0.0.1). To show an image being kept, one more
feed, written by the demo about itself, has an article whose picture :func:`image_server`
serves on loopback while the demo collects.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from ..config import DEFAULT_SOURCES, Source

__all__ = ["demo_sources", "image_server", "DEMO_FEEDS", "DEMO_IMAGE"]

DEMO_FEEDS = Path(__file__).resolve().parent.parent / "demo" / "feeds"
DEMO_IMAGE = Path(__file__).resolve().parent.parent / "demo" / "images" / "newsvault-demo.png"
WELCOME_FEED = "newsvault.xml"
_WELCOME = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel>
<title>newsvault 演示</title>
<link>{feed}</link>
<description>newsvault 演示自带的一篇说明，配有一张由本机服务器提供的图片</description>
<item>
<title>演示：文章里的图片存进档案</title>
<link>{feed}#images</link>
<guid isPermaLink="false">newsvault-demo-images</guid>
<pubDate>Mon, 07 Dec 2026 00:00:00 +0000</pubDate>
<content:encoded><![CDATA[<p>下面这张图片由演示在本机（127.0.0.1）临时开的服务器提供。收集时 newsvault 把它存进档案的 media/ 目录；网站和阅读服务器显示的是存档里的副本，不再向原网站请求图片。</p>
<p>新闻图片往往就是证据：一篇文章被删之前，原网站上的图片通常先消失。所以 newsvault init 建立的档案默认保存图片：每张最多 10 MB，每次收集最多 200 MB，由 newsvault.toml 的 [media] 设定；不想保存图片的话，用 newsvault init --no-media 建立档案。图片按内容的 sha256 命名存放，两篇文章用同一张图片只存一份；记录文件本身保持收到时的原样，不会被改写。</p>
<p><img src="{image}" alt="newsvault 演示图片" width="320" height="120"></p>]]></content:encoded>
</item>
</channel>
</rss>
"""


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass


@contextmanager
def image_server() -> Iterator[str]:
    """Serve the demo's image on 127.0.0.1 (a free port) while the block runs; yields its URL."""
    handler = partial(_Quiet, directory=str(DEMO_IMAGE.parent))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="newsvault-demo-images", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/{DEMO_IMAGE.name}"
    finally:
        server.shutdown()
        server.server_close()


def demo_sources(dest_dir: Path | str, image_url: str | None = None) -> list[Source]:
    """Copy the sample feeds into ``dest_dir`` and return Sources that read them there.

    The copies (not the installed package files) are what the sources point at, so a demo can
    edit a feed and collect again to show a revision being archived. Existing copies are kept.
    ``image_url``: also write the demo's own feed, whose article shows that image (a loopback
    URL from :func:`image_server`), and return its source, allowed to reach 127.0.0.1.
    """
    dest = Path(dest_dir).resolve()
    dest.mkdir(parents=True, exist_ok=True)
    for path in sorted(DEMO_FEEDS.rglob("*")):
        target = dest / path.relative_to(DEMO_FEEDS)
        if path.is_dir():
            target.mkdir(exist_ok=True)
        elif not target.exists():  # never undo an edit made to a copy
            shutil.copyfile(path, target)
    cdt = next(s for s in DEFAULT_SOURCES if s.slug == "cdt")
    return [
        Source("rfi", "法广", [(dest / "rfi.xml").as_uri()]),
        Source("yeeyan", "译言", [(dest / "yeeyan.atom").as_uri()]),
        Source("cdt", "中国数字时代", [(dest / "cdt.xml").as_uri()], body="page", selector=cdt.selector, category=cdt.category),
    ] + ([_welcome(dest, image_url)] if image_url else [])


def _welcome(dest: Path, image_url: str) -> Source:
    feed = dest / WELCOME_FEED
    if not feed.exists():  # a second run keeps the first feed (and the image it archived)
        feed.write_text(_WELCOME.format(feed=feed.as_uri(), image=image_url), encoding="utf-8")
    return Source("newsvault", "newsvault 演示", [feed.as_uri()], allow_private=("127.0.0.1/32",))
