"""Peak memory of each command on a large archive, every command in its own process.

Each command runs as ``python3 -m newsvault`` in a child process; its peak resident set (the
whole process: interpreter, imports, work) is what GNU ``/usr/bin/time`` reports for it, the
``ru_maxrss`` of a process forked from ``time`` itself. (A child started straight from this
bench would carry the bench's own peak in its ``ru_maxrss``, which Linux keeps across fork and
exec; without ``/usr/bin/time`` the bench falls back to ``os.wait4`` and says so, and a figure
at the bench's own size is then only an upper bound.) The baseline, measured in the same run, is ``newsvault --version``: the interpreter and
the CLI's start-up, the floor every command stands on. The goal (issue 26): every command within
400 MB on a 100,000-article archive, what a 1 GB server or a CI runner can spare.

The archive is ``-n`` articles made by ``bench/scale.py``, or a copy (``cp -a``, the original is
never touched) of ``--archive DIR``, one made by ``bench/scale.py DIR -n N``. In order:

* ``fsck``; ``export --format jsonl``; ``export --format parquet`` (each into a new directory);
* ``build`` (lists/ and README.md; no ``--site``);
* ``search`` of one word with no index yet: the first search builds the whole index;
* ``import`` of 1,000 new records (the next 1,000 of ``bench/scale.py``'s articles);
* ``collect`` of 20 new articles from a feed on 127.0.0.1.

    python3 bench/memory.py [-n 100000] [--archive DIR] [--only fsck,export-jsonl,...] [--keep]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from collect_helpers import FeedServer, Item, allow_private, corpus_records, rss20  # noqa: E402
from newsvault.archive import Archive, write_atomic  # noqa: E402
from newsvault.config import CONFIG_NAME, Source  # noqa: E402
from newsvault.record import render  # noqa: E402
from scale import make_archive, variants  # noqa: E402

GOAL_MB = 400
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"} | {"PYTHONPATH": str(ROOT / "src")}
STEPS = ("fsck", "export-jsonl", "export-parquet", "build", "search", "import", "collect")


TIME = Path("/usr/bin/time")


def run(args: list[str], log: Path) -> tuple[float, float, int]:
    """Seconds, peak RSS in MB and exit status of ``newsvault ARGS`` in a child process."""
    cmd = [sys.executable, "-m", "newsvault", *args]
    rss = log.with_suffix(".rss")
    if TIME.exists():
        cmd = [str(TIME), "-f", "%M", "-o", str(rss), *cmd]
    with open(log, "wb") as out:
        t = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=ENV)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait again
    kb = int(rss.read_text().split()[-1]) if TIME.exists() else usage.ru_maxrss
    return seconds, kb / 1024, proc.returncode


def new_records(folder: Path, first: int, n: int) -> None:
    folder.mkdir(parents=True)
    for i, (_, rec) in enumerate(variants(n, first=first)):
        (folder / f"{i:05d}.md").write_text(render(rec), encoding="utf-8")


def steps(root: Path, work: Path, n: int) -> list[tuple[str, list[str], Callable[[], None] | None]]:
    """(name, newsvault arguments, what to prepare first) of each step, in order."""

    def no_index() -> None:  # the first search then builds the whole index
        for p in (root / ".newsvault").glob("search.*"):
            shutil.rmtree(p) if p.is_dir() else p.unlink()

    def feed() -> None:
        srv = FeedServer().__enter__()  # serves until the bench exits (a daemon thread)
        srv.static("/feed.xml", rss20([Item.of(r) for r in corpus_records("cdt", 20, max_bytes=8000)]))
        allow_private(root)
        a = Archive.open(root)
        a.config.sources = [*a.config.sources, Source("memfeed", "测试", [srv.url("/feed.xml")])]
        write_atomic(root / CONFIG_NAME, a.config.dump())
        a.close()

    return [
        ("fsck", ["fsck"], None),
        ("export-jsonl", ["export", "--format", "jsonl", str(work / "export-jsonl")], None),
        ("export-parquet", ["export", "--format", "parquet", str(work / "export-parquet")], None),
        ("build", ["build"], None),
        ("search", ["search", "中国", "--limit", "5"], no_index),
        ("import", ["import", str(work / "new-records")], lambda: new_records(work / "new-records", n, 1000)),
        ("collect", ["collect", "--json"], feed),
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=100_000, help="Articles in the archive (default 100,000).")
    ap.add_argument("--archive", type=Path, help="Copy this archive (made by bench/scale.py with -n N) instead of making one.")
    ap.add_argument("--only", default=",".join(STEPS), help=f"Steps to run, comma-separated (default: all of {','.join(STEPS)}).")
    ap.add_argument("--keep", action="store_true", help="Keep the work directory.")
    args = ap.parse_args()
    only = [s for s in args.only.split(",") if s]
    unknown = set(only) - set(STEPS)
    if unknown:
        ap.error(f"unknown steps: {', '.join(sorted(unknown))}")
    load = os.getloadavg()
    if not TIME.exists():
        print(f"{TIME} not found: peak RSS from os.wait4, at least this bench's own size", file=sys.stderr)
    work = Path(tempfile.mkdtemp(prefix="nv-bench-memory-"))
    root = work / "archive"
    t = time.perf_counter()
    if args.archive:
        subprocess.run(["cp", "-a", str(args.archive), str(root)], check=True)
        how = f"a copy of {args.archive}"
    else:
        make_archive(root, args.n).close()
        how = "made by bench/scale.py"
    print(f"archive: {args.n:,} articles ({how}) in {time.perf_counter() - t:.0f} s; load average {load[0]:.1f}", flush=True)
    rows: list[tuple[str, str, float, float]] = []

    def measure(name: str, cmd: list[str], before: Callable[[], None] | None = None) -> None:
        if before is not None:
            before()
        seconds, mb, status = run(["-C", str(root), *cmd], work / f"{name}.log")
        if status != 0:
            print((work / f"{name}.log").read_text(errors="replace")[-2000:])
            raise SystemExit(f"{name}: newsvault {' '.join(cmd)} exited {status} (log: {work / f'{name}.log'})")
        rows.append((name, "newsvault " + " ".join(cmd), seconds, mb))
        print(f"{name:15s} {mb:7.0f} MB peak RSS  {seconds:7.1f} s   newsvault {' '.join(cmd)}", flush=True)

    try:
        base_s, base_mb, _ = run(["--version"], work / "version.log")
        print(f"{'baseline':15s} {base_mb:7.0f} MB peak RSS  {base_s:7.1f} s   newsvault --version", flush=True)
        for name, cmd, before in steps(root, work, args.n):
            if name in only:
                measure(name, cmd, before)
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    cmd = " ".join(["python3 bench/memory.py", f"-n {args.n}", *([f"--archive {args.archive}"] if args.archive else [])])
    print(f"\n`{cmd}` — {platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs, load average {load[0]:.1f} at the start\n")
    print("| command | peak RSS | time | baseline (`newsvault --version`, same run) | goal | met? |")
    print("|---|---|---|---|---|---|")
    for _, command, seconds, mb in rows:
        print(f"| `{command.replace(str(work), '…')}` | {mb:.0f} MB | {seconds:.1f} s | {base_mb:.0f} MB | ≤ {GOAL_MB} MB | {'yes' if mb <= GOAL_MB else 'no'} |")


if __name__ == "__main__":
    main()
