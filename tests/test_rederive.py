"""Re-derive, do not patch: ``reindex`` and ``fsck --repair`` rebuild the catalog from the record
files alone and give the answer the incremental path gave (every article's versions: path, text
hash, rev, seen). The one thing only the catalog knows is when a collector first saw a version 0
(its file is named by publication, not by sighting), and the millisecond of a revision's
sighting (its name holds the second): those are the documented differences."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from collect_helpers import rss20
from conftest import run_cli
from newsvault.archive import Archive
from newsvault.importer import import_paths
from test_history_order import _jekyll_subset
from test_hourly import identity, item, seed

Dump = dict[str, list[tuple[str, str, int, int | None]]]


def dump(root: Path) -> Dump:
    with Archive.open(root) as archive:
        return {
            # by rev, then path: files repeating a text (rev -1) have no order of their own
            a.canonical_url: sorted(((v.path, v.content_hash, v.rev, v.seen) for v in archive.catalog.files(a.id)), key=lambda f: (f[2], f[0]))
            for a in archive.catalog.list_articles()
        }


def test_reindex_and_repair_give_the_incremental_answer_on_the_corpus(corpus: Path, tmp_path: Path) -> None:
    posts = tmp_path / "jekyll" / "_posts"
    posts.mkdir(parents=True)
    for path in _jekyll_subset(corpus / "jekyll" / "_posts"):
        shutil.copy2(path, posts / path.name)
    root = tmp_path / "a"
    with Archive.init(root) as archive:
        for folder in (corpus / "cdt-history", corpus / "cdt" / "articles", posts):
            import_paths(archive, [folder])
    incremental = dump(root)
    assert sum(len(v) for v in incremental.values()) > len(incremental) > 200  # articles with several versions
    shutil.rmtree(root / ".newsvault")
    run_cli("-C", str(root), "reindex", check=True)
    assert dump(root) == incremental
    shutil.rmtree(root / ".newsvault")
    r = run_cli("-C", str(root), "fsck", "--repair")
    assert r.returncode == 0, r.stdout + r.stderr
    assert dump(root) == incremental
    assert run_cli("-C", str(root), "search", "一九八四", "--json", check=True).stdout.count('"title"') >= 1


def test_a_rebuild_of_a_collected_archive_differs_only_in_the_documented_times(tmp_path: Path, srv) -> None:
    srv.static("/feed.xml", rss20([item(1)]))
    remote, _ = seed(tmp_path, {"rfi": srv.url("/feed.xml")})
    clone = tmp_path / "c"
    subprocess.run(["git", "clone", "-q", str(remote), str(clone)], check=True)
    identity(clone, "c")
    run_cli("-C", str(clone), "collect", "--commit", check=True)
    srv.static("/feed.xml", rss20([item(1, "改过的正文。")]))
    run_cli("-C", str(clone), "collect", "--commit", check=True)
    incremental = dump(clone)
    shutil.rmtree(clone / ".newsvault")
    run_cli("-C", str(clone), "reindex", check=True)
    rebuilt = dump(clone)
    ((url, versions),) = incremental.items()
    first, revision = versions
    assert first[0].startswith("articles/") and first[3] is not None  # the catalog knew when
    # the file of version 0 does not say when it was seen; a revision's name says it to the second
    assert rebuilt == {url: [(*first[:3], None), (*revision[:3], revision[3] // 1000 * 1000)]}
