"""The rules both XML paths follow, so that they cannot drift apart.

* **Titles are plain text.** A title typed as HTML (Atom ``type="html"``, or an RSS title that
  looks like HTML by feedparser's test) has its entities decoded and its tags stripped;
  a plain-text title is kept as written (Atom ``type="text"``: ``&lt;b&gt;`` stays ``<b>``).
* **Bodies are HTML.** HTML and XHTML are kept; plain text is escaped and put in paragraphs.
* **Text fix-ups feedparser applies** (stray C1 controls read as Windows-1252, UTF-8 that was
  decoded as Latin-1 once too often) are applied by the fast path too.
"""

from __future__ import annotations

import calendar
import contextlib
import html
import html.entities
import re
import time

from ..text import html_to_text
from ._feedparser_tables import ACCEPTABLE_ELEMENTS, CP1252
from .feed_dates import EARLIEST_MS, LATEST_MS

__all__ = ["HTML_TYPES", "as_html", "epoch_ms", "impossible_offset", "feedparser_fixups", "looks_like_html", "plain_title", "text_to_html"]

HTML_TYPES = ("text/html", "application/xhtml+xml", "html", "xhtml")
_C1 = re.compile("[\x80-\x9f]")
_LATIN1_HIGH = re.compile("[\x80-\xff]")

_CLOSE_TAG = re.compile(r"</(\w+)>")
_ENTITY = re.compile(r"&#?\w+;")
_TAG = re.compile(r"</?(\w+)")
_NAMED_ENTITY = re.compile(r"&(\w+);")


def looks_like_html(s: str) -> bool:
    """feedparser's test (``_FeedParserMixin.looks_like_html``), step by step: a close tag or an
    entity, only tags it accepts, only entities HTML defines."""
    if not (_CLOSE_TAG.search(s) or _ENTITY.search(s)):
        return False
    if any(t.lower() not in ACCEPTABLE_ELEMENTS for t in _TAG.findall(s)):
        return False
    return all(e in html.entities.entitydefs for e in _NAMED_ENTITY.findall(s))


def text_to_html(text: str) -> str:
    """Plain text as HTML paragraphs (one per blank-line-separated block)."""
    blocks = [b.strip() for b in re.split(r"\n\s*\n", text) if b.strip()]
    return "".join(f"<p>{html.escape(b).replace(chr(10), '<br>')}</p>" for b in blocks)


def plain_title(value: str, is_html: bool) -> str:
    """A title as plain text: HTML titles lose their tags and entities, text titles stay."""
    return html_to_text(value) if is_html else value


def as_html(value: str, kind: str) -> str:
    """A body of content type ``kind`` as HTML."""
    return value if kind in HTML_TYPES else text_to_html(value)


def feedparser_fixups(value: str) -> str:
    """What feedparser does to every text it reads, done the same way here."""
    # Both fix-ups concern characters U+0080–U+00FF only: one scan rules them out for nearly
    # every text (CJK has none).
    if value.isascii() or not _LATIN1_HIGH.search(value):
        return value
    with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):  # UTF-8 once read as Latin-1
        value = value.encode("iso-8859-1").decode("utf-8")
    if _C1.search(value):
        value = value.translate(CP1252)
    return value


# A zone offset ending a date: ±hh:mm or ±hhmm (ISO 8601, RFC 822).
_OFFSET = re.compile(r"[0-9\s]([+-])(\d{2}):?(\d{2})\s*\Z")
# Real offsets run from −12:00 to +14:00 (UTC−12 to Kiribati's UTC+14).
_MAX_OFFSET_MINUTES = 14 * 60


def impossible_offset(value: str | None) -> bool:
    """True when a date ends in a zone offset no clock uses (+25:00, +9999, minutes past 59).

    feedparser applies any offset it reads, which would store such a date a day or more off; a
    date whose zone cannot be right is taken as no date at all (the item is undated)."""
    m = _OFFSET.search(value or "")
    if not m:
        return False
    hours, minutes = int(m.group(2)), int(m.group(3))
    return minutes > 59 or hours * 60 + minutes > _MAX_OFFSET_MINUTES


def epoch_ms(parsed: time.struct_time | None) -> int | None:
    """A date feedparser's parser read, as epoch milliseconds; None when absent or absurd."""
    if not parsed:
        return None
    try:
        ms = calendar.timegm(parsed) * 1000
    except (OverflowError, ValueError, TypeError):
        return None
    return ms if EARLIEST_MS <= ms < LATEST_MS else None
