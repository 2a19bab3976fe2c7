"""JSON Feed 1.0 / 1.1 (https://jsonfeed.org), which feedparser does not read.

Titles are plain text as the spec says; ``content_html`` is HTML, ``content_text`` and
``summary`` are plain text (escaped into paragraphs). Dates are RFC 3339. An item that cannot be
read (a ``url`` that is not a URL) is left out and named in ``Feed.problems``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

from ..encoding import decode
from ..errors import FeedError, RecordError
from .model import Feed, FeedItem, item_problem
from .rules import impossible_offset, text_to_html

__all__ = ["parse_json_feed"]


def _time_ms(value: object) -> int | None:
    if not isinstance(value, str) or not value.strip() or impossible_offset(value):
        return None
    try:
        dt = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return int(dt.timestamp() * 1000)


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


def _body(raw: dict[str, Any]) -> tuple[str, str]:
    if _str(raw.get("content_html")).strip():
        return _str(raw["content_html"]), "content"
    if _str(raw.get("content_text")).strip():
        return text_to_html(_str(raw["content_text"])), "content"
    if _str(raw.get("summary")).strip():
        return text_to_html(_str(raw["summary"])), "summary"
    return "", ""


def _author(raw: dict[str, Any]) -> str:
    authors = raw.get("authors")
    listed: list[Any] = authors if isinstance(authors, list) else [raw.get("author")]
    return ", ".join(_str(a.get("name")) for a in listed if isinstance(a, dict) and a.get("name"))


def _item(raw: dict[str, Any], url: str) -> FeedItem:
    link = (_str(raw.get("url")) or _str(raw.get("external_url"))).strip()
    body, body_from = _body(raw)
    return FeedItem(
        title=_str(raw.get("title")),
        link=urljoin(url, link) if link else "",
        body=body,
        body_from=body_from,
        published=_time_ms(raw.get("date_published")) or _time_ms(raw.get("date_modified")),
        guid=str(raw.get("id") or ""),
        categories=[t for t in raw.get("tags") or [] if isinstance(t, str)],
        author=_author(raw),
    )


def parse_json_feed(data: bytes, url: str, *, charset: str | None = None) -> Feed:
    try:
        doc = json.loads(decode(data, charset)[0])
    except (ValueError, RecordError) as e:
        raise FeedError(f"{url}: not a JSON Feed (invalid JSON: {e})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("items"), list) or "jsonfeed.org" not in _str(doc.get("version")):
        raise FeedError(f"{url}: JSON but not a JSON Feed (needs a jsonfeed.org 'version' and an 'items' list)")
    version = _str(doc.get("version")).rstrip("/").rsplit("/", 1)[-1]
    items, problems = [], []
    for n, raw in enumerate(doc["items"], 1):
        if not isinstance(raw, dict):
            problems.append(item_problem(n, "", ValueError("not a JSON object")))
            continue
        try:
            items.append(_item(raw, url))
        except (ValueError, TypeError) as e:
            problems.append(item_problem(n, _str(raw.get("url")) or _str(raw.get("title")), e))
    return Feed(format=f"json{version.replace('.', '')}", title=_str(doc.get("title")), link=_str(doc.get("home_page_url")), items=items, problems=problems)
