"""Recover an archive's earlier versions from its git history.

The original archivers kept one file per article and overwrote it on every edit
(``articles/<id>.md``), and deleted files outright: git holds every text they ever had. This
module reads that history and files each text as a dated sighting, exactly as an exported
history (``<unix time>.md``) would be imported:

* each blob a commit wrote under ``articles/`` is a sighting of its text at the commit's time
  (``%ct``, the committer's clock: when the text entered the repository), filed as
  ``revisions/<source>/<stem>/<commit seconds>.md`` in the folder of the article's record file,
  once per version: a sighting of the text the article already had at that time (the same
  text in a later commit, or under a second name) is not filed, a text that comes back after
  another (an edit reverted) is;
* an article whose file a commit deleted, and which has no record file left, keeps those
  revisions (it remains an article) and is marked removed from the repository, with the
  commit that removed it, in ``checks/removed.jsonl`` (kept in the archive, like check results);
* the last commit scanned is noted in ``.newsvault/githistory.json``, so the next run reads
  only newer commits. Every step is idempotent (a sighting already filed is not filed again),
  so losing that note only costs a rescan.

Git is read with two processes whatever the history's length: one ``git log --raw`` for the
paths and blob ids, one ``git cat-file --batch`` for the texts.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import record as recordfmt
from .archive import ARTICLES, Archive, record_key, write_atomic
from .encoding import decode
from .errors import ArchiveError, RecordError
from .urls import article_id

__all__ = ["HistoryReport", "recover_history", "removed_articles", "REMOVED_FILE", "STATE_FILE"]

STATE_FILE = "githistory.json"  # in .newsvault/: the last commit scanned
REMOVED_FILE = "checks/removed.jsonl"  # articles whose files the repository deleted
_BLOB_CHUNK = 500
_EMPTY = "0" * 40


@dataclass
class HistoryReport:
    commits: int = 0  # commits scanned this time
    blobs: int = 0  # texts read from git
    revisions: int = 0  # sightings that gave an article another version
    sightings: int = 0  # sightings filed (revisions, and texts the archive held undated)
    removed: int = 0  # articles newly marked removed from the repository
    notes: list[str] = field(default_factory=list)  # said once: a shallow clone, ...
    warnings: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class _Change:
    commit: str
    when: int  # epoch ms of the commit
    status: str  # A, M, D, T
    old: str  # blob ids
    new: str
    path: str  # relative to the archive root


def _git(root: Path, *args: str, data: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
    try:
        return subprocess.run(["git", "-C", str(root), *args], input=data, capture_output=True, env=env, check=False)
    except FileNotFoundError:
        raise ArchiveError("git is not installed; the repository's history cannot be read") from None


def _git_error(proc: subprocess.CompletedProcess[bytes]) -> str:
    lines = [ln.strip() for ln in proc.stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
    return lines[0] if lines else f"git exited with {proc.returncode}"


def is_repository(root: Path) -> bool:
    """Whether ``root`` is inside a git work tree that has at least one commit."""
    return _git(root, "rev-parse", "--verify", "-q", "HEAD").returncode == 0


def _changes(root: Path, since: str | None) -> tuple[list[_Change], str, int]:
    """Changes under articles/ in commits after ``since`` (oldest first), HEAD, commits seen."""
    head = _git(root, "rev-parse", "HEAD")
    if head.returncode != 0:
        raise ArchiveError(f"cannot read the git history of {root}: {_git_error(head)}")
    head_id = head.stdout.decode().strip()
    span = [f"{since}..{head_id}"] if since else [head_id]
    proc = _git(
        root, "-c", "core.quotePath=false", "log", "--reverse", "--no-renames", "--raw", "--no-abbrev", "-z",
        "--relative", "--format=%x01%H %ct", *span, "--", ARTICLES,
    )
    if proc.returncode != 0:
        raise ArchiveError(
            f"cannot read the git history of {root}: {_git_error(proc)}; nothing was changed "
            "('git fsck' names the damaged objects; a fresh clone repairs them)"
        )
    changes: list[_Change] = []
    commits = 0
    for chunk in proc.stdout.split(b"\x01")[1:]:
        header, _, rest = chunk.partition(b"\0")
        commit, _, stamp = header.decode().partition(" ")
        commits += 1
        tokens = rest.split(b"\0")
        for meta, path in zip(tokens[0::2], tokens[1::2], strict=False):
            fields = meta.strip().decode().split()
            if len(fields) < 5 or not fields[0].startswith(":"):
                continue
            name = path.decode("utf-8", "surrogateescape")
            if not name.endswith(".md"):
                continue
            changes.append(_Change(commit, int(stamp) * 1000, fields[4][:1], fields[2], fields[3], name))
    return changes, head_id, commits


def _blobs(root: Path, ids: list[str], report: HistoryReport) -> Iterator[tuple[str, bytes]]:
    """(blob id, bytes) of each readable blob; a missing or corrupt one is skipped with a warning
    (``git cat-file`` stops at a corrupt object: the rest is asked for again)."""
    pending = list(dict.fromkeys(ids))
    while pending:
        chunk, pending = pending[:_BLOB_CHUNK], pending[_BLOB_CHUNK:]
        proc = _git(root, "cat-file", "--batch", data="".join(f"{i}\n" for i in chunk).encode())
        out = proc.stdout
        pos = 0
        done = 0
        for blob in chunk:
            end = out.find(b"\n", pos)
            if end < 0:
                break
            head = out[pos:end].split()
            if len(head) == 2 and head[1] == b"missing":
                report.warnings.append({"path": blob, "reason": "git object missing or damaged (see 'git fsck'); that text could not be recovered"})
                pos, done = end + 1, done + 1
                continue
            if len(head) != 3:
                break
            size = int(head[2])
            if end + 1 + size > len(out):
                break  # cut short: the process died on this object
            yield blob, out[end + 1 : end + 1 + size]
            pos, done = end + 2 + size, done + 1
        if done < len(chunk):
            bad = chunk[done]
            report.warnings.append({"path": bad, "reason": f"git object unreadable ({_git_error(proc)}; see 'git fsck'); that text could not be recovered"})
            pending = chunk[done + 1 :] + pending


def removed_articles(root: Path) -> dict[str, dict[str, Any]]:
    """Article id → the latest note that the repository deleted its record file
    (``{"id", "path", "commit", "removed"}``, ``removed`` the commit's time in epoch ms)."""
    path = root / REMOVED_FILE
    found: dict[str, dict[str, Any]] = {}
    if not path.is_file():
        return found
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            note = json.loads(line)
        except ValueError:
            continue  # a line torn by a crash
        if isinstance(note, dict) and isinstance(note.get("id"), str) and note.get("removed", 0) >= found.get(note["id"], {}).get("removed", -1):
            found[note["id"]] = note
    return found


def _append_removed(root: Path, notes: list[dict[str, Any]]) -> None:
    path = root / REMOVED_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "ab") as f:
        f.write("".join(json.dumps(n, ensure_ascii=False, sort_keys=True) + "\n" for n in notes).encode("utf-8"))
        f.flush()
        os.fsync(f.fileno())


def _load_state(archive: Archive) -> dict[str, Any]:
    try:
        state = json.loads((archive.state_dir / STATE_FILE).read_text())
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}


def recover_history(
    archive: Archive,
    repo: Path | None = None,
    *,
    source_for: Callable[[str, recordfmt.Record], str] | None = None,
    incremental: bool = True,
) -> HistoryReport:
    """File every text the git history of ``repo`` (default: the archive itself) holds under
    ``articles/`` as a sighting dated by its commit; mark articles whose files were deleted.

    ``source_for(path, record)`` names the source of a text found at ``path`` (relative to
    ``repo``); by default the archive's own rule for that path. With ``incremental`` (opening
    an archive in place) only commits after the last one scanned are read, and that commit is
    noted; an import of another repository reads all of it."""
    root = (repo or archive.root).resolve()
    report = HistoryReport()
    if not is_repository(root):
        return report
    in_place = root == archive.root
    state = _load_state(archive) if in_place and incremental else {}
    since = state.get("scanned") if isinstance(state.get("scanned"), str) else None
    if since and _git(root, "cat-file", "-e", f"{since}^{{commit}}").returncode != 0:
        since = None  # history rewritten (or the noted commit gone): read it all again, harmlessly
    if _git(root, "rev-parse", "--is-shallow-repository").stdout.strip() == b"true" and not state.get("shallow_noted"):
        report.notes.append(
            f"{root} is a shallow clone: versions older than its first commit are not in it; "
            "kept what the tree has ('git fetch --unshallow' and running this again recovers them)"
        )
        state["shallow_noted"] = True
    changes, head, report.commits = _changes(root, since)
    source_of = source_for or (lambda rel, rec: archive.source_of(rel))
    wanted = [c.new for c in changes if c.status != "D" and c.new != _EMPTY]
    wanted += [c.old for c in changes if c.status == "D" and c.old != _EMPTY]
    texts: dict[str, recordfmt.Record] = {}
    raws: dict[str, bytes] = {}
    for blob, data in _blobs(root, wanted, report):
        report.blobs += 1
        try:
            text, encoding = decode(data)
            texts[blob] = recordfmt.parse(text, name="record.md")
        except RecordError as e:
            report.warnings.append({"path": blob, "reason": f"not a record ({e}); left in git"})
            continue
        raws[blob] = data if encoding == "utf-8" and not data.startswith(b"\xef\xbb\xbf") else text.encode("utf-8")
    removals: dict[str, _Change] = {}  # article id -> the commit that deleted its (last) file
    damaged = any("unreadable" in w["reason"] or "missing" in w["reason"] for w in report.warnings)
    with archive.batch():
        for c in changes:
            blob = c.old if c.status == "D" else c.new
            rec = texts.get(blob)
            if rec is None:
                continue
            source = source_of(c.path, rec)
            if c.status == "D":
                removals[article_id(record_key(rec, source))] = c
                continue
            stem = c.path.rsplit("/", 1)[-1].removesuffix(".md")
            result = archive.add_sighting(rec, source, raw=raws[blob], seen=c.when, stem=stem)
            report.sightings += result.path is not None
            report.revisions += result.status in ("revision", "new")
    noted = removed_articles(archive.root)
    fresh = []
    for aid, c in removals.items():
        if aid in noted and noted[aid].get("commit") == c.commit:
            continue
        if any(v.path.startswith(ARTICLES + "/") and (archive.root / v.path).is_file() for v in archive.catalog.files(aid)):
            continue  # renamed, or written again: still in the repository
        fresh.append({"id": aid, "path": c.path, "commit": c.commit, "removed": c.when})
    if fresh:
        _append_removed(archive.root, fresh)
        report.removed = len(fresh)
    if in_place and not damaged:
        state["scanned"] = head
    if in_place:
        archive.state_dir.mkdir(exist_ok=True)
        write_atomic(archive.state_dir / STATE_FILE, json.dumps(state, sort_keys=True) + "\n")
    return report
