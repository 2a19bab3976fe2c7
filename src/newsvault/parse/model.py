"""The shape every feed format is turned into."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..encoding import valid_text

__all__ = ["Feed", "FeedItem", "item_problem"]


@dataclass
class FeedItem:
    """One entry of a feed, before cleaning.

    ``body`` is the fullest content the entry carries, as HTML (plain text is escaped and put in
    paragraphs); ``body_from`` says where it came from (``content`` for content:encoded or Atom
    content, ``summary`` for description / media:description / JSON Feed summary).
    ``published`` is epoch milliseconds (UTC) or None when missing or unreadable.
    """

    title: str
    link: str
    body: str = ""
    body_from: str = ""
    published: int | None = None
    guid: str = ""
    categories: list[str] = field(default_factory=list)
    author: str = ""

    def __post_init__(self) -> None:
        # Every parser's texts end here: none may carry a lone surrogate into a record.
        self.title, self.link, self.body = valid_text(self.title), valid_text(self.link), valid_text(self.body)
        self.guid, self.author = valid_text(self.guid), valid_text(self.author)
        self.categories = [valid_text(c) for c in self.categories]


@dataclass
class Feed:
    format: str  # "rss20", "rss10", "atom10", "json1", … (feedparser's version names)
    title: str
    link: str
    items: list[FeedItem]
    warning: str | None = None  # a recoverable problem (e.g. malformed XML that still parsed)
    # Items left out because they could not be read, one line each (position, link or title, why);
    # the rest of the feed is unaffected.
    problems: list[str] = field(default_factory=list)


def item_problem(position: int, what: str, error: Exception) -> str:
    """How a left-out item is reported: the same words from every parser."""
    where = f" ({what[:120]})" if what else ""
    return f"item {position}{where} left out: {error}"
