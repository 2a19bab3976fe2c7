"""Canonical URLs: the links that name the same article collapse to one key."""

import pytest

from newsvault.urls import article_id, canonical_url

SAME = [
    # case of scheme and host, default port, trailing slash, fragment
    ("HTTPS://WWW.RFI.FR:443/cn/a/", "https://www.rfi.fr/cn/a"),
    ("http://example.com:80", "http://example.com/"),
    ("https://e.com/a#comments", "https://e.com/a"),
    # tracking parameters, parameter order
    ("https://e.com/a?utm_source=rss&utm_medium=feed&id=3", "https://e.com/a?id=3"),
    ("https://e.com/a?b=2&a=1&fbclid=xyz&at_medium=RSS", "https://e.com/a?a=1&b=2"),
    ("https://medium.com/@y/-b67020a744?source=rss-216c8ba84893------2", "https://medium.com/@y/-b67020a744"),
    # percent-encoding: lower/upper hex, raw UTF-8, escaped unreserved characters
    ("https://chinadigitaltimes.net/chinese/2020/07/%e6%9b%b9/", "https://chinadigitaltimes.net/chinese/2020/07/曹"),
    ("https://e.com/%7Euser/%41", "https://e.com/~user/A"),
    ("https://e.com/a b", "https://e.com/a%20b"),
]


@pytest.mark.parametrize("a, b", SAME)
def test_equivalent_urls_have_one_canonical_form(a, b):
    assert canonical_url(a) == canonical_url(b)
    assert article_id(canonical_url(a)) == article_id(canonical_url(b))


@pytest.mark.parametrize(
    "a, b",
    [
        ("https://e.com/a", "https://e.com/b"),
        ("https://e.com/a?id=1", "https://e.com/a?id=2"),
        ("https://e.com/a%2Fb", "https://e.com/a/b"),  # an escaped slash is not a slash
        ("http://e.com/a", "https://e.com/a"),  # kept apart: may be different servers
        ("https://e.com:8443/a", "https://e.com/a"),
    ],
)
def test_different_urls_stay_different(a, b):
    assert canonical_url(a) != canonical_url(b)


def test_canonical_form_is_idempotent_and_ascii():
    for a, _ in SAME:
        c = canonical_url(a)
        assert canonical_url(c) == c
        assert c.isascii()


def test_ids_are_short_and_stable():
    assert article_id("https://www.rfi.fr/cn/x") == article_id("https://www.rfi.fr/cn/x")
    assert len(article_id("x")) == 12


def test_garbage_does_not_raise():
    for junk in ["", "   ", "not a url", "http://[::1", "https://e.com:99999/", "国际"]:
        canonical_url(junk)


def test_runs_of_lower_case_escapes_are_upper_cased_and_unreserved_ones_decoded():
    # UTF-8 escapes in lower case (as CDT's links have them) beside escaped unreserved characters
    assert canonical_url("https://h.example/%e4%b8%ad-%2d%41%e6%96%87%7e/%5b%c3%a9") == "https://h.example/%E4%B8%AD--A%E6%96%87~/%5B%C3%A9"
    assert canonical_url("https://h.example/a?q=%e4%b8%ad%26%2e") == "https://h.example/a?q=%E4%B8%AD%26."
    assert canonical_url("https://h.example/%E4%B8%AD%41") == "https://h.example/%E4%B8%ADA"
