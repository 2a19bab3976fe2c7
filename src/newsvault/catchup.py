"""Catching the derived data up with the tree: what git and the work tree hold now.

The catalog and the search index are derived from the record files, and the files change
behind newsvault's back: ``git pull``, ``checkout``, ``merge`` or ``reset`` move HEAD, and a
person edits or deletes a file by hand. Every command that opens the archive first calls
:func:`catch_up`, which costs about one ``git status`` when nothing changed:

* committed changes: ``.newsvault/catalog-head`` notes the commit the catalog reflects;
  ``git diff --name-status NOTED HEAD`` names the record files to look at again;
* uncommitted changes: ``git status`` of ``articles/`` and ``revisions/`` names the files that
  differ from HEAD (edited, deleted, new). Each is looked at once: ``.newsvault/worktree.json``
  keeps the (status, mtime, size) it had when it was, so an unchanged one costs a ``stat``.

What changed is handed to :meth:`Archive.refresh_paths`, which tells the listeners (the search
index). A read-only archive is answered from what its catalog holds, with one warning.
Outside git nothing can be known cheaply: ``newsvault reindex`` rebuilds after hand changes.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .archive import ARTICLES, REVISIONS, write_atomic
from .errors import RecordError

if TYPE_CHECKING:
    from .archive import Archive

__all__ = ["CatchUp", "catch_up", "mark_head", "work_tree_changes", "HEAD_FILE", "WORKTREE_FILE"]

HEAD_FILE = "catalog-head"
WORKTREE_FILE = "worktree.json"
_RECORD_DIRS = (ARTICLES + "/", REVISIONS + "/")

Stamp = tuple[str, int, int]  # git status letter, mtime_ns, size (0, 0 for a deleted file)


@dataclass
class CatchUp:
    head: str | None = None  # HEAD's commit (None: not a git repository, or no commit yet)
    committed: list[str] = field(default_factory=list)  # record paths changed between noted and HEAD
    uncommitted: list[str] = field(default_factory=list)  # record paths the work tree holds unlike the catalog
    rebuilt: bool = False  # the catalog's commit was unknown: rebuilt from the files
    stale: bool = False  # changes were found but the catalog cannot be written
    seconds: float = 0.0


def _run(root: str, *args: str) -> subprocess.CompletedProcess[bytes] | None:
    try:
        return subprocess.run(["git", "-C", root, *args], capture_output=True, timeout=120)
    except (OSError, subprocess.SubprocessError):
        return None


def work_tree_changes(root: str) -> tuple[str | None, dict[str, str]] | None:
    """HEAD's commit and {record path: status letter} of the record files that differ from it
    (M edited, D deleted, A/? new), from one ``git status``; None outside a git work tree."""
    done = _run(root, "--no-optional-locks", "-c", "core.quotePath=false", "status", "--porcelain=v2", "--branch", "-z",
                "--untracked-files=all", "--no-renames", "--", ARTICLES, REVISIONS)
    if done is None or done.returncode != 0:
        return None
    strip = ""
    if not os.path.exists(os.path.join(root, ".git")):  # a folder inside a repository (rare: a second call)
        prefix = _run(root, "rev-parse", "--show-prefix")
        strip = prefix.stdout.decode("utf-8", "surrogateescape").strip() if prefix is not None and prefix.returncode == 0 else ""
    head: str | None = None
    changes: dict[str, str] = {}
    for entry in done.stdout.decode("utf-8", "surrogateescape").split("\0"):
        if entry.startswith("# branch.oid "):
            oid = entry.removeprefix("# branch.oid ").strip()
            head = None if oid == "(initial)" else oid
        elif entry.startswith("1 "):  # 1 XY sub mH mI mW hH hI path
            fields = entry.split(" ", 8)
            xy, path = fields[1], fields[8]
            changes[path] = "D" if "D" in xy else "A" if "A" in xy else "M"
        elif entry.startswith("? "):
            changes[entry[2:]] = "?"
        elif entry.startswith("u "):  # an unmerged file: whatever the work tree holds
            changes[entry.split(" ", 10)[10]] = "M"
    # git names paths from the repository's top; the archive may be a folder inside it
    return head, {p.removeprefix(strip): s for p, s in changes.items() if p.startswith(strip) and p.removeprefix(strip).startswith(_RECORD_DIRS)}


def _committed(root: str, old: str, head: str) -> list[str] | None:
    """Record paths that differ between commits ``old`` and ``head``; None if ``old`` is unknown."""
    done = _run(root, "-c", "core.quotePath=false", "diff", "--name-status", "--no-renames", "-z", "--relative",
                old, head, "--", ARTICLES, REVISIONS)
    if done is None or done.returncode != 0:
        return None
    parts = done.stdout.decode("utf-8", "surrogateescape").split("\0")
    return [parts[i + 1] for i in range(0, len(parts) - 1, 2)]


def _stamp(path: str, status: str) -> Stamp:
    try:
        st = os.stat(path)
    except OSError:
        return (status, 0, 0)
    return (status, st.st_mtime_ns, st.st_size)


def _stamps(root: str, changes: dict[str, str], before: dict[str, Stamp]) -> dict[str, Stamp]:
    now = {p: _stamp(os.path.join(root, p), s) for p, s in changes.items()}
    for p, s in now.items():
        if p in before and before[p][0] == s[0].lower() and before[p][1:] == s[1:]:
            now[p] = before[p]  # accepted by a repair, unchanged since
    return now


def _unlike_catalog(archive: Archive, rels: list[str]) -> list[str]:
    """Those of ``rels`` the catalog does not hold as they are: the records an import or a
    collect without ``--commit`` wrote are new to git but not to the catalog (hashing a file
    costs far less than reading it as a record again)."""
    out = []
    for rel in rels:
        held = archive.catalog.version_at(rel)
        try:
            data = archive.read_bytes(rel)  # never follows a link out of the archive
        except RecordError:
            out.append(rel)  # a link or special file: refresh_paths leaves it to fsck
            continue
        except OSError:
            if held is not None:
                out.append(rel)  # deleted
            continue
        if held is None or held.file_hash != hashlib.sha256(data).hexdigest():
            out.append(rel)
    return out


def _load_worktree(archive: Archive) -> dict[str, Stamp]:
    try:
        data = json.loads((archive.state_dir / WORKTREE_FILE).read_text(encoding="utf-8"))
        return {p: (str(s[0]), int(s[1]), int(s[2])) for p, s in data.items()}
    except (OSError, ValueError, TypeError, IndexError, AttributeError):
        return {}


def read_head(archive: Archive) -> str:
    try:
        return (archive.state_dir / HEAD_FILE).read_text().strip()
    except OSError:
        return ""


def mark_head(archive: Archive, head: str | None) -> None:
    """Note that the catalog reflects commit ``head``."""
    if head:
        write_atomic(archive.state_dir / HEAD_FILE, head + "\n")


def hand_changes(archive: Archive) -> dict[str, str]:
    """Committed record files that a person edited (M) or deleted (D) in the work tree and that
    a catch-up already took into the catalog (fsck reports them: records are never rewritten).
    Ones that ``fsck --repair`` accepted are noted in lower case and left out."""
    return {p: s[0] for p, s in _load_worktree(archive).items() if s[0] in ("M", "D")}


def accept_hand_changes(archive: Archive, paths: list[str]) -> None:
    """Note that ``fsck --repair`` took these hand changes as the archive's new truth."""
    noted = _load_worktree(archive)
    for p in paths:
        if p in noted:
            noted[p] = (noted[p][0].lower(), noted[p][1], noted[p][2])
    write_atomic(archive.state_dir / WORKTREE_FILE, json.dumps(noted, ensure_ascii=False, sort_keys=True))


def catch_up(archive: Archive, *, fresh: bool = False, work_tree: bool = True, warn: Callable[[str], None] | None = None) -> CatchUp:
    """Bring the catalog (and through its listeners the search index) up to git's HEAD and the
    work tree. ``fresh``: the catalog was just built from the files (only the marks are noted).
    ``work_tree``: false leaves uncommitted changes alone (fsck reports them rather than take
    them in). ``warn`` hears, once, that changes were found which a read-only catalog cannot take."""
    started = time.perf_counter()
    result = CatchUp()
    root = str(archive.root)
    status = work_tree_changes(root)
    if status is None:
        return result
    head, changes = status
    result.head = head
    catalog = archive.catalog
    noted = read_head(archive)
    if head and noted != head and not fresh:
        committed = _committed(root, noted, head) if noted else None
        if committed is None and not work_tree:
            return result  # fsck: a rebuild would hide what it is there to find; it reports the differences
        if committed is None:
            result.rebuilt = True  # a catalog of unknown age: only a rebuild is sure
        else:
            result.committed = committed
    before = _load_worktree(archive)
    now = _stamps(root, changes, before)
    if not work_tree:
        now = before
    elif not fresh:
        # a file that changed since it was last looked at, or that is back to HEAD's text
        looked = sorted({p for p, s in now.items() if before.get(p) != s} | (before.keys() - now.keys()))
        result.uncommitted = _unlike_catalog(archive, looked)
    if not (result.rebuilt or result.committed or result.uncommitted) and noted == (head or noted) and before == now:
        result.seconds = time.perf_counter() - started
        return result
    if catalog.read_only:
        result.stale = bool(result.rebuilt or result.committed or result.uncommitted)
        if result.stale and warn is not None:
            warn("the archive's files changed, but its catalog cannot be updated (read-only); answers come from what it holds")
        result.seconds = time.perf_counter() - started
        return result
    if result.rebuilt:
        archive.reindex()
    elif result.committed or result.uncommitted:
        archive.refresh_paths(sorted(set(result.committed) | set(result.uncommitted)))
    try:
        mark_head(archive, head)
        if now or before:
            write_atomic(archive.state_dir / WORKTREE_FILE, json.dumps(now, ensure_ascii=False, sort_keys=True))
    except OSError as e:  # the catalog took the changes; the next open looks at them again
        if warn is not None:
            warn(f"cannot note what the catalog reflects ({e.strerror or e})")
    result.seconds = time.perf_counter() - started
    return result
