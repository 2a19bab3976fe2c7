"""RSS 0.9x, RSS 1.0 (RDF), RSS 2.0 and Atom through feedparser.

The bytes are decoded by :func:`newsvault.encoding.decode` (HTTP charset, then the XML
declaration, then detection — GBK and Big5 feeds that lie about their charset are common) and
handed to feedparser as UTF-8, so feedparser never guesses a charset on its own. feedparser's
HTML sanitising is off: cleaning is :mod:`newsvault.clean`'s job, with rules of our own.
"""

from __future__ import annotations

import calendar
import html
import re
from urllib.parse import urljoin

import feedparser

from ..encoding import decode
from ..errors import FeedError, RecordError
from ..text import html_to_text
from .fast_xml import parse_fast
from .model import Feed, FeedItem

__all__ = ["parse_xml_feed", "text_to_html"]

_XML_DECL = re.compile(r"""^(\s*<\?xml[^>]*?encoding\s*=\s*)(["'])[^"']*\2""")
_HTML_TYPES = ("text/html", "application/xhtml+xml", "html", "xhtml")


def text_to_html(text: str) -> str:
    """Plain text as HTML paragraphs (one per blank-line-separated block)."""
    blocks = [b.strip() for b in re.split(r"\n\s*\n", text) if b.strip()]
    return "".join(f"<p>{html.escape(b).replace(chr(10), '<br>')}</p>" for b in blocks)


def _as_html(detail: dict) -> str:
    value = detail.get("value") or ""
    if detail.get("type", "text/html") in _HTML_TYPES or "<" in value:
        return value
    return text_to_html(value)


def _body(entry: dict) -> tuple[str, str]:
    """The fullest content: content:encoded / Atom content, else the longest of the rest.

    feedparser files RSS ``description`` and ``media:description`` under ``summary`` or
    ``content`` depending on their order in the item, so among those the longest wins.
    """
    contents = entry.get("content") or []
    rich = [c for c in contents if c.get("type") in _HTML_TYPES and (c.get("value") or "").strip()]
    if rich:
        return max((c["value"] for c in rich), key=len), "content"
    others = [c for c in contents if (c.get("value") or "").strip()]
    if entry.get("summary_detail") and (entry["summary_detail"].get("value") or "").strip():
        others.append(entry["summary_detail"])
    if not others:
        return "", ""
    best = max(others, key=lambda c: len(c.get("value") or ""))
    return _as_html(best), "summary"


def _time_ms(entry: dict) -> int | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = dict.get(entry, key)  # not entry.get: feedparser's fallback mapping warns
        if parsed:
            try:
                return calendar.timegm(parsed) * 1000
            except (OverflowError, ValueError, TypeError):
                continue
    return None


def _title(entry: dict) -> str:
    title = entry.get("title") or ""
    detail = entry.get("title_detail") or {}
    if detail.get("type") in ("text/html", "application/xhtml+xml") and "<" in title:
        return html_to_text(title)
    return title


def _link(entry: dict) -> str:
    for link in entry.get("links") or []:
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            return link["href"]
    link = entry.get("link") or ""
    if not link and entry.get("guidislink") and entry.get("id", "").startswith(("http://", "https://")):
        link = entry["id"]
    return link


def parse_xml_feed(data: bytes, url: str, *, charset: str | None = None, fast: bool = True) -> Feed:
    """Well-formed common feeds take the lxml fast path; everything else goes to feedparser."""
    try:
        text, _enc = decode(data, charset)
    except RecordError as e:
        raise FeedError(f"{url}: {e}, not a feed") from None
    text = _XML_DECL.sub(r"\1\2utf-8\2", text, count=1)
    if fast:
        feed = parse_fast(text.encode("utf-8"), url)
        if feed is not None:
            return feed
    headers = {"content-type": "application/xml; charset=utf-8"}
    if url.startswith(("http://", "https://")):
        headers["content-location"] = url  # feedparser mangles file:// bases; those are joined below
    parsed = feedparser.parse(
        text.encode("utf-8"),
        response_headers=headers,
        sanitize_html=False,
        resolve_relative_uris=True,
    )
    problem = parsed.get("bozo_exception")
    reason = f"{type(problem).__name__}: {problem}" if problem else None
    if not parsed.get("version") and not parsed.entries:
        raise FeedError(f"{url}: not an RSS, Atom or JSON feed" + (f" ({reason})" if reason else " (no channel and no items)"))
    items = []
    for entry in parsed.entries:
        body, body_from = _body(entry)
        items.append(
            FeedItem(
                title=_title(entry),
                link=urljoin(url, _link(entry).strip()) if _link(entry).strip() else "",
                body=body,
                body_from=body_from,
                published=_time_ms(entry),
                guid=entry.get("id") or "",
                categories=[t.get("term") or t.get("label") or "" for t in entry.get("tags") or [] if t.get("term") or t.get("label")],
                author=entry.get("author") or "",
            )
        )
    channel = parsed.get("feed") or {}
    return Feed(
        format=parsed.get("version") or "unknown",
        title=channel.get("title") or "",
        link=channel.get("link") or "",
        items=items,
        warning=f"recovered from malformed feed: {reason}" if parsed.get("bozo") and reason else None,
    )
