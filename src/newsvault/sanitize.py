"""Make archived HTML safe to publish: an allow-list sanitiser (nh3) plus removal of page clutter.

Record files stay exactly as archived; only what is published (site pages, Atom feeds) passes
through :func:`sanitize_html`. What comes out:

* only the tags in :data:`ALLOWED_TAGS`; ``script``, ``style``, ``iframe``, ``object``,
  ``embed``, ``svg``, ``math``, ``form`` controls and the like are dropped *with their content*;
* no event handlers, no ``style``/``class``/``id`` attributes (so no CSS tricks at all);
* URLs only ``http``/``https``/``mailto`` (links) and ``http``/``https``/``data:image/…``
  (images, raster formats only); relative URLs are resolved against the article's URL;
* images keep their URLs, lazy-loaded and without a referrer; links get
  ``rel="noopener noreferrer nofollow"``;
* share bars (RFI's ``<div><div>分享 :</div>…</div>``) and promo placeholders
  (``data-selfpromo-*``) removed.
"""

from __future__ import annotations

import re
import threading
from urllib.parse import urljoin

import nh3

__all__ = ["sanitize_html", "ALLOWED_TAGS"]

ALLOWED_TAGS = frozenset(
    ["a", "abbr", "b", "bdi", "bdo", "blockquote", "br", "caption", "cite", "code", "dd", "del", "details", "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "rp", "rt", "ruby", "s", "samp", "small", "span", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "time", "tr", "u", "ul", "var"]
)
# Dropped together with everything inside them (their text is never article text).
_DROP_WITH_CONTENT = frozenset(
    ["script", "style", "iframe", "object", "embed", "noscript", "template", "svg", "math", "form", "textarea", "select", "button", "title", "head", "applet", "frameset", "frame", "noembed", "noframes", "xmp", "plaintext", "audio", "video", "canvas"]
)
_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "ol": {"start", "reversed"},
    "time": {"datetime"},
    "abbr": {"title"},
    "bdo": {"dir"},
    "*": {"lang"},
}
_SET_ATTRIBUTES = {"img": {"loading": "lazy", "referrerpolicy": "no-referrer", "decoding": "async"}}
_URL_SCHEMES = {"http", "https", "mailto", "data"}
_LINK_REL = "noopener noreferrer nofollow"
_DATA_IMAGE = re.compile(r"data:image/(?:png|gif|jpe?g|webp|avif|bmp);", re.I)
# Browsers drop tabs/newlines inside URLs and ignore leading spaces/controls: check the scheme
# of the URL as a browser would read it.
_URL_JUNK = re.compile(r"[\x00-\x20\x7f]+")
_SCHEME = re.compile(r"([a-zA-Z][a-zA-Z0-9+.\-]*):")
_DIMENSION = re.compile(r"\d{1,5}%?")


def _attribute_filter(tag: str, attr: str, value: str) -> str | None:
    if attr in ("href", "src"):
        compact = _URL_JUNK.sub("", value)
        m = _SCHEME.match(compact)
        scheme = m.group(1).lower() if m else ""
        if scheme == "data":
            return value if tag == "img" and attr == "src" and _DATA_IMAGE.match(compact) else None
        if scheme and scheme not in ("http", "https", "mailto"):
            return None
        if scheme == "mailto" and tag != "a":
            return None
        return value
    if attr in ("width", "height"):
        return value if _DIMENSION.fullmatch(value.strip()) else None
    return value


_local = threading.local()


def _resolve_relative(url: str) -> str | None:
    """Relative URLs point at the article's site, not at the mirror: resolve against its URL."""
    base = getattr(_local, "base", None)
    if not base:
        return None
    resolved = urljoin(base, url)
    return resolved if resolved.startswith(("http://", "https://")) else None


_CLEANER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    clean_content_tags=set(_DROP_WITH_CONTENT),
    attributes={k: set(v) for k, v in _ATTRIBUTES.items()},
    attribute_filter=_attribute_filter,
    strip_comments=True,
    link_rel=_LINK_REL,
    set_tag_attribute_values={k: dict(v) for k, v in _SET_ATTRIBUTES.items()},
    url_schemes=set(_URL_SCHEMES),
    url_relative=_resolve_relative,
)
_SHARE_LABEL = re.compile(r"\s*分享\s*[:：]?\s*")


def _base_for(url: str | None) -> str | None:
    if not url or not url.startswith(("http://", "https://")):
        return None
    return url


def remove_clutter(html: str) -> str:
    """Drop share bars and promo placeholders (only parsed when their markers are present)."""
    if "分享" not in html and "data-selfpromo" not in html:
        return html
    import lxml.html
    from lxml import etree

    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (etree.ParserError, ValueError):
        return html
    doomed = []
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        if any(name.startswith("data-selfpromo") for name in el.attrib):
            doomed.append(el)
            continue
        # A share bar: a block whose first child is just the label "分享 :".
        children = [c for c in el if isinstance(c.tag, str)]
        if children and _SHARE_LABEL.fullmatch(children[0].text_content() or "") and len(children[0]) == 0:
            doomed.append(el)
    for el in doomed:
        parent = el.getparent()
        if parent is None:
            continue
        if el.tail:  # keep text that followed the removed element
            prev = el.getprevious()
            if prev is not None:
                prev.tail = (prev.tail or "") + el.tail
            else:
                parent.text = (parent.text or "") + el.tail
        parent.remove(el)
    out = (root.text or "") + "".join(etree.tostring(c, encoding="unicode", method="html") for c in root)
    return out


def sanitize_html(html: str, base_url: str | None = None) -> str:
    """The publishable form of an archived HTML fragment (see the module docstring)."""
    if not html:
        return ""
    html = remove_clutter(html)
    _local.base = _base_for(base_url)
    try:
        return _CLEANER.clean(html)
    finally:
        _local.base = None
