"""The archive: layout, names, revisions, lookups, and a catalog derived from the files only."""

from __future__ import annotations

import shutil
import sqlite3

import pytest

from newsvault.archive import Archive, record_name
from newsvault.compose import open_archive
from newsvault.errors import ArchiveError, NotFound
from newsvault.record import Record, parse, render


def rec(title="标题", url="https://www.rfi.fr/cn/a", published=1_699_359_302_000, body="<p>正文</p>") -> Record:
    return Record(title=title, url=url, published=published, body=body)


def record_files(archive: Archive) -> dict[str, bytes]:
    return {archive.rel(p): p.read_bytes() for p in archive.record_files()}


def catalog_dump(archive: Archive) -> list:
    db = sqlite3.connect(archive.state_dir / "catalog.sqlite")
    try:
        return [
            sorted(db.execute("SELECT * FROM versions").fetchall()),
            sorted(db.execute("SELECT * FROM articles").fetchall()),
        ]
    finally:
        db.close()


def test_names_sort_newest_first_and_stay_short():
    older, newer = record_name(1_600_000_000_000, "a" * 12), record_name(1_700_000_000_000, "b" * 12)
    assert sorted([older, newer]) == [newer, older]
    for ms in (-5, 0, 1_699_359_302_000, 10**16):
        name = record_name(ms, "0123456789ab")
        assert len(name.encode()) == 26 and "/" not in name and name.isascii()


def test_new_record_is_written_in_canonical_form(archive):
    r = rec()
    result = archive.add(r, "rfi")
    assert result.status == "new"
    path = archive.root / result.path
    assert path.parent == archive.root / "articles" / "rfi"
    assert path.read_text(encoding="utf-8") == render(r)
    assert not list(archive.root.rglob(".nv-*"))  # no temp file left behind


def test_same_article_is_unchanged_and_never_rewritten(archive):
    first = archive.add(rec(), "rfi")
    mtime = (archive.root / first.path).stat().st_mtime_ns
    # The same link with tracking parameters, from another feed, is the same article.
    again = archive.add(rec(url="https://WWW.rfi.fr/cn/a/?utm_source=rss"), "bbc")
    assert (again.status, again.article_id, again.path) == ("unchanged", first.article_id, None)
    assert (archive.root / first.path).stat().st_mtime_ns == mtime
    assert archive.catalog.count_articles() == 1


def test_changed_content_becomes_a_revision_and_keeps_the_old_text(archive):
    v0 = archive.add(rec(body="<p>第一版</p>"), "rfi", seen=1_700_000_000_000)
    v1 = archive.add(rec(body="<p>第二版</p>", title="新标题"), "rfi", seen=1_700_000_100_000)
    assert v1.status == "revision" and v1.article_id == v0.article_id
    assert v1.path == f"revisions/rfi/{v0.path.split('/')[-1][:-3]}/1700000100.md"
    assert parse((archive.root / v0.path).read_bytes()).body == "<p>第一版</p>"
    assert parse((archive.root / v1.path).read_bytes()).body == "<p>第二版</p>"
    versions = archive.catalog.versions(v0.article_id)
    assert [(v.rev, v.title) for v in versions] == [(0, "标题"), (1, "新标题")]
    article = archive.catalog.get(v0.article_id)
    assert (article.title, article.versions, article.latest_path) == ("新标题", 2, v1.path)
    # Re-adding a version already archived (a rerun) is a no-op...
    assert archive.add(rec(body="<p>第二版</p>", title="新标题"), "rfi", seen=1_700_000_200_000).status == "unchanged"
    assert archive.add(rec(body="<p>第一版</p>"), "rfi", seen=1_700_000_000_000).status == "unchanged"
    # ...but an edit that is later reverted (A, B, A) is an event: all three versions are kept.
    reverted = archive.add(rec(body="<p>第一版</p>"), "rfi", seen=1_700_000_300_000)
    assert reverted.status == "revision"
    assert [v.rev for v in archive.catalog.versions(v0.article_id)] == [0, 1, 2]


def test_revisions_seen_in_the_same_second_get_distinct_files(archive):
    archive.add(rec(body="<p>a</p>"), "rfi", seen=1_700_000_000_000)
    b = archive.add(rec(body="<p>b</p>"), "rfi", seen=1_700_000_000_500)
    c = archive.add(rec(body="<p>c</p>"), "rfi", seen=1_700_000_000_900)
    assert b.path != c.path
    # Named by the second they were seen, never a second later: a name is evidence of a time.
    versions = archive.catalog.versions(b.article_id)
    assert len(versions) == 3
    assert sorted(v.path.rsplit("/", 1)[1] for v in versions if v.path.startswith("revisions/")) == ["1700000000-2.md", "1700000000.md"]


def test_link_less_items_are_kept_apart_by_content(archive):
    a = archive.add(rec(url="", title="无链接一"), "voa")
    b = archive.add(rec(url="", title="无链接二"), "voa")
    assert a.status == b.status == "new" and a.article_id != b.article_id


def test_resolve_by_id_prefix_url_path_and_revision(archive):
    r = archive.add(rec(), "rfi")
    archive.add(rec(body="<p>改</p>"), "rfi")
    for ref in (r.article_id, r.article_id[:6], "https://www.rfi.fr/cn/a?utm_medium=x"):
        assert archive.resolve(ref) == (archive.catalog.get(r.article_id), None)
    # a record path names the version that file holds
    assert archive.resolve(r.path) == (archive.catalog.get(r.article_id), 0)
    assert archive.resolve(f"{r.article_id}@1")[1] == 1
    with pytest.raises(NotFound, match="versions 0–1"):
        archive.resolve(f"{r.article_id}@5")
    with pytest.raises(NotFound, match="no article"):
        archive.resolve("https://www.rfi.fr/cn/unknown")
    with pytest.raises(NotFound, match="no article"):
        archive.resolve("zzzz")


def test_failed_batch_leaves_nothing_behind(archive):
    with pytest.raises(RuntimeError), archive.batch():
        archive.add(rec(url="https://e.com/1"), "rfi")
        archive.add(rec(url="https://e.com/2"), "rfi")
        raise RuntimeError("boom")
    assert record_files(archive) == {}
    assert not list(archive.root.rglob(".nv-*"))
    assert archive.catalog.count_articles() == 0


def test_reindex_rebuilds_the_same_catalog_from_files(archive, corpus):
    from newsvault.importer import import_paths

    import_paths(archive, [corpus / "cdt", corpus / "cdt-history", corpus / "seed"])
    before = catalog_dump(archive)
    (archive.state_dir / "catalog.sqlite").unlink()
    for extra in ("catalog.sqlite-wal", "catalog.sqlite-shm"):
        (archive.state_dir / extra).unlink(missing_ok=True)
    archive.close()
    reopened = Archive.open(archive.root)
    reopened.reindex()
    assert catalog_dump(reopened) == before
    reopened.close()


def test_duty_machine_archive_opens_without_conversion(tmp_path, corpus):
    root = tmp_path / "cdt"
    shutil.copytree(corpus / "cdt", root)
    before = record_files_on_disk = {p.relative_to(root): p.read_bytes() for p in root.rglob("*") if p.is_file()}
    archive = open_archive(root)  # recovery builds the catalog of an archive opened the first time
    articles = archive.catalog.list_articles()
    assert {a.source for a in articles} == {"cdt"}
    assert sum(a.versions for a in articles) == 227  # every file is a version of some article
    assert len(articles) == len({parse(b).url for b in before.values() if b.startswith(b"[")})
    # Nothing of the original was touched; only derived data was added.
    after = {p.relative_to(root): p.read_bytes() for p in root.rglob("*") if p.is_file() and ".newsvault" not in p.parts}
    assert after == record_files_on_disk
    archive.close()


def test_open_refuses_a_directory_that_is_not_an_archive(tmp_path):
    with pytest.raises(ArchiveError, match="not a newsvault archive"):
        Archive.open(tmp_path)
    with pytest.raises(ArchiveError, match="no such directory"):
        Archive.open(tmp_path / "missing")
    Archive.init(tmp_path / "a")
    with pytest.raises(ArchiveError, match="already"):
        Archive.init(tmp_path / "a")


# -- the revision rule, in one place --------------------------------------------------------------


def test_classify_is_the_rule_add_follows_and_changes_nothing(archive):
    a, b = rec(body="<p>第一版</p>"), rec(body="<p>第二版</p>")
    assert archive.classify(a, "rfi", seen=1_700_000_000_000) == "new"
    assert archive.catalog.count_articles() == 0 and record_files(archive) == {}  # a question, not a write
    steps = [(a, 1_700_000_000_000), (b, 1_700_000_100_000), (a, 1_700_000_200_000), (a, 1_700_000_300_000)]
    statuses = []
    for r, seen in steps:
        expected = archive.classify(r, "rfi", seen=seen)
        assert archive.add(r, "rfi", seen=seen).status == expected
        statuses.append(expected)
    # A, B, A seen at known times: the revert is an event; seeing A again is not.
    assert statuses == ["new", "revision", "revision", "unchanged"]
    aid = archive.add(a, "rfi", seen=1_700_000_300_000).article_id
    assert len(archive.catalog.versions(aid)) == 3
    # A text whose sighting time is unknown (a plain import) is unchanged if any version has it.
    assert archive.classify(b, "rfi") == "unchanged"
    assert archive.classify(rec(body="<p>第三版</p>"), "rfi") == "revision"
    # At a known time, the version current then decides: B was current between its two A's.
    assert archive.classify(b, "rfi", seen=1_700_000_150_000) == "unchanged"
    assert archive.classify(b, "rfi", seen=1_700_000_250_000) == "revision"


def test_a_dated_history_a_b_a_imports_as_three_versions_and_only_once(archive, tmp_path):
    history = tmp_path / "history" / "8406557617_8c1dd8ea78fe"
    history.mkdir(parents=True)
    texts = {1_700_000_000: "<p>原文</p>", 1_700_000_100: "<p>改动</p>", 1_700_000_200: "<p>原文</p>"}
    for seconds, body in texts.items():
        (history / f"{seconds}.md").write_text(render(rec(body=body)), encoding="utf-8")
    from newsvault.importer import import_paths

    first = import_paths(archive, [tmp_path / "history"])
    assert (first.imported, first.revisions, first.unchanged) == (1, 2, 0)
    aid = archive.catalog.list_articles()[0].id
    assert [parse((archive.root / v.path).read_bytes()).body for v in archive.catalog.versions(aid)] == list(texts.values())
    files = record_files(archive)
    again = import_paths(archive, [tmp_path / "history"])
    assert (again.imported, again.revisions, again.unchanged) == (0, 0, 3)
    assert record_files(archive) == files


# -- the composition root -------------------------------------------------------------------------


def test_the_core_does_not_import_search():
    import subprocess
    import sys

    code = "import sys, newsvault.archive, newsvault.importer, newsvault.preserve.history; print(sorted(m for m in sys.modules if m.startswith('newsvault.search')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_opening_is_plain_and_recovery_is_explicit(tmp_path, corpus):
    root = tmp_path / "cdt"
    shutil.copytree(corpus / "cdt", root)
    plain = Archive.open(root)
    assert plain.listeners == []
    assert plain.catalog.count_articles() == 0  # reading the catalog rebuilds nothing
    added = plain.recover()  # first open of a duty-machine archive: build it from the files
    assert len(added) == 227 and plain.catalog.count_articles() > 0
    plain.close()
    heard = []
    with open_archive(root, listeners=[lambda archive, versions, *, rebuild: heard.append((len(versions), rebuild))]) as a:
        a.add(rec(url="https://chinadigitaltimes.net/chinese/new"), "cdt")
    assert heard == [(1, False)]
    from newsvault.search.index import update_index

    with open_archive(root) as a:
        assert a.listeners == [update_index]


def test_a_batch_syncs_every_file_before_the_journal_names_it(archive, monkeypatch):
    """Every file of a batch is synced before the journal that points at it is written; a
    failed sync fails the batch and leaves nothing of it."""
    import newsvault.archive as module

    events: list[str] = []
    real_sync, real_atomic = module._fsync_path, module._write_atomic

    def sync(path):
        real_sync(path)
        events.append(f"synced {path.name}")

    def atomic(path, data, fsync=True):
        events.append(f"wrote {path.name}")
        real_atomic(path, data, fsync)

    monkeypatch.setattr(module, "_fsync_path", sync)
    monkeypatch.setattr(module, "_write_atomic", atomic)
    with archive.batch():
        for i in range(6):
            archive.add(rec(url=f"https://www.rfi.fr/cn/{i}"), "rfi")
    journal = events.index(f"wrote {module.JOURNAL_FILE}")
    temps = {e for e in events[:journal] if e.startswith("synced .nv-")}
    assert len(temps) == 6, events
    assert len(list(archive.record_files())) == 6

    def broken(path):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(module, "_fsync_path", broken)
    with pytest.raises(OSError), archive.batch():
        for i in range(6, 9):
            archive.add(rec(url=f"https://www.rfi.fr/cn/{i}"), "rfi")
    assert len(list(archive.record_files())) == 6  # nothing of the failed batch is left
    assert not [p for p in archive.root.rglob(".nv-*")]
