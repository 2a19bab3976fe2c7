"""Atom feeds: one builder for site and server, valid for the W3C feed validator (offline copy in
NEWSVAULT_FEEDVALIDATOR; skipped, naming it, where absent) and feedparser, with RFC 4151 tag: ids and detected languages."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import feedparser
import httpx
import pytest

from newsvault.archive import Archive
from newsvault.publish.atom import feed_for
from newsvault.publish.lang import detect_lang
from newsvault.publish.site import build_site
from newsvault.record import Record
from publish_helpers import make_archive, seed_id
from search_helpers import live_server

# The W3C feed validator is not on PyPI: NEWSVAULT_FEEDVALIDATOR names its source tree where one is
# at hand (.ci/run sets it), and the checks that need it skip otherwise; feedparser and the tag:
# and language checks run everywhere.
VALIDATOR = Path(os.environ.get("NEWSVAULT_FEEDVALIDATOR", "feedvalidator-not-configured")) / "src"
# RFC 4151: "tag:" authorityName "," date ":" specific, specific = *( pchar / "/" / "?" )
TAG_URI = re.compile(
    r"tag:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*,\d{4}(?:-\d{2}(?:-\d{2})?)?:"
    r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2})*\Z"
)
TRADITIONAL = "<p>中國加強對香港的控制，台灣看到了威脅。這篇報導說，兩岸關係緊張，國際社會關注。</p>"
ENGLISH = "<p>The foreign ministers of the Group of Seven met in Tokyo on Tuesday to discuss the war in Gaza.</p>"


def validator_errors(xml: bytes, name: str, folder: Path) -> list[str]:
    """Errors the W3C feed validator reports (warnings left out), for a copy with an ASCII name."""
    if not VALIDATOR.is_dir():
        pytest.skip(f"W3C feed validator not found at {VALIDATOR} (set NEWSVAULT_FEEDVALIDATOR to its source tree)")
    sys.path.insert(0, str(VALIDATOR))
    try:
        import feedvalidator
        from feedvalidator import compatibility
        from feedvalidator.logging import Error
    finally:
        sys.path.remove(str(VALIDATOR))
    path = folder / f"{name}.xml"
    path.write_bytes(xml)
    with open(path, "rb") as f:
        events = feedvalidator.validateStream(f, firstOccurrenceOnly=1, base=f"https://mirror.example.org/feeds/{name}.xml")["loggedEvents"]
    return [f"{type(e).__name__} {e.params}" for e in compatibility.AA(events) if isinstance(e, Error)]


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Archive:
    root = tmp_path_factory.mktemp("atom") / "archive"
    archive = make_archive(root)
    with archive.batch():
        archive.add(Record("台灣看到了威脅", "https://www.bbc.com/zhongwen/trad/x-1", 1_699_000_000_000, TRADITIONAL), "bbc", seen=1_700_000_000_000)
        archive.add(Record("G7 ministers meet in Tokyo", "https://www.rfi.fr/en/x-2", 1_699_100_000_000, ENGLISH), "rfi", seen=1_700_000_000_000)
    return archive


@pytest.mark.parametrize("base_url", [None, "https://mirror.example.org/news/"])
def test_site_feeds_have_no_validator_errors(archive, tmp_path, base_url):
    site = tmp_path / "site"
    build_site(archive, site, base_url=base_url)
    feeds = sorted((site / "feeds").glob("*.xml"))
    assert len(feeds) == 5
    for f in feeds:
        data = f.read_bytes()
        assert validator_errors(data, f.stem, tmp_path) == [], f.name
        parsed = feedparser.parse(data)
        assert parsed.bozo == 0 and parsed.version == "atom10"


def test_server_feeds_have_no_validator_errors_and_match_the_site(archive, tmp_path):
    build_site(archive, tmp_path / "site")
    static = feedparser.parse((tmp_path / "site" / "feeds" / "rfi.xml").read_bytes())
    with live_server(archive.root) as url, httpx.Client(base_url=url, timeout=30) as client:
        for name in ("all", "rfi", "bbc"):
            r = client.get(f"/feeds/{name}.xml")
            assert r.status_code == 200 and validator_errors(r.content, f"live-{name}", tmp_path) == []
        live = feedparser.parse(client.get("/feeds/rfi.xml").content)
    assert live.bozo == 0
    # one builder: same title, ids, titles and times; only the links differ (pages vs files)
    assert live.feed.title == static.feed.title and live.feed.title.endswith(" · 测试镜像")
    assert live.feed.id == static.feed.id
    assert [(e.id, e.title, e.updated, e.published) for e in live.entries] == [(e.id, e.title, e.updated, e.published) for e in static.entries]
    assert live.entries[0].link.startswith(url + "/articles/")


def test_ids_are_valid_tag_uris_and_stable(archive, tmp_path):
    from newsvault.publish.atom import feed_id

    for name in ("newsvault demo", "中参馆", "测试镜像", "a/b?c#d"):
        for slug in (None, "rfi", "中文"):
            assert TAG_URI.match(feed_id(name, slug)), feed_id(name, slug)
    first = feedparser.parse(feed_for(archive, "rfi", mode="static"))
    again = feedparser.parse(feed_for(archive, "rfi", mode="static"))
    assert first.feed.id == again.feed.id == "tag:newsvault,2024:%E6%B5%8B%E8%AF%95%E9%95%9C%E5%83%8F/rfi"
    assert [e.id for e in first.entries] == [e.id for e in again.entries]
    assert all(TAG_URI.match(e.id) for e in first.entries)
    assert f"tag:newsvault,2024:{seed_id(archive)}" in [e.id for e in first.entries]


def test_updated_is_when_the_newest_version_was_seen(archive):
    feed = feedparser.parse(feed_for(archive, "rfi", mode="static"))
    seed = next(e for e in feed.entries if e.id.endswith(seed_id(archive)))
    assert seed.updated != seed.published  # the seed has an edited second version


def test_languages_are_detected_from_the_text(archive, tmp_path):
    feed = feed_for(archive, "bbc", mode="static")
    assert re.search(r'<entry xml:lang="zh-Hant">\n<title>台灣看到了威脅', feed)
    rfi = feed_for(archive, "rfi", mode="static")
    assert re.search(r'<entry xml:lang="en">\n<title>G7 ministers', rfi)
    assert re.search(r'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="zh-Hans">', feed_for(archive, "cdt", mode="static"))
    assert re.search(r'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">', feed_for(archive, "xss", mode="static"))
    site = tmp_path / "site"
    build_site(archive, site)
    pages = [p.read_text(encoding="utf-8") for p in site.glob("articles/*/*.html")]
    assert '<html lang="zh-Hant">' in next(p for p in pages if "<title>台灣看到了威脅" in p)
    assert '<html lang="en">' in next(p for p in pages if "<title>G7 ministers meet in Tokyo" in p)
    assert '<html lang="zh-Hans">' in next(p for p in pages if "<title>布林肯" in p)


def test_the_detector():
    assert detect_lang("布林肯呼吁七国集团在加沙问题上以一个声音说话") == "zh-Hans"
    assert detect_lang("台灣的國家安全與兩岸關係") == "zh-Hant"
    assert detect_lang("The quick brown fox jumps over the lazy dog in 北京") == "en"
    assert detect_lang("中文") == "zh" and detect_lang("") == "zh"
    assert detect_lang("<p class='zh'>美國駐華大使館</p>", html=True) == "zh-Hant"


@pytest.mark.parametrize("base_url", [None, "https://mirror.example.org/news/"])
def test_changes_feeds_are_valid_with_tag_ids_for_each_change(archive, tmp_path, base_url):
    site = tmp_path / "site"
    build_site(archive, site, base_url=base_url)
    feeds = sorted((site / "feeds" / "changes").glob("*.xml"))
    assert [f.stem for f in feeds] == sorted(["all", *{a.source for a in archive.catalog.list_articles()}])
    ids: list[str] = []
    for f in feeds:
        data = f.read_bytes()
        assert validator_errors(data, f"changes-{f.stem}", tmp_path) == [], f.name
        parsed = feedparser.parse(data)
        assert parsed.bozo == 0 and parsed.version == "atom10"
        assert TAG_URI.match(parsed.feed.id) and all(TAG_URI.match(e.id) for e in parsed.entries)
        ids.extend(e.id for e in parsed.entries)
    assert f"tag:newsvault,2024:{seed_id(archive)}/v1" in ids  # the seed article's edit
    with live_server(archive.root) as url, httpx.Client(base_url=url, timeout=30) as client:
        for name in ("all", "rfi"):
            r = client.get(f"/feeds/changes/{name}.xml")
            assert r.status_code == 200 and validator_errors(r.content, f"live-changes-{name}", tmp_path) == []
            assert feedparser.parse(r.content).bozo == 0
        assert client.get("/feeds/changes/nonesuch.xml").status_code == 404


def test_an_empty_changes_feed_is_dated_by_its_newest_article(tmp_path):
    from newsvault.publish.atom import changes_feed_for

    archive = Archive.init(tmp_path / "a")
    published = 1_699_344_000_000  # 2023-11-07T08:00:00Z
    with archive.batch():
        archive.add(Record("一篇", "https://example.org/1", published - 86_400_000, "<p>一</p>"), "x", seen=published)
        archive.add(Record("二篇", "https://example.org/2", published, "<p>二</p>"), "x", seen=published)
    feed = feedparser.parse(changes_feed_for(archive, mode="static"))
    assert not feed.entries and not feed.bozo
    assert feed.feed.updated == "2023-11-07T08:00:00Z"
    archive.close()
