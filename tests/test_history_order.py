"""Versions are ordered by evidence, never by arrival: the same material imported in any order
or split gives the same history (texts, order, times), and a rebuild from the files agrees."""

from __future__ import annotations

import itertools
import random
import shutil
import time
from pathlib import Path

import pytest

from newsvault import record as recordfmt
from newsvault.archive import Archive
from newsvault.importer import import_paths
from newsvault.urls import canonical_url

History = dict[str, list[tuple[str, int | None]]]

# A Jekyll subset: the posts that share a URL with another post (re-posts) and a few others.
JEKYLL_REPOSTS = 40
JEKYLL_SINGLES = 20


def _jekyll_subset(posts: Path) -> list[Path]:
    groups: dict[str, list[Path]] = {}
    for path in sorted(posts.glob("*.md")):
        try:
            rec = recordfmt.parse(path.read_bytes(), name=path.name)
        except Exception:  # noqa: BLE001 - not a record: the importer's business, not this subset's
            continue
        groups.setdefault(canonical_url(rec.url) or path.name, []).append(path)
    reposts = [p for g in groups.values() if len(g) > 1 for p in g][:JEKYLL_REPOSTS]
    singles = [g[0] for g in groups.values() if len(g) == 1][:JEKYLL_SINGLES]
    return reposts + singles


@pytest.fixture(scope="module")
def material(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Copies of the three corpus folders, laid out as they are in the corpus."""
    root = tmp_path_factory.mktemp("material")
    shutil.copytree(corpus / "cdt-history", root / "cdt-history")
    shutil.copytree(corpus / "cdt" / "articles", root / "cdt" / "articles")
    posts = root / "jekyll" / "_posts"
    posts.mkdir(parents=True)
    subset = _jekyll_subset(corpus / "jekyll" / "_posts")
    assert len(subset) > JEKYLL_SINGLES, "the corpus's Jekyll posts hold re-posts of one URL"
    for path in subset:
        shutil.copy2(path, posts / path.name)
    return {"cdt-history": root / "cdt-history", "cdt/articles": root / "cdt" / "articles", "jekyll": posts}


def history(archive: Archive) -> History:
    """Every article's versions as (text hash, first seen), keyed by canonical URL."""
    out: History = {}
    for article in archive.catalog.list_articles():
        out[article.canonical_url] = [(v.content_hash, v.seen) for v in archive.catalog.versions(article.id)]
    return out


def imported(tmp_path: Path, name: str, batches: list[list[Path]]) -> Archive:
    archive = Archive.init(tmp_path / name)
    for paths in batches:
        import_paths(archive, paths)
    return archive


def revisions(h: History) -> int:
    return sum(len(v) - 1 for v in h.values())


@pytest.fixture(scope="module")
def reference(material: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> History:
    """History first, as the original system's history was made: the order that was right."""
    order = ["cdt-history", "cdt/articles", "jekyll"]
    archive = imported(tmp_path_factory.mktemp("ref"), "a", [[material[k]] for k in order])
    with archive:
        return history(archive)


def test_cdt_history_and_articles_give_96_revisions_in_either_order(material: dict[str, Path], tmp_path: Path) -> None:
    first = imported(tmp_path, "history-first", [[material["cdt-history"]], [material["cdt/articles"]]])
    second = imported(tmp_path, "articles-first", [[material["cdt/articles"]], [material["cdt-history"]]])
    with first, second:
        a, b = history(first), history(second)
    assert revisions(a) == revisions(b) == 96
    assert a == b


@pytest.mark.parametrize("order", list(itertools.permutations(["cdt-history", "cdt/articles", "jekyll"])), ids="+".join)
def test_every_order_of_the_corpus_folders_gives_the_same_history(order: tuple[str, ...], material: dict[str, Path], reference: History, tmp_path: Path) -> None:
    with imported(tmp_path, "a", [[material[k]] for k in order]) as archive:
        got = history(archive)
    assert got.keys() == reference.keys()
    differing = [url for url in reference if got[url] != reference[url]]
    assert not differing, f"{len(differing)} articles differ, e.g. {differing[0]}: {got[differing[0]]} vs {reference[differing[0]]}"


def test_a_shuffled_file_by_file_import_gives_the_same_history(material: dict[str, Path], reference: History, tmp_path: Path) -> None:
    files = sorted(p for folder in material.values() for p in folder.rglob("*.md"))
    random.Random(23).shuffle(files)
    half = len(files) // 2
    # Split in two imports as well: one shuffled list, then single files one at a time.
    with imported(tmp_path, "a", [files[:half]] + [[p] for p in files[half:]]) as archive:
        assert history(archive) == reference


def test_no_version_is_dated_the_day_of_the_import(reference: History) -> None:
    start_of_today = (int(time.time()) // 86400) * 86400 * 1000
    dated_today = [url for url, versions in reference.items() for _h, seen in versions if seen is not None and seen >= start_of_today]
    assert dated_today == []


def test_a_rebuild_from_the_files_gives_the_incremental_history(material: dict[str, Path], reference: History, tmp_path: Path) -> None:
    with imported(tmp_path, "a", [[material["cdt/articles"]], [material["jekyll"]], [material["cdt-history"]]]) as archive:
        incremental = history(archive)
        report = archive.reindex()
        assert report["errors"] == []
        assert history(archive) == incremental == reference


def _record(title: str, body: str, published_ms: int) -> str:
    return f"<!--{published_ms}-->\n[{title}](https://example.org/news/1)\n------\n\n<p>{body}</p>\n"


PUBLISHED = 1_593_000_000_000  # 2020-06-24


def test_a_history_dated_in_the_future_or_before_publication_is_kept_undated(tmp_path: Path) -> None:
    folder = tmp_path / "history" / "story"
    folder.mkdir(parents=True)
    (folder / f"{PUBLISHED // 1000 + 3600}.md").write_text(_record("t", "first", PUBLISHED))
    (folder / f"{PUBLISHED // 1000 - 90 * 86400}.md").write_text(_record("t", "before publication", PUBLISHED))
    (folder / "4102444800.md").write_text(_record("t", "from 2100", PUBLISHED))  # 2100-01-01
    archive = Archive.init(tmp_path / "a")
    with archive:
        report = import_paths(archive, [tmp_path / "history"])
        assert report.imported + report.revisions + report.unchanged == 3
        reasons = sorted(w["reason"] for w in report.warnings)
        assert len(reasons) == 2
        assert "before its publication" in reasons[0] and "in the future" in reasons[1]
        [article] = archive.catalog.list_articles()
        versions = archive.catalog.versions(article.id)
        # Undated texts are placed by their publication date: before the dated sighting.
        assert [v.seen for v in versions] == [None, None, PUBLISHED + 3_600_000]
        assert all(archive.read(v.path) for v in versions)  # every text kept


def test_two_texts_claiming_one_time_are_both_kept_in_the_same_order_either_way(tmp_path: Path) -> None:
    second = PUBLISHED // 1000 + 60
    a, b = tmp_path / "one" / "story", tmp_path / "two" / "story"
    a.mkdir(parents=True)
    b.mkdir(parents=True)
    (a / f"{second}.md").write_text(_record("t", "one text", PUBLISHED))
    (b / f"{second}.md").write_text(_record("t", "another text", PUBLISHED))
    orders = []
    for name, first, then in (("x", a, b), ("y", b, a)):
        archive = Archive.init(tmp_path / name)
        with archive:
            import_paths(archive, [first])
            report = import_paths(archive, [then])
            assert report.revisions == 1
            assert "claims the same time" in report.warnings[0]["reason"]
            [article] = archive.catalog.list_articles()
            orders.append([(v.content_hash, v.seen) for v in archive.catalog.versions(article.id)])
            names = sorted(p.name for p in (archive.root / "revisions").rglob("*.md"))
            assert names == [f"{second}-2.md", f"{second}.md"]  # the second kept, never bumped
    assert orders[0] == orders[1]
    assert [s for _h, s in orders[0]] == [second * 1000, second * 1000]



def test_a_revision_named_by_the_second_of_its_article_comes_after_the_article() -> None:
    """A collector's article seen at 12:00:00.300 and an edit seen at 12:00:00.900, which its
    ``revisions/…/<second>.md`` name can only date 12:00:00: the article is still the first
    version, whichever order the files come in (a replay or a pull re-reads the revision)."""
    from newsvault.catalog import Version
    from newsvault.catalog.timeline import order_versions

    second = PUBLISHED // 1000 + 3600

    def obs(path: str, text: str, evidence: int) -> Version:
        return Version(path=path, article_id="x", rev=-1, source="s", url="u", canonical_url="u", title="t", published=PUBLISHED,
                       seen=evidence, content_hash=text, file_hash=text, size=1, variant="", evidence=evidence)

    article = obs("articles/s/x.md", "A", second * 1000 + 300)
    edit = obs(f"revisions/s/x/{second}.md", "B", second * 1000)
    later = obs(f"revisions/s/x/{second + 2}.md", "B", (second + 2) * 1000)
    for files in itertools.permutations([article, edit, later]):
        ordered = order_versions(files)
        assert [(v.path, v.rev) for v in ordered.versions] == [(article.path, 0), (edit.path, 1)]
        assert [v.path for v in ordered.repeats] == [later.path]
