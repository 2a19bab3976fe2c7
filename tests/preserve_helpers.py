"""Helpers for the preservation tests: corpus histories, feeds, exact snapshots of an archive.
The local HTTP server they fetch from is http_helpers.LoopbackServer."""

from __future__ import annotations

from pathlib import Path

# Re-exported, as the preservation tests import them from here.
from conftest import CORPUS as CORPUS
from conftest import REPO as REPO
from http_helpers import Reply as Reply

CDT_HISTORY = CORPUS / "cdt-history"


def history_files() -> list[Path]:
    """Every file of corpus/cdt-history, oldest first (by the unix time in its name)."""
    return sorted(CDT_HISTORY.glob("*/*.md"), key=lambda p: (int(p.stem), str(p)))


def history_rounds() -> list[list[Path]]:
    """Round r holds the r-th version of every folder, each round in time order."""
    rounds: list[list[Path]] = []
    for folder in sorted(CDT_HISTORY.iterdir()):
        for r, f in enumerate(sorted(folder.glob("*.md"), key=lambda p: int(p.stem))):
            if len(rounds) <= r:
                rounds.append([])
            rounds[r].append(f)
    return [sorted(r, key=lambda p: int(p.stem)) for r in rounds]


def rss_feed(items: list[tuple[str, str, int, str]]) -> bytes:
    """An RSS 2.0 feed of (title, link, published epoch ms, body HTML) with content:encoded."""
    import email.utils
    from xml.sax.saxutils import escape

    parts = [
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
        "<channel><title>本地测试源</title><link>http://127.0.0.1/</link><description>test</description>"
    ]
    for title, link, published, body in items:
        date = email.utils.formatdate(published / 1000, usegmt=True)
        parts.append(
            f"<item><title>{escape(title)}</title><link>{escape(link)}</link><guid>{escape(link)}</guid>"
            f"<pubDate>{date}</pubDate><description>{escape(body[:200])}</description>"
            f"<content:encoded>{escape(body)}</content:encoded></item>"
        )
    parts.append("</channel></rss>")
    return "".join(parts).encode("utf-8")


def record_snapshot(archive) -> tuple[dict[str, bytes], list[tuple]]:
    """Every record file (path -> bytes) and every catalog version row, for exact comparisons."""
    files = {archive.rel(p): p.read_bytes() for p in archive.record_files()}
    rows = []
    for path in archive.catalog.paths():
        v = archive.catalog.version_at(path)
        rows.append((v.path, v.article_id, v.rev, v.source, v.url, v.canonical_url, v.title, v.published, v.seen, v.content_hash, v.file_hash, v.size, v.variant))
    return files, sorted(rows)


def record_like_files(root: Path) -> list[Path]:
    """Every *.md under articles/ and revisions/ (including ones record_files() would skip)."""
    out = []
    for top in ("articles", "revisions"):
        base = root / top
        if base.is_dir():
            out.extend(p for p in base.rglob("*.md") if p.is_file())
    return out
