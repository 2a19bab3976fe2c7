"""Committing and pushing what a pass wrote: one commit per pass, only the files it wrote."""

from __future__ import annotations

import subprocess
from pathlib import Path

from ..errors import NewsvaultError

__all__ = ["GitError", "check_repo", "commit_paths", "init_repo", "push"]


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
