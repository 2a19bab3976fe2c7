"""Results of re-checking archived URLs at their source, kept as files in the archive.

Check results are not derivable from the records, so they live in the archive itself (and so in
git): ``checks/<source>.jsonl``, one JSON object a line, appended, never rewritten::

    {"id": "5be844d2d106", "url": "...", "checked": 1700000000000, "status": "gone", "http": 404}

``status`` is one of ``live`` (unchanged), ``changed`` (a new revision was archived), ``gone``
(404/410), ``redirected`` (moved away to an unrelated page: a soft deletion), ``failing``
(blocked, 5xx, timeout: retry later, never a deletion).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..archive import Archive

CHECKS_DIR = "checks"
DELETED_STATUSES = ("gone", "redirected")
REMOVED_NAME = "removed.jsonl"  # checks/removed.jsonl: see newsvault.githistory


def iter_checks(root: Path) -> Iterator[dict[str, Any]]:
    base = root / CHECKS_DIR
    if not base.is_dir():
        return
    for path in sorted(base.glob("*.jsonl")):
        if path.name == REMOVED_NAME:
            continue  # notes of files the repository deleted (newsvault.githistory), not checks
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                try:
                    obj = json.loads(line)
                except ValueError:
                    continue  # a torn last line from a crash: ignored, the next check rewrites it
                if isinstance(obj, dict):
                    yield obj


def deleted_articles(archive: Archive) -> dict[str, int]:
    """Article id → when its deletion was first noticed (epoch ms), for articles whose latest
    conclusive check says gone or redirected away. A later ``live``/``changed`` check clears it."""
    state: dict[str, int | None] = {}
    for c in sorted(iter_checks(archive.root), key=lambda c: c.get("checked", 0)):
        status = c.get("status")
        aid = c.get("id")
        if not aid or status == "failing":
            continue
        if status in DELETED_STATUSES:
            if state.get(aid) is None:
                state[aid] = c.get("checked", 0)
        else:
            state[aid] = None
    return {k: v for k, v in state.items() if v is not None}


STATUSES = ("live", "changed", "gone", "redirected", "failing")


def append_checks(root: Path, source: str, checks: list[dict[str, Any]]) -> Path:
    """Append check results to ``checks/<source>.jsonl`` (created when missing), synced to disk.

    A line torn by a crash is left as is (readers skip it); a newline is written first so that
    the next result does not run into it."""
    base = root / CHECKS_DIR
    base.mkdir(parents=True, exist_ok=True)
    path = base / f"{source}.jsonl"
    payload = "".join(json.dumps(c, ensure_ascii=False, sort_keys=True) + "\n" for c in checks).encode("utf-8")
    with open(path, "a+b") as f:
        f.seek(0, 2)
        if f.tell() > 0:
            f.seek(-1, 2)
            if f.read(1) != b"\n":
                payload = b"\n" + payload
        f.write(payload)
        f.flush()
        os.fsync(f.fileno())
    return path


def latest_checks(root: Path) -> dict[str, dict[str, Any]]:
    """Article id → its most recent check (any status)."""
    latest: dict[str, dict[str, Any]] = {}
    for c in iter_checks(root):
        aid = c.get("id")
        if aid and c.get("checked", 0) >= latest.get(aid, {}).get("checked", -1):
            latest[aid] = c
    return latest


def last_conclusive(root: Path) -> dict[str, dict[str, Any]]:
    """Article id → its most recent check that was not ``failing`` (what recheck schedules by)."""
    latest: dict[str, dict[str, Any]] = {}
    for c in iter_checks(root):
        aid = c.get("id")
        if aid and c.get("status") != "failing" and c.get("checked", 0) >= latest.get(aid, {}).get("checked", -1):
            latest[aid] = c
    return latest
