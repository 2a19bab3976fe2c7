"""Reading a fetched page with its site's adapter: title, author, time, body, canonical URL,
or the deletion notice that stands where the article was."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import lxml.html
from lxml import etree
from lxml.cssselect import CSSSelector

from ..clean import clean_html, clean_title
from ..extract import ExtractError, extract_document
from .adapters import Adapter

__all__ = ["Page", "read_page", "read_json", "notice_in"]

_LAZY = ("data-src", "data-original", "data-lazy-src", "data-actualsrc")


@dataclass
class Page:
    title: str
    author: str
    published: int | None  # epoch ms (UTC), from the page; None when it gives no time
    body: str  # cleaned HTML, as a record keeps it
    canonical: str


def _text(el: etree._Element) -> str:
    if el.tag == "meta" or el.tag == "link":
        return str(el.get("content") or el.get("href") or "").strip()
    return " ".join("".join(el.itertext()).split())


@lru_cache(maxsize=256)
def _css(selector: str) -> CSSSelector:
    """A selector compiled once: compiling costs more than matching (the adapters' rules are few)."""
    return CSSSelector(selector, translator="html")


def _select(el: etree._Element, selector: str) -> list[etree._Element]:
    return list(_css(selector)(el))


def _first(doc: etree._Element, selectors: tuple[str, ...]) -> str:
    for sel in selectors:
        for el in _select(doc, sel):
            value = _text(el)
            if value:
                return value
    return ""


_LD_SCRIPTS = etree.XPath("//script[@type='application/ld+json']")


def _json_ld(doc: etree._Element, html: str) -> dict[str, Any]:
    """The first JSON-LD object with a headline or datePublished (an Article, NewsArticle, …)."""
    if "application/ld+json" not in html:  # most pages have none: no walk of the tree
        return {}
    for script in _LD_SCRIPTS(doc):
        try:
            data = json.loads(script.text or "")
        except ValueError:
            continue
        for obj in data if isinstance(data, list) else data.get("@graph", [data]) if isinstance(data, dict) else []:
            if isinstance(obj, dict) and ("headline" in obj or "datePublished" in obj):
                return obj
    return {}


def _parse_time(value: str, tz: str) -> int | None:
    value = value.strip()
    if value.isdigit() and 9 <= len(value) <= 13:
        n = int(value)
        return n if len(value) == 13 else n * 1000
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if dt.tzinfo is None:  # written without an offset: the site's own time
        dt = dt.replace(tzinfo=ZoneInfo(tz))
    return int(dt.timestamp() * 1000)


def _time(doc: etree._Element, html: str, adapter: Adapter, ld: dict[str, Any]) -> int | None:
    if adapter.time_script:
        for script in doc.iter("script"):
            m = re.search(adapter.time_script, script.text or "")
            if m:
                return int(m.group("unix")) * 1000
    for sel in adapter.time:
        for el in _select(doc, sel):
            for raw in (el.get("datetime"), el.get("content"), _text(el)):
                when = _parse_time(raw or "", adapter.tz)
                if when is not None:
                    return when
    if isinstance(ld.get("datePublished"), str):
        return _parse_time(ld["datePublished"], adapter.tz)
    return None


def _author(doc: etree._Element, adapter: Adapter, ld: dict[str, Any]) -> str:
    found = _first(doc, adapter.author)
    if found:
        return found
    author = ld.get("author")
    if isinstance(author, list) and author:
        author = author[0]
    if isinstance(author, dict):
        author = author.get("name")
    return author.strip() if isinstance(author, str) else ""


def notice_in(html: str, adapter: Adapter) -> str | None:
    """The site's deletion or blocking notice on this page, if it shows one."""
    for phrase in adapter.gone:
        if phrase in html:
            return phrase
    return None


def _body(doc: etree._Element, html: str, url: str, adapter: Adapter) -> str:
    if not adapter.body:
        return clean_html(extract_document(html, url, doc=doc), url)
    for sel in adapter.body:
        found = _select(doc, sel)
        if found:
            el = found[0]
            for junk in [x for sel2 in adapter.drop for x in _select(el, sel2)]:
                if junk.getparent() is not None:
                    junk.drop_tree()
            for img in el.iter("img"):  # lazy images: the real address is in data-src
                src = img.get("src", "")
                lazy = next((img.get(a) for a in _LAZY if img.get(a)), None)
                if lazy and (not src or src.startswith("data:") or "pic_blank" in src):
                    img.set("src", lazy)
            inner = (el.text or "") + "".join(etree.tostring(c, encoding="unicode", method="html") for c in el)
            return clean_html(inner, url)
    raise ExtractError(f"{url}: no article on this page (nothing matches {', '.join(adapter.body)})")


def read_page(html: str, url: str, adapter: Adapter) -> Page:
    """The article on a page the adapter knows. Raises :class:`ExtractError` when there is none."""
    try:
        doc = lxml.html.document_fromstring(html, base_url=url)
    except (etree.ParserError, ValueError) as e:
        raise ExtractError(f"{url}: not an HTML page ({e})") from None
    ld = _json_ld(doc, html)
    title = clean_title(_first(doc, adapter.title) or str(ld.get("headline") or ""))
    canonical = _first(doc, adapter.canonical_from_page) or url
    if adapter.canonical is not None:
        canonical = adapter.canonical(canonical)
    return Page(
        title=title,
        author=_author(doc, adapter, ld),
        published=_time(doc, html, adapter, ld),
        body=_body(doc, html, url, adapter),
        canonical=canonical,
    )


def _field(data: Any, path: str) -> Any:
    for key in path.split(".") if path else []:
        data = data.get(key) if isinstance(data, dict) else None
    return data


def _json_time(value: Any, tz: str) -> int | None:
    if not isinstance(value, str):
        return None
    try:  # Weibo: "Sat Jun 01 10:03:00 +0800 2024"
        return int(datetime.strptime(value.strip(), "%a %b %d %H:%M:%S %z %Y").timestamp() * 1000)
    except ValueError:
        return _parse_time(value, tz)


def read_json(payload: bytes, url: str, adapter: Adapter) -> Page:
    """The article in a site's JSON answer (``{"data": {…}}``). Raises ExtractError without one."""
    from html import escape

    try:
        data = json.loads(payload)
    except ValueError as e:
        raise ExtractError(f"{url}: not the site's JSON answer ({e})") from None
    item = data.get("data") if isinstance(data, dict) else None
    body = _field(item, adapter.json_body)
    if not isinstance(item, dict) or not isinstance(body, str) or not body.strip():
        raise ExtractError(f"{url}: no article in the site's answer")
    pictures = _field(item, adapter.json_pictures) or []
    for pic in pictures if isinstance(pictures, list) else []:
        src = _field(pic, "large.url") or _field(pic, "url")
        if isinstance(src, str) and src.startswith(("http://", "https://")):
            body += f'<p><img src="{escape(src)}"></p>'
    title = _field(item, adapter.json_title)
    author = _field(item, adapter.json_author)
    canonical = adapter.canonical(url) if adapter.canonical else url
    return Page(
        title=clean_title(title) if isinstance(title, str) else "",
        author=author.strip() if isinstance(author, str) else "",
        published=_json_time(_field(item, adapter.json_time), adapter.tz),
        body=clean_html(body, canonical),
        canonical=canonical,
    )
