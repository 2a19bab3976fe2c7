"""Search under hostile conditions: a big import, a killed build, read-only media, a garbage file.

Every case ends either with results or with one ``newsvault: error: …`` line, never a traceback.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from newsvault.archive import Archive
from newsvault.importer import import_paths

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "tests" / "corpus"
QUERIES = ["加沙", "七国集团 加沙", "香港", "台湾 选举", "\"一个声音\"", "中国 -香港", "title:香港", "source:cdt 新闻"]


def _scale():
    spec = importlib.util.spec_from_file_location("nv_bench_scale", REPO / "bench" / "scale.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def cli(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    return subprocess.run([sys.executable, "-m", "newsvault", *args], capture_output=True, text=True, env=env, timeout=timeout)


def one_line_error(proc: subprocess.CompletedProcess) -> bool:
    lines = proc.stderr.strip().splitlines()
    return proc.returncode == 1 and len(lines) == 1 and lines[0].startswith("newsvault: error: ")


@pytest.fixture(scope="module")
def big_archive(tmp_path_factory) -> Path:
    """The Jekyll mirror (scraped pages and all) plus generated articles: over 5,000, nothing indexed yet."""
    root = tmp_path_factory.mktemp("hostile-search") / "big"
    archive = Archive.init(root)
    import_paths(archive, [CORPUS / "jekyll"])
    with archive.batch():  # one big batch: queued for the next search, as a bulk import is
        for source, rec in _scale().variants(5000):
            archive.add(rec, source)
    total = len(archive.catalog.list_articles())
    archive.close()
    assert total > 5000
    return root


def copy(root: Path, dest: Path) -> Path:
    shutil.copytree(root, dest, symlinks=True)
    return dest


def results(root: Path) -> list[list[str]]:
    out = []
    for q in QUERIES:
        proc = cli("-C", str(root), "search", q, "--limit", "20", "--json")
        assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
        out.append([r["id"] for r in json.loads(proc.stdout)["results"]])
    return out


def dump(root: Path) -> list[tuple]:
    db = sqlite3.connect(root / ".newsvault" / "search.sqlite")
    try:
        rows = db.execute("SELECT rowid, article_id, source, published, title FROM docs ORDER BY rowid").fetchall()
        assert db.execute("SELECT count(*) FROM pending").fetchone()[0] == 0
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        if db.execute("SELECT 1 FROM sqlite_master WHERE name='fts'").fetchone():
            db.execute("INSERT INTO fts(fts) VALUES('integrity-check')")
        return rows
    finally:
        db.close()


def test_search_after_a_5000_article_import_ends_with_results(big_archive, tmp_path):
    root = copy(big_archive, tmp_path / "a")
    proc = cli("-C", str(root), "search", "加沙", "--limit", "5")
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout.strip()
    # the whole queue was indexed, and the index is sound
    assert len(dump(root)) == len(Archive.open(root).catalog.list_articles())


def test_a_build_killed_half_way_resumes_and_ends_identical(big_archive, tmp_path):
    whole = copy(big_archive, tmp_path / "whole")
    assert cli("-C", str(whole), "index").returncode == 0
    killed = copy(big_archive, tmp_path / "killed")
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    proc = subprocess.Popen([sys.executable, "-m", "newsvault", "-C", str(killed), "index"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    index_file = killed / ".newsvault" / "search.sqlite"
    deadline = time.monotonic() + 300
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                with sqlite3.connect(f"{index_file.as_uri()}?mode=ro", uri=True, timeout=1) as db:
                    if db.execute("SELECT count(*) FROM docs").fetchone()[0] >= 1000:
                        break
            except sqlite3.Error:
                pass
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the build ended before it could be killed"
    resumed = cli("-C", str(killed), "index")
    assert resumed.returncode == 0 and "Traceback" not in resumed.stderr, resumed.stderr
    assert dump(killed) == dump(whole)
    assert results(killed) == results(whole)


@pytest.fixture
def small_disk(tmpfs):
    return tmpfs("200m")


def remount(mnt: Path, mode: str) -> None:
    if subprocess.run(["mount", "-o", f"remount,{mode}", str(mnt)], capture_output=True).returncode != 0:
        pytest.skip("cannot remount read-only here")


def test_a_read_only_archive_searches_what_is_indexed_and_says_it_is_behind(small_disk):
    root = small_disk / "a"
    assert cli("init", str(root)).returncode == 0
    assert cli("-C", str(root), "import", str(CORPUS / "seed")).returncode == 0
    assert cli("-C", str(root), "search", "加沙").returncode == 0  # indexed
    # Over SYNC_LIMIT articles in one import: queued, not indexed.
    assert cli("-C", str(root), "import", str(CORPUS)).returncode == 0
    remount(small_disk, "ro")
    try:
        proc = cli("-C", str(root), "search", "七国集团 加沙", "--json")
        again = cli("-C", str(root), "index")
    finally:
        remount(small_disk, "rw")
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    assert [r["id"] for r in json.loads(proc.stdout)["results"]][:1] == ["5be844d2d106"]
    note = proc.stderr.strip().splitlines()
    assert len(note) == 1 and "behind" in note[0] and "read-only" in note[0]
    assert again.returncode == 0 and "Traceback" not in again.stderr


def test_a_read_only_archive_with_a_damaged_index_says_so_in_one_line(small_disk):
    root = small_disk / "a"
    assert cli("init", str(root)).returncode == 0
    assert cli("-C", str(root), "import", str(CORPUS / "seed")).returncode == 0
    assert cli("-C", str(root), "search", "加沙").returncode == 0
    for extra in (root / ".newsvault").glob("search.sqlite-*"):
        extra.unlink()
    (root / ".newsvault" / "search.sqlite").write_bytes(b"not a database at all " * 1000)
    remount(small_disk, "ro")
    try:
        proc = cli("-C", str(root), "search", "加沙")
    finally:
        remount(small_disk, "rw")
    assert one_line_error(proc), proc.stderr
    assert "read-only" in proc.stderr


def _search_ids(root: Path) -> list[str]:
    proc = cli("-C", str(root), "search", "七国集团 加沙", "--json")
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    return [r["id"] for r in json.loads(proc.stdout)["results"]]


def _searched(tmp_path: Path) -> tuple[Path, list[str]]:
    """An archive of the seed and the CDT records, searched once (its index built); the answer."""
    root = tmp_path / "a"
    assert cli("init", str(root)).returncode == 0
    assert cli("-C", str(root), "import", str(CORPUS / "seed"), str(CORPUS / "cdt")).returncode == 0
    return root, _search_ids(root)


@pytest.mark.parametrize("garbage", [b"", b"SQLite format 3\x00" + b"\xff" * 5000, os.urandom(64 * 1024)], ids=["empty", "bad-header", "random"])
def test_a_garbage_index_file_is_rebuilt(tmp_path, garbage):
    root, before = _searched(tmp_path)
    for extra in (root / ".newsvault").glob("search.sqlite-*"):
        extra.unlink()
    (root / ".newsvault" / "search.sqlite").write_bytes(garbage)
    assert _search_ids(root) == before


@pytest.mark.parametrize("damage", ["garbage-meta", "deleted", "emptied"])
def test_damaged_or_missing_postings_are_rebuilt(tmp_path, damage):
    root, before = _searched(tmp_path)
    postings = root / ".newsvault" / "search.tantivy"
    assert (postings / "meta.json").exists()
    if damage == "garbage-meta":
        (postings / "meta.json").write_bytes(os.urandom(300))
    elif damage == "deleted":
        shutil.rmtree(postings)
    else:
        for f in postings.iterdir():
            f.unlink()
    assert _search_ids(root) == before
