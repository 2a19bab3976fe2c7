"""Opening a repository in place recovers the texts its git history holds (newsvault.githistory).

Every repository here is a real git repository made in tmp, written the way the duty-machine
archivers wrote theirs: one file per article under articles/, overwritten on every edit.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from newsvault.compose import init_archive, open_archive
from newsvault.continuing import open_in_place
from newsvault.importer import import_paths
from publish_helpers import CHROMIUM, chromium

URL = "https://chinadigitaltimes.net/chinese/2020/06/650001.html"
T0 = 1_592_000_000  # commit times (epoch seconds), an hour apart


def record(title: str, body: str, url: str = URL) -> str:
    return f"[{title}]({url})\n------\n日期：Fri, 12 Jun 2020 10:00:00 +0000\n\n<p>{body}</p>\n"


def git(root: Path, *args: str, when: int | None = None) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "dm", "GIT_AUTHOR_EMAIL": "dm@example.org", "GIT_COMMITTER_NAME": "dm", "GIT_COMMITTER_EMAIL": "dm@example.org"}
    if when is not None:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = f"@{when} +0000"
    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, text=True, env=env).stdout


def commit(root: Path, files: dict[str, str | None], when: int) -> str:
    for rel, text in files.items():
        path = root / rel
        if text is None:
            path.unlink()
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", f"update {when}", when=when)
    return git(root, "rev-parse", "HEAD").strip()


def overwritten_repo(root: Path) -> Path:
    """One article overwritten in 3 commits, beside an untouched one."""
    root.mkdir(parents=True)
    git(root, "init", "-q")
    other = record("另一篇", "不变", "https://chinadigitaltimes.net/chinese/2020/06/650002.html")
    commit(root, {"articles/1000_标题.md": record("标题", "第一版"), "articles/1001_另一篇.md": other}, T0)
    commit(root, {"articles/1000_标题.md": record("标题", "第二版")}, T0 + 3600)
    commit(root, {"articles/1000_标题.md": record("标题", "第三版")}, T0 + 7200)
    return root


def versions(archive, url: str = URL) -> list[tuple[int | None, str]]:
    article = archive.catalog.lookup_url(url)
    assert article is not None
    return [(v.seen, archive.read(v.path).body) for v in archive.catalog.versions(article.id)]


def test_a_file_overwritten_in_three_commits_gives_three_versions_dated_by_the_commits(tmp_path, cli):
    repo = overwritten_repo(tmp_path / "repo")
    before = {p: p.read_bytes() for p in (repo / "articles").iterdir()}
    out = cli("-C", str(repo), "open", check=True).stdout
    assert "2 earlier versions" in out
    with open_archive(repo) as archive:
        assert versions(archive) == [(T0 * 1000, "<p>第一版</p>"), ((T0 + 3600) * 1000, "<p>第二版</p>"), ((T0 + 7200) * 1000, "<p>第三版</p>")]
        other = archive.catalog.lookup_url("https://chinadigitaltimes.net/chinese/2020/06/650002.html")
        assert other is not None and other.versions == 1
    # the repository's own files are untouched; newsvault's derived data is git-ignored
    assert {p: p.read_bytes() for p in (repo / "articles").iterdir()} == before
    assert "/.newsvault/" in (repo / ".gitignore").read_text().splitlines()
    assert ".newsvault" not in git(repo, "status", "--porcelain")
    history = cli("-C", str(repo), "history", URL, check=True).stdout
    assert "3 versions" in history and "第[-一-]{+二+}版" in history


def test_a_second_run_reads_only_new_commits_and_adds_nothing_for_old_ones(tmp_path):
    repo = overwritten_repo(tmp_path / "repo")
    with open_archive(repo) as archive:
        first = open_in_place(archive)
        assert (first.commits, first.revisions) == (3, 2)
        files = sorted(p.relative_to(repo) for p in repo.rglob("*.md"))
        again = open_in_place(archive)
        assert (again.commits, again.blobs, again.sightings) == (0, 0, 0)
        assert sorted(p.relative_to(repo) for p in repo.rglob("*.md")) == files
        # a later edit: only that commit is read, and the article gains its fourth version
        commit(repo, {"articles/1000_标题.md": record("标题", "第四版")}, T0 + 10800)
        archive.refresh_paths(["articles/1000_标题.md"])
        later = open_in_place(archive)
        assert (later.commits, later.sightings) == (1, 1)
        # the new text (already listed, undated, from the file) takes its commit's time
        assert versions(archive)[-1] == ((T0 + 10800) * 1000, "<p>第四版</p>")
        # losing the note of the last commit only costs a rescan: nothing is filed twice
        (archive.state_dir / "githistory.json").unlink()
        rescan = open_in_place(archive)
        assert rescan.commits == 4 and rescan.sightings == 0
        assert len(versions(archive)) == 4


def deleted_repo(tmp_path: Path) -> tuple[Path, str, str]:
    """A repository where one article was edited, then its file deleted: (repo, its URL, the commit)."""
    repo = tmp_path / "repo"
    git(tmp_path, "init", "-q", "repo")
    gone_url = "https://chinadigitaltimes.net/chinese/2020/06/650003.html"
    commit(repo, {"articles/1001_留下.md": record("留下", "在", "https://chinadigitaltimes.net/chinese/2020/06/650004.html"),
                  "articles/1002_删除.md": record("删除", "原文", gone_url)}, T0)
    commit(repo, {"articles/1002_删除.md": record("删除", "改过", gone_url)}, T0 + 3600)
    removal = commit(repo, {"articles/1002_删除.md": None}, T0 + 7200)
    return repo, gone_url, removal


def test_a_deleted_file_comes_back_with_every_text_marked_removed_by_its_commit(tmp_path, cli):
    repo, gone_url, removal = deleted_repo(tmp_path)
    with open_archive(repo) as archive:
        open_in_place(archive)
    assert not (repo / "articles/1002_删除.md").exists()  # the repository's deletion stands
    with open_archive(repo) as archive:
        assert versions(archive, gone_url) == [(T0 * 1000, "<p>原文</p>"), ((T0 + 3600) * 1000, "<p>改过</p>")]
        aid = archive.catalog.lookup_url(gone_url).id
    note = json.loads((repo / "checks/removed.jsonl").read_text().splitlines()[0])
    assert note == {"id": aid, "path": "articles/1002_删除.md", "commit": removal, "removed": (T0 + 7200) * 1000}
    shown = cli("-C", str(repo), "show", aid, check=True).stdout
    assert f"removed   from the repository by commit {removal[:12]}" in shown
    assert "removed" not in cli("-C", str(repo), "show", "https://chinadigitaltimes.net/chinese/2020/06/650004.html", check=True).stdout
    fsck = cli("-C", str(repo), "fsck")
    assert fsck.returncode == 0, fsck.stdout  # its revisions are the article: not orphans
    # the note is no check result: a deletion noticed at the source still stands beside it
    from newsvault.preserve.checks import append_checks, deleted_articles, latest_checks

    assert aid not in latest_checks(repo)  # never re-checked at its source
    append_checks(repo, "cdt", [{"id": aid, "url": gone_url, "checked": (T0 + 3700) * 1000, "status": "gone", "http": 404}])
    with open_archive(repo) as archive:
        assert deleted_articles(archive) == {aid: (T0 + 3700) * 1000}
    # a rebuild from the files alone (no git) keeps the deleted article and its versions
    shutil.rmtree(repo / ".git")
    with open_archive(repo) as archive:
        archive.reindex()
        assert len(versions(archive, gone_url)) == 2
        # opening again does not mark it twice
        open_in_place(archive)
    assert len((repo / "checks/removed.jsonl").read_text().splitlines()) == 1


@pytest.mark.browser
@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's chromium")
def test_the_site_page_of_an_article_removed_from_the_repository_says_by_which_commit(tmp_path, cli):
    repo, gone_url, removal = deleted_repo(tmp_path)
    with open_archive(repo) as archive:
        open_in_place(archive)
        aid = archive.catalog.lookup_url(gone_url).id
    site = tmp_path / "site"
    cli("-C", str(repo), "build", "--site", str(site), "--workers", "1", check=True)
    with chromium() as browser:
        page = browser.new_page()
        page.goto((site / f"articles/{aid[:2]}/{aid}.html").as_uri(), wait_until="load")
        assert page.locator(".banner.removed").inner_text() == f"已从本仓库删除（2020-06-13，提交 {removal[:12]}）；以下是删除前存档的文本"
        assert "改过" in page.locator("article").inner_text()


def test_a_shallow_clone_says_so_once_and_keeps_what_the_tree_has(tmp_path, cli):
    origin = overwritten_repo(tmp_path / "origin")
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{origin}", str(tmp_path / "clone")], check=True, capture_output=True)
    clone = tmp_path / "clone"
    first = cli("-C", str(clone), "open", check=True).stdout
    assert first.count("shallow clone") == 1
    with open_archive(clone) as archive:
        assert versions(archive) == [((T0 + 7200) * 1000, "<p>第三版</p>")]  # the tree's text, dated by its commit
    assert "shallow" not in cli("-C", str(clone), "open", check=True).stdout


def test_a_corrupt_git_object_is_a_clear_message_and_nothing_is_lost(tmp_path, cli):
    repo = overwritten_repo(tmp_path / "repo")
    first_text = record("标题", "第一版").encode()
    blob = subprocess.run(["git", "-C", str(repo), "hash-object", "--stdin"], input=first_text, capture_output=True, check=True).stdout.decode().strip()
    loose = repo / ".git/objects" / blob[:2] / blob[2:]
    loose.chmod(0o644)
    loose.write_bytes(b"not a zlib stream")
    before = {p: p.read_bytes() for p in (repo / "articles").iterdir()}
    proc = cli("-C", str(repo), "open")
    assert proc.returncode == 0, proc.stderr
    assert f"warning {blob}: git object missing or damaged (see 'git fsck'); that text could not be recovered" in proc.stdout
    assert "Traceback" not in proc.stderr
    with open_archive(repo) as archive:
        # the two texts git could still give are kept; the current file is untouched
        assert [body for _, body in versions(archive)] == ["<p>第二版</p>", "<p>第三版</p>"]
    assert {p: p.read_bytes() for p in (repo / "articles").iterdir()} == before
    # a damaged commit stops the scan with one line, and the note of progress is not advanced
    head = git(repo, "rev-parse", "HEAD").strip()
    obj = repo / ".git/objects" / head[:2] / head[2:]
    obj.chmod(0o644)
    obj.write_bytes(b"garbage")
    proc = cli("-C", str(repo), "open")
    assert proc.returncode == 1
    assert proc.stderr.startswith("newsvault: error: cannot read the git history of") and proc.stderr.count("\n") == 1
    assert {p: p.read_bytes() for p in (repo / "articles").iterdir()} == before


def test_opening_in_place_and_importing_the_tree_give_the_same_articles_and_versions(tmp_path):
    repo = overwritten_repo(tmp_path / "repo")
    commit(repo, {"articles/1001_另一篇.md": None}, T0 + 9000)
    imported = init_archive(tmp_path / "imported")
    report = import_paths(imported, [repo])
    assert report.history is not None and report.history.removed == 1
    with open_archive(repo) as archive:
        open_in_place(archive)

        def histories(a) -> dict[str, list[tuple[int | None, str]]]:
            return {x.id: [(v.seen, v.content_hash) for v in a.catalog.versions(x.id)] for x in a.catalog.list_articles()}

        assert histories(archive) == histories(imported)
        assert len(histories(archive)) == 2
    imported.close()


def cdt_repo(tmp_path: Path, corpus: Path, n: int = 3) -> Path:
    """A flat CDT-form repository (the duty-machine CDT archive's own files), folder named
    unlike its outlet."""
    repo = tmp_path / "copied-elsewhere"
    (repo / "articles").mkdir(parents=True)
    git(repo, "init", "-q")
    for path in sorted((corpus / "cdt" / "articles").iterdir())[:n]:
        shutil.copyfile(path, repo / "articles" / path.name)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "update", when=T0)
    return repo


def test_continuing_a_flat_cdt_repository_writes_the_new_record_like_its_neighbours(tmp_path, corpus):
    from newsvault import record as recordfmt
    from newsvault.config import Config
    from newsvault.layout import Layout

    repo = cdt_repo(tmp_path, corpus)
    names = sorted(p.name for p in (repo / "articles").iterdir())
    with open_archive(repo) as archive:
        open_in_place(archive)
        config = Config.load(repo / "newsvault.toml")
        assert config.layout == Layout(folders="flat", names="post-id", titled=True, form="cdt")  # a CDT folder: 0xFFFFF ^ post id
        assert config.default_source == "cdt"  # from the records' URLs, not the folder's name
        assert {a.source for a in archive.catalog.list_articles()} == {"cdt"}
        new = recordfmt.Record("新文章｜标题", "https://chinadigitaltimes.net/chinese/2020/07/650100.html", 1_593_800_000_000, "<p>正文</p>")
        result = archive.add(new, "cdt", seen=1_593_800_100_000)  # as a collect pass adds it
    lowest = min(int(n.split("_", 1)[0]) for n in names)
    assert result.path == f"articles/{lowest - 1}_新文章｜标题.md"
    written = (repo / result.path).read_text(encoding="utf-8")
    assert written == "[新文章｜标题](https://chinadigitaltimes.net/chinese/2020/07/650100.html)\n------\n日期：Fri, 03 Jul 2020 18:13:20 +0000\n\n<p>正文</p>\n"
    assert recordfmt.parse(written).variant == "cdt" == recordfmt.parse((repo / "articles" / names[0]).read_bytes()).variant
    assert sorted(p.name for p in (repo / "articles").iterdir())[0] == result.path.split("/")[1]  # sorts first: newest
    assert git(repo, "diff", "--stat") == ""  # no file of the repository changed
    assert "/.newsvault/" in (repo / ".gitignore").read_text().splitlines()


def test_show_of_a_record_path_shows_that_file(tmp_path, cli):
    repo = overwritten_repo(tmp_path / "repo")
    with open_archive(repo) as archive:
        open_in_place(archive)
        files = [v.path for v in archive.catalog.versions(archive.catalog.lookup_url(URL).id)]
    assert len(files) == 3
    for path, body in zip(files, ["第一版", "第二版", "第三版"], strict=True):
        shown = cli("-C", str(repo), "show", path, check=True).stdout
        assert f"file      {path}" in shown and body in shown
    # the current file holds the newest text (which git dates by its commit): that file is shown
    shown = cli("-C", str(repo), "show", "articles/1000_标题.md", check=True).stdout
    assert "file      articles/1000_标题.md" in shown and "第三版" in shown and "(version 2 of 3)" in shown


def test_a_record_the_original_wrote_with_a_line_break_in_its_title_is_read_and_fsck_is_clean(tmp_path, cli):
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    # as duty-machine/news wrote it: the title trimmed at its ends only
    text = "<!--1593714504000-->\n[两行的\n标题](https://www.rfi.fr/cn/20200702-two-lines)\n------\n\n<p>正文</p>\n"
    commit(repo, {"articles/rfi/1048000.md": text}, T0)
    with open_archive(repo) as archive:
        open_in_place(archive)
        article = archive.catalog.lookup_url("https://www.rfi.fr/cn/20200702-two-lines")
        assert article is not None and article.title == "两行的\n标题"
        assert archive.read("articles/rfi/1048000.md").body == "<p>正文</p>"
    fsck = cli("-C", str(repo), "fsck")
    assert fsck.returncode == 0, fsck.stdout
    assert (repo / "articles/rfi/1048000.md").read_text(encoding="utf-8") == text


def cdt_feed(items: list[tuple[str, str, str]]) -> str:
    """A WordPress feed as chinadigitaltimes.net writes it: the guid is ``?p=<post id>``."""
    entries = "".join(
        f"<item><title>{title}</title><link>{link}</link><guid isPermaLink=\"false\">{guid}</guid>"
        "<pubDate>Fri, 03 Jul 2020 18:13:20 +0000</pubDate><description>摘要</description></item>"
        for title, link, guid in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0">'
        f"<channel><title>中国数字时代</title><link>https://chinadigitaltimes.net/chinese/</link>{entries}</channel></rss>"
    )


def cdt_page(title: str, shortlink: str | None = None) -> str:
    link = f"<link rel='shortlink' href='{shortlink}' />" if shortlink else ""
    return (
        f"<!DOCTYPE html><html><head><title>{title} – 中国数字时代</title>{link}</head>"
        f"<body><div class='post-content'><p>{title}的正文，足够长的一段文字，不止一句话。</p></div></body></html>"
    )


def test_a_new_cdt_record_is_named_from_its_post_id_and_counts_down_without_one(tmp_path, corpus, srv):
    from collect_helpers import allow_private
    from conftest import run_cli

    repo = cdt_repo(tmp_path, corpus)
    run_cli("-C", str(repo), "open", check=True)
    allow_private(repo)
    # every page is served here: the item's guid, the page's shortlink or neither names the post
    srv.static("/a.html", cdt_page("有编号的文章"), content_type="text/html; charset=utf-8")
    srv.static("/b.html", cdt_page("短链接的文章", "https://chinadigitaltimes.net/chinese/?p=700200"), content_type="text/html; charset=utf-8")
    srv.static("/c.html", cdt_page("没有编号的文章"), content_type="text/html; charset=utf-8")
    srv.static("/feed/", cdt_feed([
        ("有编号的文章", srv.url("/a.html"), "https://chinadigitaltimes.net/chinese/?p=700123"),
        ("短链接的文章", srv.url("/b.html"), srv.url("/b.html")),
        ("没有编号的文章", srv.url("/c.html"), "tag:example,2020:c"),
    ]))
    run_cli("-C", str(repo), "source", "add", "cdt", srv.url("/feed/"), "--selector", "div.post-content", check=True)
    before = {p.name: p.read_bytes() for p in (repo / "articles").iterdir()}
    run_cli("-C", str(repo), "collect", check=True)
    new = sorted(set(p.name for p in (repo / "articles").iterdir()) - set(before))
    # 0xFFFFF ^ 700123, 0xFFFFF ^ 700200; the one without a post id counts down from the lowest
    # number, those of the same pass included: it sorts first, as the original's rule wants
    assert new == ["348374_没有编号的文章.md", "348375_短链接的文章.md", "348452_有编号的文章.md"]
    assert (0xFFFFF ^ 700123, 0xFFFFF ^ 700200) == (348452, 348375)
    assert git(repo, "diff", "--stat") == ""  # no file of the repository changed
    assert {n: (repo / "articles" / n).read_bytes() for n in before} == before
    text = (repo / "articles" / new[2]).read_text(encoding="utf-8")
    assert text.startswith(f"[有编号的文章]({srv.url('/a.html')})\n------\n日期：Fri, 03 Jul 2020 18:13:20 +0000\n\n")
    assert "700123" not in text  # the record's text format is unchanged: the id only names the file


def test_the_post_id_is_a_whole_number_from_the_guid_or_the_link():
    from newsvault.layout import post_id
    from newsvault.record import Record

    def pid(guid: str, url: str = "https://chinadigitaltimes.net/chinese/2020/07/x.html") -> int | None:
        return post_id(Record("t", url, None, "<p>x</p>", guid=guid))

    assert pid("https://chinadigitaltimes.net/chinese/?p=700123") == 700123
    assert pid("", "https://chinadigitaltimes.net/chinese/?p=12&preview=true") == 12
    assert pid("https://x.test/?p=abc") is None and pid("https://x.test/?p=1&p=2") is None
    assert pid("https://x.test/?p=0") is None and pid(f"https://x.test/?p={0xFFFFF + 1}") is None  # no number to XOR
    assert pid("https://x.test/2020/07/x.html") is None


def test_a_text_seen_in_several_commits_has_one_file_and_a_reverted_text_another(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    a, b = record("标题", "第一版"), record("标题", "第二版")
    commit(repo, {"articles/1000_标题.md": a}, T0)
    # the original wrote a second file for the same URL in the same run: one more sighting of B
    commit(repo, {"articles/1000_标题.md": b, "articles/0999_标题.md": b}, T0 + 3600)
    commit(repo, {"articles/0999_标题.md": None}, T0 + 5400)
    commit(repo, {"articles/1000_标题.md": a}, T0 + 7200)  # reverted: A again, a version of its own
    with open_archive(repo) as archive:
        report = open_in_place(archive)
        assert versions(archive) == [(T0 * 1000, "<p>第一版</p>"), ((T0 + 3600) * 1000, "<p>第二版</p>"), ((T0 + 7200) * 1000, "<p>第一版</p>")]
    files = sorted(p.name for p in (repo / "revisions").rglob("*.md"))
    assert files == [f"{T0}.md", f"{T0 + 3600}.md", f"{T0 + 7200}.md"]  # one per version, none per repeat
    assert report.sightings == 3


def corpus_history_repo(tmp_path: Path, corpus: Path) -> Path:
    """The repository tests/corpus/cdt-history was exported from, rebuilt: each history file
    committed at the time its name gives, then the tree of cdt/articles (114 commits)."""
    repo = tmp_path / "cdt-repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    by_time: dict[int, list[tuple[str, bytes]]] = {}
    for folder in (corpus / "cdt-history").iterdir():
        for f in folder.glob("*.md"):
            by_time.setdefault(int(f.stem), []).append((f"articles/{folder.name}.md", f.read_bytes()))
    tree = {f"articles/{p.name}": p.read_bytes() for p in (corpus / "cdt" / "articles").glob("*.md")}

    def blob(data: bytes) -> bytes:
        return b"data %d\n" % len(data) + data + b"\n"

    stream, written = [], set()
    for when, files in [*sorted(by_time.items()), (max(by_time) + 3600, None)]:
        stream.append(b"commit refs/heads/main\ncommitter dm <dm@example.org> %d +0000\n" % when + blob(b"update"))
        if files is None:  # the last commit: the tree as it is now
            stream += [b"D " + p.encode() + b"\n" for p in sorted(written - set(tree))]
            files = sorted(tree.items())
        for path, data in files:
            stream.append(b"M 100644 inline " + path.encode() + b"\n" + blob(data))
            written.add(path)
    subprocess.run(["git", "-C", str(repo), "fast-import", "--quiet"], input=b"".join(stream), check=True)
    git(repo, "checkout", "-q", "-f", "main")
    return repo


def test_the_corpus_history_comes_back_with_one_file_per_version_and_import_agrees(tmp_path, corpus):
    from newsvault import record as recordfmt
    from newsvault.urls import canonical_url

    repo = corpus_history_repo(tmp_path, corpus)
    copy = tmp_path / "copy"
    shutil.copytree(repo, copy)  # imported before anything is opened in it
    with open_archive(repo) as archive:
        report = open_in_place(archive)
        assert report.commits == 114 and report.blobs == 318
        arts = archive.catalog.list_articles()
        counts = (len(arts), sum(len(archive.catalog.versions(a.id)) for a in arts))
        assert counts == (225, 225 + 96)
        # every version has exactly one file under revisions/: its first sighting
        assert sum(1 for _ in (repo / "revisions").rglob("*.md")) == counts[1]
        back = 0
        for folder in (corpus / "cdt-history").iterdir():
            texts = [recordfmt.parse(f.read_bytes()) for f in sorted(folder.glob("*.md"))]
            stamps = [int(f.stem) * 1000 for f in sorted(folder.glob("*.md"))]
            article = archive.catalog.lookup_url(canonical_url(texts[0].url))
            assert article is not None
            found = {(v.content_hash, v.seen) for v in archive.catalog.versions(article.id)}
            for i, (rec, when) in enumerate(zip(texts, stamps, strict=True)):
                back += (rec.text_hash, when) in found or (i > 0 and texts[i - 1].text_hash == rec.text_hash)
        assert back == 183  # of 184 files: the other repeats, under a second name, the text its article had

        def histories(a) -> dict[str, tuple[list[tuple[str, int | None]], int]]:
            return {x.canonical_url: ([(v.content_hash, v.seen) for v in a.catalog.versions(x.id)], len(a.catalog.files(x.id))) for x in a.catalog.list_articles()}

        opened = histories(archive)
    imported = init_archive(tmp_path / "imported")
    import_paths(imported, [copy])
    assert histories(imported) == opened  # the same versions, times and number of files
    imported.close()
