"""A manifest per pass: which captures a pass made and which files it wrote from each.

One JSON Lines file per pass (collect, recheck, save, media backfill), tracked in git beside
the records and never rewritten, so a manifest's sha256 — the one hash a time-stamp authority
is asked to sign (:mod:`.timestamp`) — stays true for ever::

    manifests/YYYY/MM/DD/<kind>-<YYYYMMDDTHHMMSSZ>-<first 8 hex of its sha256>.jsonl

(the UTC time of the pass's first capture; the hash keeps two collectors' names apart). Line 1
describes the pass::

    {"manifest": 1, "kind": "collect", "software": "newsvault/0.1.0 (…)", "captures": 3,
     "first_capture": "2026-12-07T08:01:02Z", "last_capture": "2026-12-07T08:01:04Z"}

then one line per capture, in the order they were made::

    {"url": …, "time": "2026-12-07T08:01:02Z", "status": 200, "ip": "203.0.113.7",
     "warc": "warc/2026/12/07/newsvault-20261207-095102-3f9a0c1e.warc.gz", "offset": 785, "length": 1040,
     "record_id": "<urn:uuid:…>", "payload_digest": "sha1:…", "content_type": "text/html",
     "files": [{"path": "articles/rfi/…md", "sha256": "…"}]}

Times are the captures' own (``WARC-Date``): nothing in a manifest says when it was written.
``files`` lists every record file written from that answer (a feed lists the articles it
brought, a page the version it gave) and every image stored from it (``media/…``).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .captures import Capture

if TYPE_CHECKING:
    from ..archive import Archive
    from .warc import WarcRecorder

__all__ = [
    "Manifest", "Entry", "write_manifest", "write_pass_manifest", "read_manifest", "manifest_paths",
    "sha256_file", "MANIFEST_DIR", "FORMAT",
]

MANIFEST_DIR = "manifests"
FORMAT = 1


@dataclass(frozen=True)
class Entry:
    """One capture line of a manifest."""

    url: str
    time: str
    status: int
    ip: str
    warc: str
    offset: int
    length: int
    record_id: str
    payload_digest: str
    content_type: str = ""
    files: list[dict[str, str]] = field(default_factory=list)  # {"path", "sha256"}

    @classmethod
    def of(cls, capture: Capture, files: list[dict[str, str]]) -> Entry:
        return cls(
            url=capture.url, time=capture.time, status=capture.status, ip=capture.ip, warc=capture.file,
            offset=capture.offset, length=capture.length, record_id=capture.record_id,
            payload_digest=capture.digest, content_type=capture.content_type, files=files,
        )

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Manifest:
    path: str  # relative to the archive root
    header: dict[str, Any]
    entries: list[Entry]
    sha256: str  # of the file's bytes


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_manifest(root: Path, kind: str, entries: list[Entry]) -> str | None:
    """Write a new manifest of ``entries`` under ``root``; its path relative to ``root``, or
    None when the pass captured nothing. Never overwrites: a name taken already (the same pass
    written twice) is left as it is."""
    from ..fetch import USER_AGENT  # the fetch package is heavy; a manifest is written once a pass

    if not entries:
        return None
    first = min(e.time for e in entries)
    header = {
        "manifest": FORMAT, "kind": kind, "software": USER_AGENT, "captures": len(entries),
        "first_capture": first, "last_capture": max(e.time for e in entries),
    }
    lines = [json.dumps(header, ensure_ascii=False)] + [json.dumps(e.as_dict(), ensure_ascii=False) for e in entries]
    data = ("\n".join(lines) + "\n").encode("utf-8")
    digest = hashlib.sha256(data).hexdigest()
    stamp = first.replace("-", "").replace(":", "")
    rel = f"{MANIFEST_DIR}/{first[:4]}/{first[5:7]}/{first[8:10]}/{kind}-{stamp}-{digest[:8]}.jsonl"
    path = Path(root) / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    try:  # O_EXCL: a manifest, once written, is never replaced
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return rel
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    return rel


def write_pass_manifest(archive: Archive, recorder: WarcRecorder | None, kind: str) -> str | None:
    """The manifest of what ``recorder`` captured during one pass of ``kind`` (``collect``,
    ``recheck``, ``save``, ``backfill``) and the files written from it; its path, or None when
    the pass wrote no file (its captures stay in the WARC; a manifest a commit would carry for
    nothing new would make every unchanged hour a commit) or capture is off. Call it once, after the pass has written
    everything (records and images); a later call for the same recorder writes only the
    captures made since.

    Record files are named by the archive listener that links versions to captures
    (:class:`.links.VersionLinks`); images by the media catalog (the stored file of a URL)."""
    if recorder is None:
        return None
    captures = recorder.captures[recorder.manifested :]
    recorder.manifested = len(recorder.captures)
    files = _record_files(recorder)
    images = _image_files(archive, [c.url for c in captures if 200 <= c.status < 300])
    entries = []
    for c in captures:
        mine = list(files.get(c.record_id, []))
        if c.url in images and 200 <= c.status < 300:
            mine.append(images[c.url])
        entries.append(Entry.of(c, mine))
    if not any(e.files for e in entries):
        return None  # a pass that wrote nothing (every feed unchanged) leaves its WARC only
    return write_manifest(archive.root, kind, entries)


def _record_files(recorder: WarcRecorder) -> dict[str, list[dict[str, str]]]:
    out: dict[str, list[dict[str, str]]] = {}
    for record_id, path, sha in recorder.written_files:
        out.setdefault(record_id, []).append({"path": path, "sha256": sha})
    return out


def _image_files(archive: Archive, urls: list[str]) -> dict[str, dict[str, str]]:
    """URL -> the image file stored from it (path relative to the archive, sha256)."""
    if not urls:
        return {}
    from ..media.store import CATALOG_NAME, MediaStore, media_dir  # sqlite and the media package: only when a pass wrote

    if not (archive.root / ".newsvault" / CATALOG_NAME).exists():
        return {}
    directory = media_dir(archive.root, archive.config.media.dir)
    out: dict[str, dict[str, str]] = {}
    with MediaStore(archive.root, directory) as store:
        for url in urls:
            row = store.get(url)
            path = store.path(row) if row is not None and row.status == "ok" else None
            if row is not None and path is not None and row.sha256 and path.is_file():
                try:
                    rel = path.relative_to(archive.root.resolve()).as_posix()
                except ValueError:
                    rel = path.as_posix()  # [media] dir outside the archive
                out[url] = {"path": rel, "sha256": row.sha256}
    return out


def read_manifest(root: Path, rel: str) -> Manifest:
    """The manifest at ``rel`` (ValueError when it is not one)."""
    data = (Path(root) / rel).read_bytes()
    lines = data.decode("utf-8").splitlines()
    if not lines:
        raise ValueError(f"{rel}: empty")
    header = json.loads(lines[0])
    if not isinstance(header, dict) or header.get("manifest") != FORMAT:
        raise ValueError(f"{rel}: not a newsvault manifest (format {FORMAT})")
    names = set(Entry.__dataclass_fields__)
    entries = [Entry(**{k: v for k, v in json.loads(line).items() if k in names}) for line in lines[1:] if line.strip()]
    return Manifest(rel, header, entries, hashlib.sha256(data).hexdigest())


def manifest_paths(root: Path) -> list[str]:
    """Every manifest under ``root``, oldest first (relative paths)."""
    base = Path(root) / MANIFEST_DIR
    if not base.is_dir():
        return []
    found: Iterable[Path] = base.rglob("*.jsonl")
    return sorted((p.relative_to(root).as_posix() for p in found), key=lambda r: (r.rsplit("/", 1)[-1].split("-", 1)[-1], r))


def iter_manifests(root: Path) -> Iterator[Manifest]:
    for rel in manifest_paths(root):
        yield read_manifest(root, rel)
