"""Answers that are not a page (a PDF, an image, plain text, JSON): kept as a file, and an
article record that points to it.

The file is kept as it came, named by its checksum, under ``files/<site>/<sha256>.<ext>`` (the
same bytes saved twice are one file); the record's body says where it is, its type, size and
sha256, and links the original, so that the lists, site, feeds and search show it like any
article and a changed file is a new version (its sha256 is in the text). Plain text is also
the body, for search. The fetching stack's size cap applies: a larger answer is never read.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from email.message import Message
from html import escape
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ..archive import write_atomic

__all__ = ["FILES", "KeptFile", "file_kind", "keep_file", "kept_file", "file_body", "file_title"]

FILES = "files"

# Content-Type -> (file extension, what the record calls it). Anything else is refused.
_KINDS: dict[str, tuple[str, str]] = {
    "application/pdf": ("pdf", "PDF document"),
    "image/png": ("png", "PNG image"),
    "image/jpeg": ("jpg", "JPEG image"),
    "image/gif": ("gif", "GIF image"),
    "image/webp": ("webp", "WebP image"),
    "image/avif": ("avif", "AVIF image"),
    "text/plain": ("txt", "plain text"),
    "application/json": ("json", "JSON document"),
}
# What the first bytes say, for answers a server labels wrongly (a PDF sent as octet-stream).
_MAGIC = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


@dataclass(frozen=True)
class KeptFile:
    path: str  # relative to the archive
    sha256: str
    content_type: str
    size: int


def file_kind(content_type: str, data: bytes) -> str | None:
    """The type this answer is kept as (a key of the kinds above), or None when it is not one.
    The bytes decide when they carry a known signature; else the declared type."""
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    declared = content_type.split(";")[0].strip().lower()
    if declared.endswith("+json"):
        declared = "application/json"
    return declared if declared in _KINDS else None


def keep_file(root: Path, site: str, data: bytes, kind: str) -> KeptFile:
    """Write ``data`` under ``files/<site>/`` (once: an identical file is reused)."""
    sha = hashlib.sha256(data).hexdigest()
    rel = f"{FILES}/{site}/{sha}.{_KINDS[kind][0]}"
    path = root / rel
    if not (path.is_file() and not path.is_symlink() and hashlib.sha256(path.read_bytes()).hexdigest() == sha):
        write_atomic(path, data)
    return KeptFile(rel, sha, kind, len(data))


_KEPT_NAME = re.compile(r"files/[A-Za-z0-9][A-Za-z0-9._-]*/[0-9a-f]{64}\.([a-z0-9]{2,5})")
_TYPE_OF_EXT = {ext: kind for kind, (ext, _label) in _KINDS.items()}


def kept_file(root: Path, rel: str) -> tuple[Path, str] | None:
    """The kept file ``rel`` (``files/<site>/<sha256>.<ext>``) of the archive at ``root`` and
    the type it was kept as, or None: only names of that form, regular files (a symbolic link
    is never followed) with an extension ``save`` writes."""
    m = _KEPT_NAME.fullmatch(rel)
    kind = _TYPE_OF_EXT.get(m.group(1)) if m else None
    path = root / rel
    if kind is None or path.is_symlink() or not path.is_file():
        return None
    return path, kind


def file_title(url: str, disposition: str | None) -> str:
    """The file's own name: the ``Content-Disposition`` filename, else the URL's last path
    segment, else its host."""
    if disposition:
        msg = Message()
        msg["content-disposition"] = disposition
        name = msg.get_filename()
        if name and name.strip():
            return " ".join(name.split())[:200]
    parts = urlsplit(url)
    segment = unquote(parts.path.rstrip("/").rsplit("/", 1)[-1])
    return " ".join(segment.split())[:200] or (parts.hostname or url)


def file_body(kept: KeptFile, url: str, data: bytes, charset: str | None) -> str:
    """The record's body (HTML, cleaned later like any body)."""
    label = _KINDS[kept.content_type][1]
    lines = [
        f"<p>{escape(label)} kept in the archive as <code>{escape(kept.path)}</code>.</p>",
        f"<p>{escape(kept.content_type)}, {kept.size:,} bytes, sha256 <code>{kept.sha256}</code>.</p>",
        f'<p>Original: <a href="{escape(url)}">{escape(url)}</a></p>',
    ]
    if kept.content_type == "text/plain":
        try:
            text = data.decode(charset or "utf-8", "replace")
        except LookupError:  # a charset Python does not know
            text = data.decode("utf-8", "replace")
        lines += [f"<p>{escape(p.strip())}</p>" for p in re.split(r"\n\s*\n", text) if p.strip()]
    return "\n".join(lines)
