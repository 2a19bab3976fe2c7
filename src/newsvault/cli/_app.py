"""The ``newsvault`` command group and what every command shares (archive, output, errors).

Start-up is kept short (``newsvault --help`` should feel instant): this module and the command
modules import only click at load time; everything else is imported inside the commands.

Failures end in one line on stderr, ``newsvault: error: …``, with the documented exit codes:
1 for an error, 2 for a usage error, 3 for a collect pass where some sources failed, 130 on
Ctrl-C and 143 on SIGTERM. ``NEWSVAULT_DEBUG=1`` shows the traceback of unexpected errors.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import sys
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timezone
from importlib import import_module
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import click

from ..dates import parse_day
from ..errors import QueryError

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from ..archive import Archive, Listener

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143

# Upper bounds for numeric options: large enough for any real use, small enough for SQLite's
# 64-bit integers and for timers (an unbounded --limit overflowed deep inside the catalog).
MAX_COUNT = 1_000_000_000
MAX_SECONDS = 7 * 24 * 3600

ARCHIVE_HELP = "The archive directory (default: the current directory). Accepted before or after the command."


def count_option(*, minimum: int = 1) -> click.IntRange:
    """A bounded count for options such as ``--limit``."""
    return click.IntRange(minimum, MAX_COUNT)


def seconds_option(*, minimum: float = 0.0) -> click.FloatRange:
    """A bounded duration in seconds for options such as ``--timeout``."""
    return click.FloatRange(minimum, MAX_SECONDS)


class Stopped(SystemExit):
    """Raised when newsvault is told to stop (SIGTERM, Ctrl-C).

    A SystemExit, so that ``except Exception`` blocks do not swallow it, asyncio lets it out of
    the event loop (it logs and drops other BaseExceptions raised in callbacks), and ``with
    archive.batch()`` aborts and removes its temp files on the way out.
    """

    def __init__(self, how: str, code: int) -> None:
        super().__init__(code)
        self.how = how


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise Stopped("terminated (SIGTERM)", EXIT_TERMINATED)


def _set_archive_dir(ctx: click.Context, param: click.Parameter, value: Path | None) -> None:
    # The same -C option sits on the group and on every command; the last one given wins.
    if value is not None:
        ctx.ensure_object(dict)["archive_dir"] = value


def _archive_option() -> click.Option:
    return click.Option(
        ["-C", "--archive", "archive_dir"],
        type=click.Path(file_okay=False, path_type=Path),
        metavar="DIR",
        expose_value=False,
        is_eager=True,
        callback=_set_archive_dir,
        help=ARCHIVE_HELP,
    )


class NewsvaultCommand(click.Command):
    """A command that also takes ``-C DIR`` after its name (``newsvault ls -C DIR``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.params.append(_archive_option())


class QueryCommand(NewsvaultCommand):
    """A command whose words are a query in which ``-word`` means "without word".

    Every argument that is not one of the command's own options is a query word, wherever it
    stands: ``search '-加沙'``, ``search 加沙 -香港 --limit 3`` and ``search -- -x`` all work.
    Options are recognised by their exact names (``--limit 3`` or ``--limit=3``).
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        options: dict[str, bool] = {}  # option name -> takes a value
        for param in self.get_params(ctx):
            if isinstance(param, click.Option):
                for name in (*param.opts, *param.secondary_opts):
                    options[name] = not param.is_flag and not param.count
        own: list[str] = []
        words: list[str] = []
        rest = iter(args)
        for arg in rest:
            name = arg.split("=", 1)[0] if arg.startswith("--") else arg
            if arg == "--":
                words.extend(rest)
            elif name in options:
                own.append(arg)
                value = next(rest, None) if options[name] and "=" not in arg else None
                if value is not None:
                    own.append(value)
            else:
                words.append(arg)
        return super().parse_args(ctx, [*own, "--", *words])


class NewsvaultGroup(click.Group):
    """The command group: ``-C DIR`` everywhere, and every failure as one line on stderr."""

    command_class = NewsvaultCommand
    group_class = type  # subgroups (``newsvault source``) are NewsvaultGroups too

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.params.append(_archive_option())
        self.modules: dict[str, str] = {}  # command name -> the module that defines it

    def lazy(self, modules: Mapping[str, str]) -> None:
        """Import each command's module only when the command runs: an hourly ``collect``
        need not load the code of twenty other commands (``--help`` loads them all)."""
        self.modules.update(modules)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.modules:
            import_module(self.modules[cmd_name])
        if cmd_name not in self.commands:
            self._load_all()  # a name the table does not know yet: look everywhere first
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load_all()
        return super().list_commands(ctx)

    def _load_all(self) -> None:
        for module in dict.fromkeys(self.modules.values()):
            import_module(module)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            # Handled here rather than by click, which prints an empty line and "Aborted!".
            raise Stopped("interrupted", EXIT_INTERRUPTED) from None

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:  # a caller (the demo, a script) handles errors itself
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        previous = _install(signal.SIGTERM, _on_sigterm)
        try:
            code = self._run(args, prog_name or "newsvault", complete_var, **extra)
        finally:
            _install(signal.SIGTERM, previous)
        sys.exit(code)

    def _run(self, args: Sequence[str] | None, prog_name: str, complete_var: str | None, **extra: Any) -> int:
        try:
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.exceptions.NoArgsIsHelpError as e:
            click.echo(e.ctx.get_help() if e.ctx else "")
            return EXIT_USAGE
        except click.UsageError as e:
            return fail(_usage_message(e), EXIT_USAGE)
        except click.ClickException as e:
            return fail(e.format_message(), e.exit_code)
        except click.Abort:
            return fail("interrupted", EXIT_INTERRUPTED)
        except Stopped as e:
            # Stopped mid-await, the event loop's pending coroutines are dropped on purpose:
            # their "never awaited" warnings at exit would be noise after the one-line message.
            warnings.filterwarnings("ignore", message="coroutine .* was never awaited", category=RuntimeWarning)
            return fail(e.how, int(e.code or 0))
        except Exception as e:
            if os.environ.get("NEWSVAULT_DEBUG"):
                raise
            return fail(describe_exception(e), EXIT_ERROR)
        # standalone_mode=False returns ctx.exit()'s code, or the command's return value (None)
        return result if isinstance(result, int) else 0


def _install(signum: int, handler: Any) -> Any:
    try:
        return signal.signal(signum, handler)
    except ValueError:  # not the main thread (e.g. a test runner's worker): leave signals alone
        return handler


def one_line(message: str) -> str:
    return " ".join(part.strip() for part in str(message).splitlines() if part.strip())


def fail(message: str, code: int) -> int:
    """Print the one-line error and return the exit code."""
    click.echo(f"newsvault: error: {one_line(message)}", err=True)
    return code


def _usage_message(e: click.UsageError) -> str:
    message = e.format_message()
    message = message[:1].lower() + message[1:]
    if e.ctx is not None:
        command = " ".join(["newsvault", *e.ctx.command_path.split()[1:]])  # whatever name ran us
        message = message.rstrip(".") + f" (see '{command} --help')"
    return message


def describe_exception(e: BaseException) -> str:
    """An error newsvault did not anticipate, in the user's terms (one line, no traceback)."""
    from ..errors import NewsvaultError

    if isinstance(e, NewsvaultError):
        return str(e)
    if isinstance(e, OSError):
        return _describe_os_error(e)
    import sqlite3

    if isinstance(e, sqlite3.DatabaseError):
        return (
            f"the archive's derived data in .newsvault/ cannot be used ({e}); "
            "'newsvault fsck --repair' rebuilds it from the record files"
        )
    return f"unexpected {type(e).__name__}: {e} (NEWSVAULT_DEBUG=1 shows where)"


_OS_HINTS = {
    errno.ENOSPC: "free some space and run the command again",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "check the permissions",
    errno.EPERM: "check the permissions",
}


def _describe_os_error(e: OSError) -> str:
    what = e.strerror or str(e)
    where = f"{e.filename}: " if e.filename else ""
    hint = _OS_HINTS.get(e.errno or 0)
    return f"{where}{what}" + (f" ({hint}; nothing archived was changed)" if hint else "")


# ---------------------------------------------------------------------------------------------
# The group
# ---------------------------------------------------------------------------------------------


def _print_version(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from .. import __version__

    click.echo(f"newsvault {__version__}")
    ctx.exit()


@click.group(cls=NewsvaultGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_print_version, help="Show the version and exit.")
@click.pass_context
def main(ctx: click.Context) -> None:
    """newsvault: keep news that might disappear.

    Archives news feeds as plain-text records in a git-friendly directory, keeps every version,
    notices deletions, and makes it all searchable and readable offline.

    Exit status: 0 success, 1 error, 2 usage error, 3 collect where some sources failed.
    """
    ctx.ensure_object(dict).setdefault("archive_dir", Path("."))


def archive_dir(ctx: click.Context) -> Path:
    obj = ctx.find_root().ensure_object(dict)
    return Path(obj.get("archive_dir", Path(".")))


def warn(message: str) -> None:
    click.echo(f"newsvault: warning: {one_line(message)}", err=True)


def open_archive(
    ctx: click.Context,
    *,
    recover: bool = True,
    listeners: Iterable[Listener] | None = None,
    catch_up: bool = True,
    work_tree: bool = True,
    read_history: bool = True,
) -> Archive:
    """The archive of ``-C DIR``, opened through the composition root (listeners, recovery,
    catching up with git and the work tree; ``work_tree`` false: committed changes only)."""
    from .. import compose

    archive = compose.open_archive(archive_dir(ctx), recover=recover, listeners=listeners, catch_up=catch_up, work_tree=work_tree, warn=warn, read_history=read_history)
    ctx.call_on_close(archive.close)
    return archive


def check_sources(archive: Archive, slugs: Sequence[str]) -> None:
    """``--source`` names a source the archive follows or holds articles of; anything else is an
    error (exit 1) naming the known ones, rather than an empty answer that looks like "nothing"."""
    configured = {s.slug for s in archive.config.sources}
    unknown = [s for s in slugs if s not in configured and archive.catalog.count_articles(s) == 0]
    if unknown:
        known = sorted(configured | set(archive.catalog.stats()["sources"]))
        raise click.ClickException(f"no source {unknown[0]!r} in this archive (known: {', '.join(known) or 'none yet'})")


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def is_tty() -> bool:
    return sys.stdout.isatty()


def fmt_time(ms: int | None, tz: timezone | ZoneInfo = UTC, with_seconds: bool = False) -> str:
    if ms is None:
        return "-"
    dt = datetime.fromtimestamp(ms / 1000, tz=tz)
    return dt.strftime("%Y-%m-%d %H:%M:%S" if with_seconds else "%Y-%m-%d %H:%M")


def parse_date(value: str | None, param: str, end: bool = False) -> int | None:
    """A CLI date as epoch ms, as :func:`newsvault.dates.parse_day` reads it: ``--since DAY``
    from that day's start, ``--until DAY`` (``end``) up to its end. A bad one is a usage error."""
    if value is None:
        return None
    try:
        return parse_day(value, end=end, what=param)
    except QueryError as e:
        raise click.BadParameter(str(e).removeprefix(f"{param} "), param_hint=param) from None


class Progress:
    """A rich progress bar when stdout is a terminal; silence otherwise (parseable output)."""

    def __init__(self, description: str, enabled: bool | None = None):
        self.enabled = is_tty() if enabled is None else enabled
        self.description = description
        self._progress: Any = None
        self._task: Any = None

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

    def __exit__(self, *exc: Any) -> None:
        if self._progress is not None:
            self._progress.__exit__(*exc)


def _cell_len(text: str) -> int:
    """Columns ``text`` takes in a terminal (rich is imported only for text that is not ASCII:
    collect's report, a column of slugs, never needs it)."""
    if text.isascii():
        return len(text)
    from rich.cells import cell_len

    return cell_len(text)


def iter_lines(rows: list[list[str]]) -> Iterator[str]:
    """Left-aligned columns separated by two spaces (CJK-width aware)."""
    if not rows:
        return
    widths = [max(_cell_len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    for r in rows:
        cells = [c + " " * (widths[i] - _cell_len(c)) for i, c in enumerate(r[:-1])]
        yield "  ".join(cells + [r[-1]])


__all__ = [
    "main", "open_archive", "check_sources", "archive_dir", "emit_json", "is_tty", "fmt_time", "parse_date", "Progress", "iter_lines",
    "count_option", "seconds_option", "fail", "warn", "describe_exception", "Stopped", "QueryCommand",
]
