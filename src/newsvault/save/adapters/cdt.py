"""China Digital Times (chinadigitaltimes.net): title ``h1.entry-title`` (or ``og:title``),
author ``meta[name=author]``, time ``article:published_time``, body ``div.post-content`` (the
selector collect uses for its feed)."""

from __future__ import annotations

from . import Adapter

CDT = Adapter(
    name="cdt",
    hosts=("chinadigitaltimes.net",),
    path=r"^/chinese/",
    title=("h1.entry-title", "h1.post-title", "meta[property='og:title']"),
    author=("meta[name='author']", ".author a"),
    time=("meta[property='article:published_time']", "time[datetime]"),
    body=("div.post-content", ".entry-content"),
    drop=("script", "style", ".sharedaddy", ".jp-relatedposts"),
)
