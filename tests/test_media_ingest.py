"""Ingest keeps every image's address: lazy-loaded, srcset-only and <picture> images reach the
archived record with a real ``src`` (the media step can only fetch what the record names)."""

from __future__ import annotations

from newsvault.clean import clean_html
from newsvault.extract import extract_main
from newsvault.media import image_urls

GIF = "data:image/gif;base64,R0lGODlhAQABAAAAACw="


def test_a_page_of_28_lazy_images_keeps_28_sources_through_extract_and_clean():
    text = "".join(f"<p>这是第{i}段正文，内容足够长以便被提取出来作为文章的主要内容。" * 3 + "</p>" for i in range(6))
    images = "".join(
        f'<p><img class="lazy" src="{GIF}" {("data-src", "data-original", "data-lazy-src")[i % 3]}="/img/{i}.jpg" alt="图{i}"></p>'
        f"<p>第{i}张图的说明文字，足够长的说明文字在这里。</p>"
        for i in range(28)
    )
    page = f"<html><head><title>t</title></head><body><article>{text}{images}{text}</article></body></html>"
    body = clean_html(extract_main(page, "https://e.org/a/1.html"), "https://e.org/a/1.html")
    assert image_urls(body) == [f"https://e.org/img/{i}.jpg" for i in range(28)]


def test_srcset_only_and_picture_images_keep_a_source():
    html = (
        '<p>文</p><img srcset="/a.jpg 1x, /b.jpg 2x" alt="s">'
        '<picture><source srcset="/c.webp"><img src="/d.jpg" alt="有src"></picture>'
        '<picture><source srcset="/e.webp 480w, /f.webp 960w"><img alt="只有source"></picture><p>后文</p>'
    )
    body = clean_html(html, "https://e.org/")
    assert image_urls(body) == ["https://e.org/b.jpg", "https://e.org/d.jpg", "https://e.org/f.webp"]
    assert body.endswith("<p>后文</p>") and 'alt="只有source"' in body
