"""Continue an existing repository in place (a duty-machine archive, a clone of one).

``newsvault open`` makes such a repository a newsvault archive without rewriting any of its
files: ``.newsvault/`` (derived data) is git-ignored so that the original's ``git add .`` never
commits it, the catalog is built from the record files, and the texts git holds from before
are recovered as dated versions (:mod:`newsvault.githistory`).
"""

from __future__ import annotations

from .archive import STATE_DIR, TEMP_PREFIX, TEMP_SUFFIX, Archive, write_atomic
from .githistory import HistoryReport, recover_history

__all__ = ["open_in_place", "ignore_state"]


def ignore_state(archive: Archive) -> bool:
    """Add newsvault's own files to the repository's .gitignore; True when it changed."""
    gitignore = archive.root / ".gitignore"
    text = gitignore.read_text(encoding="utf-8") if gitignore.is_file() else ""
    lines = text.splitlines()
    missing = [e for e in (f"/{STATE_DIR}/", f"{TEMP_PREFIX}*{TEMP_SUFFIX}") if e not in lines and e.lstrip("/") not in lines]
    if not missing:
        return False
    write_atomic(gitignore, text + ("" if not text or text.endswith("\n") else "\n") + "".join(f"{e}\n" for e in missing))
    return True


def open_in_place(archive: Archive) -> HistoryReport:
    """Make the repository at ``archive.root`` ready to continue, and recover its history."""
    ignore_state(archive)
    return recover_history(archive)
