"""The index keeps up with the archive: small batches at once, bulk ones queued, rebuilds."""

from __future__ import annotations

import sqlite3

import pytest

from newsvault.archive import Archive
from newsvault.compose import init_archive
from newsvault.search import index as index_mod
from newsvault.search import index_for, search_archive
from newsvault.search.index import SEARCH_FILE, Doc, SearchIndex
from newsvault.search.query import count, search
from search_helpers import record


@pytest.fixture(autouse=True, params=["tantivy", "fts5"])
def engine(request, monkeypatch):
    """Every test runs on both engines behind the index."""
    monkeypatch.setattr(index_mod, "DEFAULT_ENGINE", request.param)
    return request.param


def ids(hits):
    return [h.id for h in hits]


def test_new_articles_are_searchable_right_after_the_batch(archive):
    r = archive.add(record("臺灣選舉觀察", "<p>投票率創新高</p>", 1), "rfa")
    idx = index_for(archive)
    assert idx.pending_count() == 0  # a small batch is indexed during the write, not queued
    assert ids(search(idx, "台湾 投票率")) == [r.article_id]
    assert ids(search(idx, "臺灣")) == [r.article_id]


def test_a_revision_replaces_the_old_text(archive):
    first = archive.add(record("标题", "<p>旧的说法：停火</p>", 2), "rfi")
    second = archive.add(record("标题", "<p>新的说法：休战</p>", 2), "rfi", seen=1_800_000_000_000)
    assert second.status == "revision" and second.article_id == first.article_id
    idx = index_for(archive)
    assert ids(search(idx, "休战")) == [first.article_id]
    assert search(idx, "停火") == []
    assert idx.count() == 1
    # the postings of the old version really left (a contentless table needs them given back)
    assert count(idx, "停火") == 0 and count(idx, "休战") == 1


def test_bulk_batches_are_queued_then_caught_up_by_the_first_search(archive, monkeypatch):
    monkeypatch.setattr(index_mod, "SYNC_LIMIT", 3)
    with archive.batch():
        added = [archive.add(record(f"第{n}篇 加沙 报道", f"<p>内容 {n} 号</p>", 100 + n), "voa") for n in range(5)]
    idx = index_for(archive)
    assert idx.pending_count() == 5 and idx.count() == 0
    hits = search_archive(archive, "加沙", limit=10)
    assert sorted(ids(hits)) == sorted(a.article_id for a in added)
    assert idx.pending_count() == 0


def test_reindex_rebuilds_from_the_catalog(archive):
    archive.add(record("香港政情", "<p>立法会</p>", 3), "rfa")
    idx = index_for(archive)
    idx.clear()  # lose the index entirely
    assert search(idx, "立法会") == []
    archive.reindex()
    assert idx.pending_count() == 1
    assert len(search_archive(archive, "立法会")) == 1


def test_index_survives_reopening_and_a_missing_file_is_rebuilt(tmp_path):
    root = tmp_path / "a"
    with init_archive(root) as a:
        aid = a.add(record("德国之声", "<p>柏林消息</p>", 4), "dw").article_id
    with Archive.open(root) as a:
        assert ids(search_archive(a, "柏林")) == [aid]
    (root / ".newsvault" / SEARCH_FILE).unlink()
    for extra in (root / ".newsvault").glob(SEARCH_FILE + "-*"):
        extra.unlink()
    with Archive.open(root) as a:
        # a fresh, empty index: 'newsvault index --rebuild' (or reindex) fills it
        idx = index_for(a)
        assert idx.count() == 0
        idx.enqueue(x.id for x in a.catalog.list_articles())
        assert ids(search_archive(a, "柏林")) == [aid]


def test_a_tokenizer_change_resets_and_requeues(tmp_path, monkeypatch):
    path = tmp_path / SEARCH_FILE
    idx = SearchIndex(path)
    idx.add_documents([Doc("aaaa00000001", "rfi", "加沙", "停火", 1)])
    idx.close()
    db = sqlite3.connect(path)
    db.execute("UPDATE meta SET value='old' WHERE key='schema'")
    db.commit()
    db.close()
    idx = SearchIndex(path)
    assert idx.count() == 0 and idx.pending_count() == 1


def test_add_documents_from_an_iterable_replaces_by_article_id(tmp_path):
    idx = SearchIndex(tmp_path / SEARCH_FILE)
    n, size = idx.add_documents(Doc(f"{i:012x}", "rfi", f"标题{i}", "七国集团 加沙" if i % 2 else "无关", i) for i in range(10))
    assert n == 10 and size > 0
    assert len(search(idx, "七国集团 加沙", limit=50)) == 5
    idx.add_documents([Doc(f"{1:012x}", "rfi", "标题", "改写了", 1)])
    assert idx.count() == 10 and len(search(idx, "七国集团 加沙", limit=50)) == 4


def test_limits_are_checked(archive):
    from newsvault.errors import QueryError

    idx = index_for(archive)
    with pytest.raises(QueryError):
        search(idx, "加沙", limit=0)
    with pytest.raises(QueryError):
        search(idx, "加沙", offset=-1)


def test_articles_gone_from_the_catalog_are_not_returned(archive):
    keep = archive.add(record("留下的文章", "<p>维吾尔 新闻</p>", 5), "rfa")
    gone = archive.add(record("删掉的文章", "<p>维吾尔 报道</p>", 6), "rfa")
    assert len(search_archive(archive, "维吾尔")) == 2
    archive.catalog.remove_paths([gone.path])
    assert [h.id for h in search_archive(archive, "维吾尔")] == [keep.article_id]
    assert index_for(archive).count() == 1  # and it left the index


def test_row_ids_follow_publication_time_and_filters_run_in_fts(tmp_path):
    from newsvault.search.rows import published_of

    idx = SearchIndex(tmp_path / SEARCH_FILE)
    day = 86_400_000
    docs = [Doc(f"{i:012x}", "泡泡" if i % 2 else "nei.st", f"标题{i}", "加沙 停火", 1_700_000_000_000 + i * day) for i in range(6)]
    docs += [Doc("undated00001", "rfi", "无日期", "加沙 停火", None), Doc("samems000001", "rfi", "同一毫秒", "加沙 停火", 1_700_000_000_000)]
    idx.add_documents(reversed(docs))  # insertion order does not matter
    rows = idx.db.execute("SELECT rowid, article_id, published FROM docs ORDER BY rowid").fetchall()
    assert rows[0][1] == "undated00001"
    assert [published_of(r) for r, _a, p in rows[1:]] == [p for _r, _a, p in rows[1:]]
    assert len({r for r, *_ in rows}) == len(rows)
    # source filter (a non-ASCII slug and a dotted one) and date filters
    assert {h.source for h in search(idx, "加沙", sources=["泡泡"], limit=50)} == {"泡泡"}
    assert len(search(idx, "加沙", sources=["nei.st"], limit=50)) == 3
    got = search(idx, "加沙", since=1_700_000_000_000 + 2 * day, until=1_700_000_000_000 + 4 * day, limit=50)
    assert sorted(h.id for h in got) == [f"{2:012x}", f"{3:012x}"]
    assert "undated00001" in [h.id for h in search(idx, "加沙", limit=50)]
    assert "undated00001" not in [h.id for h in search(idx, "加沙", until=1_800_000_000_000, limit=50)]
    # equal texts: the recency factor puts the newest first
    assert search(idx, "停火", limit=1)[0].id == f"{5:012x}"


def test_an_old_relevant_article_beats_a_thousand_newer_weak_matches(tmp_path):
    idx = SearchIndex(tmp_path / SEARCH_FILE)
    # the oldest article is by far the most relevant (the word in its title, many times)
    idx.add_documents([Doc("old000000000", "rfi", "香港 香港 香港", "香港 " * 50, 1_000_000_000_000)])
    idx.add_documents(Doc(f"{i:012x}", "rfi", f"新闻{i}", "今天的消息很多，其中一条提到香港。" + "其他内容" * 40, 1_700_000_000_000 + i) for i in range(1500))
    assert search(idx, "香港", limit=1)[0].id == "old000000000"
    assert count(idx, "香港") == 1501  # exact, however many match
    # every match is ranked, so deep pages are full and never repeat
    seen = [h.id for off in range(0, 1501, 200) for h in search(idx, "香港", limit=200, offset=off)]
    assert len(seen) == len(set(seen)) == 1501


def test_a_collect_is_searchable_at_once_from_another_open_index(archive):
    """A reader (the 'serve' process) sees what a writer (the hourly collect) just committed."""
    reader = SearchIndex(archive.state_dir / SEARCH_FILE)
    assert search(reader, "维吾尔") == []
    with archive.batch():  # an hourly collect: indexed during the write, not queued
        added = [archive.add(record(f"维吾尔 报道 {n}", f"<p>第{n}篇</p>", 500 + n), "rfa") for n in range(index_mod.SYNC_LIMIT)]
    assert index_for(archive).pending_count() == 0
    assert count(reader, "维吾尔") == len(added)
    reader.close()


def test_a_page_far_beyond_the_matches_is_empty(tmp_path):
    idx = SearchIndex(tmp_path / SEARCH_FILE)
    idx.add_documents([Doc("aaaa00000001", "rfi", "加沙", "停火", 1)])
    assert search(idx, "加沙", limit=200, offset=1_000_000_000) == []
    assert search(idx, "加沙", limit=200, offset=0)[0].id == "aaaa00000001"


def test_one_character_finds_it_anywhere_in_a_run(tmp_path):
    # first, middle and last character of a run, and a run of one: all found, nothing else
    texts = {"a": "沙漠之中", "b": "行动在加沙进行", "c": "一片黄沙", "d": "沙", "e": "没有那个字"}
    idx = SearchIndex(tmp_path / SEARCH_FILE)
    idx.add_documents(Doc(f"{k * 12}", "rfi", "标题", t, 1) for k, t in texts.items())
    assert sorted(h.id[0] for h in search(idx, "沙", limit=10)) == ["a", "b", "c", "d"]


def test_bulk_builds_tokenise_in_worker_processes_with_the_same_result(tmp_path):
    docs = [Doc(f"{i:012x}", "rfi", f"标题{i}", ("七国集团 加沙 " if i % 3 else "无关 ") * (i % 7 + 1), 1_700_000_000_000 + i) for i in range(300)]
    inline = SearchIndex(tmp_path / "a" / SEARCH_FILE)
    inline.add_documents(docs, batch=50)
    pooled = SearchIndex(tmp_path / "b" / SEARCH_FILE)
    with pooled.bulk():
        pooled.workers = 2  # whatever this machine has, use processes
        pooled.add_documents(docs, batch=50)
    for q in ("七国集团 加沙", "无关", "标题5"):
        assert [(h.id, round(h.score, 4)) for h in search(inline, q, limit=50)] == [(h.id, round(h.score, 4)) for h in search(pooled, q, limit=50)]
    assert pooled.count() == inline.count() == 300


def test_a_rebuild_while_another_process_has_the_index_open(archive):
    """A server keeps answering while `newsvault index --rebuild` runs, then sees the new index."""
    archive.add(record("维吾尔 报道", "<p>第一篇</p>", 1), "rfa")
    reader = SearchIndex(archive.state_dir / SEARCH_FILE)
    assert count(reader, "维吾尔") == 1
    idx = index_for(archive)
    with idx.transaction():
        idx.clear()  # what a rebuild does first; not committed yet
        assert count(reader, "维吾尔") == 1
    assert count(reader, "维吾尔") == 0
    idx.enqueue([a.id for a in archive.catalog.list_articles()])
    idx.catch_up(archive)
    assert count(reader, "维吾尔") == 1 and reader.count() == 1
    reader.close()
