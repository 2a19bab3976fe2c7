"""A continued repository's lists and README keep the form its original archiver wrote them in
(newsvault.publish.lists: detect_list_form, [layout.lists]; docs/continuing.md)."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

from conftest import run_cli
from newsvault.compose import init_archive
from newsvault.config import Config
from newsvault.layout import ListForm
from newsvault.publish.lists import LIST_SIZE, build_lists, detect_list_form
from newsvault.record import Record
from test_githistory import T0, cdt_repo, git

NEWS = Path(__file__).parent / "testdata" / "continuing" / "news"
UTC8 = timezone(timedelta(hours=8))

# What each listed file holds (title, day in UTC+8), as the sample lists give them, and one more
# file each that the list no longer shows (its count limit is 3).
FILES = {
    "articles/BBC/1047717_Zoom营收暴增 受益于疫情的会议软件如何挣钱.md": ("Zoom营收暴增 受益于疫情的会议软件如何挣钱", (2020, 9, 1)),
    "articles/BBC/1047718_中印冲突：两国互指军队越界，拉达克边境冲突再起.md": ("中印冲突：两国互指军队越界，拉达克边境冲突再起", (2020, 9, 1)),
    "articles/BBC/1047719_跨太平洋海底光缆登陆香港触礁 新计划拟改道菲律宾台湾.md": ("跨太平洋海底光缆登陆香港触礁 新计划拟改道菲律宾台湾", (2020, 9, 1)),
    "articles/BBC/1047720_澳洲籍华裔主播成蕾被扣留，中澳关系再添暗涌.md": ("澳洲籍华裔主播成蕾被扣留，中澳关系再添暗涌", (2020, 9, 1)),
    "articles/cdt/365567.md": ("每日一语 2022.6.12", (2022, 6, 13)),
    "articles/cdt/365570.md": ("【404文库】Philosophia哲学社｜唐山烧烤店事件，就是属于性别议题", (2022, 6, 13)),
    "articles/cdt/365572.md": ("北京和昶律师事务所｜“竟无一人是男儿”背后的司法困境", (2022, 6, 13)),
    "articles/cdt/365576.md": ("量子学派｜我们要的是普遍性法治，不是小概率打黑", (2022, 6, 13)),
}


def canonical(title: str, url: str, ms: int) -> str:
    return f"<!--{ms}-->\n[{title}]({url})\n------\n\n<p>{title}。正文。</p>\n"


def news_repo(root: Path) -> Path:
    """A repository in duty-machine/news form: per-outlet folders, lists/ and the README."""
    root.mkdir(parents=True)
    git(root, "init", "-q")
    shutil.copytree(NEWS, root, dirs_exist_ok=True)
    for i, (rel, (title, (y, m, d))) in enumerate(FILES.items()):
        ms = int(datetime(y, m, d, 12, 0, tzinfo=UTC8).timestamp() * 1000) - i * 60_000  # newer sorts first
        host = "https://www.bbc.com/zhongwen/simp/world-5374" if "/BBC/" in rel else "https://chinadigitaltimes.net/chinese/2022/06/68"
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(canonical(title, f"{host}{i:04d}", ms), encoding="utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "update", when=T0)
    return root


def changed_lines(repo: Path, rel: str) -> tuple[list[str], list[str]]:
    """The lines ``git diff`` adds and removes in ``rel`` (blank separators left out)."""
    diff = git(repo, "-c", "core.quotePath=false", "diff", "-U0", "--", rel).splitlines()
    added = [ln[1:] for ln in diff if ln.startswith("+") and not ln.startswith("+++") and ln[1:]]
    removed = [ln[1:] for ln in diff if ln.startswith("-") and not ln.startswith("---") and ln[1:]]
    return added, removed


def test_the_lists_form_is_read_once_from_the_lists_the_original_wrote(tmp_path):
    repo = news_repo(tmp_path / "news")
    run_cli("-C", str(repo), "open", check=True)
    form = Config.load(repo / "newsvault.toml").layout.lists
    assert form == ListForm(
        file="lists/{name}.md", size=3, order="name", dated=True, links="spaces", root="/",
        header="{name}\n------\n\n", footer="\n\n\n[查看更多](/articles/{source})", readme="raw",
    )
    assert "[layout.lists]" in (repo / "newsvault.toml").read_text(encoding="utf-8")


def test_a_new_record_changes_only_its_own_line_and_the_one_that_falls_off(tmp_path):
    repo = news_repo(tmp_path / "news")
    run_cli("-C", str(repo), "open", check=True)
    run_cli("-C", str(repo), "build", check=True)
    assert git(repo, "diff", "--stat") == ""  # rebuilt as the original wrote them, byte for byte
    new = tmp_path / "incoming" / "new.md"
    new.parent.mkdir()
    ms = int(datetime(2022, 6, 14, 9, 0, tzinfo=UTC8).timestamp() * 1000)
    new.write_text(canonical("新的一篇｜标题 (含括号)", "https://chinadigitaltimes.net/chinese/2022/06/689999.html", ms), encoding="utf-8")
    run_cli("-C", str(repo), "import", str(new), check=True)
    assert (repo / "articles/cdt/365566.md").is_file()  # counts down from the lowest, so it sorts first
    run_cli("-C", str(repo), "build", check=True)
    added, removed = changed_lines(repo, "lists/中国数字时代.md")
    assert added == ["6-14 [新的一篇｜标题 (含括号)](/articles/cdt/365566.md)"]
    assert removed == ["6-13 [北京和昶律师事务所｜“竟无一人是男儿”背后的司法困境](/articles/cdt/365572.md)"]
    assert git(repo, "diff", "--numstat", "--", "lists/中国数字时代.md").split()[:2] == ["2", "2"]  # and one blank line each
    text = (repo / "lists/中国数字时代.md").read_text(encoding="utf-8")
    assert text.endswith("\n\n\n[查看更多](/articles/cdt)")  # the footer as it was
    # nothing else changed: the other list, the README (each list linked once, no second block)
    assert git(repo, "-c", "core.quotePath=false", "diff", "--name-only") == "lists/中国数字时代.md\n"
    readme = (repo / "README.md").read_text(encoding="utf-8")
    assert readme.count("(lists/中国数字时代.md)") == 1 and "newsvault:lists" not in readme


def test_a_new_outlet_gets_a_list_in_the_same_form_and_one_readme_link_in_place(tmp_path):
    repo = news_repo(tmp_path / "news")
    run_cli("-C", str(repo), "open", check=True)
    new = tmp_path / "incoming" / "rfi.md"
    new.parent.mkdir()
    new.write_text(canonical("法广的报道", "https://www.rfi.fr/cn/20220614-a", 1_655_190_000_000), encoding="utf-8")
    run_cli("-C", str(repo), "import", str(new), check=True)
    run_cli("-C", str(repo), "build", check=True)
    path = next((repo / "articles" / "rfi").iterdir()).name
    assert (repo / "lists/法广.md").read_text(encoding="utf-8") == f"法广\n------\n\n6-14 [法广的报道](/articles/rfi/{path})\n\n\n[查看更多](/articles/rfi)"
    # README already links 法广's list: unchanged; the BBC and CDT lists are as they were
    assert git(repo, "-c", "core.quotePath=false", "diff", "--name-only") == ""


def test_a_readme_gets_a_link_to_a_list_it_does_not_link_yet_after_its_last_one(tmp_path):
    repo = news_repo(tmp_path / "news")
    readme = (repo / "README.md").read_text(encoding="utf-8").replace("\n\n[中国数字时代](lists/中国数字时代.md)", "")
    (repo / "README.md").write_text(readme, encoding="utf-8")
    git(repo, "commit", "-q", "-am", "drop a link", when=T0 + 60)
    run_cli("-C", str(repo), "open", check=True)
    run_cli("-C", str(repo), "build", check=True)
    added, removed = changed_lines(repo, "README.md")
    assert added == ["[中国数字时代](lists/中国数字时代.md)"] and removed == []
    after = (repo / "README.md").read_text(encoding="utf-8")
    assert "[自由亚洲电台](lists/自由亚洲电台.md)\n\n[中国数字时代](lists/中国数字时代.md)\n\n鸣谢" in after


def test_the_single_outlet_readme_is_its_list_and_is_rebuilt_as_written(tmp_path, corpus):
    """duty-machine/chinadigitaltimes: README.md is the list (the newest 16 by date)."""
    repo = cdt_repo(tmp_path, corpus, n=20)  # the 16 listed files sort first among these 20
    shutil.copyfile(corpus / "cdt" / "README.md", repo / "README.md")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "update", when=T0 + 60)
    run_cli("-C", str(repo), "open", check=True)
    form = Config.load(repo / "newsvault.toml").layout.lists
    assert (form.file, form.size, form.order, form.dated, form.links, form.root) == ("README.md", 16, "published", False, "percent", "")
    assert form.footer == "\n\n\n[查看更多](articles)" and form.header.startswith("### 此列表已迁移")
    run_cli("-C", str(repo), "build", check=True)
    assert git(repo, "status", "--porcelain", "--", "README.md", "lists") == ""  # the same bytes; no lists/ folder
    new = tmp_path / "incoming" / "new.md"
    new.parent.mkdir()
    new.write_text("[最新一篇](https://chinadigitaltimes.net/chinese/2020/07/650200.html)\n------\n日期：Fri, 03 Jul 2020 01:00:00 +0000\n\n<p>正文</p>\n", encoding="utf-8")
    run_cli("-C", str(repo), "import", str(new), check=True)
    run_cli("-C", str(repo), "build", check=True)
    added, removed = changed_lines(repo, "README.md")
    assert len(added) == 1 and added[0].startswith("[最新一篇](articles/399576_%E6%9C%80")
    assert len(removed) == 1 and removed[0].startswith("[全现在 | 对话苟晶")  # the 16th falls off


def test_an_archive_newsvault_created_keeps_its_own_form(tmp_path):
    archive = init_archive(tmp_path / "a")
    with archive.batch():
        archive.add(Record("一篇", "https://www.rfi.fr/cn/1", 1_700_000_000_000, "<p>正文</p>"), "rfi")
    build_lists(archive)
    run_cli("-C", str(archive.root), "open", check=True)
    config = Config.load(archive.root / "newsvault.toml")
    assert config.layout is not None and config.layout.lists is None
    assert detect_list_form(archive.root, config.layout) is None
    before = (archive.root / "README.md").read_text(encoding="utf-8")
    run_cli("-C", str(archive.root), "build", check=True)
    assert (archive.root / "README.md").read_text(encoding="utf-8") == before and "newsvault:lists:begin" in before
    assert LIST_SIZE == 300
    archive.close()


def test_a_bad_list_form_in_newsvault_toml_is_a_one_line_error_and_nothing_is_written(tmp_path):
    repo = news_repo(tmp_path / "news")
    run_cli("-C", str(repo), "open", check=True)
    config = (repo / "newsvault.toml").read_text(encoding="utf-8")
    (repo / "newsvault.toml").write_text(config.replace("size = 3", "size = 0"), encoding="utf-8")
    r = run_cli("-C", str(repo), "build")
    assert r.returncode != 0
    assert r.stderr.startswith("newsvault: error:") and "layout.lists.size" in r.stderr and r.stderr.count("\n") == 1, r.stderr
    assert git(repo, "status", "--porcelain", "--", "lists", "README.md", "articles") == ""
