"""OPML import and export of sources (the format every feed reader speaks).

Export writes one ``<outline type="rss">`` per feed URL; newsvault's own settings ride along as
extra attributes (``slug``, ``body``, ``selector``, ``category``, ``interval``) that other readers
ignore and :func:`read_opml` reads back, so an export→import round trip keeps every source as it was.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit
from xml.sax.saxutils import quoteattr

from lxml import etree

from ..config import Source, slugify
from ..errors import ConfigError, NewsvaultError

__all__ = ["read_opml", "write_opml"]


def write_opml(sources: list[Source], title: str = "newsvault sources") -> str:
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<opml version="2.0">',
        f"  <head><title>{_esc(title)}</title></head>",
        "  <body>",
    ]
    for s in sources:
        for url in s.feeds:
            attrs = {"type": "rss", "text": s.name, "title": s.name, "xmlUrl": url, "slug": s.slug}
            if s.body != "feed":
                attrs["body"] = s.body
            if s.selector:
                attrs["selector"] = s.selector
            if s.category:
                attrs["category"] = s.category
            if s.interval != 3600:
                attrs["interval"] = str(s.interval)
            lines.append("    <outline " + " ".join(f"{k}={quoteattr(v)}" for k, v in attrs.items()) + "/>")
    lines += ["  </body>", "</opml>", ""]
    return "\n".join(lines)


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def read_opml(data: bytes, name: str = "OPML file") -> list[Source]:
    """Sources from an OPML document; outlines with the same slug become one multi-feed source."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=False, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as e:
        raise ConfigError(f"{name}: not valid OPML/XML ({e})") from None
    if root.tag != "opml":
        raise ConfigError(f"{name}: not an OPML document (root element is <{root.tag}>)")
    grouped: dict[str, dict[str, Any]] = {}
    for outline in root.iter("outline"):
        url = (outline.get("xmlUrl") or outline.get("xmlurl") or "").strip()
        if not url:
            continue
        label = (outline.get("title") or outline.get("text") or "").strip()
        slug = outline.get("slug") or slugify(label or urlsplit(url).hostname or "feed")
        entry = grouped.setdefault(slug, {"slug": slug, "name": label or slug, "feeds": []})
        if url not in entry["feeds"]:
            entry["feeds"].append(url)
        for key in ("body", "selector", "category"):
            if outline.get(key):
                entry[key] = outline.get(key)
        if (outline.get("interval") or "").isdigit():
            entry["interval"] = int(outline.get("interval"))
    sources = []
    for entry in grouped.values():
        try:
            sources.append(Source(**entry))
        except NewsvaultError as e:
            raise ConfigError(f"{name}: {e}") from None
    if not sources:
        raise ConfigError(f"{name}: no feed outlines (<outline xmlUrl=…>) found")
    return sources
