"""Feed documents → items: RSS 0.9x/1.0 (RDF)/2.0 and Atom via feedparser, JSON Feed natively.

``parse_feed(data, url)`` takes the raw bytes (any charset) and returns a :class:`Feed`; it raises
:class:`newsvault.errors.FeedError` when the document is not a feed at all. A valid feed with no
items is not an error (it returns no items).
"""

from .detect import parse_feed
from .model import Feed, FeedItem

__all__ = ["Feed", "FeedItem", "parse_feed"]
