"""fsck finds each kind of damage, and --repair mends what is derivable without touching records."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from newsvault.archive import Archive
from newsvault.compose import init_archive
from newsvault.importer import import_paths
from newsvault.preserve.fsck import check, fsck
from preserve_helpers import CORPUS, REPO, history_files


def dead_pid() -> int:
    p = subprocess.Popen(["true"])
    p.wait()
    return p.pid


def snapshot(archive: Archive) -> dict[str, str]:
    return {archive.rel(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in archive.record_files()}


def kinds(report) -> list[tuple[str, str | None]]:
    return sorted((p.kind, p.path) for p in report.problems)


@pytest.fixture
def archive(tmp_path):
    a = init_archive(tmp_path / "archive")
    import_paths(a, history_files())
    import_paths(a, sorted((CORPUS / "cdt" / "articles").glob("*.md"))[:40])
    yield a
    a.close()


def _cli(root: Path, *args: str) -> subprocess.CompletedProcess:
    env = {"PYTHONPATH": str(REPO / "src"), "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "newsvault", "-C", str(root), *args], capture_output=True, text=True, env=env, timeout=120)


def test_clean_archive_is_clean(archive):
    report = check(archive)
    assert report.clean, report.problems
    assert report.files == report.catalogued == len(list(archive.catalog.paths())) > 200
    proc = _cli(archive.root, "fsck")
    assert proc.returncode == 0 and "clean" in proc.stdout


def test_each_damage_found_and_repaired(archive):
    root = archive.root
    versions = {v: archive.catalog.version_at(v) for v in archive.catalog.paths()}
    before_hashes = {p: v.file_hash for p, v in versions.items() if v is not None}
    revisions = [p for p in versions if p.startswith("revisions/")]
    firsts = [p for p in versions if p.startswith("articles/") and not any(r.split("/")[2] == Path(p).stem for r in revisions)]
    # 1. A record truncated to nothing (unreadable: reported, never "repaired" away).
    empty = firsts[0]
    (root / empty).write_bytes(b"")
    # 2. A record truncated to half (still parses: its text changed behind the catalog's back).
    half = firsts[1]
    data = (root / half).read_bytes()
    (root / half).write_bytes(data[: len(data) // 2])
    # 3. A record edited without a catalog update.
    edited = firsts[2]
    (root / edited).write_bytes((root / edited).read_bytes().replace(b"</p>", b"</p><p>\xe6\x94\xb9</p>", 1))
    # 4. A stray temp file of a writer that died before its journal.
    stray = root / "articles" / "cdt" / f".nv-0000000001_aaaaaaaaaaaa.md.{dead_pid()}.tmp"
    stray.write_bytes(b"half a rec")
    # 5. A stale journal: a writer died after its journal, before renaming its file.
    pid = dead_pid()
    rec = (CORPUS / "seed" / "000_e886f203c780aee1.txt").read_bytes()
    final = "articles/rfi/8300640697_e886f203c780.md"
    (root / "articles" / "rfi").mkdir(parents=True)
    tmp = f"articles/rfi/.nv-8300640697_e886f203c780.md.{pid}.tmp"
    (root / tmp).write_bytes(rec)
    (root / ".newsvault" / "journal.json").write_text(json.dumps([[tmp, final]]))
    # 6. A record file that vanished (its catalog row stays).
    gone = firsts[3]
    (root / gone).unlink()
    # 7. A revision left without its version 0 (a record moved away by hand).
    orphan_rev = revisions[0]
    stem = orphan_rev.split("/")[2]
    moved = root / "articles" / "cdt" / f"{stem}.md"
    moved_to = root / f"{stem}.md.bak"
    os.replace(moved, moved_to)
    archive.close()

    before = snapshot(archive)
    report = check(archive)
    found = {k for k, _ in kinds(report)}
    assert found >= {"unparseable", "hash-mismatch", "temp-file", "journal", "missing-file", "orphan-revision"}, kinds(report)
    by = {(p.kind, p.path) for p in report.problems}
    assert ("unparseable", empty) in by and ("hash-mismatch", half) in by and ("hash-mismatch", edited) in by
    assert ("temp-file", archive.rel(stray)) in by and ("temp-file", tmp) in by
    assert ("missing-file", gone) in by and ("missing-file", f"articles/cdt/{stem}.md") in by
    assert any(k == "orphan-revision" and p.startswith(f"revisions/cdt/{stem}/") for k, p in by)
    assert snapshot(archive) == before  # checking changes nothing

    # The CLI says the same, in one line each, and exits 1.
    proc = _cli(root, "fsck", "--json")
    assert proc.returncode == 1
    assert sorted((p["kind"], p["path"]) for p in json.loads(proc.stdout)["problems"]) == kinds(report)

    repaired = fsck(archive, repair=True)
    after = snapshot(archive)
    # No record file was deleted or rewritten; the interrupted write was finished.
    assert {k: v for k, v in after.items() if k != final} == before
    assert after[final] == hashlib.sha256(rec).hexdigest()
    assert not stray.exists() and not (root / tmp).exists() and not (root / ".newsvault" / "journal.json").exists()
    # What remains is what cannot be derived: the empty record and the orphaned revisions.
    left = {k for k, _ in kinds(repaired)}
    assert left == {"unparseable", "orphan-revision"}, kinds(repaired)
    assert {k for k, _ in ((p.kind, p.path) for p in repaired.repaired)} >= {"hash-mismatch", "temp-file", "journal", "missing-file"}
    assert archive.catalog.version_at(edited).file_hash == hashlib.sha256((root / edited).read_bytes()).hexdigest()
    assert archive.catalog.version_at(final) is not None
    # What the repair took as the new truth is on record, with the digests before and after.
    (log,) = (root / "repairs").glob("*.jsonl")
    accepted = {e["path"]: e for e in map(json.loads, log.read_text().splitlines())}
    assert set(accepted) == {half, edited, gone, f"articles/cdt/{stem}.md"}
    assert accepted[edited]["kind"] == "hash-mismatch" and accepted[edited]["catalogued_sha256"] == before_hashes[edited]
    assert accepted[edited]["found_sha256"] == hashlib.sha256((root / edited).read_bytes()).hexdigest()
    assert accepted[gone]["kind"] == "missing-file" and accepted[gone]["found_sha256"] is None
    assert any(a.startswith("recorded 4 changed or deleted record file(s) in repairs/") for a in repaired.actions)
    # Putting the moved record back (what the hint says to do) makes the archive clean again.
    os.replace(moved_to, moved)
    (root / empty).unlink()  # (or restore it from git)
    assert fsck(archive, repair=True).clean


@pytest.mark.parametrize("damage", ["deleted", "garbage", "truncated"])
def test_missing_or_damaged_catalog_is_rebuilt(archive, damage):
    root = archive.root
    rows = sorted((v.path, v.article_id, v.rev, v.content_hash, v.file_hash, v.seen) for v in map(archive.catalog.version_at, archive.catalog.paths()))
    archive.close()
    cat = root / ".newsvault" / "catalog.sqlite"
    for suffix in ("-wal", "-shm"):
        Path(f"{cat}{suffix}").unlink(missing_ok=True)
    if damage == "deleted":
        cat.unlink()
    elif damage == "garbage":
        cat.write_bytes(b"this is not a database" * 100)
    else:
        data = cat.read_bytes()
        cat.write_bytes(data[: len(data) // 3])
    before = snapshot(archive)
    report = check(archive)
    assert {p.kind for p in report.problems} == {"catalog-missing" if damage == "deleted" else "catalog-damaged"}, kinds(report)
    proc = _cli(root, "fsck", "--repair", "--json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = json.loads(proc.stdout)
    assert out["clean"] and out["repaired"]
    assert snapshot(archive) == before
    fresh = Archive.open(root)
    assert sorted((v.path, v.article_id, v.rev, v.content_hash, v.file_hash, v.seen) for v in map(fresh.catalog.version_at, fresh.catalog.paths())) == rows
    fresh.close()


def test_search_index_missing_and_stale(archive):
    root = archive.root
    idx = root / ".newsvault" / "search.sqlite"
    if not idx.exists():
        pytest.skip("the search index is not built by this tree")
    from newsvault.search.index import Doc, SearchIndex

    archive.close()
    extra = SearchIndex(idx)
    extra.add_documents([Doc("ffffffffffff", "cdt", "不存在的文章", "正文", 0)])
    extra.close()
    fresh = Archive.open(root)
    assert {p.kind for p in check(fresh).problems} == {"index-stale"}
    assert fsck(fresh, repair=True).clean
    fresh.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{idx}{suffix}").unlink(missing_ok=True)
    fresh = Archive.open(root)
    # No index file is an index not built yet: the first search builds it from the catalog.
    assert check(fresh).clean
    title = fresh.catalog.list_articles()[0].title
    fresh.close()
    found = _cli(root, "search", title, "--json")
    assert found.returncode == 0 and json.loads(found.stdout)["count"] >= 1, found.stdout + found.stderr
    assert idx.exists() and check(Archive.open(root)).clean  # the search built it


def test_live_writer_temp_files_are_not_strays(archive):
    # A temp file whose writer is running (this test's parent process) is a write in progress.
    live = archive.root / "articles" / "cdt" / f".nv-x.md.{os.getppid()}.tmp"
    live.write_bytes(b"in progress")
    assert check(archive).clean
    assert fsck(archive, repair=True).clean and live.exists()


def test_rows_deleted_from_the_article_table_are_reported_and_restored(archive):
    """The catalog stays a valid database after ``DELETE FROM articles WHERE rowid % 3 = 0``;
    fsck must notice the articles it lost (their versions remain) and --repair bring them back."""
    import sqlite3

    root = archive.root
    before = {a.id: (a.title, a.latest_path, a.versions) for a in archive.catalog.list_articles()}
    archive.close()
    db = sqlite3.connect(root / ".newsvault" / "catalog.sqlite")
    with db:
        lost = db.execute("DELETE FROM articles WHERE rowid % 3 = 0").rowcount
        db.execute("UPDATE articles SET versions = versions + 1 WHERE rowid = (SELECT MIN(rowid) FROM articles)")
    db.close()
    assert lost > 10
    proc = _cli(root, "fsck")
    assert proc.returncode != 0
    assert proc.stdout.count("no row in the article table") + proc.stderr.count("no row in the article table") == lost
    assert "the article table says" in proc.stdout + proc.stderr
    reopened = Archive.open(root)
    try:
        report = fsck(reopened, repair=True)
        assert report.clean, report.problems
        assert sum(p.kind == "article-row" for p in report.repaired) == lost + 1
        assert {a.id: (a.title, a.latest_path, a.versions) for a in reopened.catalog.list_articles()} == before
    finally:
        reopened.close()


def test_a_file_where_the_state_folder_belongs_is_moved_aside_and_everything_rebuilt(archive):
    import shutil

    root = archive.root
    before = snapshot(archive)
    count = len(archive.catalog.list_articles())
    archive.close()
    shutil.rmtree(root / ".newsvault")
    (root / ".newsvault").write_text("not a folder\n")
    proc = _cli(root, "fsck")
    assert proc.returncode == 1 and "state-not-folder" in proc.stdout
    proc = _cli(root, "fsck", "--repair")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "moved the file .newsvault to .newsvault.not-a-folder-" in proc.stdout
    aside = list(root.glob(".newsvault.not-a-folder-*"))
    assert len(aside) == 1 and aside[0].read_text() == "not a folder\n"  # set aside, not deleted
    reopened = Archive.open(root)
    try:
        assert snapshot(reopened) == before and len(reopened.catalog.list_articles()) == count
    finally:
        reopened.close()


def test_a_revision_under_another_articles_folder_is_reported_and_never_grafted(archive):
    """A clone may carry revisions/<source>/<B's stem>/<seen>.md whose URL names article A: it
    would add a "version" to A. fsck reports it; neither --repair nor reindex adds it to A."""
    from dataclasses import replace

    from newsvault.record import parse, render

    a, b = [x for x in archive.catalog.list_articles() if x.versions == 1][:2]
    history_before = [(v.rev, v.content_hash) for v in archive.catalog.versions(a.id)]
    forged = replace(parse(archive.read_bytes(a.path)), body="<p>伪造的版本：从未发表过的文字。</p>")
    b_stem = b.path.rsplit("/", 1)[-1].removesuffix(".md")
    rel = f"revisions/{b.source}/{b_stem}/1700000000.md"
    (archive.root / rel).parent.mkdir(parents=True, exist_ok=True)
    (archive.root / rel).write_text(render(forged), encoding="utf-8")

    found = check(archive)
    assert ("misplaced-revision", rel) in kinds(found) and ("not-in-catalog", rel) not in kinds(found)
    report = fsck(archive, repair=True)
    assert ("misplaced-revision", rel) in kinds(report)  # still there: only a person may move or remove it
    assert [(v.rev, v.content_hash) for v in archive.catalog.versions(a.id)] == history_before
    result = archive.reindex()
    assert [(v.rev, v.content_hash) for v in archive.catalog.versions(a.id)] == history_before
    assert {"path": rel, "reason": result["errors"][-1]["reason"]} in result["errors"]
    assert "not added to it" in result["errors"][-1]["reason"]
    assert (archive.root / rel).is_file()  # reported, never deleted
