"""The captures behind each archived version (``show --evidence``).

A version is linked to captures by what the index records, no extra bookkeeping in the write
path: the captures of the article's own URL made while that version was the current one
(from shortly before it was first seen until shortly before the next version was), and the
capture of one of its source's feeds made just before it was first seen (articles whose body
comes from the feed). ``SLACK`` covers the time between a fetch and the write of what it
brought.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from ..catalog import Version
from ..urls import canonical_url
from .warc import Capture, read_index

__all__ = ["evidence_for", "capture_ms", "SLACK_MS"]

SLACK_MS = 15 * 60 * 1000


def capture_ms(capture: Capture) -> int:
    return int(datetime.strptime(capture.time, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp() * 1000)


def _canonical(url: str) -> str:
    try:
        return canonical_url(url)
    except Exception:  # noqa: BLE001 - an odd URL in the index simply matches nothing
        return url


def evidence_for(root: Path, versions: Sequence[Version], feeds: Iterable[str] = ()) -> list[tuple[Version, list[Capture]]]:
    """For each version (rev order), the captures behind it, oldest first."""
    captures, _ = read_index(Path(root))
    if not versions:
        return []
    page = {versions[0].canonical_url, _canonical(versions[0].url)}
    feed_urls = {_canonical(u) for u in feeds}
    mine = [(capture_ms(c), c, _canonical(c.url)) for c in captures]
    out: list[tuple[Version, list[Capture]]] = []
    for i, v in enumerate(versions):
        # version 0 does not record when it was seen: it stands from the start
        start = v.seen - SLACK_MS if v.seen is not None else -1
        nxt = versions[i + 1].seen if i + 1 < len(versions) else None
        end = nxt - SLACK_MS if nxt is not None else None
        linked = [c for t, c, u in mine if u in page and t >= start and (end is None or t < end)]
        first_page = min((capture_ms(c) for c in linked), default=None)
        until = v.seen + 1000 if v.seen is not None else first_page
        feed = [c for t, c, u in mine if u in feed_urls and c.status == 200 and t >= start and (until is None or t <= until)]
        linked += feed[:1] if v.seen is None else feed[-1:]  # the feed fetch this version came from
        out.append((v, sorted(linked, key=lambda c: (c.time, c.file, c.offset))))
    return out
