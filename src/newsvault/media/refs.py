"""Finding the images an article's HTML refers to.

Every way an outlet points at a picture counts: ``<img src>``, the lazy-loading attributes
(``data-src``, ``data-original``, ``data-lazy-src``), the largest candidate of a ``srcset``
(on ``<img>`` and on ``<picture><source>``), and the ``poster`` of ``<video>``/``<audio>``.
URLs are resolved against the article's URL; only http(s) URLs are returned (``data:`` images
are already inside the record).
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

__all__ = ["image_urls", "best_srcset", "LAZY_ATTRS"]

LAZY_ATTRS = ("data-src", "data-original", "data-lazy-src")


def best_srcset(value: str) -> str | None:
    """The largest candidate of a ``srcset`` (by its ``w`` or ``x`` descriptor; the first when
    none has one)."""
    best: tuple[float, str] | None = None
    for part in value.split(","):
        bits = part.strip().split()
        if not bits:
            continue
        size = 1.0
        if len(bits) > 1 and bits[1][:-1].replace(".", "", 1).isdigit() and bits[1][-1:] in ("w", "x"):
            size = float(bits[1][:-1])
        if best is None or size > best[0]:
            best = (size, bits[0])
    return best[1] if best else None


def _candidates(tag: str, attrs: dict[str, str]) -> list[str]:
    found: list[str] = []
    if tag == "img":
        found += [attrs[a] for a in ("src", *LAZY_ATTRS) if attrs.get(a)]
        for a in ("srcset", "data-srcset"):
            if attrs.get(a):
                found.append(best_srcset(attrs[a]) or "")
    elif tag == "source":
        for a in ("srcset", "data-srcset"):
            if attrs.get(a):
                found.append(best_srcset(attrs[a]) or "")
    elif tag in ("video", "audio") and attrs.get("poster"):
        found.append(attrs["poster"])
    return found


class _Finder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found += _candidates(tag, {k: v.strip() for k, v in attrs if v})

    handle_startendtag = handle_starttag


def image_urls(html: str, base: str = "") -> list[str]:
    """The absolute http(s) URLs of the images ``html`` shows, each once, in document order."""
    finder = _Finder()
    finder.feed(html)
    finder.close()
    out: dict[str, None] = {}
    for raw in finder.found:
        if not raw or raw.startswith("data:"):
            continue
        url = urljoin(base, raw) if base else raw
        parts = urlsplit(url)
        if parts.scheme in ("http", "https") and parts.hostname:
            out.setdefault(url.split("#", 1)[0], None)
    return list(out)
