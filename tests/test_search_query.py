"""The query language: parsing, safe FTS5 translation, errors, snippets."""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsvault.errors import QueryError
from newsvault.search.query import MAX_QUERY, _needles, highlight, parse_day, parse_query, snippet, to_match


def test_words_phrases_or_exclusion_and_filters():
    q = parse_query('七国集团 "一个声音" 以色列 OR 哈马斯 -停火 title:加沙 source:RFI since:2023-11-01 until:2023-11-30')
    assert [[t.text for t in g] for g in q.groups] == [["七国集团"], ["一个声音"], ["以色列", "哈马斯"], ["加沙"]]
    assert q.groups[1][0].phrase and q.groups[3][0].title_only
    assert [t.text for t in q.excluded] == ["停火"]
    assert q.sources == ["rfi"]
    assert q.since == parse_day("2023-11-01") and q.until == parse_day("2023-12-01")
    m = to_match(q)
    assert m.startswith('(("七国" AND "国集" AND "集团") AND "一个" + "个声" + "声音" AND ("以色列"') or "NOT" in m
    assert 'title : "加沙"' in m and m.endswith('NOT ("停火")')


def test_single_cjk_character_and_latin_star_are_prefix_queries():
    assert to_match(parse_query("中")) == '"中" *'
    assert to_match(parse_query("climat*")) == '"climat" *'


@pytest.mark.parametrize(
    "q, message",
    [
        ("", "empty query"),
        ("   ", "empty query"),
        ("x" * 10_000, "query too long"),
        ("-加沙", "cannot only exclude"),
        ('"', "nothing to search for"),
        ("() * : ^ + NEAR", None),  # NEAR is a word here, not syntax: answered, no error
        ("since:2023-13-45 加沙", "not a date"),
        ("until:yesterday 加沙", "not a date"),
        ("source:rfi", "nothing to search for"),
    ],
)
def test_bad_queries_give_clear_errors(q, message):
    if message is None:
        parse_query(q)
        return
    with pytest.raises(QueryError, match=message):
        parse_query(q)
    assert len("x" * 10_000) > MAX_QUERY


def test_unbalanced_quote_runs_to_the_end():
    q = parse_query('加沙 "一个声音')
    assert q.groups[1][0].phrase and q.groups[1][0].text == "一个声音"


def test_unknown_field_is_plain_text():
    q = parse_query("http://example.org 12:30")
    assert all(not t.title_only for t in q.terms)
    assert q.terms  # searched as words, not refused


@pytest.fixture(scope="module")
def fts():
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE fts USING fts5(title, body, content='', tokenize='ascii', detail=full)")
    db.execute("INSERT INTO fts(rowid, title, body) VALUES (1, 'a', 'b')")
    return db


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list('加沙臺灣 "-:()*^+{}ORNTANDnearitlesouc.,;\'\\\x00\u3000')), max_size=60))
def test_any_input_is_refused_clearly_or_becomes_valid_fts(fts, text):
    try:
        expr = to_match(parse_query(text))
    except QueryError:
        return
    fts.execute("SELECT rowid FROM fts WHERE fts MATCH ?", (expr,)).fetchall()  # no sqlite3.OperationalError


def test_snippet_marks_matches_in_the_original_traditional_text():
    text = "前文" * 100 + "香港政情與駐港事務，在臺灣的經驗" + "後文" * 100
    needles = _needles(parse_query("台湾"))
    plain, marked = snippet(text, needles)
    assert "臺灣" in plain and "<mark>臺灣</mark>" in marked
    assert plain.startswith("…") and plain.endswith("…")


def test_highlight_escapes_html_and_respects_latin_word_boundaries():
    needles = _needles(parse_query("a <b>"))
    out = highlight("a cat <b> and a", needles)
    assert out.count("<mark>a</mark>") == 2 and "c<mark>" not in out
    assert "&lt;<mark>b</mark>&gt;" in out and "<b>" not in out  # escaped, never raw


def test_parse_day():
    assert parse_day("2023-11-07") == 1699315200000
    assert parse_day("2023-11-07", end=True) == 1699315200000 + 86_400_000
    assert parse_day("2023-11-07T08:00+08:00") == 1699315200000
    with pytest.raises(QueryError):
        parse_day("07/11/2023")
