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
from collections.abc import Callable
from typing import Any
from urllib.parse import urljoin

import lxml.html
import nh3
from lxml import etree

__all__ = [
    "sanitize_html", "remove_clutter", "strip_controls", "remove_bad_chars", "CONTROL_CHARS", "ALLOWED_TAGS", "ALLOWED_ATTRIBUTES",
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

CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufdd0-\ufdef\ufffe\uffff\ud800-\udfff]")
# One pass finds both; astral characters are then told apart in Python (a character class
# listing the 32 astral noncharacters one by one makes every search several times slower).
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufdd0-\ufdef\ufffe\uffff\ud800-\udfff\U0001fffe-\U0010ffff]")
_CHAR_REF = re.compile(r"&#(?:[xX]([0-9a-fA-F]{1,8})|([0-9]{1,10}));?")
# References the HTML parser maps to Windows-1252 characters (&#x93; is “), not controls.
_CP1252_MAPPED = frozenset(range(0x80, 0xA0)) - {0x81, 0x8D, 0x8F, 0x90, 0x9D}


def _is_bad(code: int) -> bool:
    return (code & 0xFFFE) == 0xFFFE or CONTROL_CHARS.match(chr(code)) is not None if code <= 0x10FFFF else False


def _forbidden(m: re.Match[str]) -> str:
    c = m.group()
    return c if c > "\uffff" and (ord(c) & 0xFFFE) != 0xFFFE else ""


# References that may name a forbidden character (a superset, checked by _bad_ref): most bodies
# hold many references (&#8220;) and none of these, so the callback rarely runs.
_SUSPECT_REF = re.compile(
    r"&#(?:[xX]0*(?:[0-9a-fA-F]{1,2}|[fF][dD][dDeE][0-9a-fA-F]|[dD][89a-fA-F][0-9a-fA-F]{2}|[0-9a-fA-F]{0,2}[fF]{3}[eEfF])(?![0-9a-fA-F])"
    r"|0*(?:[0-9]{1,3}|6497[6-9]|649[89][0-9]|650[0-9]{2}|6553[45]|5[5-7][0-9]{3}|[1-9][0-9]{5,6})(?![0-9]));?"
)


def _bad_ref(suspect: re.Match[str]) -> str:
    m = _CHAR_REF.match(suspect.group(0))
    if m is None:
        return suspect.group(0)
    code = int(m.group(1), 16) if m.group(1) else int(m.group(2))
    if code in _CP1252_MAPPED:
        return m.group(0)
    return "" if code == 0 or _is_bad(code) else m.group(0)


def remove_bad_chars(text: str) -> str:
    """``text`` without the characters HTML and XML forbid (raw characters only)."""
    if text.isprintable():  # (C, fast) no control, surrogate or noncharacter
        return text
    return _FORBIDDEN.sub(_forbidden, text) if _FORBIDDEN.search(text) else text


def strip_controls(html: str) -> str:
    """``html`` without characters HTML and XML forbid, raw or written as ``&#…;`` references."""
    html = remove_bad_chars(html)
    if "&#" in html:
        html = _SUSPECT_REF.sub(_bad_ref, html)
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


_LABEL_HINT = re.compile(r">\s*(?:[Ss]hare|SHARE)")
# Substrings of _SHARE_HREF: plain `in` tests over a long body are much faster than the
# case-insensitive regex, which then runs on the few links concerned.
_SHARE_HREF_HINTS = ("facebook.com/dialog/share", "facebook.com/sharer", "twitter.com/intent", "twitter.com/share",
                     "x.com/intent", "t.me/share", "telegram.me/share", "weibo.com/share", "linkedin.com/share",
                     "line.me/R/msg", "reddit.com/submit", "plurk.com/?qualifier", "mailto:?")


def may_have_clutter(html: str, *, thorough: bool = False) -> bool:
    """A cheap test (a few substrings and regexes) before parsing a body to remove clutter.

    ``thorough`` (ingest, where a body is cleaned once): any "share" at all counts. Otherwise
    (publishing, where every page of a site is sanitised): a share label must start an element's
    text; share links with no label are removed only when the body is parsed anyway, since,
    empty, they show nothing."""
    if "分享" in html or "data-selfpromo" in html or "data-root-share" in html or "whatsapp" in html:
        return True
    if thorough:
        if any(hint in html for hint in ("share", "Share", "SHARE")):
            return True
    elif _LABEL_HINT.search(html):
        return True
    return "<img" in html and any(_is_pixel_tag(m.group()) for m in _IMG_TAG.finditer(html))


_IMG_TAG = re.compile(r"<img\b[^>]*>")


_TRACKER_HINTS = ("feedburner.com/~r", "feedsportal.com", "pixel.wp.com", "stats.wp.com", "google-analytics.com",
                  "scorecardresearch.com", "quantserve.com", "doubleclick.net", "/pixel.", "/beacon", "/track.", "/tracking.")


def _is_pixel_tag(tag: str) -> bool:
    """An ``<img …>`` tag of a tracking pixel, by its source (substrings of TRACKER_SRC: far
    cheaper than the regex, on every image of every page) or a 0/1 pixel size."""
    lowered = tag.lower()
    if any(hint in lowered for hint in _TRACKER_HINTS):
        return True
    return ("width" in lowered or "height" in lowered) and _TINY.search(tag) is not None


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
    if len(el) > 2:
        return None
    label = _text(el)
    if not label or not _SHARE_LABEL.match(label):
        return None
    target = el
    # Climb while the ancestor holds nothing but the label (and share links without text).
    while (parent := target.getparent()) is not None and parent is not root and _text(parent) == label:
        target = parent
    return target


# Text nodes holding a share label's word, found by libxml2 (linear), not element by element.
_LABEL_TEXTS = etree.XPath('.//text()[contains(., "分享") or contains(., "share") or contains(., "Share") or contains(., "SHARE")]')
_EMPTY_LINKS = etree.XPath('.//a[@href and not(normalize-space(.))]')
_ROOT_SHARE = etree.XPath('.//*[@*[starts-with(name(), "data-root-share")]]')
_SELFPROMO = etree.XPath('.//*[@*[starts-with(name(), "data-selfpromo")]]')
_LABEL_MAX = 40  # characters: a longer text is article text, not a label


def _label_element(text: Any, root: etree._Element) -> etree._Element | None:
    """The element (the text node's own, or an ancestor) whose whole text is a share label."""
    el = text.getparent()
    if el is not None and text.is_tail:
        el = el.getparent()
    while el is not None and el is not root:
        if len(_text(el)) > _LABEL_MAX:
            return None
        bar = _share_bar_of(el, root)
        if bar is not None:
            return bar
        el = el.getparent()
    return None


def remove_share_bars(root: etree._Element, html: str = "") -> None:
    """Share bars: a “分享 :” label with its links, share links without text, RFI's
    ``data-root-share`` blocks. ``html``, the source, lets absent kinds be skipped."""
    if not html or any(hint in html for hint in ("分享", "share", "Share", "SHARE")):
        for text in _LABEL_TEXTS(root):
            bar = _label_element(text, root)
            if bar is not None and bar.getparent() is not None:
                drop_element(bar)
    if not html or "whatsapp" in html or any(hint in html for hint in _SHARE_HREF_HINTS):
        for a in _EMPTY_LINKS(root):
            if a.getparent() is not None and _SHARE_HREF.search(a.get("href", "")) and not _text(a):
                drop_element(a)
    if not html or "data-root-share" in html:
        for el in _ROOT_SHARE(root):
            if el.getparent() is not None:
                drop_element(el)


def remove_promos(root: etree._Element) -> None:
    for el in _SELFPROMO(root):
        if el.getparent() is None:
            continue
        # An empty placeholder goes; a promo wrapper that swallowed article text (seen in CDT
        # copies of RFI pieces) is unwrapped so the text stays.
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
    remove_share_bars(root, html)
    if not html or "data-selfpromo" in html:
        remove_promos(root)
    if not html or "<img" in html:
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
# Characters a URL may not hold raw (WHATWG URL / the Nu checker), percent-encoded in what is
# published: archived links keep a raw space, `|` or `[` (…/a|b, ?q=[x]); a `%` that starts no
# escape is itself encoded. Brackets of an IPv6 host are left alone.
_URL_HEAD = re.compile(r"(?:[a-zA-Z][a-zA-Z0-9+.\-]*:)?(?://[^/?#]*)?")
_URL_BAD = re.compile(r"[\x00-\x20\x7f\"<>\[\]\\^`{|}]|%(?![0-9A-Fa-f]{2})")


def valid_url(url: str) -> str:
    """``url`` as a browser reads it (surrounding whitespace dropped), with what a URL may not
    hold raw percent-encoded."""
    url = url.strip("\t\n\f\r ")
    head = _URL_HEAD.match(url)
    cut = head.end() if head else 0
    return url[:cut] + _URL_BAD.sub(lambda m: "".join(f"%{b:02X}" for b in m.group(0).encode("utf-8")), url[cut:])


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
        # (links only: an image's src is looked up as archived, by its original URL)
        return valid_url(value) if attr == "href" else value
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
    url_schemes=set(LINK_SCHEMES) | {"data"},  # data: is narrowed to raster images by the filter
    url_relative=_resolve_relative,
)
# Added to every <img> here rather than by nh3's set_tag_attribute_values, whose hash map puts
# them in a different order in every process (two builds of one archive must be byte-identical).
_IMG_FIXED = ' loading="lazy" referrerpolicy="no-referrer" decoding="async"'
_IMG_TAG = re.compile(r'<img((?:\s+[a-z\-]+="[^"]*")*)(\s*/?)>')
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


def _flatten_pre(html: str) -> str:
    """A ``<pre>`` inside a ``<pre>`` (trafilatura writes ``<pre><code>`` as ``<pre><pre>``, and
    a ``<pre>`` may only hold phrasing content) becomes its content. When it is all the outer
    block holds, the indentation around it goes too: inside ``<pre>`` it would show."""
    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (etree.ParserError, ValueError):
        return html
    inner = [el for el in root.iter("pre") if any(a.tag == "pre" for a in el.iterancestors())]
    if not inner:
        return html
    for el in inner:
        parent = el.getparent()
        if parent is not None and parent.tag == "pre" and len(parent) == 1 and not (parent.text or "").strip() and not (el.tail or "").strip():
            parent.text, el.tail = None, None
        el.drop_tag()
    return inner_html(root)


MediaLookup = Callable[[str], "str | None"]


def sanitize_html(html: str, base_url: str | None = None, media: MediaLookup | None = None) -> str:
    """The publishable form of an archived HTML fragment (see the module docstring).

    ``media``: original image URL → the local copy's href (None when there is none). Given it,
    no image points at another host: each shows its local copy (the best of ``srcset``, lazy
    attributes and ``<picture>`` sources that was kept), or becomes a small labelled
    placeholder — alt text and a link to the original, no width or height (see docs/media.md).
    """
    if not html:
        return ""
    html = strip_controls(html)
    if may_have_clutter(html):
        html = _without_clutter(html)
    if html.lower().count("<pre") > 1:
        html = _flatten_pre(html)
    base = _base_for(base_url)
    if media is not None and ("<img" in html or "<picture" in html):
        html = _prefer_kept_images(html, base, media)
    _local.base = base
    try:
        out = _PUBLISHER.clean(html)
    finally:
        _local.base = None
    if "<a" in out:
        out = _A_TAG.sub(_drop_idle_rel, out)
    if "<img" in out:
        out = _IMG_TAG.sub(lambda m: f"<img{m.group(1)}{_IMG_FIXED}{m.group(2)}>", out)
    if media is not None and "<img" in out:
        out = _localise_images(out, media)
    return out  # no forbidden character: none in the input, and references to them were removed


# -- publishing with local media --------------------------------------------------------------------

_LAZY_SRC = ("data-src", "data-original", "data-lazy-src")
# nh3's output: double-quoted attributes; <a> open/close tracked so a placeholder never nests a link
_IMG_OUT = re.compile(r'<img((?:\s+[a-z\-]+="[^"]*")*)\s*/?>|<(/?)a\b[^>]*>')
_ATTR_OUT = re.compile(r'([a-z\-]+)="([^"]*)"')


def _best_candidate(srcset: str) -> str | None:
    from .media.refs import best_srcset

    return best_srcset(srcset)


def _image_candidates(img: etree._Element) -> list[str]:
    """The URLs an ``<img>`` may show, best first: srcset (its own, then its ``<picture>``'s
    sources), the lazy attributes, then ``src``."""
    found = [img.get("srcset") or img.get("data-srcset") or ""]
    # libxml2 does not know <source> is void: the <img> may sit inside it, so look up, not at the parent
    picture = next(img.iterancestors("picture"), None)
    if picture is not None:
        found += [s.get("srcset") or "" for s in picture.iter("source")]
    out = [c for c in (_best_candidate(v) for v in found if v) if c]
    out += [img.get(a, "") for a in _LAZY_SRC]
    out.append(img.get("src", ""))
    return [u.strip() for u in out if u.strip() and not u.strip().startswith("data:")]


def _prefer_kept_images(html: str, base: str | None, media: MediaLookup) -> str:
    """Point each image's ``src`` at the best candidate that has a local copy (or, with none,
    at the first real URL, so that the placeholder links the original, not a 1-pixel GIF)."""
    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (etree.ParserError, ValueError):
        return html
    for img in root.iter("img"):
        candidates = [urljoin(base, c) if base else c for c in _image_candidates(img)]
        if not candidates:
            continue
        chosen = next((c for c in candidates if media(c)), None)
        src = img.get("src", "")
        if chosen is None and src and not src.startswith("data:"):
            continue
        img.set("src", chosen or candidates[0])
    return inner_html(root)


def _localise_images(out: str, media: MediaLookup) -> str:
    in_link = 0

    def one(m: re.Match[str]) -> str:
        nonlocal in_link
        if m.group(1) is None:  # an <a> or </a>
            in_link = max(0, in_link + (-1 if m.group(2) else 1))
            return m.group(0)
        return _local_image(m, media, link=in_link == 0)

    return _IMG_OUT.sub(one, out)


def _local_image(m: re.Match[str], media: MediaLookup, link: bool = True) -> str:
    import html as htmlmod

    attrs = {k: htmlmod.unescape(v) for k, v in _ATTR_OUT.findall(m.group(1))}
    src = attrs.get("src", "")
    if src.startswith("data:"):
        return m.group(0)
    local = media(src) if src else None
    if local is not None:
        return m.group(0).replace(f'src="{htmlmod.escape(src)}"', f'src="{htmlmod.escape(local)}"', 1)
    label = htmlmod.escape(attrs.get("alt", "").strip() or attrs.get("title", "").strip())
    text = f"［图片未存档{'：' + label if label else ''}］"
    if not link or not src.startswith(("http://", "https://")):
        return f'<span class="media-missing">{text}</span>'
    return f'<span class="media-missing">{text} <a href="{htmlmod.escape(src)}"{_REL}>原图</a></span>'
