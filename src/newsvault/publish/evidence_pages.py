"""The site's "verify this copy" pages: for each article a pass's manifest lists, what a reader
needs to check the copy without trusting the site.

``verify/<id[:2]>/<id>.html`` shows, for each version file a manifest lists, the file's sha256
(computed from the file at build time, beside the one the manifest lists), the manifest line
itself with the capture it names (URL, time, status, address, WARC file and offset, payload
digest), and the commands (``sha256sum``, ``openssl ts -verify``, ``newsvault verify``,
``warcio``). The files those commands read are published beside it under ``evidence/``, at the
same paths as in the archive (the record file, the manifest, its ``.tsr`` token), so they run
as printed in a folder of downloaded files or in a clone of the archive. WARC files are not
published: they are the collector's own (docs/evidence.md).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..evidence.manifest import Entry, manifest_paths
from ..evidence.timestamp import token_claim, token_path

if TYPE_CHECKING:
    from ..archive import Archive

__all__ = ["Listing", "listings", "EVIDENCE_DIR"]

EVIDENCE_DIR = "evidence"  # on the site: copies of the files the commands check
_RECORD_DIRS = ("articles/", "revisions/")


@dataclass(frozen=True)
class Listing:
    """One manifest line that lists one version file of an article."""

    path: str  # the record file, relative to the archive
    rev: int
    listed: str  # the sha256 the manifest lists for it
    manifest: str  # the manifest, relative to the archive
    manifest_sha256: str
    token: str | None  # its .tsr, when one is stored
    line: str  # the manifest line, exactly as in the file
    entry: Entry

    def key(self) -> tuple[Any, ...]:
        return (self.path, self.rev, self.listed, self.manifest, self.manifest_sha256, self.token)


def listings(archive: Archive) -> dict[str, list[Listing]]:
    """Article id -> every manifest line that lists one of its version files (oldest version
    first). Images and files no longer in the catalog are left out; a manifest that cannot be
    read is skipped (``newsvault verify`` reports it)."""
    root = archive.root
    catalog = archive.catalog
    names = set(Entry.__dataclass_fields__)
    out: dict[str, list[Listing]] = {}
    for rel in manifest_paths(root):
        try:
            data = (root / rel).read_bytes()
            lines = data.decode("utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            continue
        sha = hashlib.sha256(data).hexdigest()
        token = token_path(rel) if (root / token_path(rel)).is_file() else None
        for line in lines[1:]:
            try:
                fields = json.loads(line)
                entry = Entry(**{k: v for k, v in fields.items() if k in names})
            except (ValueError, TypeError):
                continue
            for f in entry.files:
                path = str(f.get("path", ""))
                if not path.startswith(_RECORD_DIRS):
                    continue
                version = catalog.version_at(path)
                if version is None:
                    continue
                out.setdefault(version.article_id, []).append(
                    Listing(path, version.rev, str(f.get("sha256", "")), rel, sha, token, line, entry))
    for found in out.values():
        found.sort(key=lambda x: (x.rev, x.manifest))
    return out


def file_state(root: Path, rel: str) -> tuple[int, int] | None:
    """(size, mtime) of a file, for a page's input hash; None when it is missing."""
    try:
        st = (root / rel).stat()
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


def sha256_of(root: Path, rel: str) -> str | None:
    try:
        return hashlib.sha256((root / rel).read_bytes()).hexdigest()
    except OSError:
        return None


def rows(archive: Archive, found: list[Listing]) -> list[dict[str, Any]]:
    """What the page shows for each listing (the file's sha256 computed now)."""
    out = []
    for x in found:
        actual = sha256_of(archive.root, x.path)
        claim = _claim(archive.root, x.manifest, x.token) if x.token else None
        out.append({"x": x, "e": x.entry, "actual": actual, "matches": actual == x.listed,
                    "time": x.entry.time.replace("T", " ").rstrip("Z"), "claim": claim})
    return out


def _claim(root: Path, manifest: str, token: str) -> dict[str, Any] | None:
    """Who the token says stamped the manifest, and when (read, not verified: the page says how)."""
    try:
        said = token_claim((root / token).read_bytes(), (root / manifest).read_bytes())
    except OSError:
        return None
    if said is None:
        return None
    by, when, for_manifest = said
    return {"by": by, "when": when, "for_manifest": for_manifest}
