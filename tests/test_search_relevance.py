"""The relevance set (tests/testdata/search/relevance.toml) over the whole corpus."""

from __future__ import annotations

from collections import Counter

import pytest

from newsvault.archive import Archive
from newsvault.search import search_archive
from search_helpers import SEED_ID, relevance_cases

CASES = relevance_cases()


def test_the_set_is_big_and_varied_enough():
    kinds = Counter(c["kind"] for c in CASES)
    assert len(CASES) >= 30
    for kind in ("simplified", "traditional", "mixed", "english", "two-char", "phrase", "source"):
        assert kinds[kind] >= 1, kind


@pytest.fixture(scope="module")
def corpus(corpus_archive):
    a = Archive.open(corpus_archive)
    yield a
    a.close()


@pytest.mark.parametrize("case", CASES, ids=[c["q"] for c in CASES])
def test_relevance(corpus, case):
    hits = search_archive(corpus, case["q"], sources=[case["source"]] if "source" in case else None, limit=3)
    got = [h.id for h in hits]
    shown = [(h.id, h.title[:40]) for h in hits]
    if "first" in case:
        assert got and got[0] == case["first"], shown
    for aid in case.get("top3", []):
        assert aid in got, shown
    for aid in case.get("absent", []):
        assert aid not in got, shown
    if "source" in case:
        assert all(h.source == case["source"] for h in hits)


def test_seed_first_with_a_highlighted_snippet(corpus):
    hit = search_archive(corpus, "七国集团 加沙", limit=1)[0]
    assert hit.id == SEED_ID
    assert "<mark>七国集团</mark>" in hit.snippet_html
    assert "<mark>加沙</mark>" in hit.title_html


def test_traditional_article_found_by_simplified_query_keeps_its_script_in_snippets(corpus):
    hit = search_archive(corpus, "极限时刻 香港变局", limit=1)[0]
    assert "<mark>香港變局</mark>" in hit.title_html or "<mark>極限時刻</mark>" in hit.title_html


def test_filters_narrow_results(corpus):
    everywhere = search_archive(corpus, "香港", limit=50)
    only = search_archive(corpus, "香港", sources=["matters"], limit=50)
    assert {h.source for h in everywhere} - {"matters"}  # other sources have 香港 too
    assert only and {h.source for h in only} == {"matters"}
    assert [h.id for h in search_archive(corpus, "加沙 since:2023-11-07 until:2023-11-07", limit=50)] == [SEED_ID]
    assert SEED_ID in [h.id for h in search_archive(corpus, "加沙", limit=50)]
    assert SEED_ID not in [h.id for h in search_archive(corpus, "加沙 until:2023-11-06", limit=50)]
    assert SEED_ID not in [h.id for h in search_archive(corpus, "加沙", since=1_699_400_000_000, limit=50)]


# A bigram index finds 加沙 (Gaza) inside 参加沙龙 (joining a salon): the bigrams cannot tell
# them apart. Each case: (query, an article about it with the word once in its text, an article
# holding its characters only across a word boundary, in its title, several times).
FALSE_MATCHES = [
    ("加沙", "以军空袭后，援助车队仍在等待进入加沙，联合国呼吁开放口岸。", "周末参加沙龙：参加沙龙的朋友们谈读书"),
    ("会议", "代表们在日内瓦举行闭门会议，讨论停火安排。", "社会议题：年轻人为何关心社会议题"),
    ("和平", "双方领导人重申通过谈判实现和平的承诺。", "收入和平均寿命：收入和平均寿命的关系"),
    ("中东", "特使本周访问中东，与多国讨论停火。", "资源集中东部沿海：资源集中东部的原因"),
    ("学生", "数百名学生在校园集会，要求公开调查结果。", "大学生活的回忆：大学生活点滴"),
    ("生命", "洪水已造成数十人失去生命，救援仍在继续。", "研究生命名规则：研究生命名的新规"),
]


@pytest.mark.parametrize(("q", "true_text", "false_title"), FALSE_MATCHES, ids=[c[0] for c in FALSE_MATCHES])
def test_a_word_match_ranks_above_a_bigram_only_match(tmp_path, q, true_text, false_title):
    from newsvault.search.index import Doc, SearchIndex
    from newsvault.search.query import count, search

    idx = SearchIndex(tmp_path / "search.sqlite")
    filler = "，".join(f"其他第{i}条新闻的内容" for i in range(30))
    idx.add_documents([
        Doc("true00000000", "rfi", "今日要闻", f"{filler}。{true_text}{filler}", 1_600_000_000_000),
        Doc("false0000000", "rfi", false_title, f"{false_title}。{filler}", 1_700_000_000_000),  # newer, too
    ])
    assert count(idx, q) == 2  # bigram matches stay found (recall)
    assert [h.id for h in search(idx, q)] == ["true00000000", "false0000000"]
