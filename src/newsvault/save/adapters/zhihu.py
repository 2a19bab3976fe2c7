"""Zhihu columns (zhuanlan.zhihu.com/p/<id>): title ``h1.Post-Title``, author
``meta[itemprop=name]``, body ``.Post-RichTextContainer``; a deleted post is Zhihu's 404 page."""

from __future__ import annotations

import re

from . import Adapter


def canonical(url: str) -> str:
    m = re.search(r"/p/(\d+)", url)
    return f"https://zhuanlan.zhihu.com/p/{m.group(1)}" if m else url


# Column pages are read from the desktop layout (the mobile one moves the article).
DESKTOP_CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
)


ZHIHU = Adapter(
    name="zhihu",
    hosts=("zhuanlan.zhihu.com",),
    path=r"^/p/\d+",
    user_agent=DESKTOP_CHROME,
    title=("h1.Post-Title", "meta[property='og:title']"),
    author=(".AuthorInfo meta[itemprop='name']", "meta[itemprop='name']"),
    time=("meta[itemprop='datePublished']", ".ContentItem-time"),
    body=(".Post-RichTextContainer",),
    drop=("noscript", "script", "style"),
    gone=("你似乎来到了没有知识存在的荒原", "该文章已被删除", "内容已被删除", "该内容暂时无法查看"),
    canonical=canonical,
)
