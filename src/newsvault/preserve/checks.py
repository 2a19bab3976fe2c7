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
from pathlib import Path

CHECKS_DIR = "checks"
DELETED_STATUSES = ("gone", "redirected")


def iter_checks(root: Path):
    base = root / CHECKS_DIR
    if not base.is_dir():
        return
    for path in sorted(base.glob("*.jsonl")):
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                try:
                    yield json.loads(line)
                except ValueError:
                    continue  # a torn last line from a crash: ignored, the next check rewrites it


def deleted_articles(archive) -> dict[str, int]:
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
