"""Any other page: trafilatura's main text, the title and author from ``og:``/JSON-LD/meta,
the time from ``article:published_time`` or JSON-LD ``datePublished``."""

from __future__ import annotations

from . import Adapter

DEFAULT = Adapter(
    name="",  # the site's folder is named after its host (or the configured source for it)
    title=("meta[property='og:title']", "h1", "title"),
    author=("meta[name='author']", "meta[property='article:author']"),
    time=("meta[property='article:published_time']", "meta[itemprop='datePublished']", "time[datetime]"),
    canonical_from_page=("link[rel='canonical']", "meta[property='og:url']"),
)
