"""README's tour is true: every ``$ `` line of its console blocks runs, in order, in a temp dir,
and prints what README shows.

Paths under /tmp/ become the test's temp dir; durations ("in 0.3 s"), commit ids and article ids
(which depend on the temp paths of the sample feeds) are normalised before comparing. Feeds are
the ``file://`` samples shipped in the package: nothing leaves the machine.

After a deliberate change of output, rewrite README's blocks from a real run with
``NEWSVAULT_UPDATE_README=1 python3 -m pytest tests/test_readme.py`` and review the diff.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from conftest import REPO

README = REPO / "README.md"

@dataclass
class Step:
    command: str
    expected: list[str] = field(default_factory=list)
    line: int = 0  # where the command is in README (1-based)


def console_blocks(text: str) -> list[list[Step]]:
    blocks: list[list[Step]] = []
    current: list[Step] | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if current is None:
            if line.strip() == "```console":
                current = []
            continue
        if line.strip() == "```":
            blocks.append(current)
            current = None
        elif line.startswith("$ "):
            current.append(Step(line[2:], line=number))
        elif current:
            current[-1].expected.append(line)
    return blocks


_IDS = re.compile(r"(?<![0-9a-f])[0-9a-f]{12}(?![0-9a-f])")
_DURATION = re.compile(r"\b\d+\.\d+ s\b")
_COMMIT = re.compile(r"\bcommitted [0-9a-f]{7,40}\b")


def normalise(lines: list[str]) -> list[str]:
    out = [_COMMIT.sub("committed <commit>", _DURATION.sub("<n> s", _IDS.sub("<id>", line))).rstrip() for line in lines]
    while out and not out[-1]:
        out.pop()
    return out


class Shell:
    """Runs README's lines like a user would, with ``newsvault`` from this checkout on PATH."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.cwd = REPO
        bin_dir = base / ".bin"
        bin_dir.mkdir(parents=True)
        (bin_dir / "newsvault").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m newsvault "$@"\n', encoding="utf-8")
        (bin_dir / "newsvault").chmod(0o755)
        self.env = {
            **os.environ,
            "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
            "PYTHONPATH": str(REPO / "src"),
            "PYTHONUNBUFFERED": "1",  # stdout and stderr interleave as on a terminal
            "NO_COLOR": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_NAME": "newsvault tour",
            "GIT_AUTHOR_EMAIL": "tour@example.org",
            "GIT_COMMITTER_NAME": "newsvault tour",
            "GIT_COMMITTER_EMAIL": "tour@example.org",
        }

    def here(self, text: str) -> str:
        return text.replace("/tmp/", f"{self.base}/")

    def run(self, command: str) -> list[str]:
        command = self.here(command)
        words = shlex.split(command, comments=True)
        if words[:1] == ["cd"]:
            self.cwd = Path(words[1])
            return []
        done = subprocess.run(
            ["bash", "-c", command], cwd=self.cwd, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300,
        )
        return done.stdout.replace(str(self.base), "/tmp").splitlines()


def _trimmed(actual: list[str]) -> list[str]:
    lines = list(actual)
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


def test_the_tour_runs_as_written(tmp_path):
    text = README.read_text(encoding="utf-8")
    blocks = console_blocks(text)
    assert sum(len(b) for b in blocks) >= 20, "README's console blocks went missing"
    shell = Shell(tmp_path)
    update = bool(os.environ.get("NEWSVAULT_UPDATE_README"))
    outputs: dict[int, list[str]] = {}
    mismatches = []
    for block in blocks:
        for step in block:
            actual = shell.run(step.command)
            outputs[step.line] = _trimmed(actual)
            if normalise(_trimmed(actual)) != normalise(step.expected):
                mismatches.append((step, actual))
    if update:
        README.write_text(_rewritten(text, outputs), encoding="utf-8")
        return
    report = []
    for step, actual in mismatches:
        report.append(f"README line {step.line}: $ {step.command}\n--- README shows\n" + "\n".join(step.expected) + "\n--- it prints\n" + "\n".join(actual))
    assert not mismatches, "\n\n".join(report)


def _rewritten(text: str, outputs: dict[int, list[str]]) -> str:
    lines = text.splitlines()
    out: list[str] = []
    skipping = False
    for number, line in enumerate(lines, start=1):
        if number in outputs:
            out.append(line)
            out.extend(printed.rstrip() for printed in outputs[number])
            while out and not out[-1] and out[-2:-1] != ["$"]:
                out.pop()
            skipping = True
            continue
        if skipping and (line.startswith("$ ") or line.strip() == "```"):
            skipping = False
        if not skipping:
            out.append(line)
    return "\n".join(out) + "\n"


def test_show_leaves_no_share_bar(tmp_path):
    shell = Shell(tmp_path)
    shell.run("newsvault init /tmp/a")
    shell.run("newsvault -C /tmp/a import src/newsvault/demo/records")
    assert "分享 :" not in shell.run("newsvault -C /tmp/a show 5be8")
