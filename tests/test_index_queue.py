"""A collect pass queues its articles for the search index; the next search indexes them."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from collect_helpers import Item, allow_private, corpus_records, rss20
from newsvault.cli import main
from newsvault.index_queue import INDEX_FILE
from newsvault.search.index import SEARCH_FILE


def nv(root: Path, *args: str):
    return CliRunner().invoke(main, ["-C", str(root), *args], catch_exceptions=False)


@pytest.fixture
def root(tmp_path):
    r = tmp_path / "archive"
    assert nv(r.parent, "init", str(r), "--no-media").exit_code == 0
    allow_private(r)
    return r


@pytest.fixture(scope="module")
def recs():
    return corpus_records("cdt", 6)


def pending(root: Path) -> set[str]:
    db = sqlite3.connect(root / ".newsvault" / SEARCH_FILE)
    try:
        return {r[0] for r in db.execute("SELECT article_id FROM pending")}
    finally:
        db.close()


def found(root: Path, title: str) -> list[str]:
    r = nv(root, "search", "--json", title)
    assert r.exit_code == 0, r.output
    return [h["title"] for h in json.loads(r.stdout)["results"]]


def test_the_queue_writes_the_index_file_it_names():
    assert INDEX_FILE == SEARCH_FILE


def test_a_pass_queues_its_articles_and_the_next_search_finds_them(root, srv, recs):
    assert found(root, "无关") == []  # the index exists (empty) before the pass
    items = [Item.of(r) for r in recs[:3]]
    srv.static("/feed.xml", rss20(items))
    nv(root, "source", "add", "cdt", srv.url("/feed.xml"))
    assert nv(root, "collect").exit_code == 0
    ids = json.loads(nv(root, "ls", "--json").stdout)
    assert pending(root) == {a["id"] for a in ids} and len(ids) == 3
    assert recs[1].title in found(root, recs[1].title)
    assert pending(root) == set()
    # an edit queues the article again, and the search shows the new text
    edited = Item(items[1].title, items[1].link, (items[1].body or "") + "<p>更正：本文已更新。</p>", items[1].published)
    srv.static("/feed.xml", rss20([items[0], edited, items[2]]))
    assert "1 revised" in nv(root, "collect").output
    assert len(pending(root)) == 1
    assert recs[1].title in found(root, "本文已更新")


def test_a_first_pass_makes_no_index_and_the_first_search_indexes_everything(root, srv, recs):
    srv.static("/feed.xml", rss20([Item.of(r) for r in recs[:2]]))
    nv(root, "source", "add", "cdt", srv.url("/feed.xml"))
    assert nv(root, "collect").exit_code == 0
    assert not (root / ".newsvault" / SEARCH_FILE).exists()
    assert recs[0].title in found(root, recs[0].title)


def test_a_damaged_index_is_started_over_by_the_pass(root, srv, recs):
    (root / ".newsvault" / SEARCH_FILE).write_bytes(b"not a database, " * 64)
    srv.static("/feed.xml", rss20([Item.of(r) for r in recs[:2]]))
    nv(root, "source", "add", "cdt", srv.url("/feed.xml"))
    r = nv(root, "collect")
    assert r.exit_code == 0 and "2 new" in r.output
    assert recs[1].title in found(root, recs[1].title)


# What a small pass over a well-formed feed never uses, so never imports: the search engine and
# its dictionaries (the queue defers them), worker processes, httpx's own decoders, feedparser
# (the fast path reads the feed), the demo's web server, the media code ([media] fetch is off),
# git (no --commit), cssselect (no selector), the metadata scan, and the other commands' code.
NOT_IN_A_PASS = (
    "rjieba", "opencc", "tantivy", "multiprocessing", "zstandard", "feedparser", "http.server", "newsvault.media.fetching",
    "newsvault.collect.gitops", "newsvault.githistory", "cssselect", "importlib.metadata", "newsvault.cli.archive_cmds",
    "newsvault.cli.search_cmds", "newsvault.cli.save_cmd", "newsvault.collect.demo", "newsvault.collect.watch", "jinja2", "rich",
)  # fmt: skip


def test_a_pass_loads_neither_the_engine_nor_the_dictionary(root, srv, recs):
    """The point of the queue: what the index costs to load is not paid every hour (nor what
    a small pass never uses)."""
    found(root, "无关")
    srv.static("/feed.xml", rss20([Item.of(r) for r in recs[:3]]))
    nv(root, "source", "add", "cdt", srv.url("/feed.xml"))
    code = (
        "import sys\nfrom newsvault.cli import main\n"
        "try:\n    main(['-C', sys.argv[1], 'collect'])\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
        f"print(sorted(m for m in {NOT_IN_A_PASS!r} if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(root)], capture_output=True, text=True, timeout=60, check=True).stdout
    assert "3 new" in out
    assert out.strip().splitlines()[-1] == "[]"
    assert len(pending(root)) == 3
