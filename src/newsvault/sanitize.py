"""The HTML policy of newsvault, in one place, and the sanitiser that publishes archived HTML.

Two steps handle article HTML, and both take their rules from this module:

* ingest (:func:`newsvault.clean.clean_html`) cleans a body before it is archived;
* publish (:func:`sanitize_html`) makes an archived body safe for the site, feeds and server.

The policy:

* :data:`ALLOWED_TAGS` and :data:`ALLOWED_ATTRIBUTES` (an allow-list: everything else goes);
  :data:`DROP_WITH_CONTENT` are removed *with their content* (``script``, ``style``, frames,
  forms, ``svg``, ``math``, navigation…), since their text is never article text;
* URLs: :data:`LINK_SCHEMES` (``http``, ``https``, ``mailto``); ``data:`` only for raster images
  when publishing; in-page ``#anchor`` links stay in-page;
* clutter (:func:`remove_clutter`): share bars (RFI's ``<div><div>分享 :</div>…</div>`` and share
  links), promo placeholders (``data-selfpromo-*``; a wrapper that swallowed article text is
  unwrapped), tracking pixels (1×1 images, known beacon hosts);
* characters (:func:`strip_controls`): C0 controls except tab/newline/CR, DEL, C1 controls,
  noncharacters and lone surrogates are removed, raw or as character references: they are
  invalid in HTML and XML, and one of them fails a strict parser or a whole Atom feed.

What differs between the two steps is stated where each calls nh3: ingest keeps the body as the
publisher wrote it (no ``rel``, no lazy loading, relative URLs resolved with the page's URL);
publishing adds ``rel="noopener noreferrer nofollow"`` to links, lazy loading without a referrer
to images, drops relative URLs that cannot be resolved (they would point into the mirror) and
keeps no ``rel`` on an ``<a>`` without ``href``. Record files stay exactly as archived; only what
is published passes through :func:`sanitize_html`.
"""

from __future__ import annotations

import re
import threading
from urllib.parse import urljoin

import lxml.html
import nh3
from lxml import etree

__all__ = [
    "sanitize_html", "remove_clutter", "strip_controls", "CONTROL_CHARS", "ALLOWED_TAGS", "ALLOWED_ATTRIBUTES",
    "DROP_WITH_CONTENT", "LINK_SCHEMES", "LINK_REL",
]

ALLOWED_TAGS = frozenset(
    ["a", "abbr", "b", "bdi", "bdo", "blockquote", "br", "caption", "cite", "code", "dd", "del", "details", "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "rp", "rt", "ruby", "s", "samp", "small", "span", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "time", "tr", "u", "ul", "var"]
)
DROP_WITH_CONTENT = frozenset(
    ["script", "style", "noscript", "template", "iframe", "object", "embed", "applet", "form", "button",
     "input", "select", "textarea", "svg", "math", "canvas", "link", "meta", "base", "head", "title",
     "audio", "video", "source", "track", "frameset", "frame", "noembed", "noframes", "xmp", "plaintext",
     "nav", "aside", "share-button", "share-modal"]
)
ALLOWED_ATTRIBUTES: dict[str, frozenset[str]] = {
    "a": frozenset({"href", "title"}),
    "img": frozenset({"src", "alt", "title", "width", "height"}),
    "td": frozenset({"colspan", "rowspan"}),
    "th": frozenset({"colspan", "rowspan", "scope"}),
    "ol": frozenset({"start", "reversed"}),
    "time": frozenset({"datetime"}),
    "abbr": frozenset({"title"}),
    "bdo": frozenset({"dir"}),
    "blockquote": frozenset({"cite"}),
    "q": frozenset({"cite"}),
    "*": frozenset({"lang"}),
}
LINK_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener noreferrer nofollow"

# -- characters -------------------------------------------------------------------------------------

_BAD_CHARS = (
    "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufdd0-\ufdef\ufffe\uffff\ud800-\udfff"
    + "".join(f"{chr(p * 0x10000 + 0xFFFE)}{chr(p * 0x10000 + 0xFFFF)}" for p in range(1, 17))
)
CONTROL_CHARS = re.compile(f"[{_BAD_CHARS}]")
_CHAR_REF = re.compile(r"&#(?:[xX]([0-9a-fA-F]{1,8})|([0-9]{1,10}));?")
# References the HTML parser maps to Windows-1252 characters (&#x93; is “), not controls.
_CP1252_MAPPED = frozenset(range(0x80, 0xA0)) - {0x81, 0x8D, 0x8F, 0x90, 0x9D}


def _bad_ref(m: re.Match[str]) -> str:
    code = int(m.group(1), 16) if m.group(1) else int(m.group(2))
    if code in _CP1252_MAPPED or code > 0x10FFFF:
        return m.group(0)
    return "" if code == 0 or CONTROL_CHARS.match(chr(code)) else m.group(0)


def strip_controls(html: str) -> str:
    """``html`` without characters HTML and XML forbid, raw or written as ``&#…;`` references."""
    if CONTROL_CHARS.search(html):
        html = CONTROL_CHARS.sub("", html)
    if "&#" in html:
        html = _CHAR_REF.sub(_bad_ref, html)
    return html


# -- clutter --------------------------------------------------------------------------------------

_SHARE_LABEL = re.compile(r"^\s*(分享|分享到|分享至|分享本文|分享此文|share|share this( article| story)?)\s*[:：]?\s*$", re.I)
_SHARE_HREF = re.compile(
    r"facebook\.com/(dialog/share|sharer)|twitter\.com/(intent|share)|x\.com/intent|whatsapp:|"
    r"web\.whatsapp\.com/send|api\.whatsapp\.com|t\.me/share|telegram\.me/share|service\.weibo\.com/share|"
    r"linkedin\.com/share|line\.me/R/msg|reddit\.com/submit|plurk\.com/\?qualifier|mailto:\?",
    re.I,
)
TRACKER_SRC = re.compile(
    r"feeds\.feedburner\.com/~r|feedsportal\.com|pixel\.wp\.com|stats\.wp\.com|google-analytics\.com|"
    r"scorecardresearch\.com|quantserve\.com|doubleclick\.net|/pixel\.(gif|png)|/beacon|/track(ing)?\.(gif|png)",
    re.I,
)
_TINY = re.compile(r"""(?:width|height)\s*[=:]\s*["']?\s*[01](?:px)?\b""", re.I)


def may_have_clutter(html: str) -> bool:
    """A cheap test (substrings, two regexes) before parsing a body to remove clutter."""
    if any(hint in html for hint in ("分享", "share", "Share", "SHARE", "whatsapp", "data-selfpromo")):
        return True
    return "<img" in html and (_TINY.search(html) is not None or TRACKER_SRC.search(html) is not None)


def _text(el: etree._Element) -> str:
    return "".join(el.itertext()).strip()


def drop_element(el: etree._Element) -> None:
    """Remove ``el`` and its content, keeping the text that follows it."""
    parent = el.getparent()
    if parent is None:
        return
    if el.tail:
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)


def is_tracking_pixel(img: etree._Element, src: str | None = None) -> bool:
    """A 1×1 image (by attributes or inline style) or one from a known beacon host."""
    def size(name: str) -> int | None:
        value = img.get(name, "")
        m = re.match(r"\s*(\d+)", value) or re.search(rf"{name}\s*:\s*(\d+)px", img.get("style", ""), re.I)
        return int(m.group(1)) if m else None

    w, h = size("width"), size("height")
    if w is not None and h is not None and w <= 1 and h <= 1:
        return True
    return bool(TRACKER_SRC.search(img.get("src", "") if src is None else src))


def _share_bar_of(el: etree._Element, root: etree._Element) -> etree._Element | None:
    """The whole share bar when ``el`` is its label (“分享 :”), else None."""
    label = _text(el)
    if not label or len(el) > 2 or not _SHARE_LABEL.match(label):
        return None
    target = el
    # Climb while the ancestor holds nothing but the label (and share links without text).
    while (parent := target.getparent()) is not None and parent is not root and _text(parent) == label:
        target = parent
    return target


def remove_share_bars(root: etree._Element) -> None:
    for el in list(root.iter()):
        if el.getparent() is None or not isinstance(el.tag, str):
            continue
        bar = _share_bar_of(el, root)
        if bar is not None:
            drop_element(bar)
    for a in list(root.iter("a")):
        if a.getparent() is not None and _SHARE_HREF.search(a.get("href", "")) and not _text(a):
            drop_element(a)
    for el in list(root.iter()):
        if isinstance(el.tag, str) and el.getparent() is not None and any(k.startswith("data-root-share") for k in el.attrib):
            drop_element(el)


def remove_promos(root: etree._Element) -> None:
    for el in list(root.iter()):
        if not isinstance(el.tag, str) or el.getparent() is None:
            continue
        if any(k.startswith("data-selfpromo") for k in el.attrib):
            # An empty placeholder goes; a promo wrapper that swallowed article text (seen in
            # CDT copies of RFI pieces) is unwrapped so the text stays.
            if _text(el) or el.find(".//img") is not None:
                el.drop_tag()  # lxml.html elements
            else:
                drop_element(el)


def remove_pixels(root: etree._Element) -> None:
    for img in list(root.iter("img")):
        if is_tracking_pixel(img):
            drop_element(img)


def remove_clutter(root: etree._Element, html: str = "") -> None:
    """Remove share bars, promo placeholders and tracking pixels from a parsed body. ``html``,
    its source, lets the costly element walks be skipped when their markers are absent."""
    if not html or any(hint in html for hint in ("分享", "share", "Share", "SHARE", "whatsapp")):
        remove_share_bars(root)
    if not html or "data-selfpromo" in html:
        remove_promos(root)
    remove_pixels(root)


def inner_html(root: etree._Element) -> str:
    return (root.text or "") + "".join(etree.tostring(c, encoding="unicode", method="html") for c in root)


# -- publishing -----------------------------------------------------------------------------------

_DATA_IMAGE = re.compile(r"data:image/(?:png|gif|jpe?g|webp|avif|bmp);", re.I)
# Browsers drop tabs/newlines inside URLs and ignore leading spaces/controls: check the scheme
# of the URL as a browser would read it.
_URL_JUNK = re.compile(r"[\x00-\x20\x7f]+")
_SCHEME = re.compile(r"([a-zA-Z][a-zA-Z0-9+.\-]*):")
_DIMENSION = re.compile(r"\d{1,5}%?")
_URL_ATTRS = ("href", "src", "cite")


def _attribute_filter(tag: str, attr: str, value: str) -> str | None:
    if attr in _URL_ATTRS:
        compact = _URL_JUNK.sub("", value)
        m = _SCHEME.match(compact)
        scheme = m.group(1).lower() if m else ""
        if scheme == "data":
            return value if tag == "img" and attr == "src" and _DATA_IMAGE.match(compact) else None
        if scheme and scheme not in LINK_SCHEMES:
            return None
        if scheme == "mailto" and tag != "a":
            return None
        return value
    if attr in ("width", "height"):
        return value if _DIMENSION.fullmatch(value.strip()) else None
    return value


_local = threading.local()


def _resolve_relative(url: str) -> str | None:
    """Relative URLs point at the article's site, not at the mirror: resolve against its URL.
    An in-page ``#anchor`` stays in the page (the original site may be blocked)."""
    if url.startswith("#"):
        return url if len(url) > 1 else None
    base = getattr(_local, "base", None)
    if not base:
        return None
    resolved = urljoin(base, url)
    return resolved if resolved.startswith(("http://", "https://")) else None


_PUBLISHER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    clean_content_tags=set(DROP_WITH_CONTENT),
    attributes={k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
    attribute_filter=_attribute_filter,
    strip_comments=True,
    link_rel=LINK_REL,  # publishing: readers' browsers must not hand the mirror to the linked site
    set_tag_attribute_values={"img": {"loading": "lazy", "referrerpolicy": "no-referrer", "decoding": "async"}},
    url_schemes=set(LINK_SCHEMES) | {"data"},  # data: is narrowed to raster images by the filter
    url_relative=_resolve_relative,
)
# nh3 adds rel to every <a>; on one without href it means nothing. Attributes in nh3's output are
# always double-quoted with quotes escaped, so this pattern reads them exactly.
_A_TAG = re.compile(r'<a((?:\s+[a-z\-]+="[^"]*")*)>')
_REL = f' rel="{LINK_REL}"'


def _drop_idle_rel(m: re.Match[str]) -> str:
    attrs = m.group(1)
    return m.group(0) if " href=" in attrs else "<a" + attrs.replace(_REL, "") + ">"


def _base_for(url: str | None) -> str | None:
    if not url or not url.startswith(("http://", "https://")):
        return None
    return url


def _without_clutter(html: str) -> str:
    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (etree.ParserError, ValueError):
        return html
    remove_clutter(root, html)
    return inner_html(root)


def sanitize_html(html: str, base_url: str | None = None) -> str:
    """The publishable form of an archived HTML fragment (see the module docstring)."""
    if not html:
        return ""
    html = strip_controls(html)
    if may_have_clutter(html):
        html = _without_clutter(html)
    _local.base = _base_for(base_url)
    try:
        out = _PUBLISHER.clean(html)
    finally:
        _local.base = None
    if "<a" in out:
        out = _A_TAG.sub(_drop_idle_rel, out)
    return strip_controls(out)
