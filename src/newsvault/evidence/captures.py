"""What the evidence modules share: where captures live and how they are read back.

``warc/index.jsonl`` locates each response record (:class:`Capture`); ``warc/links.jsonl`` names
the captures behind each version written. Writing (:mod:`.warc`), linking (:mod:`.links`),
checking (:mod:`.verify`), manifests and packaging all read through here, so none of them
needs another.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..urls import canonical_url

__all__ = [
    "Capture", "read_index", "read_links", "read_capture", "warc_files", "canonical",
    "WARC_DIR", "INDEX_NAME", "LINKS_NAME",
]

WARC_DIR = "warc"
INDEX_NAME = "index.jsonl"
LINKS_NAME = "links.jsonl"


@dataclass(frozen=True)
class Capture:
    """One response record, as ``warc/index.jsonl`` locates it."""

    time: str  # ISO 8601 UTC, when the request was sent (the record's WARC-Date)
    url: str  # the URL of this hop (a redirect hop has its own capture)
    status: int
    file: str  # relative to the archive root
    offset: int  # of the response record's gzip member
    length: int  # bytes of that gzip member
    record_id: str  # WARC-Record-ID of the response record
    digest: str  # WARC-Payload-Digest (sha1:BASE32)
    content_type: str = ""
    request_offset: int = -1  # the request record before it
    ip: str = ""  # WARC-IP-Address: the server address that answered ("" when not known)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)


def read_index(root: Path) -> tuple[list[Capture], list[str]]:
    """Every capture in ``warc/index.jsonl`` and the problems found (a truncated last line
    after a crash, a line that is not a capture)."""
    path = Path(root) / WARC_DIR / INDEX_NAME
    captures: list[Capture] = []
    problems: list[str] = []
    if not path.exists():
        return captures, problems
    names = {f for f in Capture.__dataclass_fields__}
    with open(path, encoding="utf-8", errors="replace") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                captures.append(Capture(**{k: v for k, v in data.items() if k in names}))
            except (ValueError, TypeError) as e:
                problems.append(f"line {n}: not a capture line ({type(e).__name__}); ignored")
    return captures, problems


def read_links(root: Path) -> dict[str, list[str]]:
    """Version path -> the record ids stored for it (a torn last line after a crash is skipped)."""
    path = Path(root) / WARC_DIR / LINKS_NAME
    links: dict[str, list[str]] = {}
    if not path.exists():
        return links
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            try:
                data = json.loads(line)
                links[str(data["path"])] = [str(r) for r in data["records"]]
            except (ValueError, TypeError, KeyError):
                continue
    return links


def read_capture(root: Path, capture: Capture) -> tuple[Any, bytes]:
    """The response record at ``capture`` (warcio ArcWarcRecord) and its payload bytes."""
    from warcio.archiveiterator import ArchiveIterator  # warcio costs start-up time most commands do not need

    with open(Path(root) / capture.file, "rb") as f:
        f.seek(capture.offset)
        for record in ArchiveIterator(f):
            return record, record.content_stream().read()
    raise ValueError(f"{capture.file}: no record at offset {capture.offset}")


def warc_files(root: Path) -> list[Path]:
    return sorted((Path(root) / WARC_DIR).rglob("*.warc.gz")) if (Path(root) / WARC_DIR).is_dir() else []


def canonical(url: str) -> str:
    """``canonical_url(url)``, or ``url`` itself when it has no canonical form."""
    try:
        return canonical_url(url)
    except Exception:  # noqa: BLE001 - an odd URL simply matches only itself
        return url
