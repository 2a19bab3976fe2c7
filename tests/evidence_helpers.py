"""Shared by the evidence tests: the CLI in process, a loopback feed server, a new archive that
may fetch from it (WARC capture is on for archives made by ``init``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from collect_helpers import FeedServer, allow_private
from newsvault.cli import main


def nv(root: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["-C", str(root), *args], catch_exceptions=False)


@pytest.fixture
def srv():
    with FeedServer() as s:
        yield s


@pytest.fixture
def root(tmp_path):
    r = tmp_path / "archive"
    assert nv(tmp_path, "init", "--no-media", str(r)).exit_code == 0
    allow_private(r)
    return r
