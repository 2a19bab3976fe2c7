"""``newsvault export --format zim DIR``: the archive as one ZIM for Kiwix, read back with
libzim's own reader and searched with its full-text index."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import pytest

from conftest import CORPUS, run_cli
from media_helpers import image
from newsvault.archive import Archive
from newsvault.media.store import MediaStore, media_dir
from newsvault.publish.render import article_path
from newsvault.record import Record, parse

libzim = pytest.importorskip("libzim")
from libzim.reader import Archive as ZimArchive  # noqa: E402
from libzim.search import Query, Searcher  # noqa: E402

IMG_URL = "https://example.org/img/photo.png"
SEEN = 1_700_000_000_000


def _store_image(root: Path, url: str, data: bytes) -> None:
    with MediaStore(root, media_dir(root, None)) as store:
        sha, _, _ = store.put(data, "png")
        store.note(url, "test", 0)
        store.stored(url, sha, "image/png", "png", len(data), 40, 30)
        store.commit()


def _archive(root: Path, *, big_image: bytes | None = None) -> dict[str, str]:
    """Five CDT records (with their footers), two records written here (one with a kept image,
    one edited once): article id -> a word only its title has."""
    a = Archive.init(root, name="离线 测试")
    words: dict[str, str] = {}
    with a.batch():
        for p in sorted((CORPUS / "cdt" / "articles").glob("*.md"))[:5]:
            rec = parse(p.read_bytes())
            words[a.add(rec, "cdt", seen=SEEN).article_id] = ""
        body = "<p>" + "海市蜃楼出现在沙漠的边缘，旅人纷纷驻足观看。" * 5 + f'</p><p><img src="{IMG_URL}" alt="照片"></p>'
        if big_image is not None:
            body += '<p><img src="https://example.org/img/big.png" alt="大"></p>'
        photo = Record("蜃楼照片", "https://example.org/news/photo", SEEN, body)
        words[a.add(photo, "test", seen=SEEN).article_id] = "蜃楼"
        edited = Record("琵琶行新编", "https://example.org/news/pipa", SEEN - 86_400_000, "<p>" + "浔阳江头夜送客，枫叶荻花秋瑟瑟。" * 5 + "</p>")
        words[a.add(edited, "test", seen=SEEN).article_id] = "琵琶"
    with a.batch():
        a.add(replace(edited, body=edited.body.replace("秋瑟瑟", "秋萧瑟", 1)), "test", seen=SEEN + 3_600_000)
    a.close()
    _store_image(root, IMG_URL, image())
    if big_image is not None:
        _store_image(root, "https://example.org/img/big.png", big_image)
    return words


@pytest.fixture(scope="module")
def zim(tmp_path_factory) -> tuple[Path, dict[str, str], dict]:
    root = tmp_path_factory.mktemp("zim") / "archive"
    words = _archive(root)
    proc = run_cli("-C", str(root), "export", "--format", "zim", str(root.parent / "out"), "--json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    return Path(report["zim"]), words, report


def test_every_article_is_an_entry_found_by_path_and_by_search(zim):
    path, words, report = zim
    assert path.name == "离线-测试.zim" and report["articles"] == len(words) == 7
    z = ZimArchive(path)
    assert z.has_fulltext_index and z.has_title_index
    assert z.article_count == 7  # only article pages are front articles
    searcher = Searcher(z)
    root = path.parent.parent / "archive"
    archive = Archive.open(root)
    try:
        for a in archive.catalog.list_articles():
            entry = z.get_entry_by_path(article_path(a.id))
            assert entry.title == a.title
            html = bytes(entry.get_item().content).decode()
            assert a.title in html
            assert "get_post_time" not in html and "Better Feed" not in html
            if words[a.id]:
                hits = list(searcher.search(Query().set_query(words[a.id])).getResults(0, 10))
                assert hits == [article_path(a.id)], words[a.id]
        # Full-text search finds CDT articles by words of their text too, not by their footers.
        first = archive.catalog.list_articles(source="cdt")[0]
        assert article_path(first.id) in list(searcher.search(Query().set_query(first.title[:4])).getResults(0, 20))
        assert searcher.search(Query().set_query("Permalink")).getEstimatedMatches() == 0
    finally:
        archive.close()


def test_main_page_lists_history_and_metadata(zim):
    path, words, _ = zim
    z = ZimArchive(path)
    assert z.main_entry.get_item().path == "index.html"
    for rel in ("index.html", "changes.html", "days/index.html", "static/style.css"):
        assert z.has_entry_by_path(rel), rel
    assert not z.has_entry_by_path("search.html")  # Kiwix searches the ZIM's own index
    edited = next(i for i, w in words.items() if w == "琵琶")
    page = bytes(z.get_entry_by_path(article_path(edited)).get_item().content).decode()
    # Its history: the page lists its versions and links the earlier one, which is an entry too.
    assert os.path.basename(article_path(edited, 0)) in page and z.has_entry_by_path(article_path(edited, 0))
    assert bytes(z.get_metadata("Language")) == b"zho"
    assert bytes(z.get_metadata("Title")).decode() == "离线 测试"
    assert z.has_illustration(48)


def test_archived_images_are_entries(zim):
    path, words, report = zim
    z = ZimArchive(path)
    photo = next(i for i, w in words.items() if w == "蜃楼")
    page = bytes(z.get_entry_by_path(article_path(photo)).get_item().content).decode()
    src = next(part.split('"')[0] for part in page.split('src="')[1:] if "media/" in part.split('"')[0])
    rel = os.path.normpath(os.path.join(os.path.dirname(article_path(photo)), src))
    item = z.get_entry_by_path(rel).get_item()
    assert item.mimetype == "image/png" and bytes(item.content) == image()
    assert report["images"] == 1


def test_a_disk_that_fills_leaves_no_partial_zim(tmp_path, tmpfs):
    root = tmp_path / "archive"
    _archive(root, big_image=os.urandom(3 * 1024 * 1024))  # incompressible: the ZIM cannot fit
    disk = tmpfs("2m")
    proc = run_cli("-C", str(root), "export", "--format", "zim", str(disk))
    assert proc.returncode == 1, proc.stdout
    assert proc.stderr.startswith("newsvault: error:") and len(proc.stderr.strip().splitlines()) == 1
    assert "离线-测试.zim" in proc.stderr
    assert list(disk.iterdir()) == []  # neither the final name nor the work folder is left
    # With room, the same export succeeds, and replaces nothing but its own file.
    out = tmp_path / "out"
    assert run_cli("-C", str(root), "export", "--format", "zim", str(out)).returncode == 0
    assert [p.name for p in out.iterdir()] == ["离线-测试.zim"]
