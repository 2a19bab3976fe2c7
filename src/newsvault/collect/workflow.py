"""A GitHub Actions workflow that runs the collector hourly, like the original archivers did."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..archive import write_atomic

if TYPE_CHECKING:
    from ..archive import Archive

__all__ = ["write_workflow", "WORKFLOW_PATH"]

WORKFLOW_PATH = ".github/workflows/collect.yml"

_WORKFLOW = """\
# Written by 'newsvault init --github-actions'. Runs one collect pass every hour and commits
# what it archived (one commit per pass, none when nothing changed).
name: collect

on:
  schedule:
    - cron: "23 * * * *"   # hourly, off the top of the hour when runners are busiest
  workflow_dispatch: {}

permissions:
  contents: write

concurrency:
  group: newsvault-collect
  cancel-in-progress: false   # never cut a pass short; the next one waits

jobs:
  collect:
    runs-on: ubuntu-latest
    timeout-minutes: 30
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      # Derived state (catalog, ETags) is git-ignored; caching it makes unchanged feeds cost a 304.
      - uses: actions/cache@v4
        with:
          path: .newsvault
          key: newsvault-${{ github.run_id }}
          restore-keys: newsvault-
      - run: pip install "newsvault @ git+https://github.com/newsvault/newsvault"
      - run: |
          git config user.name "newsvault"
          git config user.email "newsvault@users.noreply.github.com"
      # Exit 3 means some sources failed while the others were archived and committed:
      # keep the run green for that, fail it for anything else.
      - run: newsvault collect --commit --push || [ $? -eq 3 ]
"""


def write_workflow(archive: Archive) -> Path:
    """Write ``.github/workflows/collect.yml`` in the archive; return its path."""
    path = Path(archive.root) / WORKFLOW_PATH
    write_atomic(path, _WORKFLOW)
    return path
