"""The docs name only files and modules that exist, and every config field is used by the code.

Checked in README.md and docs/*.md: paths (``src/newsvault/x.py``, ``newsvault/fetch/``,
``preserve/checks.py``, ``cli/_app.py``), dotted names (``newsvault.config.Config``) and the CLI
modules named in docs/architecture.md (``archive_cmds``).
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import re
from pathlib import Path

import pytest

from conftest import REPO

SRC = REPO / "src"
PACKAGE = SRC / "newsvault"
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]

_PATH = re.compile(r"(?<![\w./-])(?:src/)?newsvault/[\w/.-]*[\w/]")
_RELATIVE = re.compile(r"`((?!src/|newsvault/)(?:[a-z_]+/)*[\w.-]+\.py)`")
_DOTTED = re.compile(r"`(newsvault(?:\.\w+)+)(?<!\.toml)`")
_CLI_MODULE = re.compile(r"`(\w+_cmds?)`")


def _references(text: str) -> list[str]:
    found = [m.group(0) for m in _PATH.finditer(text)]
    found += [m.group(1) for m in _RELATIVE.finditer(text)]
    return found


def _exists(ref: str) -> bool:
    ref = ref.removeprefix("src/")
    if ref.startswith("newsvault/"):
        return (SRC / ref).exists()
    if "/" not in ref:  # a bare file name, usually listed beside its package: anywhere in the package
        return (REPO / ref).exists() or any(PACKAGE.rglob(ref))
    # A path inside the package given relative to it (preserve/checks.py, cli/_app.py), or to the repository.
    return (PACKAGE / ref).exists() or (REPO / ref).exists()


def _resolves(dotted: str) -> bool:
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            if not hasattr(obj, attr):
                return False
            obj = getattr(obj, attr)
        return True
    return False


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_docs_name_only_files_and_modules_that_exist(doc: Path):
    text = doc.read_text(encoding="utf-8")
    missing = sorted({ref for ref in _references(text) if not _exists(ref)})
    missing += sorted({name for name in (m.group(1) for m in _DOTTED.finditer(text)) if not _resolves(name)})
    assert not missing, f"{doc.relative_to(REPO)} names what does not exist: {missing}"


def test_architecture_names_the_cli_modules_that_exist():
    text = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    named = {m.group(1) for m in _CLI_MODULE.finditer(text)}
    actual = {p.stem for p in (PACKAGE / "cli").glob("*_cmd*.py")}
    assert named == actual


def test_the_checker_notices_a_missing_file():
    assert not _exists("newsvault/no_such_module.py") and _exists("newsvault/cli/_app.py")
    assert _exists("preserve/checks.py") and not _exists("preserve/no_such.py")
    assert _resolves("newsvault.config.Config.zone") and not _resolves("newsvault.config.Nope")
    assert _references("see `src/newsvault/x.py`, `cli/_app.py` and `urls.py`.") == ["src/newsvault/x.py", "cli/_app.py", "urls.py"]
    assert not _exists("sanitise.py") and _exists("sanitize.py") and _exists("bench/startup.py")


# ---------------------------------------------------------------------------------------------
# Every config field is read somewhere
# ---------------------------------------------------------------------------------------------

# config.py's own plumbing (parsing, writing, checking) does not count as using a field.
_PLUMBING = re.compile(r"^(_|dump$|to_toml$|load$|__post_init__$)")


def _attribute_reads(path: Path, skip_functions: bool) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped: set[int] = set()
    if skip_functions:
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and _PLUMBING.match(node.name):
                skipped.update(id(n) for n in ast.walk(node))
    return {
        node.attr for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load) and id(node) not in skipped
    }


def test_every_config_field_is_read_by_some_module():
    from newsvault.config import Config, Source

    reads: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        reads |= _attribute_reads(path, skip_functions=path.name == "config.py")
    unread = [f"{cls.__name__}.{f.name}" for cls in (Config, Source) for f in dataclasses.fields(cls) if f.name not in reads]
    assert not unread, f"config fields that nothing reads (wire them up or remove them): {unread}"


def _search_numbers() -> list[tuple[str, int]]:
    from newsvault.search import index, query

    return [
        (r"title and first ([\d,]+)\s+characters", index.WORDS_LEAD),
        (r"more than ([\d,]+) characters, more than \d+ words", query.MAX_QUERY),
        (r"more than [\d,]+ characters, more than ([\d,]+) words", query.MAX_TERMS),
        (r"[Bb]atches of up to ([\d,]+) articles", index.SYNC_LIMIT),
        (r"in chunks \(([\d,]+) articles", index.CHUNK),
        (r"A bulk build \(([\d,]+) queued articles", index.BULK_MIN),
        (r"tokenise chunks of ([\d,]+)", index.BULK_CHUNK),
    ]


@pytest.mark.parametrize(("pattern", "value"), _search_numbers(), ids=lambda p: p if isinstance(p, str) else None)
def test_docs_search_quotes_the_numbers_the_code_uses(pattern, value):
    text = " ".join((REPO / "docs" / "search.md").read_text(encoding="utf-8").split())
    found = re.findall(pattern, text)
    assert found, f"docs/search.md no longer says {pattern!r}"
    assert {int(n.replace(",", "")) for n in found} == {value}
