"""Cleaning what a feed or page gives before it is archived: bodies, titles and dates.

Bodies keep what a reader needs — paragraphs, headings, images with captions, links, lists,
tables, quotes — and lose what only the publisher's site needs: share bars (RFI's
``<div>分享 :</div>`` and its links), newsletter/app promo placeholders (``data-selfpromo-*``),
scripts, styles, forms, iframes, tracking pixels (1×1 images, known beacon hosts), inline event
handlers and styles. The result is passed through nh3 (an allow-list sanitiser), so an archive
can be republished anywhere. Cleaning is deterministic: the same input always gives the same
bytes, which is what makes a second pass over an unchanged feed archive nothing.

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

__all__ = ["clean_html", "clean_title", "item_time", "fallback_title", "is_teaser"]

_ALLOWED_TAGS = set(
    ["a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "dd", "del", "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "small", "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "time", "tr", "u", "ul"]
)
_ALLOWED_ATTRS = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "blockquote": {"cite"},
    "q": {"cite"},
    "time": {"datetime"},
    "ol": {"start"},
}
# Removed with everything inside them (nh3 would keep their text).
_DROP_WITH_CONTENT = (
    "script", "style", "noscript", "template", "iframe", "object", "embed", "form", "button",
    "input", "select", "textarea", "svg", "math", "canvas", "link", "meta", "base", "head", "title",
    "audio", "video", "source", "track", "nav", "aside", "share-button", "share-modal",
)
_SHARE_LABEL = re.compile(r"^\s*(分享|分享到|分享至|分享本文|分享此文|share|share this( article| story)?)\s*[:：]?\s*$", re.I)
_SHARE_HREF = re.compile(
    r"facebook\.com/(dialog/share|sharer)|twitter\.com/(intent|share)|x\.com/intent|whatsapp:|"
    r"web\.whatsapp\.com/send|api\.whatsapp\.com|t\.me/share|telegram\.me/share|service\.weibo\.com/share|"
    r"linkedin\.com/share|line\.me/R/msg|reddit\.com/submit|plurk\.com/\?qualifier|mailto:\?",
    re.I,
)
_TRACKER_SRC = re.compile(
    r"feeds\.feedburner\.com/~r|feedsportal\.com|pixel\.wp\.com|stats\.wp\.com|google-analytics\.com|"
    r"scorecardresearch\.com|quantserve\.com|doubleclick\.net|/pixel\.(gif|png)|/beacon|/track(ing)?\.(gif|png)",
    re.I,
)
_LAZY_SRC = ("data-src", "data-original", "data-lazy-src", "data-actualsrc")
_KEEP_EMPTY = {"img", "br", "hr", "td", "th"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufeff]")
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


def _may_share(html: str) -> bool:
    # Plain substring tests: far cheaper than a case-insensitive regex over a long body.
    return any(hint in html for hint in ("分享", "share", "Share", "SHARE", "whatsapp"))


def _text(el: etree._Element) -> str:
    return "".join(el.itertext()).strip()


def _is_pixel(img: etree._Element) -> bool:
    def size(name: str) -> int | None:
        value = img.get(name, "")
        m = re.match(r"\s*(\d+)", value) or re.search(rf"{name}\s*:\s*(\d+)px", img.get("style", ""), re.I)
        return int(m.group(1)) if m else None

    w, h = size("width"), size("height")
    if w is not None and h is not None and w <= 1 and h <= 1:
        return True
    return bool(_TRACKER_SRC.search(img.get("src", "")))


def _drop(el: etree._Element) -> None:
    """Remove ``el`` and its content, keeping the text that follows it."""
    el.drop_tree() if hasattr(el, "drop_tree") else el.getparent().remove(el)


def _remove_share_bars(root: etree._Element) -> None:
    for el in list(root.iter()):
        if el.getparent() is None or not isinstance(el.tag, str):
            continue
        label = _text(el)
        if not label or not _SHARE_LABEL.match(label) or len(el) > 2:
            continue
        # Climb while the ancestor holds nothing but the label (and empty share links).
        target = el
        while target.getparent() is not None and target.getparent() is not root and _text(target.getparent()) == label:
            target = target.getparent()
        if target.getparent() is not None:
            _drop(target)
    for a in list(root.iter("a")):
        if a.getparent() is not None and _SHARE_HREF.search(a.get("href", "")) and not _text(a):
            _drop(a)
    for el in list(root.iter()):
        if isinstance(el.tag, str) and el.getparent() is not None and any(k.startswith("data-root-share") for k in el.attrib):
            _drop(el)


def _remove_promos(root: etree._Element) -> None:
    for el in list(root.iter()):
        if not isinstance(el.tag, str) or el.getparent() is None:
            continue
        if any(k.startswith("data-selfpromo") for k in el.attrib):
            # An empty placeholder goes; a promo wrapper that swallowed article text (seen in
            # CDT copies of RFI pieces) is unwrapped so the text stays.
            if _text(el) or el.find(".//img") is not None:
                el.drop_tag()
            else:
                _drop(el)


def _fix_images(root: etree._Element, base_url: str | None) -> None:
    for img in list(root.iter("img")):
        src = img.get("src", "")
        if not src or src.startswith("data:"):
            for attr in _LAZY_SRC:
                if img.get(attr):
                    src = img.get(attr)
                    break
        if not src or src.startswith("data:") or _is_pixel(img if src == img.get("src") else _with_src(img, src)):
            _drop(img)
            continue
        img.set("src", urljoin(base_url, src) if base_url else src)


def _with_src(img: etree._Element, src: str) -> etree._Element:
    copy = etree.Element("img", dict(img.attrib))
    copy.set("src", src)
    return copy


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
            _drop(el)


def clean_html(html: str, base_url: str | None = None) -> str:
    """Clean an article body (fragment or whole page) into safe, reader-only HTML."""
    if not html or not html.strip():
        return ""
    if _CONTROL.search(html):
        html = _CONTROL.sub("", html)
    try:
        if re.match(r"\s*(<!doctype|<html)", html, re.I):
            doc = lxml.html.document_fromstring(html)
            root = doc.find("body") if doc.find("body") is not None else doc
            root.tag = "div"
        else:
            root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (etree.ParserError, ValueError):
        return nh3.clean(html, tags=_ALLOWED_TAGS, attributes=_ALLOWED_ATTRS).strip()
    etree.strip_elements(root, *_DROP_WITH_CONTENT, etree.Comment, etree.ProcessingInstruction, with_tail=False)
    if _may_share(html):  # the element walks below are costly; most bodies have neither
        _remove_share_bars(root)
    if "data-selfpromo" in html:
        _remove_promos(root)
    _fix_images(root, base_url)
    _fix_links(root, base_url)
    _drop_empty(root)
    inner = (root.text or "") + "".join(etree.tostring(child, encoding="unicode", method="html") for child in root)
    cleaned = nh3.clean(
        inner,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRS,
        url_schemes={"http", "https", "mailto"},
        link_rel=None,
    )
    return cleaned.strip()
