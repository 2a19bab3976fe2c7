"""Media commands: media backfill, media ls, media stats (article images, see docs/media.md)."""

from __future__ import annotations

import click

from ._app import check_sources, count_option, emit_json, fmt_time, iter_lines, main, open_archive, seconds_option


@main.group()
def media() -> None:
    """Article images: fetch them for archived records, list them, count them."""


@media.command()
@click.option("--source", help="Only this source's articles.")
@click.option("--limit", type=count_option(), help="Fetch at most this many images in this run.")
@click.option("--timeout", type=seconds_option(minimum=0.1), help="Seconds per request (default 20).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON report.")
@click.pass_context
def backfill(ctx: click.Context, source: str | None, limit: int | None, timeout: float | None, as_json: bool) -> None:
    """Fetch the images of archived articles that were never fetched, or failed and are due again.

    Works whether or not [media] fetch is on; the [media] size limits and budgets apply.
    Record files are never changed.
    """
    from ..evidence import recorder_for
    from ..fetch import FetchPolicy
    from ..media import backfill as run_backfill

    archive = open_archive(ctx)
    check_sources(archive, [source] if source else [])
    policy = FetchPolicy(capture=recorder_for(archive))  # WARC evidence, as collect and recheck
    if timeout is not None:
        policy.timeout, policy.deadline = timeout, max(timeout * 3, timeout + 1)
    report = run_backfill(archive, source=source, limit=limit, policy=policy)
    from .collect_cmds import _seal

    _seal(archive, policy, "backfill", quiet=as_json)  # a manifest of the images it stored, as collect writes
    if as_json:
        emit_json(report.as_dict())
        return
    click.echo(report.summary())
    for w in report.warnings:
        click.echo(f"warning: {w}", err=True)


@media.command(name="ls")
@click.option("--source", help="Only this source's images.")
@click.option("--failed", is_flag=True, help="Only images not kept (and why).")
@click.option("--limit", type=count_option(), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@click.pass_context
def ls_media(ctx: click.Context, source: str | None, failed: bool, limit: int, as_json: bool) -> None:
    """List images, newest first: status, size, file (or the reason it is missing), URL."""
    from dataclasses import asdict

    from ..media import open_store

    archive = open_archive(ctx)
    check_sources(archive, [source] if source else [])
    with open_store(archive) as store:
        rows = [r for r in store.rows(source=source, limit=None if failed else limit) if not failed or r.status != "ok"][:limit]
    if as_json:
        emit_json([{**asdict(r), "file": r.rel} for r in rows])
        return
    table = []
    for r in rows:
        where = f"media/{r.rel}" if r.status == "ok" and r.rel else (r.error or "not fetched yet")
        size = f"{r.width}x{r.height} {r.size / 1024:.0f} KB" if r.status == "ok" and r.size is not None else ""
        table.append([fmt_time(r.first_seen), r.source, r.status, size, where[:80], r.url])
    for line in iter_lines(table):
        click.echo(line)


@media.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
def stats(ctx: click.Context, as_json: bool) -> None:
    """Images by status, and the bytes kept (each file counted once)."""
    from ..media import open_store

    archive = open_archive(ctx)
    with open_store(archive) as store:
        counts = store.counts()
        total = store.bytes_stored()
        where = store.dir
    if as_json:
        emit_json({"statuses": counts, "bytes": total, "dir": str(where)})
        return
    rows = [[status, str(n)] for status, n in counts.items()] or [["(no images yet)", "0"]]
    for line in iter_lines([["status", "images"], *rows]):
        click.echo(line)
    click.echo(f"{total / 1024 / 1024:.1f} MB in {where}")
