"""Which parser a document needs, and the shared entry point."""

from __future__ import annotations

from ..encoding import without_bad_charrefs
from ..errors import FeedError
from .json_feed import parse_json_feed
from .model import Feed
from .xml_feed import parse_xml_feed

__all__ = ["parse_feed"]


def _is_json(data: bytes, content_type: str) -> bool:
    ctype = content_type.split(";")[0].strip().lower()
    if ctype in ("application/feed+json", "application/json") or ctype.endswith("+json"):
        return True
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"{")


def parse_feed(data: bytes, url: str, *, content_type: str = "", charset: str | None = None) -> Feed:
    """Parse a feed document fetched from ``url`` (relative links resolve against it)."""
    if not data.strip():
        raise FeedError(f"{url}: empty response, not a feed")
    if _is_json(data, content_type):
        return parse_json_feed(data, url, charset=charset)
    # One `&#xD800;` would stop feedparser on the whole feed: such references become U+FFFD.
    return parse_xml_feed(without_bad_charrefs(data), url, charset=charset)
