"""Hostile archive contents: whatever a cloned or damaged archive holds, newsvault never follows
it out of the archive, never hangs, never shows a traceback, and never loses a record.

Every test runs the real code on real files: symbolic links, FIFOs, garbage SQLite files,
read-only mounts, and a real subprocess that receives SIGTERM in the middle of a batch."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from conftest import REPO, SEED, remount_read_only, run_cli
from newsvault.archive import Archive, Skipped
from newsvault.compose import init_archive, open_archive
from newsvault.errors import CatalogError, RecordError
from newsvault.importer import import_paths
from newsvault.preserve.fsck import check

SECRET = "SECRET-MARKER-不该出现"
SECRET_RECORD = f"<!--1699359302000-->\n[机密 {SECRET}](https://www.rfi.fr/cn/secret)\n------\n\n<p>{SECRET}</p>\n"
ENV = {**os.environ, "PYTHONPATH": str(REPO / "src")}


def one_line_error(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 1, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("newsvault: error: "), proc.stderr
    return lines[0]


def record_bytes(root: Path) -> dict[str, bytes]:
    """Every regular record file of the archive (the truth newsvault must never lose)."""
    out = {}
    for top in ("articles", "revisions"):
        for p in sorted((root / top).rglob("*")):
            if p.is_file() and not p.is_symlink():
                out[p.relative_to(root).as_posix()] = p.read_bytes()
    return out


@pytest.fixture
def seeded(tmp_path: Path) -> Iterator[Path]:
    """An archive holding the seed record and a few CDT records, closed."""
    root = tmp_path / "archive"
    a = init_archive(root)
    import_paths(a, [SEED, *sorted((REPO / "tests" / "corpus" / "cdt" / "articles").glob("*.md"))[:5]])
    a.close()
    yield root


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    """A record-shaped file outside the archive that must never be read through it."""
    outside = tmp_path / "outside"
    (outside / "dir").mkdir(parents=True)
    (outside / "secret.md").write_text(SECRET_RECORD, encoding="utf-8")
    (outside / "dir" / "9999999999_ffffffffffff.md").write_text(SECRET_RECORD, encoding="utf-8")
    return outside


# -- symbolic links ---------------------------------------------------------------------------------


def plant_links(root: Path, outside: Path) -> None:
    (root / "articles" / "evil").mkdir(parents=True, exist_ok=True)
    (root / "articles" / "evil" / "link.md").symlink_to(outside / "secret.md")
    (root / "articles" / "evil-dir").symlink_to(outside / "dir", target_is_directory=True)


def test_record_files_skip_symlinks_and_report_them(seeded: Path, secret: Path) -> None:
    plant_links(seeded, secret)
    archive = Archive.open(seeded)
    skipped: list[Skipped] = []
    files = [archive.rel(p) for p in archive.record_files(skipped)]
    assert not any(f.startswith(("articles/evil/", "articles/evil-dir/")) for f in files)
    assert {s.path for s in skipped} == {"articles/evil/link.md", "articles/evil-dir"}
    assert all("symbolic link" in s.reason for s in skipped)
    with pytest.raises(RecordError, match="symbolic link"):
        archive.read("articles/evil/link.md")
    with pytest.raises(RecordError):
        archive.read("articles/evil-dir/9999999999_ffffffffffff.md")
    with pytest.raises(RecordError, match="outside"):
        archive.read("articles/../../outside/secret.md")
    archive.close()


def test_reindex_refuses_symlinks(seeded: Path, secret: Path) -> None:
    plant_links(seeded, secret)
    proc = run_cli("-C", str(seeded), "reindex", "--json", check=True)
    result = json.loads(proc.stdout)
    assert {e["path"] for e in result["errors"]} == {"articles/evil/link.md", "articles/evil-dir"}
    assert SECRET not in proc.stdout
    with open_archive(seeded) as a:
        assert all(SECRET not in x.title for x in a.catalog.list_articles())
        assert a.catalog.count_articles() == 6


def test_fsck_reports_symlinks_without_reading_them(seeded: Path, secret: Path) -> None:
    plant_links(seeded, secret)
    proc = run_cli("-C", str(seeded), "fsck", "--json")
    assert proc.returncode == 1, proc.stderr
    out = json.loads(proc.stdout)
    odd = {(p["kind"], p["path"]) for p in out["problems"]}
    assert ("odd-entry", "articles/evil/link.md") in odd and ("odd-entry", "articles/evil-dir") in odd
    assert SECRET not in proc.stdout + proc.stderr
    # Repair cannot mend them (they are not derived data) and does not follow them either.
    proc = run_cli("-C", str(seeded), "fsck", "--repair")
    assert SECRET not in proc.stdout + proc.stderr and "Traceback" not in proc.stderr
    assert (seeded / "articles" / "evil" / "link.md").is_symlink()


def test_import_refuses_symlinks(tmp_path: Path, archive: Archive, secret: Path) -> None:
    tree = tmp_path / "clone" / "articles" / "rfi"
    tree.mkdir(parents=True)
    shutil.copy(SEED, tree / "seed.md")
    (tree / "link.md").symlink_to(secret / "secret.md")
    (tree / "linked-dir").symlink_to(secret / "dir", target_is_directory=True)
    report = import_paths(archive, [tmp_path / "clone"])
    assert report.imported == 1 and report.rejected == 2, report.rejects
    assert all(r["reason"] == "symbolic link, not followed" for r in report.rejects)
    assert all(SECRET not in a.title for a in archive.catalog.list_articles())


# -- FIFOs and other special files ------------------------------------------------------------------


def test_a_fifo_named_like_a_record_never_hangs_fsck_or_reindex(seeded: Path) -> None:
    fifo = seeded / "articles" / "cdt" / "0000000000_fifo00000000.md"
    fifo.parent.mkdir(exist_ok=True)
    os.mkfifo(fifo)
    archive = Archive.open(seeded)
    skipped: list[Skipped] = []
    assert fifo not in list(archive.record_files(skipped))
    assert skipped == [Skipped("articles/cdt/0000000000_fifo00000000.md", "a FIFO, not a regular file")]
    archive.close()
    # A hang would end in the subprocess timeout (a failure), not in a result.
    proc = run_cli("-C", str(seeded), "fsck", "--json", timeout=60)
    kinds = {(p["kind"], p["path"]) for p in json.loads(proc.stdout)["problems"]}
    assert kinds == {("odd-entry", "articles/cdt/0000000000_fifo00000000.md")}
    result = json.loads(run_cli("-C", str(seeded), "reindex", "--json", check=True, timeout=60).stdout)
    assert result["versions"] == 6 and [e["path"] for e in result["errors"]] == ["articles/cdt/0000000000_fifo00000000.md"]


# -- a damaged catalog ------------------------------------------------------------------------------


def damage(catalog: Path, how: str) -> None:
    for suffix in ("-wal", "-shm"):
        Path(f"{catalog}{suffix}").unlink(missing_ok=True)
    if how == "garbage":
        catalog.write_bytes(os.urandom(64 * 1024))
    else:
        data = catalog.read_bytes()
        catalog.write_bytes(data[: len(data) // 2])


@pytest.mark.parametrize("how", ["garbage", "truncated"])
def test_a_damaged_catalog_is_rebuilt_from_the_files(seeded: Path, how: str) -> None:
    with open_archive(seeded) as a:
        a.catalog.close()  # checkpoint the WAL into the file, so that damaging the file is enough
        a._catalog = None
    before = record_bytes(seeded)
    catalog = seeded / ".newsvault" / "catalog.sqlite"
    damage(catalog, how)
    # Opened plainly, the catalog says what is wrong instead of failing later in a query.
    with pytest.raises(CatalogError, match="fsck --repair"):
        Archive.open(seeded).catalog  # noqa: B018
    proc = run_cli("-C", str(seeded), "stats", "--json")
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    assert json.loads(proc.stdout)["total"]["records"] == 6
    assert record_bytes(seeded) == before
    assert list((seeded / ".newsvault").glob("catalog.sqlite.damaged-*"))  # set aside, not deleted


# -- a read-only archive ----------------------------------------------------------------------------


@pytest.fixture
def read_only_archive(tmpfs: Callable[[str], Path]) -> Path:
    """An archive with records on a tmpfs, remounted read-only for the test's body."""
    root = tmpfs("8m") / "a"
    run_cli("init", "--no-media", str(root), check=True)
    run_cli("-C", str(root), "import", str(SEED), check=True)
    remount_read_only(root.parent)
    return root


def test_read_only_archive_reads_and_checks_and_refuses_writes_in_one_line(read_only_archive: Path) -> None:
    root = read_only_archive
    before = record_bytes(root)
    assert "布林肯" in run_cli("-C", str(root), "ls", check=True).stdout
    proc = run_cli("-C", str(root), "fsck")
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stdout + proc.stderr  # healthy, just read-only
    assert "read-only" in one_line_error(run_cli("-C", str(root), "reindex")).lower()
    assert "read-only" in one_line_error(run_cli("-C", str(root), "import", str(SEED))).lower()
    assert record_bytes(root) == before


def test_fsck_repair_on_a_read_only_archive_says_so(tmpfs: Callable[[str], Path]) -> None:
    root = tmpfs("8m") / "a"
    run_cli("init", "--no-media", str(root), check=True)
    run_cli("-C", str(root), "import", str(SEED), check=True)
    stray = root / "articles" / "rfi" / ".nv-x.md.999999999.tmp"  # a writer long gone
    stray.write_bytes(b"half")
    remount_read_only(root.parent)
    before = record_bytes(root)
    assert "temp-file" in run_cli("-C", str(root), "fsck").stdout
    line = one_line_error(run_cli("-C", str(root), "fsck", "--repair"))
    assert "read-only" in line.lower() and "nothing was changed" in line
    assert record_bytes(root) == before and stray.exists()


def test_a_damaged_catalog_on_a_read_only_disk_names_the_repair(read_only_archive: Path, tmp_path: Path) -> None:
    # Damage it while writable, then make it read-only again.
    mnt = read_only_archive.parent
    subprocess.run(["mount", "-o", "remount,rw", str(mnt)], check=True)
    damage(read_only_archive / ".newsvault" / "catalog.sqlite", "garbage")
    subprocess.run(["mount", "-o", "remount,ro", str(mnt)], check=True)
    line = one_line_error(run_cli("-C", str(read_only_archive), "ls"))
    assert "fsck --repair" in line


# -- bad arguments ----------------------------------------------------------------------------------


def test_import_of_a_missing_path_is_an_error(seeded: Path, tmp_path: Path) -> None:
    before = record_bytes(seeded)
    line = one_line_error(run_cli("-C", str(seeded), "import", str(SEED), str(tmp_path / "nonexistent")))
    assert "nonexistent: no such file or directory" in line
    assert record_bytes(seeded) == before  # nothing imported, not even the path that exists


# -- SIGTERM in the middle of a batch ---------------------------------------------------------------

_CHILD = r"""
import os, signal, sys
from pathlib import Path
from newsvault.compose import open_archive
from newsvault.importer import import_paths

def stop(signum, frame):
    raise SystemExit(128 + signum)
signal.signal(signal.SIGTERM, stop)  # what the CLI does with SIGTERM

point, n, root = sys.argv[1], int(sys.argv[2]), sys.argv[3]
files = [Path(p) for p in sys.argv[4:]]
calls = {"replace": 0, "unlink": 0}
real_replace, real_unlink = os.replace, os.unlink

def is_record_rename(src, dst):
    return ".nv-" in str(src) and "journal" not in str(dst)

def replace(src, dst):
    if point == "during-cleanup" and is_record_rename(src, dst):
        os.kill(os.getpid(), signal.SIGTERM)  # the first SIGTERM: as the renames begin
    result = real_replace(src, dst)
    if point == "after-rename" and is_record_rename(src, dst):
        calls["replace"] += 1
        if calls["replace"] == n:
            os.kill(os.getpid(), signal.SIGTERM)  # lands right after a rename
    return result

def unlink(path, *a, **k):
    result = real_unlink(path, *a, **k)
    if point == "during-cleanup" and ".nv-" in str(path):
        calls["unlink"] += 1
        if calls["unlink"] == 1:
            os.kill(os.getpid(), signal.SIGTERM)  # a second SIGTERM while the batch cleans up
    return result

os.replace, os.unlink = replace, unlink
archive = open_archive(root)
import_paths(archive, files)
"""


@pytest.mark.parametrize("point", ["after-rename", "during-cleanup"])
def test_sigterm_mid_batch_leaves_no_temp_file_and_no_partial_batch(seeded: Path, point: str) -> None:
    corpus = REPO / "tests" / "corpus"
    files = sorted((corpus / "cdt" / "articles").glob("*.md"))[5:45]
    before = record_bytes(seeded)
    proc = subprocess.run([sys.executable, "-c", _CHILD, point, "10", str(seeded), *map(str, files)],
                          env=ENV, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 128 + signal.SIGTERM, proc.stderr
    temps = [p for p in seeded.rglob(".nv-*") if p.is_file()]
    assert temps == []
    assert record_bytes(seeded) == before  # the interrupted batch was undone, entirely
    with open_archive(seeded) as a:
        assert check(a).clean, check(a).problems
