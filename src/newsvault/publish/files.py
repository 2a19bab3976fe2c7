"""The files ``newsvault save`` kept (a PDF, an image: ``files/<site>/<sha256>.<ext>``, see
:mod:`newsvault.save.files`) in the static site.

The site gets a copy of each at the same path, so that a mirror read offline still has the
document; its article page links the copy beside the original URL. A kept file is named by
its checksum, so the name is its identity: a copy already in the site is never written again,
and a rebuild copies only the new ones.
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Callable
from pathlib import Path

__all__ = ["kept_files", "copy_kept_files", "link_kept_files"]

FILES = "files"  # (newsvault.save.files.FILES: publishing does not import the save package)
_NAME = re.compile(r"[0-9a-f]{64}\.[a-z0-9]{2,5}")
_SITE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
# How a kept file's record names it (save.files.file_body): the path in a <code> element.
_NAMED = re.compile(r"<code>(files/[A-Za-z0-9][A-Za-z0-9._-]*/[0-9a-f]{64}\.[a-z0-9]{2,5})</code>")

Put = Callable[[str, str, Callable[[], bytes]], None]  # (site path, hash of its inputs, its bytes)


def kept_files(root: Path) -> list[tuple[str, int]]:
    """(path, size) of every kept file in the archive at ``root``: regular files only, named as
    ``save`` names them (a symbolic link, or anything else put there by hand, is not published)."""
    out: list[tuple[str, int]] = []
    try:
        sites = sorted(os.scandir(root / FILES), key=lambda e: e.name)
    except (FileNotFoundError, NotADirectoryError):
        return out
    for site in sites:
        if not site.is_dir(follow_symlinks=False) or not _SITE.fullmatch(site.name):
            continue
        for entry in sorted(os.scandir(site.path), key=lambda e: e.name):
            if entry.is_file(follow_symlinks=False) and _NAME.fullmatch(entry.name):
                out.append((f"{FILES}/{site.name}/{entry.name}", entry.stat(follow_symlinks=False).st_size))
    return out


def copy_kept_files(root: Path, put: Put) -> None:
    """Hand every kept file to the site build's ``put`` (which writes a path only when its
    hash changed, and keeps it from being pruned): the hash is the file's name and size."""
    for rel, size in kept_files(root):
        put(rel, f"kept {rel} {size}", lambda rel=rel: (root / rel).read_bytes())  # type: ignore[misc]


def link_kept_files(body: str, root: Path, prefix: str | None) -> str:
    """``body`` (an article page's published HTML) with each kept file it names linked to the
    site's copy (``prefix``: from the page to the site's root; None: no copies, as on the
    reader server). Only files the archive holds are linked."""
    if prefix is None or "<code>files/" not in body:
        return body

    def link(m: re.Match[str]) -> str:
        rel = m.group(1)
        if not os.path.isfile(root / rel) or os.path.islink(root / rel):
            return m.group(0)
        return f'<a href="{html.escape(prefix + rel)}">{m.group(0)}</a>'

    return _NAMED.sub(link, body)
