"""Cleaning bodies, titles and dates; extracting article bodies from pages (corpus inputs)."""

from __future__ import annotations

import pytest

from collect_helpers import CORPUS, TESTDATA, corpus_records, page
from newsvault.clean import clean_html, clean_title, fallback_title, is_teaser, item_time
from newsvault.encoding import decode
from newsvault.extract import ExtractError, check_selector, extract_main, page_title
from newsvault.record import parse
from newsvault.text import html_to_text


@pytest.fixture(scope="module")
def seed():
    return parse(next((CORPUS / "seed").iterdir()).read_bytes())


def test_rfi_share_bar_and_promo_placeholders_go_article_text_stays(seed):
    assert "分享 :" in seed.body and "data-selfpromo-newsletter" in seed.body
    out = clean_html(seed.body, seed.url)
    assert "分享" not in out and "selfpromo" not in out and "facebook.com" not in out and "whatsapp" not in out
    assert "share-button" not in out and "data-root-share" not in out
    # every paragraph of the article is still there, word for word
    text = html_to_text(seed.body).replace("分享 :", "").strip()
    assert html_to_text(out) == text
    assert '<img src="https://s.rfi.fr/media/display/' in out


def test_promo_wrapper_holding_article_text_is_unwrapped_not_dropped():
    path = next((CORPUS / "cdt" / "articles").glob("400404_*"))
    rec = parse(path.read_bytes())
    assert "data-selfpromo-newsletter" in rec.body
    out = clean_html(rec.body, rec.url)
    assert "selfpromo" not in out and "o-self-promo" not in out
    assert "一般的来说，我不喜欢把美国和中国拿出来一对一地对比" in out


def test_scripts_styles_pixels_handlers_go_content_stays():
    dirty = (
        '<p onclick="steal()" style="color:red">正文<script>alert(1)</script></p><style>p{}</style>'
        '<img src="https://feeds.feedburner.com/~r/x/~4/abc" height="1" width="1">'
        '<img src="/p.gif" width="1" height="1"><img src="data:image/gif;base64,R0lGOD" data-src="/real.jpg" alt="真图">'
        '<figure><img src="photo.jpg" alt="照片"><figcaption>图片说明</figcaption></figure>'
        "<h2>小标题</h2><ul><li>一</li><li>二</li></ul><ol><li>甲</li></ol>"
        '<table><tr><th>年</th><td colspan="2">2024</td></tr></table><blockquote><p>引用</p></blockquote>'
        '<a href="/more" target="_blank" onmouseover="x()">链接</a><iframe src="https://evil"></iframe>'
        '<form><input name="q"><button>搜</button></form><noscript>开启JS</noscript><!-- comment -->'
    )
    out = clean_html(dirty, "https://news.example.org/2024/a.html")
    for gone in ("script", "alert", "style", "onclick", "onmouseover", "feedburner", "p.gif", "data:image", "iframe", "evil", "<form", "开启JS", "comment", "target="):
        assert gone not in out, gone
    for kept in (
        "<p>正文</p>", '<img src="https://news.example.org/real.jpg" alt="真图">',
        '<figure><img src="https://news.example.org/2024/photo.jpg" alt="照片"><figcaption>图片说明</figcaption></figure>',
        "<h2>小标题</h2>", "<ul><li>一</li><li>二</li></ul>", "<ol><li>甲</li></ol>", '<td colspan="2">2024</td>',
        "<blockquote><p>引用</p></blockquote>", '<a href="https://news.example.org/more">链接</a>',
    ):
        assert kept in out, kept


def test_cleaning_is_deterministic_and_idempotent():
    for rec in corpus_records("cdt", 25) + corpus_records("jekyll", 10):
        once = clean_html(rec.body, rec.url)
        assert clean_html(rec.body, rec.url) == once
        assert clean_html(once, rec.url) == once
        assert html_to_text(once)  # never cleans an article away


def test_whole_page_and_empty_input():
    assert clean_html("") == "" and clean_html("   ") == ""
    assert clean_html("<html><head><title>t</title></head><body><p>内容</p></body></html>") == "<p>内容</p>"


def test_titles():
    assert clean_title(" \x07标题\x1b\n第二行\t\u3000 ") == "标题第二行"
    assert clean_title("[方括号](与)  |  竖线 ") == "[方括号](与)  |  竖线"
    assert fallback_title("<p>" + "很长的正文" * 20 + "</p>", "https://e.org/a").endswith("…")
    assert fallback_title("", "https://e.org/a") == "https://e.org/a"
    assert fallback_title("", "") == "(无标题)"


def test_dates():
    now, seen = 1_700_000_000_000, 1_699_999_000_000
    assert item_time(1_600_000_000_000, seen, now) == (1_600_000_000_000, "item")
    assert item_time(None, seen, now) == (seen, "seen")
    assert item_time(now + 86_400_000 * 365, seen, now) == (now, "clamped")


def test_teaser_detection(seed):
    assert is_teaser("<p>点击阅读全文</p>") and not is_teaser(seed.body)


def test_extract_with_selector_takes_inner_html():
    rec = corpus_records("cdt", 3)[0]
    html = page(rec.title, rec.body)
    out = extract_main(html, rec.url, "div.post-content")
    assert html_to_text(out) == html_to_text(rec.body) and "post-content" not in out and "首页" not in out
    assert page_title(html) == rec.title
    with pytest.raises(ExtractError, match="nothing matches the selector 'div.entry'"):
        extract_main(html, rec.url, "div.entry")


def test_extract_with_trafilatura_drops_boilerplate():
    rec = corpus_records("cdt", 3)[1]
    out = extract_main(page(rec.title, rec.body, wrapper="<div class='c'>{}</div>"), rec.url)
    text = html_to_text(out)
    assert "关于我们" not in text and "版权所有" not in text and "相关文章" not in text
    # the article's own text is there
    first = html_to_text(rec.body).split("\n")[0][:30]
    assert first in text


def test_extract_from_a_page_without_article():
    with pytest.raises(ExtractError, match="no article text"):
        extract_main("<html><body><script>var a = 1;</script></body></html>", "https://e.org/x")


def test_big5_page_extracts_as_correct_text():
    data = (TESTDATA / "big5-page.html").read_bytes()
    title, url = (TESTDATA / "big5-page.meta").read_text(encoding="utf-8").splitlines()[:2]
    html, enc = decode(data)
    assert enc.startswith("big5")
    body = extract_main(html, url, "div.post-content")
    assert page_title(html) == title and len(html_to_text(body)) > 100


def test_selector_validation():
    assert check_selector("div.post-content") == "div.post-content"
    with pytest.raises(ValueError, match="invalid CSS selector"):
        check_selector("div[")

