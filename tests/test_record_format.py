"""The record format: every variant in the corpus parses; canonical files round-trip byte for byte."""

from __future__ import annotations

import string
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from conftest import CORPUS, SEED, SEED_URL
from newsvault.errors import RecordError
from newsvault.importer import iter_candidates
from newsvault.record import Record, escape_title, escape_url, parse, render, unescape_title, unescape_url


def corpus_files() -> list[Path]:
    return [p for p in iter_candidates([CORPUS]) if p.name != "README.md"]


@pytest.fixture(scope="module")
def parsed(corpus):
    return {p: (p.read_bytes(), parse(p.read_bytes())) for p in corpus_files()}


def test_every_corpus_record_parses_into_its_variant(parsed):
    variants = Counter(rec.variant for _, rec in parsed.values())
    # seed: 1 canonical; cdt/articles (227) + cdt-history (184): old CDT form;
    # jekyll/_posts (141 of the reference corpus's 1,938): 76 canonical records after front matter
    # + 65 scraped pages.
    assert variants == {"canonical": 1, "cdt": 411, "jekyll": 76, "jekyll-page": 65}
    for path, (_, rec) in parsed.items():
        assert rec.url.startswith("http"), path
        assert rec.body.strip(), path


def test_round_trip_law_holds_for_every_canonical_corpus_file(parsed):
    canonical = [(p, raw, rec) for p, (raw, rec) in parsed.items() if rec.variant in ("canonical", "jekyll")]
    assert len(canonical) == 77
    for path, raw, rec in canonical:
        assert render(rec).encode("utf-8") == raw, path


def test_render_is_stable_for_every_variant(parsed):
    # Non-canonical variants render to canonical form, which then round-trips exactly.
    for path, (_, rec) in parsed.items():
        once = render(rec)
        assert render(parse(once)) == once, path


def test_seed_fields():
    rec = parse(SEED.read_bytes())
    assert rec.title == "布林肯呼吁七国集团在加沙问题上以“一个声音”说话"
    assert rec.url == SEED_URL
    assert rec.published == 1699359302000
    assert rec.published_dt.isoformat() == "2023-11-07T12:15:02+00:00"
    assert rec.body.startswith("<div>07/11/2023 - 13:11</div>")


def test_old_cdt_form_takes_its_date_from_the_date_line():
    text = "[标题｜副标题](https://chinadigitaltimes.net/chinese/2020/07/x/)\n------\n日期：Thu, 02 Jul 2020 18:28:24 +0000\n\n<p>正文</p>\n"
    rec = parse(text)
    assert (rec.variant, rec.title, rec.body) == ("cdt", "标题｜副标题", "<p>正文</p>")
    assert rec.published_dt.isoformat() == "2020-07-02T18:28:24+00:00"


def test_jekyll_page_takes_title_date_and_url_from_front_matter():
    text = '---\nlayout: post\ntitle: "垃圾邮件：国内门户网站集体“作恶”"\ndate: 2014-02-04T08:59:12+01:00\nauthor: 谢通\nfrom: https://pao-pao.net/article/22\ntags: [ 泡泡 ]\n---\n\n<section>page</section>\n'
    rec = parse(text)
    assert rec.variant == "jekyll-page"
    assert rec.title == "垃圾邮件：国内门户网站集体“作恶”"
    assert rec.url == "https://pao-pao.net/article/22"
    assert rec.published_dt.isoformat() == "2014-02-04T07:59:12+00:00"
    assert rec.meta["tags"] == ["泡泡"]
    assert render(rec) == text


def test_nan_time_comment_round_trips_and_falls_back_to_front_matter_date():
    text = "---\ntitle: x\ndate: 2020-05-01T00:00:00Z\n---\n<!--NaN-->\n[x](https://e.com/a)\n------\n\n<p>b</p>\n"
    rec = parse(text)
    assert rec.stamp == "NaN" and rec.published == 1588291200000
    assert render(rec) == text


def test_crlf_file_is_read_as_lf():
    rec = parse("<!--1000-->\r\n[t](https://e.com/)\r\n------\r\n\r\n<p>b</p>\r\n")
    assert (rec.title, rec.url, rec.published, rec.body) == ("t", "https://e.com/", 1000, "<p>b</p>")


@pytest.mark.parametrize(
    "text, reason",
    [
        ("", "empty file"),
        ("   \n\n", "empty file"),
        ("<!--1699359302000-->\n[t](https://e.com/)\n------\n\n", "without a body"),
        ("<!--1699359302000-->\n[t](https://e.com/)\n------\n", "without a body"),
        ("<!--1699359302000-->\nno link here\n", "time comment without"),
        ("<!--1699359302000-->\n[t](https://e.com/)\nbody\n", "underline"),
        ("# just markdown\n\ntext\n", "no record header"),
        ("---\ntitle: x\nno end", "not closed"),
        ("---\nlayout: post\n---\n<p>page</p>\n", "neither a title"),
        ("\x00\x01\x02binary", "binary"),
    ],
)
def test_malformed_records_get_a_reason(text, reason):
    with pytest.raises(RecordError, match=reason):
        parse(text)


def test_undecoded_bytes_get_a_reason():
    with pytest.raises(RecordError, match="not UTF-8"):
        parse("[标题](https://e.com)\n------\n\n<p>正文</p>\n".encode("gb18030"))


def test_literal_titles_stay_literal():
    # What the original archivers wrote (brackets, pipes, full-width punctuation) is untouched.
    for title in ["[外交雜聞]哼哼", "燕京书坊 | 想象力", "柳向阳&王家新", "Matters ^_^", "【网络民议】“辱华”"]:
        assert escape_title(title) == title


def test_escaped_titles_show_right_in_markdown():
    assert escape_title("a]b") == "a\\]b"
    assert escape_title("see [x](y)") == "see \\[x\\](y)"
    assert escape_title("line\nbreak") == "line&#10;break"
    assert escape_title("&lt;b&gt;") == "&amp;lt;b&amp;gt;"
    assert escape_title("**bold**") == "\\*\\*bold\\*\\*"
    assert escape_url("https://e.com/a b") == "<https://e.com/a b>"
    assert escape_url("https://e.com/a_(b)") == "https://e.com/a_(b)"
    assert escape_url("https://e.com/a)") == "<https://e.com/a)>"


# --- property tests -------------------------------------------------------------------------

tricky_text = st.text(alphabet=st.sampled_from("[]()|\\<>&#;*_~`!\n\r\t\x00\x07\x1f\x7f\x85\u2028 a中文臺灣") , max_size=30)
titles = st.one_of(
    st.text(max_size=200),
    tricky_text,
    st.text(alphabet=string.printable + "中文【】（）｜", min_size=300, max_size=2000),
)
url_chars = st.sampled_from(list("abc/:?=&%#()[] -_.~") + ["%2F", "%e5%9b%bd", "国", "é", "\u3000", "<", ">", "\\", "\t"])
urls = st.one_of(
    st.builds(lambda s: "https://example.com/" + s, st.lists(url_chars, max_size=25).map("".join)),
    # A record URL holds no line break or NUL (Record refuses them: collectors normalise links).
    st.text(max_size=80).filter(lambda u: not any(c in u for c in "\n\r\x00")),
)
bodies = st.text(min_size=1, max_size=300).filter(lambda b: b.strip() and "\x00" not in b)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(title=titles, url=urls, published=st.one_of(st.none(), st.integers(-(10**13), 10**13)), body=bodies)
@example(title="a[b]c", url="https://e.com/(x)", published=0, body="<p>x</p>")
@example(title="x](y", url="https://e.com/ space", published=1, body="日期：not a date line\n")
@example(title="\\", url="<>", published=None, body="\r\nCRLF body\r\n")
def test_parse_inverts_render(title, url, published, body):
    rec = Record(title=title, url=url, published=published, body=body)
    text = render(rec)
    assert parse(text) == rec
    assert parse(text.encode("utf-8")) == rec
    # The header stays three lines whatever the title holds.
    assert text.split("\n")[2 if published is not None else 1] == "------"


@settings(max_examples=300)
@given(st.text())
def test_title_escaping_is_invertible(title):
    escaped = escape_title(title)
    assert unescape_title(escaped) == title
    assert "\n" not in escaped and "\r" not in escaped


@settings(max_examples=300)
@given(urls)
def test_url_escaping_is_invertible(url):
    assert unescape_url(escape_url(url)) == url
