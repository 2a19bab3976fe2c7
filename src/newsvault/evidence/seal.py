"""The end of a pass, for its evidence: write the pass's manifest, then ask for the tokens
that are due (this manifest's and any a failing authority left without one)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .manifest import manifest_paths, write_pass_manifest
from .timestamp import StampReport, stamp_pending, token_path

if TYPE_CHECKING:
    from ..archive import Archive
    from .warc import WarcRecorder

__all__ = ["seal_pass", "evidence_files"]


def seal_pass(archive: Archive, recorder: WarcRecorder | None, kind: str) -> tuple[str | None, StampReport]:
    """Write the manifest of ``recorder``'s pass (``kind``: collect, recheck, save, backfill) and
    stamp what is due; the manifest's path (None when nothing was captured) and what the
    time-stamp authorities answered. Never raises for a TSA: see :mod:`.timestamp`."""
    manifest = write_pass_manifest(archive, recorder, kind)
    return manifest, stamp_pending(archive)


def evidence_files(archive: Archive) -> list[str]:
    """Every manifest and token on disk (relative paths): what a commit of the archive carries
    along, so a manifest of a pass that committed nothing goes with the next commit."""
    root = archive.root
    out = []
    for rel in manifest_paths(root):
        out.append(rel)
        if (root / token_path(rel)).exists():
            out.append(token_path(rel))
    return out
