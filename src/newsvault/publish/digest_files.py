"""Writing one day's digest as files: ``<D>.html``, ``<D>.epub`` and ``index.xml``, the Atom feed
of the seven digests ending at D (each page written beside it). Used by ``newsvault digest`` and,
with ``[digest] hourly``, by every committing collect pass (the digest is derived from the
records, like the lists, and is rewritten when a rejected push is replayed)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from ..archive import Archive, write_atomic
from .digest import Digest, build_digest, digest_fragment, digest_html, digests_feed
from .epub import EpubReport, write_epub

__all__ = ["DigestFiles", "write_digest_files", "FEED_DAYS", "HOURLY_DIR"]

FEED_DAYS = 7  # digests in the feed: the day asked for and the six before it
HOURLY_DIR = "site/digest"  # where the hourly pass writes, inside the archive


@dataclass
class DigestFiles:
    digest: Digest
    book: EpubReport
    html: Path
    epub: Path
    feed: Path
    written: list[Path]  # every file written (earlier days' pages only when they were missing)


def write_digest_files(archive: Archive, day: date, out: Path, *, source: str | None = None, base_url: str | None = None) -> DigestFiles:
    digest = build_digest(archive, day, source=source)
    out.mkdir(parents=True, exist_ok=True)
    name = day.isoformat()
    epub_path = out / f"{name}.epub"
    book = write_epub(archive, digest, epub_path, digest_fragment(archive, digest, base_url=base_url))
    html_path = out / f"{name}.html"
    write_atomic(html_path, digest_html(archive, digest, base_url=base_url, notes=book.notes))
    written = [epub_path, html_path]
    recent = [digest]
    for k in range(1, FEED_DAYS):
        earlier = build_digest(archive, day - timedelta(days=k), source=source)
        page = out / f"{earlier.day.isoformat()}.html"
        if not page.exists():
            write_atomic(page, digest_html(archive, earlier, base_url=base_url))
            written.append(page)
        recent.append(earlier)
    feed = out / "index.xml"
    write_atomic(feed, digests_feed(archive, recent, base_url=base_url))
    written.append(feed)
    return DigestFiles(digest, book, html_path, epub_path, feed, written)
