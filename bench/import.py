"""Benchmark: import the corpus into a fresh archive; MB/s beside a plain read of the same files.

    python bench/import.py [--corpus ../shared/corpus] [--runs 3]

Both figures come from the same run on the same machine, so their ratio means something even
when the machine is busy. "End to end" is the real ``newsvault import`` path: walk, read,
decode, parse, dedupe, write record files (temp + sync + rename), catalog and search index.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from newsvault.archive import Archive  # noqa: E402
from newsvault.importer import import_paths, iter_candidates  # noqa: E402


def plain_read(corpus: Path) -> tuple[float, int]:
    t = time.perf_counter()
    total = 0
    for path in iter_candidates([corpus]):
        with open(path, "rb") as f:
            total += len(f.read())
    return time.perf_counter() - t, total


def one_import(corpus: Path) -> tuple[float, dict]:
    with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
        archive = Archive.init(Path(tmp) / "archive")
        t = time.perf_counter()
        report = import_paths(archive, [corpus])
        elapsed = time.perf_counter() - t
        archive.close()
    return elapsed, report.as_dict()


def cli_import(corpus: Path) -> float:
    with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
        subprocess.run([sys.executable, "-m", "newsvault", "init", f"{tmp}/a"], check=True, capture_output=True)
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "newsvault", "-C", f"{tmp}/a", "import", str(corpus)], check=True, capture_output=True)
        return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()

    reads, imports, clis = [], [], []
    report: dict = {}
    for _ in range(args.runs):
        t_read, nbytes = plain_read(args.corpus)
        reads.append(t_read)
        t_imp, report = one_import(args.corpus)
        imports.append(t_imp)
        clis.append(cli_import(args.corpus))
    mb = nbytes / 1e6
    r, i, c = statistics.median(reads), statistics.median(imports), statistics.median(clis)
    print(f"corpus: {report['seen']} files, {mb:.1f} MB "
          f"(imported {report['imported']}, revisions {report['revisions']}, unchanged {report['unchanged']}, rejected {report['rejected']})")
    print(f"plain read (baseline):     {r:7.3f} s  {mb / r:8.1f} MB/s")
    print(f"import, in process:        {i:7.3f} s  {mb / i:8.1f} MB/s  ({i / r:.1f}x the plain read)")
    print(f"newsvault import (CLI):    {c:7.3f} s  {mb / c:8.1f} MB/s  (with interpreter start-up)")
    print(f"median of {args.runs} runs")


if __name__ == "__main__":
    main()
