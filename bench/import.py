"""Benchmark: import the corpus into a fresh archive; MB/s beside a plain read of the same files.

    python bench/import.py [--corpus ../shared/corpus] [--runs 3] [--batches 15]

Both figures come from the same run on the same machine, so their ratio means something even
when the machine is busy. "End to end" is the real ``newsvault import`` path: walk, read,
decode, parse, dedupe, write record files (temp + sync + rename), catalog and search index.

Then the cost of committing one batch of 20 records (an hourly collect of one busy source),
beside two baselines from the same run: the same 20 files written and renamed with no sync at
all (the floor), and the same batch made durable the way batches used to be, by syncing the
whole filesystem (``syncfs``) instead of the batch's own files and folders. The two batch
kinds alternate, so a busy machine slows both alike. Timed on a quiet filesystem and while
another process keeps writing to it (``--noise`` MB at a time, never synced): the case where
syncing the whole filesystem hurt, since it waits for every other writer's data.
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import hashlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import newsvault.archive as archive_module  # noqa: E402
from inputs import default_corpus  # noqa: E402
from newsvault.archive import Archive  # noqa: E402
from newsvault.compose import init_archive  # noqa: E402
from newsvault.importer import import_paths, iter_candidates  # noqa: E402
from newsvault.record import Record, render  # noqa: E402

ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
BATCH = 20


def plain_read(corpus: Path) -> tuple[float, int]:
    t = time.perf_counter()
    total = 0
    for path in iter_candidates([corpus]):
        with open(path, "rb") as f:
            total += len(f.read())
    return time.perf_counter() - t, total


def read_and_hash(corpus: Path) -> float:
    """The floor an import cannot go below: read every candidate file and SHA-256 it."""
    t = time.perf_counter()
    for path in iter_candidates([corpus]):
        with open(path, "rb") as f:
            hashlib.sha256(f.read()).digest()
    return time.perf_counter() - t


def one_import(corpus: Path) -> tuple[float, dict]:
    with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
        archive = init_archive(Path(tmp) / "archive")
        t = time.perf_counter()
        report = import_paths(archive, [corpus])
        elapsed = time.perf_counter() - t
        archive.close()
    return elapsed, report.as_dict()


def cli_import(corpus: Path) -> tuple[float, float]:
    """Seconds and peak RSS (MB, the import process's own, from wait4) of ``newsvault import``."""
    with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
        subprocess.run([sys.executable, "-m", "newsvault", "init", f"{tmp}/a"], check=True, capture_output=True, env=ENV)
        t = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "newsvault", "-C", f"{tmp}/a", "import", str(corpus)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
        _pid, status, usage = os.wait4(proc.pid, 0)
        took = time.perf_counter() - t
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode:
            raise SystemExit(f"newsvault import exited {proc.returncode}")
        return took, usage.ru_maxrss / 1024


def _records(start: int) -> list[Record]:
    body = "<p>" + "法新社东京电稿称，七国集团领导人会议就加沙问题发表声明。" * 60 + "</p>"  # ~3 KB, a typical article
    return [Record(f"第{n}篇", f"https://example.org/news/{n}", 1_700_000_000_000 + n * 60_000, body) for n in range(start, start + BATCH)]


def _commit(archive: Archive, records: list[Record]) -> float:
    t = time.perf_counter()
    with archive.batch():
        for rec in records:
            archive.add(rec, "bench")
    return time.perf_counter() - t


def batch_commits(runs: int) -> tuple[list[float], list[float]]:
    """Seconds to commit one batch of 20 new records (search index not listening: the write
    path), syncing the batch's files and folders, and, alternately, syncing the filesystem."""
    own, whole = [], []
    libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
    fsync_all = archive_module._fsync_all

    def syncfs_instead(paths: list[Path]) -> None:
        if paths:
            fd = os.open(paths[0], os.O_RDONLY)
            try:
                libc.syncfs(fd)
            finally:
                os.close(fd)

    with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
        archive = init_archive(Path(tmp) / "archive", listeners=[])
        for r in range(runs):
            own.append(_commit(archive, _records(2 * r * BATCH)))
            archive_module._fsync_all = syncfs_instead
            try:
                whole.append(_commit(archive, _records((2 * r + 1) * BATCH)))
            finally:
                archive_module._fsync_all = fsync_all
        archive.close()
    return own, whole


def no_sync_writes(runs: int) -> list[float]:
    """The floor: the same number of files written to temp names and renamed, never synced."""
    times = []
    data = render(_records(0)[0]).encode()
    with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
        for r in range(runs):
            folder = Path(tmp) / str(r)
            folder.mkdir()
            t = time.perf_counter()
            for n in range(BATCH):
                tmp_path = folder / f".{n}.tmp"
                tmp_path.write_bytes(data)
                os.replace(tmp_path, folder / f"{n}.md")
            times.append(time.perf_counter() - t)
    return times




def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=None, help="default: the reference corpus beside the repository, else tests/corpus (bench/inputs.py)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--batches", type=int, default=15, help="batch commits to time (0: skip)")
    ap.add_argument("--noise", type=int, default=64, help="MB another process rewrites in a loop while batches are timed again (0: skip)")
    args = ap.parse_args()
    args.corpus = args.corpus or default_corpus()

    reads, hashes, imports, clis, rss = [], [], [], [], []
    report: dict = {}
    for _ in range(args.runs):
        t_read, nbytes = plain_read(args.corpus)
        reads.append(t_read)
        hashes.append(read_and_hash(args.corpus))
        t_imp, report = one_import(args.corpus)
        imports.append(t_imp)
        t_cli, peak = cli_import(args.corpus)
        clis.append(t_cli)
        rss.append(peak)
    mb = nbytes / 1e6
    r, i, c = statistics.median(reads), statistics.median(imports), statistics.median(clis)
    h = statistics.median(hashes)
    n = report["seen"]
    print(f"corpus: {report['seen']} files, {mb:.1f} MB "
          f"(imported {report['imported']}, revisions {report['revisions']}, unchanged {report['unchanged']}, rejected {report['rejected']})")
    print(f"plain read (baseline):     {r:7.3f} s  {mb / r:8.1f} MB/s")
    print(f"import, in process:        {i:7.3f} s  {mb / i:8.1f} MB/s  ({i / r:.1f}x the plain read)")
    print(f"newsvault import (CLI):    {c:7.3f} s  {mb / c:8.1f} MB/s  (with interpreter start-up)")
    print(f"read + SHA-256 (baseline): {h:7.3f} s  {n / h:8.0f} files/s")
    print(f"import, in process:                  {n / i:8.0f} files/s = {h / i:.3f} of the read-and-hash rate (goal >= 0.2)")
    print(f"newsvault import (CLI):              {n / c:8.0f} files/s = {h / c:.3f} of it; peak RSS {max(rss):.0f} MB (the import process, wait4)")
    print(f"median of {args.runs} runs")
    if args.batches:
        print_batches(args.batches, "quiet filesystem")
        if args.noise:
            with another_writer(args.noise):
                print_batches(args.batches, f"another process rewriting {args.noise} MB in a loop")


def print_batches(runs: int, label: str) -> None:
    floor = statistics.median(no_sync_writes(runs)) * 1000
    own, whole = (statistics.median(t) * 1000 for t in batch_commits(runs))
    print(f"-- {label}, median of {runs} batches")
    print(f"{BATCH} files written + renamed, no sync (floor):          {floor:7.2f} ms")
    print(f"batch of {BATCH} records, syncing its files and folders:   {own:7.2f} ms")
    print(f"same batch, syncing the whole filesystem (baseline):  {whole:7.2f} ms")


_WRITER = """
import os, sys
path, mb = sys.argv[1], int(sys.argv[2])
chunk = os.urandom(1 << 20)
while True:
    with open(path, "wb") as f:
        for _ in range(mb):
            f.write(chunk)
"""


class another_writer:
    """A process that keeps dirtying ``mb`` MB of the same filesystem, never syncing."""

    def __init__(self, mb: int) -> None:
        self.mb = mb

    def __enter__(self) -> None:
        self.dir = tempfile.TemporaryDirectory(dir="/tmp")
        self.proc = subprocess.Popen([sys.executable, "-c", _WRITER, f"{self.dir.name}/noise", str(self.mb)])
        time.sleep(1.0)  # let it dirty the page cache first

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        self.proc.wait()
        self.dir.cleanup()


if __name__ == "__main__":
    main()
