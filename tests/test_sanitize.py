"""The publishing sanitiser: allow-list output for every payload of the XSS set and for real bodies."""

from __future__ import annotations

import re

import lxml.html
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsvault.publish.lists import link_text
from newsvault.record import escape_title, parse
from newsvault.sanitize import ALLOWED_TAGS, sanitize_html
from publish_helpers import CORPUS, SEED, xss_payloads

BASE = "https://news.example.test/section/article.html"
ALLOWED_ATTRS = {"href", "title", "src", "alt", "width", "height", "colspan", "rowspan", "scope", "start", "cite",
                 "reversed", "datetime", "dir", "lang", "rel", "loading", "referrerpolicy", "decoding"}


def check_safe(html: str) -> None:
    """Structural safety of sanitised output, judged by an HTML parser (as a browser would)."""
    if not html.strip():
        return
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    for el in root.iter():
        if el is root or not isinstance(el.tag, str):
            continue
        assert el.tag in ALLOWED_TAGS, f"tag <{el.tag}> in {html!r}"
        for name, value in el.attrib.items():
            assert name in ALLOWED_ATTRS, f"attribute {name} in {html!r}"
            if name in ("href", "src", "cite"):
                compact = re.sub(r"[\x00-\x20]+", "", value).lower()
                if el.tag == "img" and name == "src" and compact.startswith("data:"):
                    assert re.match(r"data:image/(png|gif|jpe?g|webp|avif|bmp);", compact), html
                elif el.tag == "a" and compact.startswith("#"):
                    pass  # an in-page anchor
                else:
                    assert compact.startswith(("http://", "https://", "mailto:")), f"{name}={value!r} in {html!r}"
        if el.tag == "a":
            assert el.get("rel") == ("noopener noreferrer nofollow" if el.get("href") else None)
        if el.tag == "img":
            assert el.get("loading") == "lazy" and el.get("referrerpolicy") == "no-referrer"


@pytest.mark.parametrize("payload", xss_payloads())
def test_every_payload_comes_out_inert(payload):
    out = sanitize_html(payload, BASE)
    check_safe(out)
    lowered = out.lower()
    for needle in ("<script", "javascript:", "vbscript:", "expression(", "<iframe", "<base", "<meta", "<form", "<svg", "<math", "<style", "<object", "<embed", "srcdoc=", "<link"):
        assert needle not in lowered, (needle, payload, out)
    assert not re.search(r"<[^>]*\son[a-z]+\s*=", lowered), (payload, out)


def test_text_around_removed_elements_is_kept():
    out = sanitize_html("<p>before</p><script>document.title='x'</script><p>after</p>", BASE)
    assert out == "<p>before</p><p>after</p>"


def test_share_bar_and_promo_placeholders_removed_from_the_seed():
    body = parse(SEED.read_bytes()).body
    assert "分享 :" in body and "data-selfpromo" in body
    out = sanitize_html(body, BASE)
    assert "分享 :" not in out and "selfpromo" not in out and "facebook.com" not in out
    assert "七国集团外长本周二" in out  # the article text stays
    check_safe(out)


def test_images_keep_their_urls_and_are_lazy_without_referrer():
    out = sanitize_html('<img src="https://s.rfi.fr/a.jpg" alt="图" style="width:1px" onload="x()">', BASE)
    root = lxml.html.fragment_fromstring(out)
    assert root.tag == "img"
    assert root.get("src") == "https://s.rfi.fr/a.jpg" and root.get("alt") == "图"
    assert root.get("loading") == "lazy" and root.get("referrerpolicy") == "no-referrer"
    assert root.get("style") is None and root.get("onload") is None


def test_relative_urls_resolve_against_the_article_not_the_mirror():
    out = sanitize_html('<a href="/other/page">x</a><img src="pic.png">', BASE)
    assert 'href="https://news.example.test/other/page"' in out
    assert 'src="https://news.example.test/section/pic.png"' in out
    # Without a usable base a relative URL would point into the mirror: dropped.
    assert "href" not in sanitize_html('<a href="/other">x</a>', None)
    assert "href" not in sanitize_html('<a href="/other">x</a>', "javascript:alert(1)")


def test_data_urls_only_for_raster_images():
    assert 'src="data:image/png;base64,AAAA"' in sanitize_html('<img src="data:image/png;base64,AAAA">')
    assert "data:" not in sanitize_html('<img src="data:image/svg+xml;base64,AAAA">')
    assert "data:" not in sanitize_html('<a href="data:image/png;base64,AAAA">x</a>')


def test_links_get_rel_and_lose_target_and_handlers():
    out = sanitize_html('<a href="https://x.test/" target="_blank" onclick="x()" rel="opener">x</a>')
    assert out == '<a href="https://x.test/" rel="noopener noreferrer nofollow">x</a>'


def test_empty_and_plain_text():
    assert sanitize_html("") == ""
    assert sanitize_html("纯文本 & <没有标签") == "纯文本 &amp; &lt;没有标签"


_fragments = st.sampled_from(
    ["<p>", "</p>", "<img src=x onerror=alert(1)>", "<a href='javascript:x'>", "</a>", "<svg onload=x>",
     "<script>", "</script>", "<style>", "<math>", "<iframe>", "文字", "&#x6A;", "javascript:", "\"", "'", "<",
     ">", "=", " on", "error=", "<b>", "<!--", "-->", "<div data-selfpromo>", "分享 :"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_fragments, max_size=25).map("".join))
def test_random_tag_soup_is_always_safe(html):
    check_safe(sanitize_html(html, BASE))


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab中文[]()<>*_~`&\\#;!\x01 |")) | st.characters(), max_size=30))
def test_list_link_text_fast_path_equals_escape_title(title):
    assert link_text(title) == escape_title(title)


def test_ingest_and_publish_share_one_policy():
    from newsvault import clean, sanitize

    assert clean.ALLOWED_TAGS is sanitize.ALLOWED_TAGS and clean.DROP_WITH_CONTENT is sanitize.DROP_WITH_CONTENT
    # a tracking pixel is clutter to both steps
    pixel = '<p>正文</p><img src="https://stats.wp.com/b.gif?x=1" width="1" height="1">'
    assert "stats.wp.com" not in sanitize_html(pixel, BASE)
    assert "stats.wp.com" not in clean.clean_html(pixel, BASE)


def test_a_link_without_href_keeps_no_rel():
    out = sanitize_html('<a name="top">锚</a><a href="javascript:x()">坏</a><a href="https://x.test/">好</a>', BASE)
    assert out == '<a>锚</a><a>坏</a><a href="https://x.test/" rel="noopener noreferrer nofollow">好</a>'


def test_in_page_anchor_links_stay_in_the_page():
    out = sanitize_html('<a href="#note1">[1]</a><a href="#">空</a>', BASE)
    assert out == '<a href="#note1" rel="noopener noreferrer nofollow">[1]</a><a>空</a>'


@pytest.mark.parametrize("dirty", [
    "<p>a\x01b\x7fc\x8dd\ufdd0e\uffff\U0001fffef</p>",
    "<p>a&#x1;b&#127;c&#x8d;d&#xfdd0;e&#xFFFF;f</p>",
])
def test_control_characters_and_noncharacters_are_removed(dirty):
    assert sanitize_html(dirty, BASE) == "<p>abcdef</p>"


def test_windows_1252_references_are_kept_as_the_characters_they_mean():
    assert sanitize_html("<p>&#x93;引&#148;</p>", BASE) == "<p>“引”</p>"


@pytest.mark.parametrize("body", ['<a href="/x&#x1f;">a</a>', '<p>分享</p><a href="/x&#x1f;y">a</a>', '<a href="/x\x1f">a</a>'])
def test_a_control_character_in_a_url_is_cleaned_not_raised(body):
    from newsvault.clean import clean_html

    out = sanitize_html(body, BASE)
    assert 'href="https://news.example.test/x' in out and "\x1f" not in out and "%1F" not in out
    assert "\x1f" not in clean_html(body, BASE)


def test_the_seed_body_ends_with_article_text_not_the_share_label():
    from newsvault.text import html_to_text

    text = html_to_text(sanitize_html(parse(SEED.read_bytes()).body, BASE))
    assert text.rstrip().endswith("的重要性”。") and "分享" not in text


def test_english_share_bars_and_bare_share_links_are_clutter_too():
    body = ('<p>Article text.</p><div><span>Share this story:</span><a href="https://twitter.com/intent/tweet?u=1"></a>'
            '<a href="https://www.facebook.com/sharer/sharer.php?u=1"><i></i></a></div><p>More text, and a <a href="https://facebook.com/rfi">page</a>.</p>')
    out = sanitize_html(body, BASE)
    assert "Share" not in out and "intent" not in out and "sharer" not in out
    assert "Article text." in out and '<a href="https://facebook.com/rfi" rel="noopener noreferrer nofollow">page</a>' in out


@pytest.mark.parametrize(
    ("href", "published"),
    [
        ("https://e.org/a|b c?q=[x]", "https://e.org/a%7Cb%20c?q=%5Bx%5D"),
        (" https://e.org/p?x=50% ", "https://e.org/p?x=50%25"),
        ("https://e.org/%E4%B8%AD?a=%20", "https://e.org/%E4%B8%AD?a=%20"),  # escapes stay as they are
        ("https://[::1]:8080/x[1]", "https://[::1]:8080/x%5B1%5D"),  # an IPv6 host keeps its brackets
        ("https://e.org/中文", "https://e.org/中文"),  # non-ASCII is valid in an href (an IRI)
    ],
)
def test_published_links_are_valid_urls(href, published):
    import html

    out = sanitize_html(f'<p><a href="{html.escape(href)}">x</a></p>')
    got = re.search(r'href="([^"]*)"', out)
    assert got and html.unescape(got.group(1)) == published


def _pre_depths(html: str) -> list[int]:
    depth, seen = 0, []
    for m in re.finditer(r"<(/?)pre\b", html):
        depth += -1 if m[1] else 1
        seen.append(depth)
    return seen


def test_a_pre_inside_a_pre_becomes_its_content():
    # trafilatura's HTML output, as it writes a Medium-style <pre><code> block (indented)
    out = sanitize_html("<p>终端里输入：</p><pre>\n      <pre>sudo apt install snapd</pre>\n    </pre><pre>a<pre>b</pre>c</pre><pre>单独</pre>")
    assert out == "<p>终端里输入：</p><pre>sudo apt install snapd</pre><pre>abc</pre><pre>单独</pre>"


def test_a_scraped_page_with_code_blocks_publishes_no_nested_pre():
    """A Jekyll page record (its body extracted by trafilatura when published) holding the code
    blocks of a Medium post, written as the iYouPort article in the corpus writes them."""
    from dataclasses import replace

    from newsvault.publish.render import publish_body

    page = parse((CORPUS / "jekyll" / "_posts" / "2020-06-15-华为再闯关.md").read_bytes())
    assert page.variant == "jekyll-page"
    code = '<p class="graf graf--p">在 Linux 中打开终端并输入以下内容：</p><pre class="graf graf--pre"><code>sudo apt install snapd</code></pre>'
    body = page.body.replace("</p>", "</p>" + code, 1)
    assert body != page.body
    out = publish_body(replace(page, body=body))
    assert "sudo apt install snapd" in out and max(_pre_depths(out)) == 1
