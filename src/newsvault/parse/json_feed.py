"""JSON Feed 1.0 / 1.1 (https://jsonfeed.org), which feedparser does not read."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import urljoin

from ..encoding import decode
from ..errors import FeedError, RecordError
from .model import Feed, FeedItem
from .xml_feed import text_to_html

__all__ = ["parse_json_feed"]


def _time_ms(value: object) -> int | None:
    if not isinstance(value, str) or not value.strip():
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


def parse_json_feed(data: bytes, url: str, *, charset: str | None = None) -> Feed:
    try:
        doc = json.loads(decode(data, charset)[0])
    except (ValueError, RecordError) as e:
        raise FeedError(f"{url}: not a JSON Feed (invalid JSON: {e})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("items"), list) or "jsonfeed.org" not in _str(doc.get("version")):
        raise FeedError(f"{url}: JSON but not a JSON Feed (needs a jsonfeed.org 'version' and an 'items' list)")
    version = _str(doc.get("version")).rstrip("/").rsplit("/", 1)[-1]
    items = []
    for raw in doc["items"]:
        if not isinstance(raw, dict):
            continue
        link = _str(raw.get("url")) or _str(raw.get("external_url"))
        if _str(raw.get("content_html")).strip():
            body, body_from = raw["content_html"], "content"
        elif _str(raw.get("content_text")).strip():
            body, body_from = text_to_html(raw["content_text"]), "content"
        elif _str(raw.get("summary")).strip():
            body, body_from = text_to_html(raw["summary"]), "summary"
        else:
            body, body_from = "", ""
        authors = raw.get("authors") if isinstance(raw.get("authors"), list) else [raw.get("author")]
        author = ", ".join(_str(a.get("name")) for a in authors if isinstance(a, dict) and a.get("name"))
        items.append(
            FeedItem(
                title=_str(raw.get("title")),
                link=urljoin(url, link.strip()) if link.strip() else "",
                body=body,
                body_from=body_from,
                published=_time_ms(raw.get("date_published")) or _time_ms(raw.get("date_modified")),
                guid=str(raw.get("id") or ""),
                categories=[t for t in raw.get("tags") or [] if isinstance(t, str)],
                author=author,
            )
        )
    return Feed(format=f"json{version.replace('.', '')}", title=_str(doc.get("title")), link=_str(doc.get("home_page_url")), items=items)
