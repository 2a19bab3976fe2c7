"""The captures behind each archived version (``show --evidence``).

Stored links: while a :class:`~.warc.WarcRecorder` records, a listener on the archive
(:class:`VersionLinks`, registered by :func:`~.warc.recorder_for`) appends one line per version
written to ``warc/links.jsonl``: the version's path and the ``WARC-Record-ID`` of each response
that produced it: the feed that listed the article and, when the body came from the article's
page, that page (redirects followed). The recorder knows which of its own captures answered each
URL, so the link is exact even when two passes run at the same time.

Versions written before links were stored (or without a recorder) have no line; for them the
link is derived from times, and labelled so: the captures of the article's own URL made while
that version was the current one (from shortly before it was first seen until shortly before
the next version was), and the capture of one of its source's feeds made just before it was
first seen. ``SLACK`` covers the time between a fetch and the write of what it brought.
"""

from __future__ import annotations

import hashlib
import html
import json
import logging
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ..catalog import Version
from .captures import LINKS_NAME, WARC_DIR, Capture, canonical, read_capture, read_index, read_links

if TYPE_CHECKING:
    from ..archive import Archive
    from .warc import WarcRecorder

__all__ = ["Evidence", "VersionLinks", "evidence_for", "read_links", "capture_ms", "LINKS_NAME", "SLACK_MS"]

SLACK_MS = 15 * 60 * 1000

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Evidence:
    """The captures behind one version, oldest first; ``stored``: linked when the version was
    written (else matched by time)."""

    version: Version
    captures: list[Capture]
    stored: bool


def capture_ms(capture: Capture) -> int:
    return int(datetime.strptime(capture.time, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp() * 1000)


# -- writing ------------------------------------------------------------------------------------


class VersionLinks:
    """Archive listener: links each version written to the captures of ``recorder`` that
    produced it, in ``warc/links.jsonl``. A failure is logged, never raised into a write."""

    def __init__(self, recorder: WarcRecorder) -> None:
        self.recorder = recorder
        self.errors: list[str] = []

    def __call__(self, archive: Archive, versions: list[Version], *, rebuild: bool) -> None:
        if rebuild or not versions:
            return  # a rebuild re-reads old files: nothing was fetched for them
        try:
            payloads: dict[str, bytes] = {}
            lines = []
            for v in versions:
                records = self.records_for(archive, v, payloads)
                lines.append(json.dumps({"path": v.path, "records": records}) + "\n")
                # for the pass's manifest: the bytes as written, bound to the answers they came from
                sha = hashlib.sha256((archive.root / v.path).read_bytes()).hexdigest()
                self.recorder.written_files.extend((r, v.path, sha) for r in records)
            _append(archive.root / WARC_DIR / LINKS_NAME, "".join(lines))
        except Exception as e:  # noqa: BLE001 - evidence must never break an archive write
            message = f"linking versions to WARC captures failed: {e}"
            if not self.errors:
                log.warning(message)
            self.errors.append(message)

    def records_for(self, archive: Archive, version: Version, payloads: dict[str, bytes]) -> list[str]:
        """The record ids behind ``version``: its feed's response, then its page's if the page
        was fetched after that feed (an older page capture belongs to an earlier pass)."""
        source = archive.config.source(version.source)
        feeds = [found for url in (source.feeds if source else []) if (found := self.recorder.latest(url))]
        if len(feeds) > 1:  # the feeds that list the article, if the bytes say
            feeds = [f for f in feeds if self._lists(archive.root, f[1], version.url, payloads)] or feeds
        feed = max(feeds, key=lambda f: f[0], default=None)
        page = self.recorder.latest(version.url)
        out = [feed[1].record_id] if feed else []
        if page is not None and (feed is None or page[0] > feed[0]):
            out.append(page[1].record_id)
        return out

    @staticmethod
    def _lists(root: Path, capture: Capture, url: str, payloads: dict[str, bytes]) -> bool:
        if capture.record_id not in payloads:
            payloads[capture.record_id] = read_capture(root, capture)[1]
        body = payloads[capture.record_id]
        return url.encode("utf-8") in body or html.escape(url).encode("utf-8") in body


def _append(path: Path, text: str) -> None:
    """One O_APPEND write: lines of two collectors writing at once do not interleave."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        data = memoryview(text.encode("utf-8"))
        while data:
            data = data[os.write(fd, data) :]
        os.fsync(fd)
    finally:
        os.close(fd)


# -- reading ------------------------------------------------------------------------------------


def evidence_for(root: Path, versions: Sequence[Version], feeds: Iterable[str] = ()) -> list[Evidence]:
    """For each version (rev order), the captures behind it: stored links where there are
    some, else matched by time."""
    captures, _ = read_index(Path(root))
    if not versions:
        return []
    links = read_links(Path(root))
    by_id = {c.record_id: c for c in captures}
    by_time = _by_time(captures, versions, feeds)
    out: list[Evidence] = []
    for v, timed in zip(versions, by_time, strict=True):
        if v.path in links:
            stored = [by_id[r] for r in links[v.path] if r in by_id]
            out.append(Evidence(v, _ordered(stored), stored=True))
        else:
            out.append(Evidence(v, timed, stored=False))
    return out


def _ordered(captures: list[Capture]) -> list[Capture]:
    return sorted(captures, key=lambda c: (c.time, c.file, c.offset))


def _by_time(captures: list[Capture], versions: Sequence[Version], feeds: Iterable[str]) -> list[list[Capture]]:
    """The fallback: the captures made while each version was current."""
    page = {versions[0].canonical_url, canonical(versions[0].url)}
    feed_urls = {canonical(u) for u in feeds}
    mine = [(capture_ms(c), c, canonical(c.url)) for c in captures]
    out: list[list[Capture]] = []
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
        out.append(_ordered(linked))
    return out
