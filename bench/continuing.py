"""Continuing a duty-machine repository in place: what `open` recovers and keeps, and how much a
rebuilt list changes.

* the repository tests/corpus/cdt-history was exported from, rebuilt (114 commits): the time of
  `newsvault open`, beside `git status` on the same tree, and the files it adds under
  revisions/ against the versions it gives;
* a repository in duty-machine/news form (tests/testdata/continuing/news): `open`, `build`, one
  record imported, `build`: the lines `git diff` shows in each file, and README's links.

    python bench/continuing.py [--repeat 3] [--src DIR]

``--src`` runs another checkout's code (its ``src/``) for a baseline in the same run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))

from test_continue_lists import UTC8, canonical, news_repo  # noqa: E402
from test_githistory import corpus_history_repo  # noqa: E402

CORPUS = ROOT / "tests" / "corpus"


def cli(src: Path, repo: Path, *args: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(src)}
    subprocess.run([sys.executable, "-m", "newsvault", "-C", str(repo), *args], env=env, check=True, capture_output=True)


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), "-c", "core.quotePath=false", *args], check=True, capture_output=True, text=True).stdout


def bench_open(src: Path, work: Path, repeat: int) -> None:
    for i in range(repeat):
        (work / f"open-{i}").mkdir()
        repo = corpus_history_repo(work / f"open-{i}", CORPUS)
        start = time.perf_counter()
        cli(src, repo, "open")
        took = time.perf_counter() - start
        start = time.perf_counter()
        git(repo, "status", "--porcelain")
        status = time.perf_counter() - start
        files = sum(1 for _ in (repo / "revisions").rglob("*.md"))
        print(f"open run {i + 1}: {took:.2f} s (git status {status:.3f} s); {files} files under revisions/")


def bench_lists(src: Path, work: Path) -> None:
    repo = news_repo(work / "news")
    cli(src, repo, "open")
    cli(src, repo, "build")
    first = git(repo, "diff", "--numstat").strip().replace("\n", "; ") or "nothing"
    git(repo, "add", "-A", "lists", "README.md")
    git(repo, "-c", "user.name=bench", "-c", "user.email=bench@example.org", "commit", "-q", "--allow-empty", "-m", "build")
    new = work / "new.md"
    when = int(datetime(2022, 6, 14, 9, tzinfo=UTC8).timestamp() * 1000)
    new.write_text(canonical("新的一篇", "https://chinadigitaltimes.net/chinese/2022/06/689999.html", when), encoding="utf-8")
    cli(src, repo, "import", str(new))
    cli(src, repo, "build")
    second = git(repo, "diff", "--numstat").strip().replace("\n", "; ") or "nothing"
    readme = (repo / "README.md").read_text(encoding="utf-8")
    links = readme.count("(lists/中国数字时代.md)") + readme.count("%E4%B8%AD%E5%9B%BD%E6%95%B0%E5%AD%97%E6%97%B6%E4%BB%A3.md)")
    print(f"lists: first build changed {first}; after one new record {second}; README links the CDT list {links}×")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--src", type=Path, default=ROOT / "src")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="newsvault-continuing-"))
    try:
        bench_open(args.src.resolve(), work, args.repeat)
        bench_lists(args.src.resolve(), work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
