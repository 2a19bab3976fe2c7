"""Bulk builds killed at exact points: 5,200 queued articles indexed in worker processes, killed
with SIGKILL between transactions, and between the engine's commit and SQLite's (the engine ahead of
the documents table), then resumed: the results are exactly an uninterrupted build's.
(tests/hostile/test_search_hostile.py kills `newsvault index` at a moment it observes.)"""

from __future__ import annotations

import os
import random
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import CORPUS, run_cli
from newsvault.compose import init_archive, open_archive
from newsvault.errors import IndexBusy
from newsvault.search import index as index_mod
from newsvault.search import index_for, search_archive
from newsvault.search.query import count
from search_helpers import record

N = 5200  # more than one bulk chunk (index.BULK_CHUNK), as the 5,685-post mirror was
REPO = Path(__file__).resolve().parents[1]
QUERIES = ["台湾", "香港 国安法", '"言论自由"', "中国 -美国", "新冠 OR 疫苗", "审查 source:cdt", "人权"]


def _sentences() -> list[str]:
    text = " ".join(p.read_text(encoding="utf-8", errors="replace") for p in sorted((CORPUS / "cdt" / "articles").glob("*.md"))[:120])
    text = re.sub(r"<[^>]+>|\[[^\]]*\]\([^)]*\)|[#*>_`|-]+", " ", text)
    return [s.strip() for s in re.split(r"[。！？\n]", text) if 8 <= len(s.strip()) <= 120]


@pytest.fixture(scope="module")
def big_archive(tmp_path_factory) -> Path:
    """N articles of real sentences, shuffled; the index only queued (a bulk import)."""
    rng = random.Random(5685)
    sentences = _sentences()
    root = tmp_path_factory.mktemp("bulk") / "archive"
    archive = init_archive(root)
    for start in range(0, N, 1300):
        with archive.batch():
            for i in range(start, min(N, start + 1300)):
                body = "".join(f"<p>{rng.choice(sentences)}。</p>" for _ in range(rng.randint(3, 25)))
                archive.add(record(f"{rng.choice(sentences)[:30]} {i}", body, i, 1_600_000_000_000 + i * 3_600_000), rng.choice(["rfi", "cdt", "bbc"]))
    assert index_for(archive).pending_count() == N  # batches this big are queued, not indexed
    archive.close()
    return root


def _answers(root: Path) -> list:
    archive = open_archive(root)
    try:
        idx = index_for(archive)
        idx.catch_up(archive)
        out = [(q, count(idx, q), [(h.id, round(h.score, 4)) for h in search_archive(archive, q, limit=20)]) for q in QUERIES]
        assert idx.pending_count() == 0 and idx.count() == N
        return out
    finally:
        archive.close()


@pytest.fixture(scope="module")
def reference(big_archive, tmp_path_factory) -> list:
    root = tmp_path_factory.mktemp("reference") / "archive"
    shutil.copytree(big_archive, root)
    return _answers(root)


KILLER = r"""
import os, signal, sys
from newsvault.compose import open_archive
from newsvault.search import index as index_mod
from newsvault.search.tantivy_engine import TantivyEngine

point = sys.argv[2]
index_mod.BULK_TX = 2000  # several transactions in this build of 5,200 articles
archive = open_archive(sys.argv[1])
idx = index_mod.index_for(archive)
if point == "after-a-chunk":
    progress = lambda done, total: os.kill(os.getpid(), signal.SIGKILL)
else:  # the engine's postings committed, SQLite's rows not yet: the index is behind the engine
    progress = None
    commit = TantivyEngine.commit
    def commit_then_die(self):
        written = self.writer is not None
        commit(self)
        if written:
            os.kill(os.getpid(), signal.SIGKILL)
    TantivyEngine.commit = commit_then_die
idx.catch_up(archive, progress=progress)
print("not killed")
"""


@pytest.mark.skipif(index_mod.DEFAULT_ENGINE != "tantivy", reason="kill points are the tantivy engine's")
@pytest.mark.parametrize("point", ["after-a-chunk", "engine-ahead-of-sqlite"])
def test_a_bulk_build_killed_resumes_to_the_same_results(big_archive, tmp_path, reference, point):
    root = tmp_path / "archive"
    shutil.copytree(big_archive, root)
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    proc = subprocess.run([sys.executable, "-c", KILLER, str(root), point], env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == -9, proc.stdout + proc.stderr
    archive = open_archive(root)
    left = index_for(archive).pending_count()
    archive.close()
    if point == "after-a-chunk":
        assert 0 < left < N  # killed part-way: the first transaction kept, the rest left
    else:
        assert left == N  # nothing committed on SQLite's side, though the engine holds a chunk
    assert _answers(root) == reference


HOLDER = r"""
import sys
from newsvault.compose import open_archive
from newsvault.search import index_for

archive = open_archive(sys.argv[1])
idx = index_for(archive)
with idx.bulk():  # a bulk build keeps the engine's writer between its transactions
    idx.index_articles(archive, [sys.argv[2]])
    print("building", flush=True)
    sys.stdin.read()
"""


@pytest.mark.skipif(index_mod.DEFAULT_ENGINE != "tantivy", reason="the tantivy engine's writer lock")
def test_while_another_process_builds_the_index_searches_answer_and_new_articles_wait(tmp_path, monkeypatch):
    """No error while another process holds the index: a search answers from what is indexed
    and says what is not, a collect's articles are queued, `newsvault index` says in one line
    that it must wait; all are found once the other process is done."""
    root = tmp_path / "archive"
    archive = init_archive(root)
    with archive.batch():
        first = archive.add(record("台湾选举", "<p>台湾选举结果公布。</p>", 1), "rfi").article_id
        waiting = archive.add(record("香港新闻", "<p>香港国安法实施。</p>", 2), "rfi").article_id
    index_for(archive).enqueue([waiting])  # as if an import had queued it
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(root), first], env={**os.environ, "PYTHONPATH": str(REPO / "src")},
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "building\n"
        with archive.batch():  # an hourly collect meanwhile: indexed later, not an error
            late = archive.add(record("疫苗接种", "<p>新冠疫苗接种开始。</p>", 3), "rfi").article_id
        assert [h.id for h in search_archive(archive, "台湾")] == [first]
        cli = run_cli("-C", str(root), "search", "香港")
        assert cli.returncode == 0 and "Traceback" not in cli.stderr, cli.stderr
        assert "articles are not searched yet: another newsvault process is indexing them" in cli.stderr
        monkeypatch.setattr(index_mod, "BULK_MIN", 1)  # a bulk build of its own (the writer thread's error reaches the caller)
        with pytest.raises(IndexBusy, match="being written by another newsvault process"):
            index_for(archive).catch_up(archive)
        indexing = run_cli("-C", str(root), "index")
        assert indexing.returncode != 0 and "Traceback" not in indexing.stderr
        assert "being written by another newsvault process; try again when it is done" in indexing.stderr
    finally:
        holder.communicate("", timeout=120)
    assert holder.returncode == 0
    assert [h.id for h in search_archive(archive, "香港")] == [waiting]
    assert [h.id for h in search_archive(archive, "疫苗")] == [late]
    assert index_for(archive).pending_count() == 0
    archive.close()
