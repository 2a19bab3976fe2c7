"""Fixtures shared by every test module: the corpus, fresh archives, and running the real CLI."""

from __future__ import annotations

import ipaddress
import os
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# Fixtures that several modules share live in helper modules, registered here as plugins.
pytest_plugins = ["http_helpers", "collect_helpers", "preserve_helpers", "publish_helpers", "search_helpers", "evidence_helpers"]

REPO = Path(__file__).resolve().parents[1]
# Subprocesses (the CLI, git hooks, worker scripts) import this checkout's newsvault, not whatever
# copy is installed: pytest's own `pythonpath` setting reaches only this process.
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO / "src"), os.environ.get("PYTHONPATH")]))
# Real records, a subset of the reference corpus kept in the repository (tests/corpus/README.md).
CORPUS = REPO / "tests" / "corpus"
SEED = CORPUS / "seed" / "000_e886f203c780aee1.txt"
SEED_URL = (
    "https://www.rfi.fr/cn/%E5%9B%BD%E9%99%85/20231107-%E5%B8%83%E6%9E%97%E8%82%AF%E5%91%BC%E5%90%81"
    "%E4%B8%83%E5%9B%BD%E9%9B%86%E5%9B%A2%E5%9C%A8%E5%8A%A0%E6%B2%99%E9%97%AE%E9%A2%98%E4%B8%8A%E4%BB%A5"
    "-%E4%B8%80%E4%B8%AA%E5%A3%B0%E9%9F%B3-%E8%AF%B4%E8%AF%9D"
)


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.fail(f"corpus not found at {CORPUS}")
    return CORPUS


@pytest.fixture
def archive(tmp_path):
    from newsvault.compose import init_archive

    a = init_archive(tmp_path / "archive")
    yield a
    a.close()


def run_cli(*args: str, cwd: Path | None = None, check: bool = False, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run the real ``newsvault`` command in a subprocess."""
    full_env = {**os.environ, "PYTHONPATH": str(REPO / "src"), **(env or {})}
    proc = subprocess.run(
        [sys.executable, "-m", "newsvault", *args],
        cwd=cwd, capture_output=True, text=True, env=full_env, timeout=timeout,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"newsvault {' '.join(args)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
    return proc


@pytest.fixture
def cli():
    return run_cli


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Callable[[str], Path]]:
    """``tmpfs("4m")`` mounts a real tmpfs of that size (a small disk to fill, or to remount
    read-only with :func:`remount_read_only`); it is unmounted after the test. Skips where
    mounting is not allowed."""
    mounted: list[Path] = []

    def mount(size: str) -> Path:
        mnt = tmp_path / f"disk{len(mounted) or ''}"
        mnt.mkdir()
        proc = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mnt)], capture_output=True, text=True)
        if proc.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.strip()}")
        mounted.append(mnt)
        return mnt

    yield mount
    for mnt in mounted:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def remount_read_only(mnt: Path) -> None:
    """Make a :func:`tmpfs` mount read-only (skips where remounting is not allowed)."""
    if subprocess.run(["mount", "-o", "remount,ro", str(mnt)], capture_output=True).returncode != 0:
        pytest.skip("cannot remount read-only here")


# -- only loopback ---------------------------------------------------------------------------------
# Records hold real outlet URLs, and teaser items make the collector fetch pages: a test must never
# reach another host. `.ci/run` runs the suite in a network namespace with only loopback; this
# guard also refuses, in the test process itself, any connection to an address off this machine,
# so a test that would leak fails loudly wherever it runs.

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _loopback_only(address: object) -> None:
    if not isinstance(address, tuple) or not address:
        return  # AF_UNIX paths and other families
    host = str(address[0])
    if host == "localhost":
        return
    try:
        ip = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        raise OSError(f"test guard: refusing to connect to {host!r} (tests talk only to 127.0.0.1)") from None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if not ip.is_loopback:
        raise OSError(f"test guard: refusing to connect to {host} (tests talk only to 127.0.0.1)")


def _guarded_connect(self: socket.socket, address: object) -> None:
    _loopback_only(address)
    _real_connect(self, address)  # type: ignore[arg-type]


def _guarded_connect_ex(self: socket.socket, address: object) -> int:
    _loopback_only(address)
    return _real_connect_ex(self, address)  # type: ignore[arg-type]


@pytest.fixture(autouse=True, scope="session")
def _only_loopback() -> Iterator[None]:
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]
    yield
    socket.socket.connect = _real_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _real_connect_ex  # type: ignore[method-assign]
