"""The main content of an article page: a per-source CSS selector, or trafilatura.

A selector (CDT's ``div.post-content``) is exact and cheap when a site's layout is known; it
takes the inner HTML of every matching element. Without one, trafilatura finds the article
text and returns it as HTML (images, links and tables kept). Either way the result still goes
through :func:`newsvault.clean.clean_html` before it is archived.
"""

from __future__ import annotations

import html as htmllib
import re

import lxml.html
from lxml import etree

from .errors import FeedError

__all__ = ["extract_main", "ExtractError", "check_selector", "page_title"]


class ExtractError(FeedError):
    """An article page was fetched but no main content could be found in it."""


def check_selector(selector: str) -> str:
    """Validate a CSS selector; return it or raise ``ValueError`` with the reason."""
    from cssselect import GenericTranslator, SelectorError

    try:
        GenericTranslator().css_to_xpath(selector)
    except SelectorError as e:
        raise ValueError(f"invalid CSS selector {selector!r}: {e}") from None
    return selector


def _inner_html(el: etree._Element) -> str:
    return (el.text or "") + "".join(etree.tostring(c, encoding="unicode", method="html") for c in el)


def _document(html: str, url: str) -> etree._Element:
    try:
        return lxml.html.document_fromstring(html, base_url=url)
    except (etree.ParserError, ValueError) as e:
        raise ExtractError(f"{url}: not an HTML page ({e})") from None


_LAZY = ("data-src", "data-original", "data-lazy-src", "data-actualsrc")


def _with_lazy_sources(html: str, url: str, doc: etree._Element | None = None) -> str | etree._Element:
    """The page with each lazy-loaded image's real address in ``src``: trafilatura reads
    ``data-src`` but not ``data-original`` or ``data-lazy-src``, and an image left with its
    1-pixel placeholder ``src`` is dropped later (a real page lost 28 images that way)."""
    if not any(a in html for a in _LAZY[1:]):
        return html if doc is None else doc
    if doc is None:
        doc = _document(html, url)
    for img in doc.iter("img"):
        src = img.get("src", "")
        if not src or src.startswith("data:"):
            lazy = next((img.get(a) for a in _LAZY if img.get(a)), None)
            if lazy:
                img.set("src", lazy)
    return doc


def page_title(html: str) -> str:
    """The page's <title> (or og:title), for items whose feed entry has none."""
    try:
        doc = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return ""
    og = doc.xpath("//meta[@property='og:title']/@content")
    if og and str(og[0]).strip():
        return str(og[0]).strip()
    title = doc.findtext(".//title") or ""
    return title.strip()


_SHORTLINK = re.compile(r"<link\b[^>]*\brel=[\"']?shortlink\b[^>]*>", re.I)
_HREF = re.compile(r"\bhref=[\"']?([^\"'>\s]+)", re.I)
_HEAD_BYTES = 256 * 1024  # a page's <head> is well within this; the body is never scanned


def shortlink(html: str) -> str:
    """The page's shortlink (WordPress writes ``<link rel='shortlink' href='https://host/?p=<post
    id>'>`` in the head), or "": the post id a continued CDT repository names its records by."""
    tag = _SHORTLINK.search(html, 0, _HEAD_BYTES)
    href = _HREF.search(tag[0]) if tag else None
    return htmllib.unescape(href[1]) if href else ""


def extract_document(html: str, url: str, doc: etree._Element | None = None) -> str:
    """The article as trafilatura writes it: a whole HTML document (``clean_html`` takes its
    body as it is, with no parse and serialisation in between). Raises :class:`ExtractError`
    when nothing is found; ``doc`` as in :func:`extract_main`."""
    import trafilatura

    result = trafilatura.extract(
        _with_lazy_sources(html, url, doc),
        url=url,
        output_format="html",
        include_images=True,
        include_links=True,
        include_tables=True,
        include_comments=False,
        favor_recall=True,
    )
    if not result or not result.strip():
        raise ExtractError(f"{url}: no article text found on this page")
    return result


def extract_main(html: str, url: str, selector: str | None = None, doc: etree._Element | None = None) -> str:
    """Article HTML from a whole page. Raises :class:`ExtractError` when nothing is found.

    ``doc`` is the page already parsed (``lxml.html``), when the caller has read it too: it is
    handed to trafilatura (which works on a copy) instead of the page being parsed again."""
    if selector:
        doc = doc if doc is not None else _document(html, url)
        try:
            found = doc.cssselect(selector)
        except Exception as e:  # cssselect's SelectorError and ExpressionError
            raise ExtractError(f"invalid CSS selector {selector!r}: {e}") from None
        parts = [_inner_html(el) for el in found]
        body = "".join(parts).strip()
        if not body:
            raise ExtractError(f"{url}: nothing matches the selector {selector!r} on this page")
        return body
    doc = _document(extract_document(html, url, doc), url)
    body = doc.find("body")
    return _inner_html(body if body is not None else doc).strip()
