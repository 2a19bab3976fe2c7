"""RSS 0.9x, RSS 1.0 (RDF), RSS 2.0 and Atom 0.3/1.0 through feedparser.

The bytes are decoded by :func:`newsvault.encoding.decode` (HTTP charset, then the XML
declaration, then detection — GBK and Big5 feeds that lie about their charset are common) and
handed to feedparser as UTF-8, so feedparser never guesses a charset on its own. feedparser's
HTML sanitising is off: cleaning is :mod:`newsvault.clean`'s job, with rules of our own.
Well-formed feeds that use only what :mod:`.fast_xml` reads exactly go there instead.

Each entry is built on its own: one entry that cannot be read (a link that is not a URL) is
left out and named in ``Feed.problems``; the others are kept.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urljoin

from ..encoding import decode
from ..errors import FeedError, RecordError
from .fast_xml import parse_fast
from .model import Feed, FeedItem, item_problem
from .rules import HTML_TYPES, as_html, epoch_ms, impossible_offset, plain_title, text_to_html

__all__ = ["parse_xml_feed", "text_to_html"]

_XML_DECL = re.compile(r"""^(\s*<\?xml[^>]*?encoding\s*=\s*)(["'])[^"']*\2""")


def _body(entry: dict[str, Any], atom: bool) -> tuple[str, str]:
    """The fullest content: content:encoded / Atom content, else the longest of the rest.

    feedparser files RSS ``description`` and ``media:description`` under ``summary`` or
    ``content`` depending on their order in the item, so among those the longest wins. In Atom,
    ``content`` is content whatever its type.
    """
    contents = [c for c in entry.get("content") or [] if (c.get("value") or "").strip()]
    rich = contents if atom else [c for c in contents if c.get("type") in HTML_TYPES]
    if rich:
        best = max(rich, key=lambda c: len(c["value"]))
        return as_html(best["value"], best.get("type", "text/html")), "content"
    others = list(contents)
    summary = entry.get("summary_detail")
    if summary and (summary.get("value") or "").strip():
        others.append(summary)
    if not others:
        return "", ""
    best = max(others, key=lambda c: len(c.get("value") or ""))
    value, kind = best.get("value") or "", best.get("type", "text/html")
    if not atom and "<" in value:  # RSS descriptions are HTML in practice, whatever they say
        kind = "text/html"
    return as_html(value, kind), "summary"


def _time_ms(entry: dict[str, Any]) -> int | None:
    for key in ("published", "updated", "created"):
        if impossible_offset(dict.get(entry, key)):
            continue  # feedparser applied an offset no clock uses: that date is no date
        ms = epoch_ms(dict.get(entry, key + "_parsed"))  # not entry.get: feedparser's fallback mapping warns
        if ms is not None:
            return ms
    return None


def _title(entry: dict[str, Any]) -> str:
    detail = entry.get("title_detail") or {}
    return plain_title(entry.get("title") or "", detail.get("type") in ("text/html", "application/xhtml+xml"))


def _link(entry: dict[str, Any], by_id: bool) -> str:
    """The first alternate link; else the id, when it is a web address and stands for the item."""
    for link in entry.get("links") or []:
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            return str(link["href"])
    ident = str(entry.get("id") or "").strip()
    if by_id or entry.get("guidislink"):
        return ident if ident.startswith(("http://", "https://")) else ""
    return str(dict.get(entry, "link") or "")


def _item(entry: dict[str, Any], url: str, atom: bool, by_id: bool) -> FeedItem:
    body, body_from = _body(entry, atom)
    link = _link(entry, by_id).strip()
    return FeedItem(
        title=_title(entry),
        link=urljoin(url, link) if link else "",
        body=body,
        body_from=body_from,
        published=_time_ms(entry),
        guid=entry.get("id") or "",
        categories=[t.get("term") or t.get("label") or "" for t in entry.get("tags") or [] if t.get("term") or t.get("label")],
        author=entry.get("author") or "",
    )


def decode_xml(data: bytes, url: str, charset: str | None) -> str:
    """The document as text whose XML declaration says UTF-8 (what it will be handed on as)."""
    try:
        text, _enc = decode(data, charset)
    except RecordError as e:
        raise FeedError(f"{url}: {e}, not a feed") from None
    if "\x00" in text:  # never valid in XML; a stray NUL must not cost the feed
        text = text.replace("\x00", "")
    return _XML_DECL.sub(r"\1\2utf-8\2", text, count=1)


def parse_xml_feed(data: bytes, url: str, *, charset: str | None = None, fast: bool = True) -> Feed:
    """Well-formed common feeds take the lxml fast path; everything else goes to feedparser."""
    text = decode_xml(data, url, charset)
    if fast:
        feed = parse_fast(text.encode("utf-8"), url)
        if feed is not None:
            return feed
    return parse_with_feedparser(text, url)


def parse_with_feedparser(text: str, url: str) -> Feed:
    import feedparser  # only for the feeds the fast path declines (a tenth of a pass's start-up)

    # No content-location: feedparser would join links itself and turn a link that is not a URL
    # into "" silently; relative links (after any xml:base) are joined to ``url`` below instead.
    parsed = feedparser.parse(
        text.encode("utf-8"),
        response_headers={"content-type": "application/xml; charset=utf-8"},
        sanitize_html=False,
        resolve_relative_uris=True,
    )
    problem = parsed.get("bozo_exception")
    reason = f"{type(problem).__name__}: {problem}" if problem else None
    if not parsed.get("version") and not parsed.entries:
        raise FeedError(f"{url}: not an RSS, Atom or JSON feed" + (f" ({reason})" if reason else " (no channel and no items)"))
    version = str(parsed.get("version") or "")
    atom = version.startswith("atom")
    by_id = atom or version == "rss10"  # Atom ids and RSS 1.0 rdf:about name the entry itself
    items, problems = [], []
    for n, entry in enumerate(parsed.entries, 1):
        try:
            items.append(_item(entry, url, atom, by_id))
        except ValueError as e:
            problems.append(item_problem(n, _link(entry, by_id) or entry.get("title") or "", e))
    channel = parsed.get("feed") or {}
    return Feed(
        format=parsed.get("version") or "unknown",
        title=channel.get("title") or "",
        link=channel.get("link") or "",
        items=items,
        warning=f"recovered from malformed feed: {reason}" if parsed.get("bozo") and reason else None,
        problems=problems,
    )
