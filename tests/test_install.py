"""One version everywhere: what README, docs, `init` and the generated workflow tell a user to
install names this version, and the workflow's install step, run as written, installs it."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import venv
from pathlib import Path

import pytest
import yaml

from conftest import REPO, run_cli
from newsvault import __version__
from newsvault.collect.workflow import INSTALL_HINT

# Every way the docs name a version of newsvault to install: a requirement or a git tag.
_NAMED_VERSION = re.compile(r"newsvault(?:==|@v|-)(\d+\.\d+\.\d+)")


def _texts() -> dict[str, str]:
    paths = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md")), *sorted((REPO / "src/newsvault").rglob("*.py"))]
    return {str(p.relative_to(REPO)): p.read_text(encoding="utf-8") for p in paths}


def test_every_install_line_names_this_version():
    named = {(path, m.group(1)) for path, text in _texts().items() for m in _NAMED_VERSION.finditer(text)}
    assert any(path == "README.md" for path, _ in named) and any(path == "docs/hourly.md" for path, _ in named)
    assert {v for _, v in named} == {__version__}, sorted(named)
    assert f"newsvault@v{__version__}" in INSTALL_HINT and f"newsvault-{__version__}-py3-none-any.whl" in INSTALL_HINT
    pyproject = (REPO / "pyproject.toml").read_text()
    assert f'version = "{__version__}"' in pyproject


def test_the_version_command_says_the_package_version():
    assert run_cli("--version", check=True).stdout.strip() == f"newsvault {__version__}"


@pytest.mark.slow
def test_the_workflows_install_step_installs_a_wheel_of_this_checkout(tmp_path):
    """The hint's second form, exactly: a wheel committed to the archive, installed by the
    workflow's own `run:` text. Dependencies come from the test environment (the venv sees its
    site-packages), so pip needs no index; newsvault itself must come from the wheel."""
    wheels = tmp_path / "wheels"
    # Offline with the test extra's setuptools; an older one cannot read pyproject's license
    # field, so pip then builds in isolation, fetching setuptools from its configured index.
    offline = ["--no-build-isolation", "--no-index"] if _setuptools_reads_pyproject() else []
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", *offline, "-q", "-w", str(wheels), str(REPO)],
        capture_output=True, text=True, timeout=180,
    )
    if built.returncode != 0 and not offline:
        pytest.skip(f"building a wheel needs setuptools>=77 (pip install -e '.[test]') or a package index: {built.stderr.strip()[-200:]}")
    assert built.returncode == 0, built.stderr
    wheel = wheels / f"newsvault-{__version__}-py3-none-any.whl"
    assert wheel.exists(), sorted(p.name for p in wheels.iterdir())

    archive = tmp_path / "my-archive"
    run_cli("init", "--no-media", str(archive), "--github-actions", "--install", f"./{wheel.name}", check=True)
    wheel.rename(archive / wheel.name)
    flow = yaml.safe_load((archive / ".github/workflows/collect.yml").read_text())
    step = next(s for s in flow["jobs"]["collect"]["steps"] if s.get("name") == "install newsvault")
    command = shlex.split(step["run"].strip())
    assert command[:4] == ["python", "-m", "pip", "install"], command

    env_dir = tmp_path / "venv"
    venv.create(env_dir, system_site_packages=True, with_pip=False)
    python = env_dir / "bin" / "python"
    # The venv borrows pip from the test environment (creating one with pip takes seconds more).
    pip_env = {"PYTHONPATH": "", "PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    done = subprocess.run([str(python), *command[1:]], cwd=archive, capture_output=True, text=True, timeout=120, env=_env(pip_env))
    assert done.returncode == 0, done.stdout + done.stderr

    where = subprocess.run(
        [str(env_dir / "bin" / "newsvault"), "--version"], capture_output=True, text=True, timeout=60, env=_env({"PYTHONPATH": ""}),
    )
    assert where.returncode == 0, where.stderr
    assert where.stdout.strip() == f"newsvault {__version__}"
    located = subprocess.run(
        [str(python), "-c", "import newsvault; print(newsvault.__file__)"], capture_output=True, text=True, check=True, env=_env({"PYTHONPATH": ""}),
    )
    assert Path(located.stdout.strip()).is_relative_to(env_dir), located.stdout  # from the wheel, not the checkout


def _setuptools_reads_pyproject() -> bool:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return int(version("setuptools").split(".")[0]) >= 77
    except (PackageNotFoundError, ValueError):
        return False


def _env(extra: dict[str, str]) -> dict[str, str]:
    import os

    return {k: v for k, v in {**os.environ, **extra}.items() if v != ""}
