"""The CLI as a user meets it: -C anywhere, one-line errors with documented exit codes, bounded
numbers, queries that start with '-', a version that matches the package, a quick start."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from conftest import REPO, run_cli
from newsvault.cli import main

DEMO_RECORDS = REPO / "src" / "newsvault" / "demo" / "records"


@pytest.fixture(scope="module")
def demo_archive(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("cli") / "archive"
    run_cli("init", "--no-media", str(root), check=True)
    run_cli("-C", str(root), "import", str(DEMO_RECORDS), check=True)
    return root


def _all_commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        found.append((*prefix, name))
        if isinstance(command, click.Group):
            found.extend(_all_commands(command, (*prefix, name)))
    return found


def test_version_is_the_one_in_pyproject():
    import newsvault

    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert newsvault.__version__ == pyproject["project"]["version"]
    assert run_cli("--version", check=True).stdout == f"newsvault {newsvault.__version__}\n"


def test_help_loads_nothing_but_click():
    # Start-up time without a timer: --help must not import the archive, SQLite, lxml, httpx…
    code = (
        "import sys\n"
        "from newsvault.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print(' '.join(sorted(sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={"PYTHONPATH": str(REPO / "src")}, check=True)
    loaded = set(done.stdout.split("\n")[-2].split())
    heavy = {"newsvault.archive", "newsvault.config", "newsvault.catalog", "sqlite3", "lxml", "httpx", "rich", "jinja2", "asyncio", "importlib.metadata"}
    assert not heavy & loaded, sorted(heavy & loaded)


def test_the_command_table_names_the_module_of_every_command():
    # A command is imported from the module the table names; one it misnames (or forgets)
    # would load every module to be found, or be listed under the wrong one.
    from newsvault.cli import COMMANDS

    ctx = click.Context(main)
    defined = {name: main.get_command(ctx, name).callback.__module__ for name in main.list_commands(ctx)}
    table = {name: f"newsvault.cli.{module}" for module, names in COMMANDS.items() for name in names}
    assert defined == table


def test_a_command_loads_only_its_own_module():
    code = (
        "import sys\n"
        "from newsvault.cli import main\n"
        "try:\n    main(['collect', '--help'])\nexcept SystemExit:\n    pass\n"
        "print(' '.join(sorted(m for m in sys.modules if m.startswith('newsvault.cli.'))))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={"PYTHONPATH": str(REPO / "src")}, check=True)
    assert done.stdout.split("\n")[-2].split() == ["newsvault.cli._app", "newsvault.cli.collect_cmds"]


@pytest.mark.parametrize("command", _all_commands(main), ids=" ".join)
def test_every_command_takes_the_archive_option(command):
    result = CliRunner().invoke(main, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "-C, --archive DIR" in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["ls", "--limit", "1", "-C", "{root}"],
        ["-C", "{root}", "ls", "--limit", "1"],
        ["ls", "--archive={root}", "--limit", "1"],
        ["show", "5be8", "-C", "{root}"],
        ["stats", "-C", "{root}"],
        ["source", "ls", "-C", "{root}"],
        ["source", "-C", "{root}", "ls"],
        ["search", "加沙", "-C", "{root}", "--limit", "1"],
        ["-C", "/nonexistent", "stats", "-C", "{root}"],  # the last one wins
    ],
    ids=lambda a: " ".join(a),
)
def test_archive_option_before_or_after_the_command(demo_archive, tmp_path, args):
    proc = run_cli(*[a.format(root=demo_archive) for a in args], cwd=tmp_path)  # cwd is no archive
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout and not proc.stderr


@pytest.mark.parametrize(
    "args,message",
    [
        (["ls", "--bogus"], "newsvault: error: no such option '--bogus' (see 'newsvault ls --help')"),
        (["bogus"], "newsvault: error: no such command 'bogus' (see 'newsvault --help')"),
        (["show"], "newsvault: error: missing argument 'REF' (see 'newsvault show --help')"),
        (["source", "add", "x"], "newsvault: error: missing argument 'URL...' (see 'newsvault source add --help')"),
        (["ls", "--limit", "99999999999999999999999"], "newsvault: error: invalid value for '--limit': 99999999999999999999999 is not in the range 1<=x<=1000000000 (see 'newsvault ls --help')"),
        (["ls", "--limit", "0"], "is not in the range 1<=x<=1000000000"),
        (["ls", "--limit", "x"], "'x' is not a valid integer"),
        (["ls", "--since", "2023-13-01"], "'2023-13-01' is not a date"),
        (["collect", "--timeout", "1e400"], "invalid value for '--timeout'"),
        (["collect", "--retries", "-1"], "invalid value for '--retries'"),
        (["history", "5be8", "--context", "99999999999999999999"], "invalid value for '--context'"),
        (["recheck", "--older-than", "99999999999999999999w"], "is more than 100 years"),
        (["recheck", "--limit", "99999999999999999999"], "invalid value for '--limit'"),
        (["search", "加沙", "--limit", "99999999999999999999"], "invalid value for '--limit'"),
        (["serve", "--port", "70000"], "invalid value for '--port'"),
        (["source", "add", "x", "https://e.org/f", "--interval", "99999999999999999999"], "invalid value for '--interval'"),
        (["search"], "missing argument 'QUERY...'"),
    ],
    ids=lambda a: " ".join(a) if isinstance(a, list) else None,
)
def test_usage_errors_are_one_line_and_exit_2(demo_archive, args, message):
    proc = run_cli("-C", str(demo_archive), *args)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert proc.stderr.startswith("newsvault: error: ") and message in proc.stderr
    assert len(proc.stderr.splitlines()) == 1 and not proc.stdout


def test_errors_are_one_line_and_exit_1(tmp_path):
    proc = run_cli("-C", str(tmp_path / "none"), "ls")
    assert proc.returncode == 1
    assert proc.stderr == f"newsvault: error: {tmp_path / 'none'}: no such directory\n"


def test_no_command_shows_the_help(demo_archive):
    proc = run_cli()
    assert proc.returncode == 2 and "Commands:" in proc.stdout and "search" in proc.stdout


def _search_json(root: Path, *words: str) -> dict:
    proc = run_cli("-C", str(root), "search", "--json", *words)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_search_words_may_start_with_a_dash(demo_archive):
    everything = _search_json(demo_archive, "加沙")
    assert everything["count"] >= 1
    # An exclusion given as its own argument, before or after the options:
    excluded = _search_json(demo_archive, "加沙", "-布林肯")
    assert excluded["query"] == "加沙 -布林肯"
    assert "5be844d2d106" in {r["id"] for r in everything["results"]}
    assert "5be844d2d106" not in {r["id"] for r in excluded["results"]}
    assert _search_json(demo_archive, "-布林肯", "加沙")["query"] == "-布林肯 加沙"
    proc = run_cli("-C", str(demo_archive), "search", "加沙", "--limit", "1", "-布林肯")
    assert proc.returncode == 0 and "5be844d2d106" not in proc.stdout
    # A word that looks like an option after '--'; and '-C'-like words stay words.
    assert _search_json(demo_archive, "--", "--limit", "加沙")["query"] == "--limit 加沙"
    assert _search_json(demo_archive, "加沙", "-China")["query"] == "加沙 -China"


def test_a_query_that_only_excludes_is_a_query_error_not_an_option(demo_archive):
    proc = run_cli("-C", str(demo_archive), "search", "-加沙")
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.startswith("newsvault: error: ") and "option" not in proc.stderr
    assert len(proc.stderr.splitlines()) == 1


def test_show_uses_the_archive_time_zone(demo_archive, tmp_path):
    import shutil

    root = tmp_path / "archive"
    shutil.copytree(demo_archive, root)
    config = (root / "newsvault.toml").read_text(encoding="utf-8").replace('timezone = "Asia/Shanghai"', 'timezone = "Europe/Paris"')
    (root / "newsvault.toml").write_text(config, encoding="utf-8")
    out = run_cli("-C", str(root), "show", "5be8", check=True).stdout
    assert "published 2023-11-07 12:15:02 UTC  (2023-11-07 13:15 Europe/Paris)" in out


def test_init_git_makes_a_repository(tmp_path):
    proc = run_cli("init", "--no-media", str(tmp_path / "a"), "--git", check=True)
    assert proc.stdout == f"initialised archive in {tmp_path / 'a'} with a git repository\n"
    assert (tmp_path / "a" / ".git").is_dir()
