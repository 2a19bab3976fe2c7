"""Plain text out of record HTML, for terminals, diffs and the search index."""

from __future__ import annotations

import html as _html
import re

import lxml.html
from lxml import etree

__all__ = ["html_to_text", "without_invisible"]

# Characters that reorder or hide text: bidi embeddings, overrides, isolates and marks, and the
# zero-width ones. In a title they can make "正常标题\u202egpj.exe" read as "…exe.jpg".
INVISIBLE = re.compile("[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


def without_invisible(text: str) -> str:
    """``text`` without :data:`INVISIBLE` characters (for lists and feeds, where a title
    cannot be isolated from what surrounds it)."""
    return INVISIBLE.sub("", text) if INVISIBLE.search(text) else text

_BLOCKS = frozenset(
    ["p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table", "tr", "section", "article", "header", "footer", "figure", "figcaption", "hr", "dd", "dt"]
)
_DROP = ("script", "style", "noscript", "template", "iframe", "svg")
_SPACES = re.compile(r"[ \t\u3000\xa0]+")
_BLANKS = re.compile(r"\n\s*\n+")
_TAGS = re.compile(r"<[^>]*>")
_DROPPED = re.compile(r"<(script|style|noscript|template|iframe|svg)\b.*?</\1\s*>|<!--.*?-->", re.S | re.I)
# huge_tree: libxml2 otherwise drops everything nested deeper than 255 elements.
_PARSER = lxml.html.HTMLParser(huge_tree=True)


def html_to_text(html: str) -> str:
    """Readable text of an HTML fragment or page: one paragraph per block, scripts dropped."""
    if not html.strip():
        return ""
    if "<" not in html:
        # No markup, but still HTML: "AT&amp;T" reads "AT&T".
        return _tidy(_html.unescape(html) if "&" in html else html)
    try:
        if html.lstrip().lower().startswith(("<!doctype", "<html")):
            root = lxml.html.document_fromstring(html, parser=_PARSER)
        else:
            root = lxml.html.fragment_fromstring(html, create_parent="div", parser=_PARSER)
    except (etree.ParserError, ValueError):
        return _strip_tags(html)
    etree.strip_elements(root, *_DROP, etree.Comment, with_tail=False)
    parts: list[str] = []
    for event, el in etree.iterwalk(root, events=("start", "end")):
        tag = el.tag if isinstance(el.tag, str) else ""
        if event == "start":
            if tag in _BLOCKS:
                parts.append("\n")
            if el.text:
                parts.append(el.text)
        else:
            if tag in _BLOCKS:
                parts.append("\n")
            if el.tail and el is not root:
                parts.append(el.tail)
    text = _tidy("".join(parts))
    # Nesting deeper than libxml2 will go loses the text: never answer "" for a body with words.
    return text or _strip_tags(html)


def _strip_tags(html: str) -> str:
    return _tidy(_html.unescape(_TAGS.sub(" ", _DROPPED.sub(" ", html))))


def _tidy(text: str) -> str:
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANKS.sub("\n\n", "\n".join(lines)).strip()
