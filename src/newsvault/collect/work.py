"""The CPU-bound steps of a pass — parse a feed, clean bodies, extract pages — as plain
functions of bytes and strings, so that a big pass can run them in worker processes (one per
core) while the event loop keeps fetching and the archive keeps writing. Small passes run them
in a thread; the results are the same either way.
"""

from __future__ import annotations

import re

from ..clean import clean_html, clean_title
from ..extract import extract_main, page_title
from ..parse import Feed, parse_feed
from ..text import html_to_text

__all__ = ["parse", "clean_bodies", "page_body", "clean_link", "wants_page"]


def clean_link(link: str, feed_url: str = "") -> str:
    """The item's link as a record URL: one line, and only http(s) — or file:// inside a local
    feed — so that a ``javascript:`` or ``data:`` link never reaches a published page."""
    link = re.sub(r"[\r\n\t]+", "", link.strip())
    scheme = link.split(":", 1)[0].lower() if ":" in link else ""
    if scheme in ("http", "https") or (scheme == "file" and feed_url.startswith("file:")):
        return link
    return ""


def wants_page(link: str, body_mode: str, teaser: bool) -> bool:
    """Whether an item's body comes from its page: page sources, or feeds that carry teasers."""
    return bool(link) and link.startswith(("http://", "https://", "file://")) and (body_mode == "page" or teaser)


def parse(data: bytes, url: str, content_type: str, charset: str | None) -> Feed:
    return parse_feed(data, url, content_type=content_type, charset=charset)


def clean_bodies(bodies: list[tuple[str, str]]) -> list[str]:
    """Clean ``(body_html, base_url)`` pairs (one call per feed keeps the hand-offs few)."""
    return [clean_html(body, base) for body, base in bodies]


def page_body(html: str, page_url: str, selector: str | None, feed_body: str, body_mode: str, base: str) -> tuple[str, str]:
    """The cleaned body for a page item, and the page's title (for items without one).

    For a feed-body source (the feed gave a teaser) the page's text is used only when it is
    longer than the teaser.
    """
    extracted = extract_main(html, page_url, selector)
    if body_mode == "page" or len(html_to_text(extracted)) > len(html_to_text(feed_body)):
        body = clean_html(extracted, page_url)
    else:
        body = clean_html(feed_body, base)
    return body, clean_title(page_title(html))
