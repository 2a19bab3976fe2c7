"""A GitHub Actions workflow that runs the hourly job, like the original archivers did.

One pass: collect, regenerate the lists and README of what changed, one commit, push (a rejected
push is replayed onto the new remote commit, see :mod:`newsvault.collect.gitops`). With
``pages``, the static site is built and deployed to GitHub Pages. newsvault is installed from
the source the user names at ``init`` (a PyPI requirement or a git URL): there is no default,
since a guessed address could install anything. newsvault is not on PyPI: the hint names the git
URL of a newsvault repository at this version's tag, or a wheel committed to the archive.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import TYPE_CHECKING

from .. import __version__
from ..archive import write_atomic
from ..errors import ConfigError

if TYPE_CHECKING:
    from ..archive import Archive

__all__ = ["write_workflow", "render_workflow", "check_install", "WORKFLOW_PATH", "INSTALL_HINT"]

WORKFLOW_PATH = ".github/workflows/collect.yml"
INSTALL_HINT = (
    f"--install 'git+https://github.com/OWNER/newsvault@v{__version__}' (the newsvault repository, at this version's tag)"
    f" or --install ./newsvault-{__version__}-py3-none-any.whl (a wheel committed to the archive)"
)

_HEAD = """\
# Written by 'newsvault init --github-actions'. Every hour: collect, update lists/ and README.md,
# commit (one commit per pass, none when nothing changed) and push to every remote.
name: collect

on:
  schedule:
    - cron: "23 * * * *"   # hourly, off the top of the hour when runners are busiest
  workflow_dispatch: {{}}

permissions:
  contents: write{pages_permissions}

concurrency:
  group: newsvault-collect
  cancel-in-progress: false   # never cut a pass short; the next one waits

jobs:
  collect:
    runs-on: ubuntu-latest
    timeout-minutes: 30
    steps:
{python_steps}      # Derived state (catalog, ETags) is git-ignored; caching it makes unchanged feeds cost a
      # 304 and spares rebuilding the catalog (newsvault brings a cached one up to HEAD itself).
      - uses: actions/cache@v5
        with:
          path: .newsvault
          key: newsvault-${{{{ github.run_id }}}}
          restore-keys: newsvault-
{install_steps}      # Exit 3: some sources (or a mirror) failed while the rest was archived, committed and
      # pushed; keep the run green for that, fail it for anything else. With [digest] hourly =
      # true in newsvault.toml the commit carries the day's digest too (site/digest/).
      - name: collect, update lists, commit, push
        run: |
          newsvault collect --commit --push || [ $? -eq 3 ]
      # warc/ is git-ignored (large, binary): this pass's WARC files go to the 'evidence'
      # branch instead, one commit a pass, never checked out by the hourly job. The manifests
      # in the main branch name each file and offset; 'newsvault verify' needs both.
      - name: keep the captures on the evidence branch
        run: |
{evidence}"""

EVIDENCE_STEP = """[ -d warc ] || exit 0
export GIT_INDEX_FILE="$(mktemp -d)/index"
for attempt in 1 2 3; do
  rm -f "$GIT_INDEX_FILE"; parent=""
  if git fetch -q origin evidence 2>/dev/null; then parent="$(git rev-parse FETCH_HEAD)"; git read-tree "$parent"; fi
  find warc -name '*.warc.gz' -print0 | xargs -0 -r git update-index --add --
  tree="$(git write-tree)"
  [ -n "$parent" ] && [ "$tree" = "$(git rev-parse "$parent^{tree}")" ] && exit 0
  commit="$(git commit-tree "$tree" ${parent:+-p "$parent"} -m "evidence: WARC captures of $(git rev-parse --short HEAD)")"
  git push -q origin "$commit:refs/heads/evidence" && exit 0
done
exit 1
"""

_PAGES = """\
      - name: build the static site
        run: |
          newsvault build --site "$RUNNER_TEMP/site"
          if [ -d site/digest ]; then cp -r site/digest "$RUNNER_TEMP/site/digest"; fi
      - uses: actions/upload-pages-artifact@v4
        with:
          path: ${{ runner.temp }}/site

  deploy:
    needs: collect
    runs-on: ubuntu-latest
    environment:
      name: github-pages
      url: ${{ steps.deployment.outputs.page_url }}
    steps:
      - id: deployment
        uses: actions/deploy-pages@v5
"""


def check_install(spec: str) -> str:
    """The install source, as given (a pip requirement or URL on one line), or a ConfigError."""
    spec = spec.strip()
    if not spec or any(c in spec for c in "\r\n\x00") or spec.startswith("-"):
        raise ConfigError(f"--install expects one pip requirement or URL, e.g. {INSTALL_HINT}")
    return spec


# The steps every generated workflow starts with, in one place: action releases move together
# (checkout@v4 and setup-python@v5 run on the deprecated node20).
PYTHON_STEPS = """\
      - uses: actions/checkout@v5
      - uses: actions/setup-python@v6
        with:
          python-version: "3.12"
"""
_INSTALL_STEPS = """\
      - name: install newsvault
        run: |
          python -m pip install {install}
      - name: git identity
        run: |
          git config user.name "newsvault"
          git config user.email "newsvault@users.noreply.github.com"
"""


def install_steps(install: str) -> str:
    """Installing newsvault from ``install`` (checked, shell-quoted) and the committer's name."""
    return _INSTALL_STEPS.format(install=shlex.quote(check_install(install)))


def render_workflow(install: str, pages: bool = False) -> str:
    text = _HEAD.format(
        evidence="".join(f"          {line}\n" for line in EVIDENCE_STEP.splitlines()),
        python_steps=PYTHON_STEPS,
        install_steps=install_steps(install),
        pages_permissions="\n  pages: write\n  id-token: write" if pages else "",
    )
    return text + (_PAGES if pages else "")


def write_workflow(archive: Archive, install: str, pages: bool = False) -> Path:
    """Write ``.github/workflows/collect.yml`` in the archive; return its path."""
    path = Path(archive.root) / WORKFLOW_PATH
    write_atomic(path, render_workflow(install, pages))
    return path
