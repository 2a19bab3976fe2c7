"""Cleaning what a feed or page gives before it is archived: bodies, titles and dates.

The rules (allowed tags and attributes, URL schemes, what counts as clutter, forbidden
characters) are the project's one HTML policy in :mod:`newsvault.sanitize`; this module applies
them before archiving. Bodies keep what a reader needs — paragraphs, headings, images with captions, links, lists,
tables, quotes — and lose what only the publisher's site needs: share bars (RFI's
``<div>分享 :</div>`` and its links), newsletter/app promo placeholders (``data-selfpromo-*``),
scripts, styles, forms, iframes, tracking pixels (1×1 images, known beacon hosts), inline event
handlers and styles. The result is passed through nh3 (an allow-list sanitiser), so an archive
can be republished anywhere. Cleaning is deterministic: the same input always gives the same
bytes, which is what makes a second pass over an unchanged feed archive nothing.

Publisher boilerplate (footers a feed appends to every item) is *not* removed here: a record
keeps the bytes as received. :mod:`newsvault.boilerplate` drops it from what readers see.

Dates (:func:`item_time`): the item's own time; when it is missing or unreadable, the time the
item was first seen; when it is in the future, now (a clock or timezone error at the source
must not sort an article above everything else for days).
"""

from __future__ import annotations

import re
from urllib.parse import urljoin

import lxml.html
import nh3
from lxml import etree

from .sanitize import (
    ALLOWED_ATTRIBUTES,
    ALLOWED_TAGS,
    DROP_WITH_CONTENT,
    LINK_SCHEMES,
    drop_element,
    inner_html,
    is_tracking_pixel,
    may_have_clutter,
    remove_promos,
    remove_share_bars,
    strip_controls,
)

__all__ = ["clean_html", "clean_title", "item_time", "fallback_title", "is_teaser"]

_LAZY_SRC = ("data-src", "data-original", "data-lazy-src", "data-actualsrc")
_KEEP_EMPTY = {"img", "br", "hr", "td", "th"}
_TITLE_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff]")


def clean_title(title: str) -> str:
    """A title on one line: control characters (line breaks included) removed, then trimmed.

    Exactly what the original archivers did, so that an article already in an imported
    archive keeps the same title (a different title would count as a revision).
    """
    return _TITLE_CONTROL.sub("", title).strip()


def fallback_title(body_html: str, link: str, limit: int = 40) -> str:
    """A title for an item that has none: the start of its text, else its link, else 无标题."""
    from .text import html_to_text

    text = clean_title(html_to_text(body_html))
    if text:
        return text if len(text) <= limit else text[:limit].rstrip() + "…"
    return link or "(无标题)"


def item_time(published: int | None, seen: int, now: int) -> tuple[int, str]:
    """The time to archive an item under, and which rule gave it (``item``, ``seen``, ``clamped``)."""
    if published is None:
        return seen, "seen"
    if published > now:
        return now, "clamped"
    return published, "item"


_TAG = re.compile(r"<[^>]*>|&[#\w]+;|\s+")


def is_teaser(body_html: str, min_chars: int = 200) -> bool:
    """A body too short to be the article (a feed that carries only a summary).

    Counts visible characters roughly (tags, entities and spaces removed): cheap enough to
    run on every item.
    """
    if len(body_html) < min_chars:
        return True
    if len(body_html) > 30 * min_chars:  # markup-heavy but long: not a summary
        return False
    return len(_TAG.sub("", body_html)) < min_chars


def _srcset_src(img: etree._Element, picture: etree._Element | None) -> str:
    """The best ``srcset`` candidate of an ``<img>`` with no usable ``src`` (or of its ``<picture>``'s sources)."""
    from .media.refs import best_srcset

    sets = [img.get("srcset") or img.get("data-srcset") or ""]
    sets += [s.get("srcset") or "" for s in (picture.iter("source") if picture is not None else ())]
    return next((c for c in (best_srcset(v) for v in sets if v) if c), "")


def _lift_pictures(root: etree._Element) -> None:
    """Each ``<picture>``'s ``<img>`` before it, with the sources' best candidate as ``src``
    when it has none: libxml2 nests the ``<img>`` in a ``<source>``, dropped with its content."""
    for picture in list(root.iter("picture")):
        for img in list(picture.iter("img")):
            src = img.get("src", "")
            if not src or src.startswith("data:"):
                best = _srcset_src(img, picture)
                if best and not any(img.get(a) for a in _LAZY_SRC):
                    img.set("src", best)
            img.tail = None
            picture.addprevious(img)


def _fix_images(root: etree._Element, base_url: str | None) -> None:
    for img in list(root.iter("img")):
        src = img.get("src", "")
        if not src or src.startswith("data:"):
            for attr in _LAZY_SRC:
                if img.get(attr):
                    src = img.get(attr, "")
                    break
        if not src or src.startswith("data:"):
            src = _srcset_src(img, None) or src
        if not src or src.startswith("data:") or is_tracking_pixel(img, src):
            drop_element(img)
            continue
        img.set("src", urljoin(base_url, src) if base_url else src)


def _fix_links(root: etree._Element, base_url: str | None) -> None:
    if not base_url:
        return
    for a in root.iter("a"):
        href = a.get("href")
        if href and not href.startswith(("#", "mailto:", "javascript:")):
            a.set("href", urljoin(base_url, href))


def _drop_empty(root: etree._Element) -> None:
    """Remove elements left with no text and nothing visible (after the removals above)."""
    for el in reversed(list(root.iter())):
        if el is root or not isinstance(el.tag, str) or el.tag in _KEEP_EMPTY or el.getparent() is None:
            continue
        if len(el) == 0 and not (el.text or "").strip():
            drop_element(el)


# Ingest keeps the body as the publisher wrote it: no rel added to links, no lazy loading,
# no data: URLs (the publishing step adds what readers' browsers need). Built once: nh3.clean()
# builds its cleaner from the sets on every call (a third of the cleaning of a page).
_INGEST = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    attributes={k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
    url_schemes=set(LINK_SCHEMES),
    link_rel=None,
)


def _ingest_nh3(html: str) -> str:
    return _INGEST.clean(html).strip()


def _parse_body(html: str) -> etree._Element:
    if re.match(r"\s*(<!doctype|<html)", html, re.I):
        doc = lxml.html.document_fromstring(html)
        body = doc.find("body")
        root = body if body is not None else doc
        root.tag = "div"
        return root
    return lxml.html.fragment_fromstring(html, create_parent="div")


def clean_html(html: str, base_url: str | None = None) -> str:
    """Clean an article body (fragment or whole page) into safe, reader-only HTML."""
    if not html or not html.strip():
        return ""
    html = strip_controls(html)
    try:
        root = _parse_body(html)
    except (etree.ParserError, ValueError):
        return _ingest_nh3(html)
    if "<picture" in html:
        _lift_pictures(root)
    etree.strip_elements(root, *DROP_WITH_CONTENT, etree.Comment, etree.ProcessingInstruction, with_tail=False)
    if may_have_clutter(html, thorough=True):  # the element walks are costly; most bodies have no clutter
        remove_share_bars(root)
        if "data-selfpromo" in html:
            remove_promos(root)
    _fix_images(root, base_url)
    _fix_links(root, base_url)
    _drop_empty(root)
    return _ingest_nh3(inner_html(root))

