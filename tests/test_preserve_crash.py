"""Crash safety: `newsvault import` and `newsvault collect` killed with SIGKILL at random moments
(and at every step of a batch's commit), then rerun. After each kill and each rerun: no partial or
empty record file, no lost record, fsck clean (after repair), and the final state identical to an
uninterrupted run."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from http_helpers import LoopbackServer, Reply
from newsvault.archive import Archive, write_atomic
from newsvault.compose import open_archive
from newsvault.config import CONFIG_NAME, Source
from newsvault.importer import import_paths
from newsvault.preserve.fsck import check, fsck
from newsvault.record import parse
from preserve_helpers import CDT_HISTORY, CORPUS, REPO, record_like_files, record_snapshot, rss_feed

SEED = 20261130
ENV = {**os.environ, "PYTHONPATH": str(REPO / "src")}


def _input_files(n: int = 150) -> list[Path]:
    """150 corpus files: whole version histories (revisions), CDT records, Jekyll posts (both kinds)."""
    files: list[Path] = []
    for folder in sorted(CDT_HISTORY.iterdir()):
        files.extend(sorted(folder.glob("*.md"), key=lambda p: int(p.stem)))
        if len(files) >= 60:
            break
    files.extend(sorted((CORPUS / "cdt" / "articles").glob("*.md"))[:40])
    posts = sorted((CORPUS / "jekyll" / "_posts").glob("*.md"))
    files.extend(posts[: n - len(files)])
    return files[:n]


def _check_no_partial(root: Path, reference: dict[str, bytes]) -> None:
    """Every record file present after a kill is complete: byte for byte the reference's."""
    for p in record_like_files(root):
        rel = p.relative_to(root).as_posix()
        if p.name.startswith(".nv-"):
            continue  # a temp file (never read as a record)
        data = p.read_bytes()
        assert data, f"empty record file {rel}"
        assert rel in reference, f"unexpected record file {rel}"
        assert data == reference[rel], f"partial record file {rel} ({len(data)} of {len(reference[rel])} bytes)"


def _settle(root: Path) -> tuple[dict[str, bytes], list[tuple]]:
    """fsck (repairing if needed) must end clean; returns the archive's state."""
    archive = open_archive(root)
    try:
        report = fsck(archive, repair=False)
        if not report.clean:
            assert {p.kind for p in report.problems} <= {"temp-file"}, report.problems  # all else was recovered on open
            report = fsck(archive, repair=True)
        assert report.clean, report.problems
        return record_snapshot(archive)
    finally:
        archive.close()


@pytest.fixture(scope="module")
def import_setup(tmp_path_factory):
    base = tmp_path_factory.mktemp("crash-import")
    template = base / "template"
    Archive.init(template).close()
    files = _input_files()
    assert len(files) == 150
    ref = base / "reference"
    shutil.copytree(template, ref)
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "newsvault", "-C", str(ref), "import", *map(str, files)], env=ENV, capture_output=True, text=True, timeout=60)
    duration = time.perf_counter() - t0
    assert proc.returncode == 0, proc.stderr
    archive = open_archive(ref)
    reference = record_snapshot(archive)
    archive.close()
    assert len(reference[0]) > 120
    return base, template, files, reference, duration


def _rerun_import(root: Path, files: list[Path]) -> None:
    archive = open_archive(root)
    try:
        report = import_paths(archive, files)
        assert report.rejected == 0 and report.imported + report.revisions + report.unchanged == len(files)
    finally:
        archive.close()


def test_import_killed_at_random_moments(import_setup):
    base, template, files, (ref_files, ref_rows), duration = import_setup
    rng = random.Random(SEED)
    trials, states = 20, {"nothing on disk": 0, "temp files only": 0, "records written": 0}
    for trial in range(trials):
        root = base / f"trial-{trial}"
        shutil.copytree(template, root)
        proc = subprocess.Popen([sys.executable, "-m", "newsvault", "-C", str(root), "import", *map(str, files)], env=ENV,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # Interpreter startup is a third of a short run: aim the kills at the part that works.
        time.sleep(rng.uniform(0.25, duration * 1.05))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        _check_no_partial(root, ref_files)
        records = [p for p in record_like_files(root) if not p.name.startswith(".nv-")]
        temps = list((root / "articles").rglob(".nv-*.tmp")) + list((root / "revisions").rglob(".nv-*.tmp"))
        states["records written" if records else "temp files only" if temps else "nothing on disk"] += 1
        _rerun_import(root, files)
        assert _settle(root) == (ref_files, ref_rows), f"trial {trial}: final state differs"
        shutil.rmtree(root)
    print(f"import kill points: {states}")
    assert states["nothing on disk"] < trials  # the kills did land while writing


_DRIVER = r"""
import os, signal, sys
from pathlib import Path
from newsvault.compose import open_archive
from newsvault.importer import import_paths
mode, n, root = sys.argv[1], int(sys.argv[2]), sys.argv[3]
files = [Path(p) for p in sys.argv[4:]]
real_replace = os.replace
calls = 0
def dying_replace(src, dst):
    global calls
    if mode == "rename" and calls == n:
        os.kill(os.getpid(), signal.SIGKILL)
    calls += 1
    return real_replace(src, dst)
os.replace = dying_replace
archive = open_archive(root)
if mode == "listener":  # killed after the catalog commit, before the search index heard of it
    archive.catalog
    archive.listeners.insert(0, lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL))
import_paths(archive, files)
"""


@pytest.mark.parametrize("point", ["rename-0", "rename-1", "rename-2", "rename-75", "rename-last", "listener"])
def test_import_killed_at_each_commit_step(import_setup, point):
    """Kill exactly at: the journal's rename (0), the first record renames, the middle, the last
    one, and after the catalog commit before the listeners ran."""
    base, template, files, (ref_files, ref_rows), _ = import_setup
    root = base / f"step-{point}"
    shutil.copytree(template, root)
    mode, _, n = point.partition("-")
    n = {"": 0, "last": len(ref_files)}.get(n) if n in ("", "last") else int(n)
    proc = subprocess.run([sys.executable, "-c", _DRIVER, mode, str(n), str(root), *map(str, files)], env=ENV, capture_output=True, text=True, timeout=60)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    _check_no_partial(root, ref_files)
    journal = root / ".newsvault" / "journal.json"
    assert journal.exists() == (point != "rename-0")
    # Opening the archive rolls the write forward: nothing to import again, nothing lost.
    archive = open_archive(root)
    assert not journal.exists()
    files_now, rows_now = record_snapshot(archive)
    # Recovery also brought the search index up to date; only unowned temp files remain.
    assert {p.kind for p in check(archive).problems} <= {"temp-file"}, check(archive).problems
    archive.close()
    if point != "rename-0":
        assert (files_now, rows_now) == (ref_files, ref_rows)
    _rerun_import(root, files)
    assert _settle(root) == (ref_files, ref_rows)
    shutil.rmtree(root)


# -- collect ----------------------------------------------------------------------------------------


def _feed_items(server_base: str, n: int = 30) -> list[tuple[str, str, int, str]]:
    items = []
    for i, f in enumerate(sorted((CORPUS / "cdt" / "articles").glob("*.md"))[40 : 40 + n]):
        rec = parse(f.read_bytes())
        items.append((rec.title, f"{server_base}/a/{i}.html", 1_590_000_000_000 + i * 3_600_000, rec.body))
    return items


def _unseen(rows: list[tuple]) -> list[tuple]:
    return [row[:8] + row[9:] for row in rows]


def test_collect_killed_at_random_moments(tmp_path):
    with LoopbackServer() as server:
        items = _feed_items(server.base)
        feed = rss_feed(items)

        def feed_route(request):
            if request.headers.get("If-None-Match") == '"f1"':
                return Reply(304, b"", {"ETag": '"f1"'})
            return Reply(200, feed, {"Content-Type": "application/rss+xml; charset=utf-8", "ETag": '"f1"'})

        server.route("/feed.xml", feed_route)
        template = tmp_path / "template"
        archive = Archive.init(template)
        archive.config.sources = [Source("local", "本地", [server.base + "/feed.xml"])]
        archive.config.allow_private = True  # the server is on 127.0.0.1
        write_atomic(template / CONFIG_NAME, archive.config.dump())
        archive.close()

        def run_collect(root: Path) -> subprocess.Popen:
            return subprocess.Popen([sys.executable, "-m", "newsvault", "-C", str(root), "collect", "--timeout", "5", "--retries", "0"],
                                    env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

        ref = tmp_path / "reference"
        shutil.copytree(template, ref)
        t0 = time.perf_counter()
        proc = run_collect(ref)
        assert proc.wait(60) == 0, proc.stderr.read()
        duration = time.perf_counter() - t0
        a = open_archive(ref)
        ref_files, ref_rows = record_snapshot(a)
        a.close()
        assert len(ref_files) == len(items)

        rng = random.Random(SEED + 1)
        trials, wrote = 8, 0
        for trial in range(trials):
            root = tmp_path / f"trial-{trial}"
            shutil.copytree(template, root)
            proc = run_collect(root)
            time.sleep(rng.uniform(0.2, duration * 1.05))
            proc.kill()
            proc.wait()
            _check_no_partial(root, ref_files)
            wrote += any(not p.name.startswith(".nv-") for p in record_like_files(root))
            # Rerun (the real command): a 304 must not hide items the killed run did not archive.
            proc = run_collect(root)
            assert proc.wait(60) == 0, proc.stderr.read()
            files, rows = _settle(root)
            # Every row as the reference's, except when it was seen: each run sees at its own time.
            assert (files, _unseen(rows)) == (ref_files, _unseen(ref_rows)), f"trial {trial}: final state differs"
            assert all(row[8] is not None for row in rows)  # a collected version keeps when it was seen
            shutil.rmtree(root)
        print(f"collect: {wrote} of {trials} kills landed after something was written")
