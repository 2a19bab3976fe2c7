"""lists/<source>.md in the original archivers' format, monthly pages, deleted list, README."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from urllib.parse import unquote

from conftest import run_cli
from newsvault.archive import Archive
from newsvault.publish.lists import LIST_SIZE, build_lists
from newsvault.record import Record, escape_title
from publish_helpers import CORPUS, SEEN_BASE, make_archive, mark_deleted, seed_id

LINE = re.compile(r"(\d{1,2})-(\d{1,2}) \[(.*)\]\((/articles/[^)\s]+)\)")
UTC8 = timezone(timedelta(hours=8))


def paragraphs(text: str, name: str) -> list[str]:
    header = f"{name}\n------\n\n"
    assert text.startswith(header)
    body = text[len(header):]
    assert body.endswith("\n") and not body.endswith("\n\n")
    return body[:-1].split("\n\n")


def test_list_matches_the_original_format(tmp_path):
    archive = make_archive(tmp_path / "a", xss=False)
    build_lists(archive)
    text = (archive.root / "lists" / "中国数字时代.md").read_text(encoding="utf-8")
    paras = paragraphs(text, "中国数字时代")
    arts = archive.catalog.list_articles(source="cdt")
    assert len(paras) == len(arts) > 5
    for para, a in zip(paras, arts, strict=True):  # newest first, one paragraph each
        m = LINE.fullmatch(para)
        assert m, para
        local = datetime.fromtimestamp(a.published / 1000, tz=UTC8)
        assert (int(m.group(1)), int(m.group(2))) == (local.month, local.day)  # UTC+8, no padding
        assert m.group(3) == escape_title(a.title)
        assert unquote(m.group(4)) == "/" + a.path
        assert (archive.root / unquote(m.group(4))[1:]).is_file()
    # the seed, exactly as duty-machine would have written it
    rfi = (archive.root / "lists" / "法广.md").read_text(encoding="utf-8")
    sid = seed_id(archive)
    path = archive.catalog.get(sid).path
    assert rfi == f"法广\n------\n\n11-7 [布林肯呼吁七国集团在加沙问题上以“一个声音”说话](/{path})\n"


def test_links_are_encoded_like_the_original_readme(tmp_path):
    """Import a duty-machine CDT archive (old file names with titles) and compare link shapes with
    the list that archive's own system wrote (cdt/README.md)."""
    import shutil

    from newsvault.importer import import_paths

    root = tmp_path / "cdt"
    shutil.copytree(CORPUS / "cdt" / "articles", root / "articles")
    archive = Archive.init(root, default_source="cdt")
    archive.reindex()
    build_lists(archive)
    ours = set(re.findall(r"\]\((/articles/[^)]+)\)", (root / "lists" / "中国数字时代.md").read_text(encoding="utf-8")))
    theirs = re.findall(r"\]\((articles/[^)]+)\)", (CORPUS / "cdt" / "README.md").read_text(encoding="utf-8"))
    present = [t for t in theirs if (root / unquote(t)).is_file()]
    assert len(present) >= 10  # the README lists older files too; compare those still present
    missing = [t for t in present if "/" + t not in ours]
    assert not missing, missing[:3]
    del import_paths


def test_titles_with_markdown_are_escaped(tmp_path):
    archive = Archive.init(tmp_path / "a")
    with archive.batch():
        archive.add(Record("标题 [链接](x) *强调* <b>", "https://x.test/1", 1_700_000_000_000, "<p>x</p>"), "rfi")
    build_lists(archive)
    text = (archive.root / "lists" / "法广.md").read_text(encoding="utf-8")
    assert "[标题 \\[链接\\](x) \\*强调\\* \\<b>](/articles/rfi/" in text


def test_more_than_300_get_monthly_pages_so_every_record_is_reachable(tmp_path):
    archive = Archive.init(tmp_path / "a")
    start = int(datetime(2023, 1, 1, tzinfo=UTC8).timestamp() * 1000)
    with archive.batch():
        for i in range(LIST_SIZE + 40):
            archive.add(Record(f"第{i}篇", f"https://x.test/{i}", start + i * 6 * 3600_000, f"<p>{i}</p>"), "rfi", seen=SEEN_BASE)
    report = build_lists(archive)
    main = (archive.root / "lists" / "法广.md").read_text(encoding="utf-8")
    paras = paragraphs(main, "法广")
    assert all(LINE.fullmatch(p) for p in paras[:LIST_SIZE])
    assert paras[LIST_SIZE].startswith("更早的文章（按月）：")
    months = re.findall(r"\]\((%E6%B3%95%E5%B9%BF/(\d{4}-\d{2})\.md)\)", paras[LIST_SIZE])
    assert months
    reachable = {LINE.fullmatch(p).group(4) for p in paras[:LIST_SIZE]}
    for link, month in months:
        page = archive.root / "lists" / unquote(link)
        month_paras = paragraphs(page.read_text(encoding="utf-8"), f"法广 {month}")
        reachable |= {LINE.fullmatch(p).group(4) for p in month_paras}
    assert reachable == {"/" + a.path for a in archive.catalog.list_articles()}
    assert "lists/法广.md" in report.written


def test_deleted_list_readme_and_incremental(tmp_path):
    archive = make_archive(tmp_path / "a", xss=False)
    readme = archive.root / "README.md"
    readme.write_text("# 我的镜像\n\n自己写的说明。\n", encoding="utf-8")
    sid = seed_id(archive)
    mark_deleted(archive, sid, "https://www.rfi.fr/cn/x", int(datetime(2024, 1, 2, 12, tzinfo=UTC8).timestamp() * 1000))
    first = build_lists(archive)
    deleted = (archive.root / "lists" / "已删除.md").read_text(encoding="utf-8")
    paras = paragraphs(deleted, "已删除")
    assert len(paras) == 1 and "布林肯" in paras[0] and "（法广，2024-01-02 发现原文已删除）" in paras[0]
    text = readme.read_text(encoding="utf-8")
    assert text.startswith("# 我的镜像\n\n自己写的说明。\n")  # what the owner wrote stays
    for name in ("法广", "中国数字时代", "BBC中文", "已删除"):
        assert f"[{name}](lists/" in text
    for target in re.findall(r"\]\((lists/[^)]+)\)", text):
        assert (archive.root / unquote(target)).is_file()
    # nothing changed: nothing written; one new article: only its list
    again = build_lists(archive)
    assert again.written == [] and again.unchanged == len(first.written)
    with archive.batch():
        archive.add(Record("新文章", "https://www.rfi.fr/cn/new", 1_800_000_000_000, "<p>新</p>"), "rfi")
    assert build_lists(archive).written == ["lists/法广.md"]
    assert readme.read_text(encoding="utf-8") == text


def test_build_command_writes_lists(tmp_path):
    archive = make_archive(tmp_path / "a", xss=False)
    archive.close()
    proc = run_cli("-C", str(tmp_path / "a"), "build", check=True)
    assert "wrote lists/法广.md" in proc.stdout and "wrote README.md" in proc.stdout
    proc = run_cli("-C", str(tmp_path / "a"), "build", check=True)
    assert "lists: 0 written" in proc.stdout
    bad = run_cli("-C", str(tmp_path / "missing"), "build")
    assert bad.returncode == 1 and "newsvault: error:" in bad.stderr and "Traceback" not in bad.stderr


def test_lists_of_some_sources_only_equal_a_full_build(tmp_path):
    """What a collect pass does: rewrite the lists of the sources it touched and the README index,
    leaving the other lists alone, with the same bytes as a full build."""
    archive = make_archive(tmp_path / "a", xss=False)
    build_lists(archive)
    full = {p.relative_to(archive.root).as_posix(): p.read_bytes() for p in (archive.root / "lists").rglob("*.md")}
    full["README.md"] = (archive.root / "README.md").read_bytes()
    (archive.root / "lists" / "法广.md").write_text("stale\n", encoding="utf-8")
    (archive.root / "README.md").unlink()
    (archive.root / "lists" / "中国数字时代.md").write_text("stale too\n", encoding="utf-8")
    report = build_lists(archive, sources={"rfi"})
    assert sorted(report.written) == ["README.md", "lists/法广.md"]  # cdt was not asked for
    assert (archive.root / "lists" / "中国数字时代.md").read_text(encoding="utf-8") == "stale too\n"
    assert (archive.root / "lists" / "法广.md").read_bytes() == full["lists/法广.md"]
    assert (archive.root / "README.md").read_bytes() == full["README.md"]  # every list indexed
    (archive.root / "lists" / "中国数字时代.md").unlink()
    report = build_lists(archive, sources={"rfi"})
    assert report.written == ["lists/中国数字时代.md"]  # no list yet: written, as the README links it
    build_lists(archive, sources={"cdt", "nosuch"})
    after = {p.relative_to(archive.root).as_posix(): p.read_bytes() for p in (archive.root / "lists").rglob("*.md")}
    after["README.md"] = (archive.root / "README.md").read_bytes()
    assert after == full
