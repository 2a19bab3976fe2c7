"""Committing and pushing what a pass wrote: one commit per pass, only the files it wrote.

Many collectors may push to one archive. Record files never conflict by construction (names
come from the content: publication time and article id; revisions from the second they were
seen), and everything else a pass commits (lists, README block) is derived. So a rejected push
is never merged by hand: :func:`replay_onto` moves the branch onto the remote's commit, adds
this pass's records again through the archive's revision rule (the same text seen by two
collectors is one version; a different text becomes a revision), regenerates the derived files
and makes one new commit. Pushes are bounded (:data:`PUSH_TRIES`) and every remote is tried
even when one fails."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..catalog.timeline import when_seen
from ..errors import NewsvaultError

if TYPE_CHECKING:
    from ..archive import Archive

__all__ = ["GitError", "PushResult", "check_repo", "commit_paths", "init_repo", "push", "push_all", "pick_remotes", "replay_onto", "PUSH_TRIES"]

PUSH_TRIES = 3
RECORD_DIRS = ("articles/", "revisions/")


class GitError(NewsvaultError):
    """A git command failed (the message carries git's own words)."""


def _git(root: Path, *args: str, input: bytes | None = None) -> str:
    try:
        done = subprocess.run(["git", "-C", str(root), *args], input=input, capture_output=True, timeout=600)
    except FileNotFoundError:
        raise GitError("git is not installed (needed for --commit/--push)") from None
    except subprocess.TimeoutExpired:
        raise GitError(f"git {args[0]} took more than 10 minutes") from None
    if done.returncode != 0:
        err = (done.stderr.decode("utf-8", "replace").strip() or done.stdout.decode("utf-8", "replace").strip()).splitlines()
        # git's own verdict ("fatal: …", "error: …") says more than the hints printed after it
        verdict = next((line for line in err if line.startswith(("fatal:", "error:"))), err[-1] if err else f"exit {done.returncode}")
        raise GitError(f"git {args[0]} failed: {verdict}")
    return done.stdout.decode("utf-8", "replace").strip()


def init_repo(root: Path) -> None:
    """Make ``root`` a git repository (nothing happens when it is inside one already)."""
    try:
        inside = _git(root, "rev-parse", "--is-inside-work-tree")
    except GitError:
        inside = ""
    if inside != "true":
        _git(root, "init", "-q")


def check_repo(root: Path) -> None:
    """Fail early (before fetching anything) when ``root`` is not inside a git work tree."""
    try:
        inside = _git(root, "rev-parse", "--is-inside-work-tree")
    except GitError:
        inside = ""
    if inside != "true":
        raise GitError(f"{root} is not a git repository; run 'git init' there or drop --commit")


def commit_paths(root: Path, paths: list[str], message: str) -> str | None:
    """Commit exactly ``paths`` (relative to ``root``); return the commit id, None if no change."""
    if not paths:
        return None
    spec = b"\0".join(p.encode("utf-8") for p in paths)
    _git(root, "add", "--pathspec-from-file=-", "--pathspec-file-nul", "--", input=spec)
    staged = subprocess.run(
        ["git", "-C", str(root), "diff", "--cached", "--quiet", "--pathspec-from-file=-", "--pathspec-file-nul"],
        input=spec,
        capture_output=True,
    )
    if staged.returncode == 0:
        return None
    _git(root, "commit", "-q", "-m", message, "--pathspec-from-file=-", "--pathspec-file-nul", input=spec)
    return _git(root, "rev-parse", "HEAD")


def push(root: Path) -> None:
    _git(root, "push", "-q")


@dataclass
class PushResult:
    remote: str
    ok: bool
    detail: str  # "pushed", "up to date", "pushed after 1 replay", or why it failed


def pick_remotes(root: Path, configured: list[str] | None) -> list[str]:
    """The remotes to push to: ``[git] remotes`` in order, else every remote git knows."""
    known = _git(root, "remote").split()
    if configured is None:
        if not known:
            raise GitError("this repository has no remote to push to; add one with 'git remote add origin URL'")
        return known
    missing = [r for r in configured if r not in known]
    if missing:
        raise GitError(f"newsvault.toml [git] remotes names {', '.join(missing)}, which git does not know (known: {', '.join(known) or 'none'})")
    return list(configured)


def _branch(root: Path) -> str:
    try:
        return _git(root, "symbolic-ref", "--short", "-q", "HEAD")
    except GitError:
        raise GitError("HEAD is detached; check out a branch before pushing") from None


def _rejected(err: str) -> bool:
    """git's words for "the remote has commits you do not have" (as opposed to an unreachable remote)."""
    return any(w in err for w in ("[rejected]", "non-fast-forward", "fetch first", "stale info", "[remote rejected]"))


def _try_push(root: Path, remote: str, branch: str) -> tuple[bool, str]:
    try:
        done = subprocess.run(
            ["git", "-C", str(root), "push", "--porcelain", remote, f"HEAD:refs/heads/{branch}"], capture_output=True, timeout=600
        )
    except subprocess.TimeoutExpired:
        return False, f"error: git push to {remote} took more than 10 minutes"
    text = done.stdout.decode("utf-8", "replace") + done.stderr.decode("utf-8", "replace")
    return done.returncode == 0, text


def _first_error(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return next((ln for ln in lines if ln.startswith(("fatal:", "error:"))), lines[-1] if lines else "unknown error")


def push_all(
    root: Path,
    remotes: list[str],
    replay: Callable[[str], None],
    tries: int = PUSH_TRIES,
) -> list[PushResult]:
    """Push HEAD's branch to each remote. A rejected push fetches the remote's branch and calls
    ``replay(ref)`` (which must leave HEAD a descendant of ``ref``), then tries again, at most
    ``tries`` times. A remote that fails does not stop the others."""
    branch = _branch(root)
    results = []
    for remote in remotes:
        try:
            results.append(_push_one(root, remote, branch, replay, tries))
        except GitError as e:
            results.append(PushResult(remote, False, str(e)))
    return results


def _push_one(root: Path, remote: str, branch: str, replay: Callable[[str], None], tries: int) -> PushResult:
    for replays in range(tries):
        ok, text = _try_push(root, remote, branch)
        if ok:
            return PushResult(remote, True, "pushed" if not replays else f"pushed after {replays} replay{'s' if replays > 1 else ''}")
        if not _rejected(text):
            return PushResult(remote, False, _first_error(text))
        ref = f"refs/newsvault/{remote}/{branch}"
        _git(root, "fetch", "-q", remote, f"+refs/heads/{branch}:{ref}")
        if _is_ancestor(root, "HEAD", ref):
            return PushResult(remote, True, "up to date")  # another collector pushed a descendant
        replay(ref)
    return PushResult(remote, False, f"still rejected after {tries} tries (others keep pushing); the next pass will try again")


def _is_ancestor(root: Path, a: str, b: str) -> bool:
    done = subprocess.run(["git", "-C", str(root), "merge-base", "--is-ancestor", a, b], capture_output=True)
    return done.returncode == 0


def _changed(root: Path, a: str, b: str) -> list[tuple[str, str]]:
    """(status letter, path) of every file that differs between commits ``a`` and ``b``."""
    out = subprocess.run(
        ["git", "-C", str(root), "diff", "--name-status", "--no-renames", "-z", a, b], capture_output=True, check=False
    ).stdout.decode("utf-8", "surrogateescape")
    parts = out.split("\0")
    return [(parts[i][:1], parts[i + 1]) for i in range(0, len(parts) - 1, 2)]


def replay_onto(archive: Archive, ref: str, regenerate: Callable[[set[str]], list[str]]) -> str:
    """Move the branch onto ``ref`` and re-add the records of the commits it does not have.

    ``regenerate(sources)`` rewrites the derived files for those sources and returns the paths
    it wrote. Returns the new commit id (HEAD is ``ref`` itself when nothing is left to add).
    Needs no common history beyond ``ref``'s parent, so it works in a shallow clone."""
    from ..archive import write_atomic

    root = archive.root
    message = _git(root, "log", "-1", "--format=%B", "HEAD")
    seen_ms = int(_git(root, "log", "-1", "--format=%ct", "HEAD")) * 1000
    added = _git(root, "-c", "core.quotePath=false", "log", "--diff-filter=A", "--no-renames", "--name-only", "--format=", "HEAD", "--not", ref)
    ours = []
    for rel in sorted(set(added.splitlines())):
        if rel.startswith(RECORD_DIRS) and (root / rel).is_file():  # a file added, then dropped, is gone
            ours.append((rel, archive.read_bytes(rel)))
    # The millisecond this collector saw each of its revisions (the name keeps the second only;
    # the catalog holds a revision's millisecond only within the second its name says)
    known = {
        rel: v.evidence
        for rel, _data in ours
        if rel.startswith("revisions/") and (v := archive.catalog.version_at(rel)) is not None and v.evidence is not None
    }
    # a pass's evidence manifests and tokens are new files of their own: kept as they are
    evidence = [(rel, (root / rel).read_bytes()) for rel in sorted(set(added.splitlines())) if rel.startswith("manifests/") and (root / rel).is_file()]
    moved = [p for _st, p in _changed(root, "HEAD", ref)]
    kept = _files_the_remote_never_had(root, ref)
    # --keep refuses to touch files with uncommitted edits: a person's work is never thrown away.
    _git(root, "reset", "-q", "--keep", ref)
    for rel, data in kept:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    archive.refresh_paths(moved)
    written, sources, touched = _re_add(archive, ours, seen_ms, known)
    written += [rel for rel, _data in kept]
    written += drop_repeats(archive, touched, set(written))
    written += regenerate(sources)
    for rel, data in evidence:
        write_atomic(root / rel, data)
        written.append(rel)
    sha = commit_paths(root, sorted(set(written)), message)
    mark_catalog(archive)
    return sha or _git(root, "rev-parse", "HEAD")


def _files_the_remote_never_had(root: Path, ref: str) -> list[tuple[str, bytes]]:
    """The tracked files of HEAD, other than records (re-added by the revision rule), that no
    commit of ``ref`` ever had, with their bytes: an archive's newsvault.toml and .gitignore when
    the remote began with a commit of its own (a hosting site's "initialize with a README").
    The reset onto ``ref`` would delete them; a file the remote had and removed stays removed."""
    ours = set(_git(root, "-c", "core.quotePath=false", "ls-tree", "-r", "--name-only", "HEAD").splitlines())
    theirs = set(_git(root, "-c", "core.quotePath=false", "ls-tree", "-r", "--name-only", ref).splitlines())
    kept = []
    for rel in sorted(ours - theirs):
        if rel.startswith(RECORD_DIRS) or _git(root, "log", "-1", "--format=%H", ref, "--", rel):
            continue
        blob = subprocess.run(["git", "-C", str(root), "cat-file", "blob", f"HEAD:{rel}"], capture_output=True, check=False)
        if blob.returncode == 0:
            kept.append((rel, blob.stdout))
    return kept


HEAD_FILE = "catalog-head"


def mark_catalog(archive: Archive) -> None:
    """Note the commit (and work tree) the catalog now reflects (see :mod:`newsvault.catchup`)."""
    from ..catchup import catch_up

    catch_up(archive, fresh=True)


def sync_catalog(archive: Archive, fresh: bool) -> int:
    """Bring a cached catalog up to HEAD from what git says changed since the commit it
    reflects (a CI cache restored under newer commits, a ``git pull`` by hand); returns the
    number of files looked at. ``fresh``: the catalog was just built from the files."""
    root = archive.root
    try:
        head = _git(root, "rev-parse", "-q", "--verify", "HEAD")
    except GitError:
        return 0  # no commit yet: the catalog is all there is
    try:
        old = (archive.state_dir / HEAD_FILE).read_text().strip()
    except OSError:
        old = ""
    changed: list[str] = []
    if old != head and not fresh:
        if old and _is_commit(root, old):
            changed = [p for _st, p in _changed(root, old, head)]
            archive.refresh_paths(changed)
        else:  # a catalog of unknown age: only a rebuild is sure
            archive.reindex()
    mark_catalog(archive)
    return len(changed)


def _is_commit(root: Path, sha: str) -> bool:
    return subprocess.run(["git", "-C", str(root), "cat-file", "-e", f"{sha}^{{commit}}"], capture_output=True).returncode == 0


def _re_add(archive: Archive, ours: list[tuple[str, bytes]], seen_ms: int, known: dict[str, int]) -> tuple[list[str], set[str], set[str]]:
    """Add this side's record files again on top of the other side's (see :meth:`Archive.add`).

    A first version (a file under ``articles/``) whose text the other side already holds is not
    written again, whichever collector saw it a second or two earlier: its name cannot carry
    that time, both passes' manifests keep their own capture times, and a second file with the
    same text would only show readers an edit that never happened. A revision is named by its
    second, so there the earliest sighting wins (:func:`drop_repeats`). ``known``: the
    millisecond this side's catalog had for a revision (within its name's second)."""
    from ..archive import record_key
    from ..record import parse
    from ..urls import article_id

    written: list[str] = []
    sources: set[str] = set()
    touched: set[str] = set()
    with archive.batch():
        for rel, data in sorted(ours):
            name = rel.rsplit("/", 1)[-1][:-3]
            seen = known.get(rel, int(name) * 1000) if rel.startswith("revisions/") and name.isdigit() else seen_ms
            record = parse(data, name=rel.rsplit("/", 1)[-1])
            source = archive.source_of(rel)
            held = archive.catalog.files(article_id(record_key(record, source)))
            if rel.startswith("articles/") and any(v.content_hash == record.text_hash for v in held):
                continue
            result = archive.add(record, source, raw=data, seen=seen)
            if result.path is not None:
                written.append(result.path)
                sources.add(source)
                touched.add(result.article_id)
    return written, sources, touched


def drop_repeats(archive: Archive, article_ids: set[str], replayed: set[str] | None = None) -> list[str]:
    """Remove a revision whose text equals the sighting just before it (two collectors saw the
    same edit at different seconds): the earliest sighting is kept, whichever side's file the
    catalog took as the version's own. A text seen again after another (A, B, A) is a version
    of its own and stays. With ``replayed`` (the files this replay wrote), only a pair one of
    whose files is among them is looked at: sightings the archive already held as a pair (an
    imported history) are material, not a collision. Returns the paths removed."""
    removed: list[str] = []
    for aid in sorted(article_ids):
        files = archive.catalog.files(aid)
        dated = sorted((v for v in files if v.evidence is not None), key=lambda v: (when_seen(v.evidence or 0), v.path))
        undated = [v for v in files if v.evidence is None]
        previous = None
        for v in [*undated, *dated]:  # (an undated first file, e.g. under articles/, comes first)
            if (
                previous is not None
                and v.content_hash == previous.content_hash
                and v.path.startswith("revisions/")
                and v.evidence is not None
                and previous.evidence is not None
                and when_seen(v.evidence) > when_seen(previous.evidence)
                and (replayed is None or v.path in replayed or previous.path in replayed)
            ):
                removed.append(v.path)
                continue
            previous = v
    for rel in removed:
        (archive.root / rel).unlink(missing_ok=True)
    archive.catalog.remove_paths(removed)
    return removed
