"""The CPU-bound steps of a pass — parse a feed, clean bodies, extract pages — as plain
functions of bytes and strings, so that a big pass can run them in worker processes (one per
core) while the event loop keeps fetching and the archive keeps writing. Small passes run them
in a thread; the results are the same either way.
"""

from __future__ import annotations

import html as htmllib
import re
import signal
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from ..clean import clean_html, clean_title
from ..errors import NewsvaultError
from ..extract import extract_main, page_title, shortlink
from ..parse import Feed, parse_feed
from ..record import Record, render
from ..record import parse as parse_record
from ..text import html_to_text

__all__ = [
    "parse", "clean_bodies", "page_body", "clean_link", "wants_page", "has_content", "placeholder_body",
    "round_trip_problem", "ignore_interrupts",
]


def ignore_interrupts() -> None:
    """Worker start-up: Ctrl-C (and a service manager's SIGTERM) reach the whole process group;
    the parent decides what happens, and shuts its workers down in order when a pass stops."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def clean_link(link: str, feed_url: str = "") -> str:
    """The item's link as a record URL: one line, and only http(s) — or file:// inside a local
    feed — so that a ``javascript:`` or ``data:`` link never reaches a published page."""
    link = re.sub(r"[\r\n\t]+", "", link.strip())
    scheme = link.split(":", 1)[0].lower() if ":" in link else ""
    if scheme in ("http", "https"):
        return link
    if scheme == "file" and feed_url.lower().startswith("file:") and _beside(link, feed_url):
        return link
    return ""


def _beside(link: str, feed_url: str) -> bool:
    """A local feed may link to files in its own folder (and below), nowhere else."""
    try:
        folder = Path(url2pathname(urlsplit(feed_url).path)).resolve().parent
        target = Path(url2pathname(urlsplit(link).path)).resolve()
    except (OSError, ValueError):
        return False
    return target.is_relative_to(folder)


def wants_page(link: str, body_mode: str, teaser: bool) -> bool:
    """Whether an item's body comes from its page: page sources, or feeds that carry teasers."""
    return bool(link) and link.startswith(("http://", "https://", "file://")) and (body_mode == "page" or teaser)


def parse(data: bytes, url: str, content_type: str, charset: str | None) -> Feed:
    return parse_feed(data, url, content_type=content_type, charset=charset)


def clean_bodies(bodies: list[tuple[str, str]]) -> list[tuple[str, str | None]]:
    """Clean ``(body_html, base_url)`` pairs (one call per feed keeps the hand-offs few).

    Each result is ``(body, None)``, or ``("", reason)`` for a body that could not be cleaned:
    one poisoned item (a control character lxml refuses, say) costs that item only.
    """
    out: list[tuple[str, str | None]] = []
    for body, base in bodies:
        try:
            out.append((clean_html(body, base), None))
        except Exception as e:  # noqa: BLE001 - reported per item; results must cross processes
            out.append(("", str(e) if isinstance(e, NewsvaultError) else f"{type(e).__name__}: {e}"))
    return out


def has_content(body: str) -> bool:
    """Whether a cleaned body shows anything: text, or at least an image."""
    return bool(html_to_text(body).strip()) or "<img" in body


def placeholder_body(link: str) -> str:
    """What is archived for an item whose text could not be had: its link, said plainly. A later
    pass that gets the text archives it as a revision."""
    href = htmllib.escape(link, quote=True)
    return f'<p>（正文未能获取 / the text of this article could not be fetched）原文 / original: <a href="{href}">{htmllib.escape(link)}</a></p>'


def round_trip_problem(record: Record) -> str | None:
    """Why ``record`` would not read back as written (None: it does). Checked before writing, so
    that the archive never holds a record ``show`` or ``fsck`` cannot read."""
    try:
        back = parse_record(render(record))
    except NewsvaultError as e:
        return str(e)
    if (back.title, back.url, back.body) != (record.title, record.url, record.body):
        return "its title, link or text would not read back as written"
    return None


def page_body(html: str, page_url: str, selector: str | None, feed_body: str, body_mode: str, base: str) -> tuple[str, str, str]:
    """The cleaned body for a page item, the page's title (for items without one) and its
    shortlink (a WordPress post id, which may name the record's file).

    For a feed-body source (the feed gave a teaser) the page's text is used only when it is
    longer than the teaser.
    """
    extracted = extract_main(html, page_url, selector)
    if body_mode == "page" or len(html_to_text(extracted)) > len(html_to_text(feed_body)):
        body = clean_html(extracted, page_url)
    else:
        body = clean_html(feed_body, base)
    return body, clean_title(page_title(html)), shortlink(html)
