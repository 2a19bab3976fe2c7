"""What every read pays to see the tree as it is: the catch-up with git and the work tree.

Reuses (or generates, once, under ``bench/out/hourly-<N>/``, git-ignored) the committed archive
of bench/hourly.py, builds its catalog, then measures in the same run, beside ``git status`` on
the same tree (the floor: looking at the files once):

* the catch-up when nothing changed (every ``ls``, ``show``, ``search`` … pays this);
* the catch-up after a commit of 100 new records (what a ``git pull`` brings);
* the catch-up after 100 uncommitted changes (50 records edited by hand, 50 deleted).

The tree is put back as it was afterwards (``git reset --hard``), and caught up again.

    python bench/catchup.py [-n 50000] [--repeat 5]

Target: ≤ 0.5 s with nothing changed at 50,000 records.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from hourly import OUT, article, generate, git  # noqa: E402
from newsvault.archive import record_key, record_name  # noqa: E402
from newsvault.catchup import catch_up  # noqa: E402
from newsvault.compose import open_archive  # noqa: E402
from newsvault.record import render  # noqa: E402
from newsvault.urls import article_id  # noqa: E402


def timed(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def git_status(root: Path) -> None:
    subprocess.run(["git", "-C", str(root), "status", "--porcelain"], check=True, capture_output=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=50_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    root = OUT / f"hourly-{args.n}"
    if not root.exists():
        generate(root, args.n)
    start = git(root, "rev-parse", "HEAD")
    t = time.perf_counter()
    archive = open_archive(root)  # builds the catalog the first time
    print(f"opened {root} ({archive.catalog.count_articles()} articles) in {time.perf_counter() - t:.1f} s", flush=True)
    rows = []
    try:
        status = timed(lambda: git_status(root), args.repeat)
        idle = timed(lambda: catch_up(archive), args.repeat)
        rows.append(("nothing changed", idle, status))
        # a pull: 100 new records in one commit
        paths = []
        for i in range(args.n, args.n + 100):
            src, rec = article(i)
            rel = f"articles/{src}/{record_name(rec.published or 0, article_id(record_key(rec, src)))}"
            (root / rel).write_text(render(rec), encoding="utf-8")
            paths.append(rel)
        git(root, "add", "--", *paths)
        git(root, "commit", "-qm", "100 new records")
        t = time.perf_counter()
        pulled = catch_up(archive)
        rows.append(("100 committed new records", time.perf_counter() - t, timed(lambda: git_status(root), args.repeat)))
        assert len(pulled.committed) == 100, pulled
        # by hand: 50 edited, 50 deleted
        old = sorted(p.relative_to(root).as_posix() for p in (root / "articles" / "s000").iterdir())[:100]
        for rel in old[:50]:
            f = root / rel
            f.write_text(f.read_text(encoding="utf-8").replace("局势仍在发展", "局势已经平息"), encoding="utf-8")
        for rel in old[50:]:
            (root / rel).unlink()
        status = timed(lambda: git_status(root), args.repeat)
        t = time.perf_counter()
        hand = catch_up(archive)
        rows.append(("100 uncommitted changes", time.perf_counter() - t, status))
        assert len(hand.uncommitted) == 100, hand
        rows.append(("nothing changed (dirty tree)", timed(lambda: catch_up(archive), args.repeat), status))
    finally:
        git(root, "reset", "-q", "--hard", start)
        catch_up(archive)
        archive.close()
    print(f"\n{args.n} records; median of {args.repeat} where repeated")
    print(f"{'case':<30} {'catch-up':>10} {'git status':>11} {'ratio':>6}")
    for case, ours, floor in rows:
        print(f"{case:<30} {ours:>9.3f}s {floor:>10.3f}s {ours / floor:>6.1f}")


if __name__ == "__main__":
    main()
