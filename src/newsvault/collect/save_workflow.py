"""The GitHub issue form and workflow for save-requests (``init --github-actions``).

A reader opens an issue with a URL; the workflow (on ``issues: opened``, and a scheduled sweep
of open requests it missed) runs ``newsvault save --issue-event`` on it, which saves the pages,
commits and pushes (the hourly job's replay rule) and writes the answer as files; the
workflow only hands those files to ``gh``. Nothing written by the issue's author is ever put in
a ``run:`` script: the payload is read from ``$GITHUB_EVENT_PATH`` by newsvault, and only the
issue's number (an integer GitHub sets) reaches the shell, through ``env:``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..archive import write_atomic
from .workflow import PYTHON_STEPS, install_steps

if TYPE_CHECKING:
    from ..archive import Archive

__all__ = ["ISSUE_FORM_PATH", "SAVE_WORKFLOW_PATH", "REQUEST_LABEL", "render_issue_form", "render_save_workflow", "write_save_files"]

ISSUE_FORM_PATH = ".github/ISSUE_TEMPLATE/save.yml"
SAVE_WORKFLOW_PATH = ".github/workflows/save.yml"
REQUEST_LABEL = "save-request"

_FORM = f"""\
# Written by 'newsvault init --github-actions': a request to archive a page now.
name: 请求存档 / Save a page
description: Archive a page (a WeChat post, a Zhihu column, any article) before it disappears.
title: "save: "
labels: ["{REQUEST_LABEL}"]
body:
  - type: input
    id: url
    attributes:
      label: URL
      description: The page's address (http or https; up to 10 in the note below).
      placeholder: https://mp.weixin.qq.com/s/…
    validations:
      required: true
  - type: textarea
    id: note
    attributes:
      label: Note
      description: Optional. More URLs, or why the page matters.
    validations:
      required: false
"""

_WORKFLOW = """\
# Written by 'newsvault init --github-actions'. A save-request issue: save its pages, commit,
# push, answer in the issue (comment, label, title) and close it. Issue text is never put in a
# script: newsvault reads the event file, and only the issue number reaches the shell.
name: save

on:
  issues:
    types: [opened]
  schedule:
    - cron: "41 */6 * * *"   # the sweep: open requests a run missed
  workflow_dispatch: {{}}

permissions:
  contents: write
  issues: write

concurrency:
  group: newsvault-save
  cancel-in-progress: false

jobs:
  save:
    if: github.event_name != 'issues' || contains(github.event.issue.labels.*.name, '""" + REQUEST_LABEL + """')
    runs-on: ubuntu-latest
    timeout-minutes: 20
    steps:
{python_steps}{install_steps}      - name: list the requests
        env:
          GH_TOKEN: ${{{{ github.token }}}}
          EVENT_NAME: ${{{{ github.event_name }}}}
        run: |
          mkdir -p "$RUNNER_TEMP/requests"
          if [ "$EVENT_NAME" = issues ]; then
            cp "$GITHUB_EVENT_PATH" "$RUNNER_TEMP/requests/event.json"
          else
            for n in $(gh issue list --label """ + REQUEST_LABEL + """ --state open --limit 20 --json number --jq '.[].number'); do
              gh api "repos/$GITHUB_REPOSITORY/issues/$n" > "$RUNNER_TEMP/requests/$n.json"
            done
          fi
      - name: save, commit, push, answer
        env:
          GH_TOKEN: ${{{{ github.token }}}}
        run: |
          for request in "$RUNNER_TEMP"/requests/*.json; do
            [ -e "$request" ] || continue
            answer="$RUNNER_TEMP/answer"
            rm -rf "$answer"
            newsvault save --issue-event "$request" --answer-dir "$answer" --commit --push --json > "$answer.json"
            issue=$(python -c 'import json,sys; print(int(json.load(open(sys.argv[1]))["issue"]))' "$answer.json")
            for comment in "$answer"/comment-*.md; do
              gh issue comment "$issue" --body-file "$comment"
            done
            gh issue edit "$issue" --title "$(head -n 1 "$answer/title")" --add-label "$(head -n 1 "$answer/label")"
            gh issue close "$issue"
          done
"""


def render_issue_form() -> str:
    return _FORM


def render_save_workflow(install: str) -> str:
    return _WORKFLOW.format(python_steps=PYTHON_STEPS, install_steps=install_steps(install))


def write_save_files(archive: Archive, install: str) -> list[Path]:
    """Write the issue form and the save workflow in the archive; return their paths."""
    root = Path(archive.root)
    write_atomic(root / ISSUE_FORM_PATH, render_issue_form())
    write_atomic(root / SAVE_WORKFLOW_PATH, render_save_workflow(install))
    return [root / ISSUE_FORM_PATH, root / SAVE_WORKFLOW_PATH]
