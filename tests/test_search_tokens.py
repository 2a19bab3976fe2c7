"""Tokens: bigrams, folding (Traditional → Simplified, case), and index/query agreement."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from newsvault.search.tokens import extract_text, fold, index_tokens, query_tokens


def toks(text: str) -> list[str]:
    return index_tokens(fold(text)).split()


def test_cjk_runs_become_bigrams_and_their_last_character():
    # (the first character needs no token of its own: the first bigram starts with it)
    assert toks("七国集团") == ["七国", "国集", "集团", "团"]
    assert toks("中，七国集团。") == ["中", "七国", "国集", "集团", "团"]
    # punctuation separates runs: no bigram across it
    assert "团加" not in toks("七国集团，加沙")
    assert "加沙" in toks("七国集团，加沙")


def test_latin_words_case_folded_and_numbers_kept():
    assert toks("Hello WORLD 2024年 G7集团")[-4:] == ["hello", "world", "2024", "g7"]
    assert "集团" in toks("G7集团")


def test_traditional_and_simplified_fold_to_the_same_tokens():
    assert toks("臺灣") == toks("台灣") == toks("台湾")
    assert query_tokens("臺灣") == query_tokens("台湾") == ["台湾"]
    assert query_tokens("七國集團") == query_tokens("七国集团") == ["七国", "国集", "集团"]


def test_query_tokens():
    assert query_tokens("加沙") == ["加沙"]
    assert query_tokens("中") == ["中"]
    assert query_tokens("G7集团") == ["g7", "集团"]
    assert query_tokens("hong-kong") == ["hong", "kong"]
    assert query_tokens("!!! ::: ()") == []


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("台灣湾七国集團团加沙 ，。abcXYZ0123-_\"*")), max_size=40))
def test_query_tokens_of_a_text_are_in_its_index_tokens(text):
    # What a query makes of a piece of text is always findable in the index made of that text.
    indexed = set(toks(text))
    assert set(query_tokens(text)) <= indexed


def test_extract_text_drops_markup_scripts_and_decodes_entities():
    html = "<div><p>Hello&nbsp;<b>world</b></p><script>var x = '加沙';</script><style>p{}</style><!-- 注释 -->&lt;tag&gt;</div>"
    text = extract_text(html)
    assert "Hello" in text and "world" in text and "<tag>" in text
    assert "加沙" not in text and "注释" not in text and "p{}" not in text
    assert extract_text("no markup") == "no markup"


def test_junk_words_longer_than_100_characters_are_not_indexed():
    assert toks("ok " + "QUJD" * 40 + " 中文 fine") == ["中文", "文", "ok", "fine"]
