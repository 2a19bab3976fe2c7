"""Minor and major changes on corpus/cdt-history: every change kept, minor ones not announced.

The rule (preserve/significance.py, docs/reach.md): a change is minor when, with the ways it
lists undone — the publisher's footers dropped, the HTML reduced to its text, whitespace
removed, full/half-width forms folded (NFKC) — the two versions are equal.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

import pytest

from newsvault.compose import init_archive
from newsvault.config import MINOR_WAYS
from newsvault.importer import import_paths
from newsvault.preserve.history import article_history
from newsvault.preserve.significance import Thresholds, classify
from newsvault.text import html_to_text
from preserve_helpers import history_rounds

FOOTER = re.compile(r"get_post_time|Better Feed")


@pytest.fixture(scope="module")
def replayed(tmp_path_factory):
    archive = init_archive(tmp_path_factory.mktemp("sig") / "archive")
    for files in history_rounds():
        import_paths(archive, files)
    yield archive
    archive.close()


@pytest.fixture(scope="module")
def changes(replayed):
    out = []
    for a in replayed.catalog.list_articles():
        for c in article_history(replayed, a).changes:
            out.append((a, c, replayed.read(c.old.path), replayed.read(c.new.path)))
    return out


def _undo(ways: tuple[str, ...], title: str, html: str, url: str) -> tuple[str, str]:
    """The version with the listed ways undone, written here independently of the classifier:
    footers cut at their first marker, text, no whitespace, NFKC."""
    if "boilerplate" in ways:
        cut = re.search(r"<hr\s*/?>\s*<p>\s*<small>[^<]*?(?:<a [^>]*>[^<]*</a>)?, get_post_time", html)
        html = html[: cut.start()] if cut else html
        cut = html.find("<p><small>Feed enhanced by")
        html = html[:cut] if cut >= 0 else html
    text = html_to_text(html) if ways else html
    if "whitespace" in ways:
        text, title = re.sub(r"\s+", "", text), re.sub(r"\s+", "", title)
    if "punctuation" in ways:
        text, title = unicodedata.normalize("NFKC", text), unicodedata.normalize("NFKC", title)
    return title, text


def test_94_changes_split_into_minor_and_major(changes):
    assert len(changes) == 94
    split = Counter((c.significance.label, c.significance.ways) for _, c, _, _ in changes)
    minor = sum(n for (label, _), n in split.items() if label == "minor")
    # 65 only add or change CDT's footer (its tag list included), 6 only markup, 1 only paragraph
    # breaks, 1 both footer and markup; the 21 others change words.
    assert split == {
        ("minor", ("boilerplate",)): 65, ("minor", ("markup",)): 6, ("minor", ("whitespace",)): 1,
        ("minor", ("boilerplate", "markup")): 1, ("major", ("text",)): 19, ("major", ("boilerplate", "text")): 2,
    }
    assert (minor, len(changes) - minor) == (73, 21)


def test_each_minor_change_differs_only_in_the_listed_ways(changes):
    for a, c, old, new in changes:
        ways = c.significance.ways
        assert old.body != new.body or old.title != new.title
        if not c.minor:
            # A major one still differs with every minor way undone.
            assert _undo(MINOR_WAYS, old.title, old.body, a.url) != _undo(MINOR_WAYS, new.title, new.body, a.url), a.id
            continue
        assert set(ways) <= set(MINOR_WAYS)
        assert _undo(ways, old.title, old.body, a.url) == _undo(ways, new.title, new.body, a.url), (a.id, ways)
        if ways == ("boilerplate",):
            assert FOOTER.search(old.body + new.body)


def test_minor_changes_are_kept_but_left_out_of_feeds_and_hidden_on_the_page(replayed, changes):
    from newsvault.publish.atom import FEED_SIZE, changes_feed_for
    from newsvault.publish.changes import change_events, describe
    from newsvault.publish.render import PageRenderer

    events = describe(replayed, change_events(replayed))
    edits = [e for e in events if e.kind == "edit"]
    assert len(edits) == 94 and sum(e.minor for e in edits) == 73
    feed = changes_feed_for(replayed, events=events)
    assert feed.count("</entry>") == min(21, FEED_SIZE)
    page = PageRenderer(replayed).changes(events=events)
    assert page.count('class="edit minor"') == 73 and page.count('class="edit"') == 21
    assert 'id="show-minor"' in page and "也显示 73 次次要改动" in page
    assert "仅页脚样板改动" in page


def test_title_changes_are_flagged_and_major():
    body = "<p>正文</p>"
    s = classify("旧标题", body, "新标题", body, "https://example.org/a")
    assert not s.minor and s.title and s.ways == ("title",)
    # A title differing only in width or spacing is not a title change.
    s = classify("标题：一", body, "标题: 一", body, "https://example.org/a")
    assert s.minor and s.ways == ("whitespace", "punctuation")


def test_thresholds_from_config(tmp_path):
    old, new = "<p>今天天气很好。</p>", "<p>今天天气不好。</p>"
    assert classify("t", old, "t", new, "https://example.org/a").ways == ("text",)
    s = classify("t", old, "t", new, "https://example.org/a", Thresholds(minor_chars=2))
    assert s.minor and s.ways == ("small",)
    # Markup not counted as minor when the archive says so.
    s = classify("t", "<p>甲</p>", "t", "<h3>甲</h3>", "https://example.org/a", Thresholds(minor=("boilerplate",)))
    assert not s.minor and s.ways == ("markup",)


def test_changes_config_is_validated(tmp_path, cli):
    root = tmp_path / "archive"
    cli("init", "--no-media", str(root), check=True)
    toml = root / "newsvault.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + '\n[changes]\nminor = ["markup", "typos"]\n', encoding="utf-8")
    proc = cli("-C", str(root), "ls")
    assert proc.returncode == 1
    assert proc.stderr.startswith("newsvault: error:") and "changes.minor" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_each_article_page_links_its_own_change_feed(replayed, changes, tmp_path):
    import httpx
    from lxml import etree

    from newsvault.publish.render import article_changes_path, article_path
    from newsvault.publish.site import build_site
    from search_helpers import live_server

    site = tmp_path / "site"
    build_site(replayed, site, workers=1)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    majors = Counter(a.id for a, c, _, _ in changes if not c.minor)
    for a in replayed.catalog.list_articles():
        page = (site / article_path(a.id)).read_text(encoding="utf-8")
        href = "../../" + article_changes_path(a.id)
        assert page.count(f'href="{href}"') == 2  # <link rel="alternate"> and the visible link
        feed_file = site / "articles" / a.id[:2] / href
        feed = etree.parse(str(feed_file.resolve()))
        entries = feed.findall("a:entry", ns)
        assert len(entries) == majors[a.id], a.id
        alternate = feed.find("a:link[@rel='alternate']", ns).get("href")
        assert (feed_file.resolve().parent / alternate).resolve() == (site / article_path(a.id)).resolve()
    edited = majors.most_common(1)[0][0]
    with live_server(replayed.root) as url:
        r = httpx.get(f"{url}/{article_changes_path(edited)}", timeout=30)
        assert r.status_code == 200 and r.text.count("</entry>") == majors[edited]
        assert httpx.get(f"{url}/feeds/changes/articles/nosuch.xml", timeout=30).status_code == 404
