"""Matters (matters.news/@<user>/<slug>): title ``h1.article``, author ``a.name``, body
``div.u-content``."""

from __future__ import annotations

from . import Adapter

MATTERS = Adapter(
    name="matters",
    hosts=("matters.news", "matters.town"),
    path=r"^/@[^/]+/[^/]+",
    title=("h1.article", "meta[property='og:title']"),
    author=("a.name", "meta[name='author']"),
    time=("time[datetime]", "meta[property='article:published_time']"),
    body=("div.u-content",),
    gone=("作品已被作者隱藏", "作品已被删除", "作品已被刪除", "此作品因違反"),
)
