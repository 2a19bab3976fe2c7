"""The ``newsvault`` command group and what every command shares (archive, output, errors)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click

from .. import compose
from ..archive import Archive
from ..errors import NewsvaultError

SHANGHAI = ZoneInfo("Asia/Shanghai")


class NewsvaultGroup(click.Group):
    """Turns newsvault's own errors into one clear line on stderr (exit 1), never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except NewsvaultError as e:
            click.echo(f"newsvault: error: {e}", err=True)
            ctx.exit(1)
        except KeyboardInterrupt:
            click.echo("newsvault: interrupted", err=True)
            ctx.exit(130)


@click.group(cls=NewsvaultGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "-C",
    "--archive",
    "archive_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="The archive directory.",
)
@click.version_option(package_name="newsvault")
@click.pass_context
def main(ctx: click.Context, archive_dir: Path) -> None:
    """newsvault: keep news that might disappear.

    Archives news feeds as plain-text records in a git-friendly directory, keeps every version,
    notices deletions, and makes it all searchable and readable offline.
    """
    ctx.obj = {"archive_dir": archive_dir}


def open_archive(ctx: click.Context, *, recover: bool = True) -> Archive:
    archive = compose.open_archive(ctx.obj["archive_dir"], recover=recover)
    ctx.call_on_close(archive.close)
    return archive


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def is_tty() -> bool:
    return sys.stdout.isatty()


def fmt_time(ms: int | None, tz: timezone | ZoneInfo = UTC, with_seconds: bool = False) -> str:
    if ms is None:
        return "-"
    dt = datetime.fromtimestamp(ms / 1000, tz=tz)
    return dt.strftime("%Y-%m-%d %H:%M:%S" if with_seconds else "%Y-%m-%d %H:%M")


def parse_date(value: str | None, param: str) -> int | None:
    """A CLI date (YYYY-MM-DD or ISO 8601; UTC unless an offset is given) as epoch ms."""
    if value is None:
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date; use YYYY-MM-DD or YYYY-MM-DDTHH:MM", param_hint=param) from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return int(dt.timestamp() * 1000)


class Progress:
    """A rich progress bar when stdout is a terminal; silence otherwise (parseable output)."""

    def __init__(self, description: str, enabled: bool | None = None):
        self.enabled = is_tty() if enabled is None else enabled
        self.description = description
        self._progress = None
        self._task = None

    def __enter__(self) -> Progress:
        if self.enabled:
            from rich.progress import BarColumn, MofNCompleteColumn, TimeRemainingColumn
            from rich.progress import Progress as RichProgress

            self._progress = RichProgress(
                "[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                transient=True,
            )
            self._progress.__enter__()
            self._task = self._progress.add_task(self.description, total=None)
        return self

    def update(self, done: int, total: int | None = None) -> None:
        if self._progress is not None:
            self._progress.update(self._task, completed=done, total=total)

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.__exit__(*exc)


def iter_lines(rows: list[list[str]]) -> Iterator[str]:
    """Left-aligned columns separated by two spaces (CJK-width aware)."""
    from rich.cells import cell_len

    if not rows:
        return
    widths = [max(cell_len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    for r in rows:
        cells = [c + " " * (widths[i] - cell_len(c)) for i, c in enumerate(r[:-1])]
        yield "  ".join(cells + [r[-1]])
