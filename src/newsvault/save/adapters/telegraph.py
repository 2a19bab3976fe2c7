"""Telegraph (telegra.ph/<slug>): title ``h1``, author ``address a`` (or ``address``), time
``address time[datetime]``, body ``article#_tl_editor`` without its title and byline."""

from __future__ import annotations

from . import Adapter

TELEGRAPH = Adapter(
    name="telegraph",
    hosts=("telegra.ph", "graph.org"),
    path=r"^/[^/]+",
    title=("article h1", "meta[property='og:title']"),
    author=("address a[rel='author']", "address a", "meta[property='article:author']"),
    time=("address time[datetime]", "meta[property='article:published_time']"),
    body=("article#_tl_editor", "article"),
    drop=("h1", "address"),
    gone=("404 Not Found",),
)
