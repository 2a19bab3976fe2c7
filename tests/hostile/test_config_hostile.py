"""newsvault.toml written wrong, every way we could think of: one line naming the key, exit 1,
and nothing in the archive (the config file included) touched."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsvault.config import CONFIG_NAME, Config, Source
from newsvault.errors import ConfigError

GOOD_SOURCE = '[[sources]]\nslug = "rfi"\nfeeds = ["https://www.rfi.fr/cn/rss"]\n'

CASES = [
    # (file content, key named in the message, what the message says about it)
    ('archive = "x"\n', "archive", "expected a table ([archive]), got 'x'"),
    ("[archive]\nname = 5\n", "archive.name", "expected a non-empty string, got 5"),
    ('[archive]\nname = ["x"]\n', "archive.name", "expected a non-empty string, got ['x']"),
    ('[archive]\nname = ""\n', "archive.name", "expected a non-empty string, got ''"),
    ("[archive]\ntimezone = 8\n", "archive.timezone", "expected a non-empty string, got 8"),
    ('[archive]\ntimezone = "Mars/Olympus"\n', "archive.timezone", "unknown time zone 'Mars/Olympus'"),
    ('[archive]\ntimezone = "../../etc/passwd"\n', "archive.timezone", "unknown time zone"),
    ('[archive]\ndefault_source = "Bad Slug"\n', "archive.default_source", "not a valid slug"),
    ('[archive]\nnmae = "x"\n', "archive.nmae", "unknown key (did you mean 'name'?)"),
    ('[fetch]\nallow_private = "yes"\n', "fetch.allow_private", "expected true, false or a list of addresses and networks such as [\"127.0.0.1\", \"10.0.0.0/8\"], got 'yes'"),
    ("fetch = 1\n", "fetch", "expected a table ([fetch]), got 1"),
    ('[[source]]\nslug = "x"\n', "source", "unknown key (did you mean 'sources'?)"),
    ("sources = 5\n", "sources", "expected [[sources]] tables, got 5"),
    ('sources = ["x"]\n', "sources", "expected [[sources]] tables, got ['x']"),
    ('[[sources]]\nslug = "a"\nfeeds = 5\n', "sources[1].feeds", "expected a list of URLs, got 5"),
    ('[[sources]]\nslug = "a"\nfeeds = [1]\n', "sources[1].feeds", "expected a list of URLs, got [1]"),
    ('[[sources]]\nslug = "a"\nfeeds = "https://e.org/f"\n', "sources[1].feeds", "expected a list of URLs, got 'https://e.org/f'"),
    ('[[sources]]\nslug = "a"\nfeeds = []\n', "sources[1].feeds", "expected at least one feed URL"),
    ('[[sources]]\nslug = "a"\nfeeds = ["ftp://e.org/f"]\n', "sources[1].feeds", "'ftp://e.org/f' is not an http(s):// or file:// URL"),
    ('[[sources]]\nslug = "a"\n', "sources[1].feeds", "missing"),
    ('[[sources]]\nfeeds = ["https://e.org/f"]\n', "sources[1].slug", "missing"),
    ('[[sources]]\nslug = 5\nfeeds = ["https://e.org/f"]\n', "sources[1].slug", "expected a non-empty string, got 5"),
    ('[[sources]]\nslug = "Bad Slug"\nfeeds = ["https://e.org/f"]\n', "sources[1].slug", "not a valid slug (try 'bad-slug')"),
    ('[[sources]]\nslug = "a"\nname = ["x"]\nfeeds = ["https://e.org/f"]\n', "sources[1].name", "expected a non-empty string, got ['x']"),
    ('[[sources]]\nslug = "a"\nfeeds = ["https://e.org/f"]\nbody = "html"\n', "sources[1].body", "must be 'feed' or 'page', not 'html'"),
    ('[[sources]]\nslug = "a"\nfeeds = ["https://e.org/f"]\nselector = "div["\n', "sources[1].selector", "invalid CSS selector 'div['"),
    ('[[sources]]\nslug = "a"\nfeeds = ["https://e.org/f"]\nselector = 3\n', "sources[1].selector", "expected a non-empty string, got 3"),
    ('[[sources]]\nslug = "a"\nfeeds = ["https://e.org/f"]\ncategory = "(["\n', "sources[1].category", "invalid category regex"),
    ('[[sources]]\nslug = "a"\nfeeds = ["https://e.org/f"]\ninterval = "1h"\n', "sources[1].interval", "expected a number of seconds, got '1h'"),
    ('[[sources]]\nslug = "a"\nfeeds = ["https://e.org/f"]\ninterval = true\n', "sources[1].interval", "expected a number of seconds, got true"),
    ('[[sources]]\nslug = "a"\nfeeds = ["https://e.org/f"]\ninterval = 5\n', "sources[1].interval", "must be between 60 seconds and 7 days, got 5"),
    ('[[sources]]\nslug = "a"\nfeeds = ["https://e.org/f"]\ninterval = 99999999999999999\n', "sources[1].interval", "must be between 60 seconds and 7 days"),
    ('[[sources]]\nslug = "a"\nfeeds = ["https://e.org/f"]\nhosts = "e.org"\n', "sources[1].hosts", "expected a list of host names, got 'e.org'"),
    ('[[sources]]\nslug = "a"\nfeeds = ["https://e.org/f"]\nallow_private = 1\n', "sources[1].allow_private", "expected true, false or a list of addresses and networks such as [\"127.0.0.1\", \"10.0.0.0/8\"], got 1"),
    (GOOD_SOURCE + '[[sources]]\nslug = "b"\nfeed = ["https://e.org/f"]\n', "sources[2].feed", "unknown key (did you mean 'feeds'?)"),
    (GOOD_SOURCE + GOOD_SOURCE, "sources[2].slug", "'rfi' is used by sources[1] already"),
]


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    from conftest import run_cli

    root = tmp_path_factory.mktemp("config") / "archive"
    run_cli("init", str(root), check=True)
    return root


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file() and ".newsvault" not in p.parts}


@pytest.mark.parametrize("content,key,problem", CASES, ids=[c[1] + ":" + c[2][:24] for c in CASES])
def test_a_wrong_value_is_named_in_one_line(tmp_path, content, key, problem):
    path = tmp_path / CONFIG_NAME
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        Config.load(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: {key}: "), message
    assert problem in message
    assert "\n" not in message


@pytest.mark.parametrize("content,key,problem", CASES[::5], ids=[c[1] for c in CASES[::5]])
def test_every_command_refuses_the_file_and_changes_nothing(tmp_path, template, cli, content, key, problem):
    import shutil

    root = tmp_path / "archive"
    shutil.copytree(template, root)
    (root / CONFIG_NAME).write_text(content, encoding="utf-8")
    before = _files(root)
    for args in (["ls"], ["source", "add", "x", "https://e.org/feed"], ["build"]):
        proc = cli("-C", str(root), *args)
        assert proc.returncode == 1, (args, proc.stdout, proc.stderr)
        assert proc.stderr.startswith(f"newsvault: error: {root / CONFIG_NAME}: {key}: ")
        assert problem in proc.stderr and len(proc.stderr.splitlines()) == 1
    assert _files(root) == before


def test_invalid_toml_is_one_line(tmp_path, template, cli):
    import shutil

    root = tmp_path / "archive"
    shutil.copytree(template, root)
    (root / CONFIG_NAME).write_bytes(b"[archive\nname = \xff\n")
    proc = cli("-C", str(root), "stats")
    assert proc.returncode == 1 and proc.stderr.startswith(f"newsvault: error: {root / CONFIG_NAME}: invalid TOML")
    assert len(proc.stderr.splitlines()) == 1


def test_every_field_round_trips(tmp_path):
    path = tmp_path / CONFIG_NAME
    config = Config(
        name="档案", default_source="rfi", timezone="Europe/Paris", allow_private=True,
        sources=[
            Source("rfi", "法广", ["https://www.rfi.fr/cn/rss"], hosts=["www.rfi.fr"], allow_private=False),
            Source("cdt", "中国数字时代", ["https://chinadigitaltimes.net/chinese/feed/"], body="page", selector="div.post-content", category="[\u2600-\u27bf]", interval=1800),
        ],
    )
    path.write_text(config.dump(), encoding="utf-8")
    again = Config.load(path)
    assert again == config
    assert str(again.zone) == "Europe/Paris" and again.zone.utcoffset(None) is None  # a real ZoneInfo


def test_a_source_made_in_code_follows_the_same_rules():
    with pytest.raises(ConfigError, match=r"source a: feeds: 'gopher://x/' is not an http\(s\):// or file:// URL"):
        Source("a", "a", ["gopher://x/"])
    with pytest.raises(ConfigError, match="source a: selector: invalid CSS selector"):
        Source("a", "a", ["https://e.org/"], selector="p[")
