"""The static site: pages, relative links, article contents, feeds, incremental rebuilds, errors."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from urllib.parse import unquote, urlsplit

import feedparser
import pytest

from conftest import run_cli
from newsvault.errors import ArchiveError, NotFound
from newsvault.publish.render import PageRenderer, article_path
from newsvault.publish.site import build_site
from newsvault.record import Record, parse
from publish_helpers import SEED, SEEN_BASE, TAIWAN_POST, links_of, make_archive, mark_deleted, seed_id


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("site")
    archive = make_archive(root / "archive")
    mark_deleted(archive, seed_id(archive), "https://www.rfi.fr/cn/x", SEEN_BASE + 7_200_000)
    report = build_site(archive, root / "site")
    yield archive, root / "site", report
    archive.close()


def all_pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def test_every_page_links_relatively_and_every_link_resolves(built):
    archive, site, report = built
    assert report.errors == []
    pages = all_pages(site)
    assert len(pages) > 60
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert "<script" not in html or page.name == "search.html"
        for link in links_of(html):
            parts = urlsplit(link)
            if parts.scheme in ("http", "https", "mailto", "data"):
                continue  # original article links and images
            assert not link.startswith("/"), (page, link)
            target = (page.parent / unquote(parts.path)).resolve()
            assert target.is_file(), (page.relative_to(site), link)


def test_article_page_shows_everything_a_reader_needs(built):
    archive, site, _ = built
    sid = seed_id(archive)
    html = (site / article_path(sid)).read_text(encoding="utf-8")
    seed = parse(SEED.read_bytes())
    assert "<h1><bdi>布林肯呼吁七国集团在加沙问题上以“一个声音”说话</bdi></h1>" in html
    assert "法广" in html
    assert "2023-11-07 20:15</time> 北京时间 · 2023-11-07 12:15 UTC" in html
    assert f'href="{seed.url}" rel="noopener noreferrer nofollow">原文链接' in html
    assert "已删除（2023-11-15 发现原文已被删除）" in html
    # revisions block linking every version; the latest text is shown
    assert "2 个版本" in html and "安东尼-美国国务卿布林肯" in html
    v0 = site / article_path(sid, 0)
    assert f'href="../../articles/{sid[:2]}/{sid}.r0.html"' in html and v0.is_file()
    old = v0.read_text(encoding="utf-8")
    # v0 was collected at SEEN_BASE (2023-11-15 06:13 Beijing): it says so, not its publication time.
    assert "这是本文存档的版本 v0（<span class=\"when\">2023-11-15 06:13 北京时间</span> 存档）" in old and "安东尼-美国国务卿布林肯" not in old
    assert "个版本" not in old and "已删除" not in old  # the article page carries those
    # sanitised: share bar and promo placeholders gone, images lazy
    assert "分享 :" not in html and "selfpromo" not in html
    # images not kept locally: a placeholder linking the original, never a remote <img>
    assert 'class="media-missing"' in html and 'href="https://s.rfi.fr/media/display/' in html and '<img src="https://' not in html


def test_scraped_pages_are_reduced_to_their_main_content(built):
    archive, site, _ = built
    rec = parse(TAIWAN_POST.read_bytes())
    article, _ = archive.resolve(rec.url)
    html = (site / article_path(article.id)).read_text(encoding="utf-8")
    body = html.split('<div class="body">', 1)[1]
    assert "台湾" in body
    if rec.variant == "jekyll-page":
        assert "<nav" not in body and "<script" not in body
        assert list((archive.state_dir / "publish" / "extract").rglob("*.html"))  # cached


def test_home_sources_days_and_pagination(built):
    archive, site, _ = built
    home = (site / "index.html").read_text(encoding="utf-8")
    for name in ("法广", "中国数字时代", "BBC中文"):
        assert name in home
    xss_total = archive.catalog.count_articles(source="xss")
    assert xss_total > 50  # two numbered pages
    index = (site / "sources/xss/index.html").read_text(encoding="utf-8")
    assert 'href="page-1.html"' in index and index.count('<li><time') == 50
    p1 = (site / "sources/xss/page-1.html").read_text(encoding="utf-8")
    p2 = (site / "sources/xss/page-2.html").read_text(encoding="utf-8")
    assert p1.count("<li><time") == 50 and p2.count("<li><time") == xss_total - 50
    days = (site / "days/index.html").read_text(encoding="utf-8")
    assert 'href="../days/2023-11-07.html"' in days
    day = (site / "days/2023-11-07.html").read_text(encoding="utf-8")
    assert "布林肯" in day


def test_atom_feeds_are_valid_and_complete(built):
    archive, site, _ = built
    feeds = sorted((site / "feeds").glob("*.xml"))
    assert {f.stem for f in feeds} == {"all", "rfi", "cdt", "bbc", "xss"}
    for f in feeds:
        parsed = feedparser.parse(f.read_bytes())
        assert parsed.bozo == 0, (f, parsed.get("bozo_exception"))
        assert parsed.version == "atom10"
        assert 0 < len(parsed.entries) <= 50
        for e in parsed.entries:
            assert e.id.startswith("tag:newsvault,2024:") and e.title and e.content[0].value
    everything = feedparser.parse((site / "feeds/all.xml").read_bytes())
    assert len(everything.entries) == 50
    rfi = feedparser.parse((site / "feeds/rfi.xml").read_bytes())
    content = rfi.entries[0].content[0].value
    assert "七国集团外长本周二" in content and "分享 :" not in content and "<script" not in content
    xss = feedparser.parse((site / "feeds/xss.xml").read_bytes())
    for e in xss.entries:
        assert "<script" not in e.content[0].value.lower() and "javascript:" not in e.content[0].value.lower()


def test_incremental_rebuild_writes_only_what_changed(tmp_path):
    archive = make_archive(tmp_path / "a", xss=False)
    site = tmp_path / "site"
    first = build_site(archive, site)
    assert first.written > 30
    mtimes = {p: p.stat().st_mtime_ns for p in site.rglob("*") if p.is_file()}
    again = build_site(archive, site)
    assert again.articles_rendered == 0 and again.written == 1  # search/meta.js only
    assert {p for p in mtimes if p.stat().st_mtime_ns != mtimes[p]} == {site / "search/meta.js"}

    seed = parse(SEED.read_bytes())
    with archive.batch():
        result = archive.add(Record("新来的文章：台北", "https://www.rfi.fr/cn/new-1", seed.published + 60_000, "<p>新的正文</p>"), "rfi")
    third = build_site(archive, site)
    assert third.articles_rendered == 1
    changed = {p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file() and (p not in mtimes or p.stat().st_mtime_ns != mtimes[p])}
    assert article_path(result.article_id) in changed
    assert {"index.html", "sources/rfi/index.html", "feeds/all.xml", "feeds/rfi.xml", "days/2023-11-07.html"} <= changed
    untouched_articles = [p for p in changed if p.startswith("articles/") and result.article_id not in p]
    assert untouched_articles == []
    assert not any(p.startswith(("sources/cdt", "sources/bbc", "feeds/cdt")) for p in changed)
    # a third version of the seed: its article page and the new version-1 page change, the
    # version-0 page does not
    sid = seed_id(archive)
    r0 = site / article_path(sid, 0)
    before = r0.stat().st_mtime_ns
    with archive.batch():
        archive.add(replace(seed, body=seed.body + "<p>更正</p>", variant="canonical", front_matter=None), "rfi", seen=SEEN_BASE + 9_000_000)
    build_site(archive, site)
    assert r0.stat().st_mtime_ns == before
    assert "更正" in (site / article_path(sid)).read_text(encoding="utf-8")
    assert "3 个版本" in (site / article_path(sid)).read_text(encoding="utf-8")
    assert (site / article_path(sid, 1)).is_file() and not (site / article_path(sid, 2)).exists()
    # deletion noticed: only that article's pages (and lists showing it) change
    mark_deleted(archive, result.article_id, "https://www.rfi.fr/cn/new-1", SEEN_BASE + 10_000_000)
    fourth = build_site(archive, site)
    assert fourth.articles_rendered == 1
    assert "已删除" in (site / article_path(result.article_id)).read_text(encoding="utf-8")


def test_pages_of_vanished_articles_are_removed(tmp_path):
    archive = make_archive(tmp_path / "a", xss=False)
    site = tmp_path / "site"
    build_site(archive, site)
    victim = archive.catalog.list_articles(source="cdt")[0]
    page = site / article_path(victim.id)
    assert page.is_file()
    (archive.root / victim.path).unlink()
    archive.reindex()
    report = build_site(archive, site)
    assert report.removed >= 1 and not page.exists()


def test_bad_site_folders_are_refused_without_touching_them(tmp_path):
    archive = make_archive(tmp_path / "a", xss=False)
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine")
    with pytest.raises(ArchiveError, match="not empty"):
        build_site(archive, busy)
    assert [p.name for p in busy.iterdir()] == ["notes.txt"]
    with pytest.raises(ArchiveError, match="must not contain the archive"):
        build_site(archive, tmp_path)
    archive.close()
    proc = run_cli("-C", str(tmp_path / "a"), "build", "--site", str(busy))
    assert proc.returncode == 1 and "not empty" in proc.stderr and "Traceback" not in proc.stderr
    proc = run_cli("-C", str(tmp_path / "a"), "build", "--site", str(tmp_path / "s"), "--base-url", "ftp://x")
    assert proc.returncode == 2


def test_build_command_json_and_base_url(tmp_path):
    archive = make_archive(tmp_path / "a", xss=False)
    archive.close()
    proc = run_cli("-C", str(tmp_path / "a"), "build", "--site", str(tmp_path / "s"), "--base-url", "https://mirror.example.org/news/", "--json", check=True)
    out = json.loads(proc.stdout)
    assert out["site"]["articles_rendered"] > 10 and out["site"]["errors"] == []
    assert "lists/法广.md" in out["lists"]["written"]
    feed = feedparser.parse((tmp_path / "s" / "feeds" / "all.xml").read_bytes())
    assert feed.bozo == 0
    assert all(e.link.startswith("https://mirror.example.org/news/articles/") for e in feed.entries)
    proc = run_cli("-C", str(tmp_path / "a"), "build", "--site", str(tmp_path / "s"), "--base-url", "https://mirror.example.org/news/", check=True)
    assert "0 articles rendered" in proc.stdout and "relative" not in proc.stdout
    proc = run_cli("-C", str(tmp_path / "a"), "build", "--site", str(tmp_path / "s2"), check=True)
    notes = [line for line in proc.stdout.splitlines() if "--base-url" in line]
    assert notes == ["note: without --base-url, the Atom feeds' self and entry links are relative (feed readers need the site's address: --base-url https://…/)"]
    entry = feedparser.parse((tmp_path / "s2" / "feeds" / "all.xml").read_bytes()).entries[0]
    assert entry.link.startswith("../articles/")


def test_build_takes_the_site_base_url_of_the_config_and_the_option_overrides_it(tmp_path):
    from newsvault.archive import write_atomic
    from newsvault.config import CONFIG_NAME

    archive = make_archive(tmp_path / "a", xss=False)
    archive.config.site_url = "https://owner.example.org/archive/"
    write_atomic(archive.root / CONFIG_NAME, archive.config.dump())
    archive.close()
    proc = run_cli("-C", str(tmp_path / "a"), "build", "--site", str(tmp_path / "s"), check=True)
    assert "relative" not in proc.stdout
    links = [e.link for e in feedparser.parse((tmp_path / "s" / "feeds" / "all.xml").read_bytes()).entries]
    assert links and all(link.startswith("https://owner.example.org/archive/articles/") for link in links)
    run_cli("-C", str(tmp_path / "a"), "build", "--site", str(tmp_path / "s"), "--base-url", "https://mirror.example.org/news/", check=True)
    links = [e.link for e in feedparser.parse((tmp_path / "s" / "feeds" / "all.xml").read_bytes()).entries]
    assert links and all(link.startswith("https://mirror.example.org/news/articles/") for link in links)


def test_live_renderer_uses_absolute_urls_and_raises_not_found(built):
    archive, _site, _ = built
    r = PageRenderer(archive, mode="live")
    sid = seed_id(archive)
    html = r.article(sid)
    assert 'href="/static/style.css"' in html and 'href="/sources/rfi"' in html
    assert f'href="/articles/{sid}?rev=0"' in html
    assert "安东尼-美国国务卿布林肯" not in r.article(sid, rev=0)
    home2 = r.home(page=2)
    assert '<a rel="prev" href="/">' in home2 and 'rel="next"' not in home2  # two pages of ~75
    assert 'href="/sources/xss?page=2"' in r.source("xss")
    assert "布林肯" in r.day("2023-11-07")
    results = r.search_page("加沙", results=[archive.catalog.get(sid)])
    assert f'href="/articles/{sid}"' in results and "<script" not in results and "1 条结果" in results
    empty = r.search_page()
    assert "<script" not in empty and 'action="/search"' in empty
    for call in (lambda: r.article("ffffffffffff"), lambda: r.source("nope"), lambda: r.day("2023-13-01"),
                 lambda: r.day("1999-01-01"), lambda: r.article(sid, rev=5), lambda: r.home(page=999)):
        with pytest.raises(NotFound):
            call()
    assert "找不到" in r.not_found("没有这篇")


def test_live_feeds_from_the_catalog(built):
    from newsvault.publish.atom import feed_for

    archive, _site, _ = built
    feed = feedparser.parse(feed_for(archive, "rfi").encode())
    assert feed.bozo == 0 and feed.entries[0].link == f"/articles/{seed_id(archive)}"
    everything = feedparser.parse(feed_for(archive).encode())
    assert everything.bozo == 0 and len(everything.entries) == 50
    with pytest.raises(NotFound):
        feed_for(archive, "nope")


def test_an_unreadable_record_is_reported_and_left_alone(tmp_path):
    archive = make_archive(tmp_path / "a", xss=False)
    victim = archive.catalog.list_articles(source="cdt")[0]
    path = archive.root / victim.path
    original = path.read_bytes()
    path.write_bytes(b"\xff\xfe not a record \x00")
    report = build_site(archive, tmp_path / "site")
    assert [e["path"] for e in report.errors] == [victim.path]
    assert path.read_bytes() == b"\xff\xfe not a record \x00"  # the archive is never modified
    assert not (tmp_path / "site" / article_path(victim.id)).exists()
    assert (tmp_path / "site" / "index.html").is_file()
    # restored on disk: the next build renders it
    path.write_bytes(original)
    again = build_site(archive, tmp_path / "site")
    assert again.errors == [] and again.articles_rendered == 1
    assert (tmp_path / "site" / article_path(victim.id)).is_file()


def test_pages_use_the_archives_configured_time_zone(tmp_path):
    archive = make_archive(tmp_path / "a", xss=False)
    sid = seed_id(archive)  # published 2023-11-07 12:15 UTC: 20:15 in Shanghai, 02:15 next day at UTC+14
    archive.config.timezone = "Pacific/Kiritimati"
    build_site(archive, tmp_path / "s1")
    day = (tmp_path / "s1" / "days" / "2023-11-08.html").read_text(encoding="utf-8")
    assert sid in day and "Pacific/Kiritimati" in day
    assert not (tmp_path / "s1" / "days" / "2023-11-07.html").exists() or sid not in (tmp_path / "s1" / "days" / "2023-11-07.html").read_text(encoding="utf-8")
    archive.config.timezone = "America/New_York"  # with daylight saving: a real zone, not an offset
    build_site(archive, tmp_path / "s2")
    page = (tmp_path / "s2" / "articles" / sid[:2] / f"{sid}.html").read_text(encoding="utf-8")
    assert "2023-11-07 07:15</time> America/New_York" in page and "北京时间" not in page
    archive.config.timezone = "Asia/Shanghai"
    build_site(archive, tmp_path / "s3")
    assert "2023-11-07 20:15</time> 北京时间" in (tmp_path / "s3" / "articles" / sid[:2] / f"{sid}.html").read_text(encoding="utf-8")


def test_an_unknown_time_zone_is_a_clear_error(tmp_path):
    archive = make_archive(tmp_path / "a", xss=False)
    archive.config.timezone = "Mars/Olympus"
    with pytest.raises(ArchiveError, match="timezone 'Mars/Olympus' in newsvault.toml is not a known time zone"):
        build_site(archive, tmp_path / "s")


def _tree(site: Path) -> dict[str, bytes]:
    return {str(p.relative_to(site)): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


def test_two_builds_of_one_archive_are_byte_identical(tmp_path):
    """Each build in its own process, with its own hash seed: nothing in the output may depend on
    dict or hash-map order (nh3's added <img> attributes did) or on the time of the build."""
    archive = make_archive(tmp_path / "archive", xss=False)
    body = '<p>图</p><p><img src="https://img.example.test/a.jpg" alt="甲" width="640" height="480"><img src="https://img.example.test/b.png"></p>'
    archive.add(Record("有图的文章", "https://img.example.test/story", SEEN_BASE, body), "bbc", seen=SEEN_BASE)
    archive.close()
    trees = []
    for n, seed in enumerate(("1", "2")):
        run_cli("-C", str(tmp_path / "archive"), "build", "--site", str(tmp_path / f"site{n}"), check=True, env={"PYTHONHASHSEED": seed})
        trees.append(_tree(tmp_path / f"site{n}"))
    assert trees[0].keys() == trees[1].keys() and len(trees[0]) > 60
    assert [rel for rel in trees[0] if trees[0][rel] != trees[1][rel]] == []
    assert any(b'referrerpolicy="no-referrer"' in data for rel, data in trees[0].items() if rel.startswith("feeds/"))


def _signal_masks(pid: int) -> tuple[int, int]:
    """(caught, ignored) signal bit masks of a process, from /proc."""
    fields = dict(line.split(":\t", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":\t" in line)
    return int(fields["SigCgt"], 16), int(fields["SigIgn"], 16)


def test_a_worker_killed_mid_build_ends_the_build_with_an_error_not_a_hang(tmp_path, monkeypatch):
    """One article's rendering, in a forked worker, stops and says which process it is in; that
    worker is sent SIGTERM while the parent has a Python SIGTERM handler of its own (as the
    command has). The worker must have the default action, die, and the build must end."""
    import os
    import signal
    import threading

    from newsvault.publish import site as site_mod

    archive = make_archive(tmp_path / "archive", xss=False)
    victim = seed_id(archive)
    r, w = os.pipe()
    original = PageRenderer.article_parts

    def stalling_article_parts(self, aid, *args, **kwargs):
        if aid == victim and os.getpid() != parent:
            os.write(w, f"{os.getpid()}\n".encode())
            threading.Event().wait()  # until killed
        return original(self, aid, *args, **kwargs)

    parent = os.getpid()
    monkeypatch.setattr(PageRenderer, "article_parts", stalling_article_parts)
    monkeypatch.setattr(site_mod, "PARALLEL_MIN", 1)
    previous = signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(SystemExit("stopped")))
    result: dict[str, object] = {}

    def build() -> None:
        try:
            result["report"] = build_site(archive, tmp_path / "site", workers=2)
        except Exception as e:  # noqa: BLE001 - the test looks at what it was
            result["error"] = e

    try:
        builder = threading.Thread(target=build, daemon=True)
        builder.start()
        with os.fdopen(r) as pipe:
            pid = int(pipe.readline())
        caught, ignored = _signal_masks(pid)
        assert not caught & (1 << (signal.SIGTERM - 1)), "the worker inherited a SIGTERM handler"
        assert ignored & (1 << (signal.SIGINT - 1))
        os.kill(pid, signal.SIGTERM)
        builder.join(timeout=60)
        assert not builder.is_alive(), "the build hung after its worker died"
    finally:
        signal.signal(signal.SIGTERM, previous)
        os.close(w)
    error = result.get("error")
    assert isinstance(error, ArchiveError) and "died" in str(error) and "\n" not in str(error)
    assert not any((tmp_path / "archive" / ".newsvault" / "publish").glob("site-*.pickle"))  # no manifest: redone next time
    monkeypatch.undo()
    assert build_site(archive, tmp_path / "site", workers=2).errors == []
    archive.close()


def test_every_search_box_is_labelled(built):
    import html5lib

    _archive, site, _report = built
    boxes = 0
    for page in [site / "index.html", site / "search.html"]:
        doc = html5lib.parse(page.read_text(encoding="utf-8"), namespaceHTMLElements=False)
        labels = {label.get("for") for label in doc.iter("label")}
        for box in (i for i in doc.iter("input") if i.get("type") == "search"):
            boxes += 1
            assert box.get("aria-label") or box.get("id") in labels, (page.name, box.attrib)
    assert boxes >= 3  # the header's box on both pages and the search page's own
    search_page = html5lib.parse((site / "search.html").read_text(encoding="utf-8"), namespaceHTMLElements=False)
    assert any(label.get("for") == "q" and label.text for label in search_page.iter("label"))


def test_incremental_builds_equal_a_full_build_page_for_page(tmp_path, monkeypatch):
    """An incremental build that keeps unchanged list pages, day pages and change feeds without
    looking at them writes the same site as a build from nothing: after a newest article, one
    dated among the oldest (every numbered page after it shifts), one on a new day, a new
    version and a deletion. Two articles a page, so sources have several numbered pages."""
    import newsvault.publish.render as render

    monkeypatch.setattr(render, "PAGE_SIZE", 2)
    archive = make_archive(tmp_path / "a", xss=False)
    site = tmp_path / "site"
    build_site(archive, site, workers=1)
    seed = parse(SEED.read_bytes())
    oldest = min(a.published for a in archive.catalog.list_articles(source="cdt") if a.published)
    day = 86_400_000
    steps = [
        lambda: archive.add(Record("最新的文章", "https://www.rfi.fr/cn/new-1", seed.published + 60_000, "<p>新的正文</p>"), "rfi"),
        lambda: archive.add(Record("迟到的旧文", "https://chinadigitaltimes.net/chinese/late-1", oldest + 1, "<p>旧文</p>"), "cdt"),
        lambda: archive.add(Record("新的一天", "https://chinadigitaltimes.net/chinese/day-1", oldest - 40 * day, "<p>一天</p>"), "cdt"),
        lambda: archive.add(replace(seed, body=seed.body + "<p>更正</p>", variant="canonical", front_matter=None), "rfi", seen=SEEN_BASE + 9_000_000),
        lambda: mark_deleted(archive, seed_id(archive), "https://www.rfi.fr/cn/x", SEEN_BASE + 10_000_000),
    ]
    for n, step in enumerate(steps):
        with archive.batch():
            step()
        inc = build_site(archive, site, workers=1)
        assert inc.skipped > 0  # incremental indeed
        full = tmp_path / f"full{n}"
        build_site(archive, full, workers=1)
        a, b = _tree(site), _tree(full)
        # search/ differs by design (an incremental build adds a generation). An older
        # version's page shows only itself, so it stays as written when a later one arrives.
        a, b = ({k: v for k, v in t.items() if not k.startswith("search/")} for t in (a, b))
        assert a.keys() == b.keys(), f"step {n}"
        assert [k for k in a if a[k] != b[k]] == [], f"step {n}"
