"""Preservation commands: history, recheck, deleted, fsck."""

from __future__ import annotations

import re

import click

from ..preserve.diff import render_diff
from ._app import emit_json, fmt_time, is_tty, iter_lines, main, open_archive


def _style(op: str, text: str) -> str:
    if op == "delete":
        return click.style(text, fg="red", strikethrough=True)
    return click.style(text, fg="green", bold=True)


@main.command()
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (versions and full diffs).")
@click.option("--context", type=click.IntRange(min=0), default=1, show_default=True, help="Unchanged paragraphs shown around each change.")
@click.pass_context
def history(ctx: click.Context, ref: str, as_json: bool, context: int) -> None:
    """List the versions of an article (by id, id prefix, URL or path) and what changed.

    Deletions are marked [-like this-], insertions {+like this+} (in colour on a terminal).
    """
    from ..preserve.history import article_history

    archive = open_archive(ctx)
    h = article_history(archive, ref)
    if as_json:
        emit_json(h.as_dict())
        return
    a = h.article
    click.echo(a.title)
    click.echo(f"id {a.id}  source {a.source}  {len(h.versions)} version{'s' if len(h.versions) > 1 else ''}  {a.url}")
    if h.deleted is not None:
        click.echo(f"已删除: gone from its source, noticed {fmt_time(h.deleted)} UTC")
    click.echo("")
    changes = {c.new.rev: c for c in h.changes}
    rows = []
    for v in h.versions:
        when = f"seen {fmt_time(v.seen)}" if v.seen is not None else f"published {fmt_time(a.published)}"
        c = changes.get(v.rev)
        delta = "" if v.rev == 0 else ("(same text)" if c is None else "(markup only)" if c.markup_only else f"(+{c.inserted} −{c.deleted})")
        rows.append([f"v{v.rev}", when, delta, v.path])
    for line in iter_lines(rows):
        click.echo(line)
    style = _style if is_tty() else None
    for c in h.changes:
        click.echo("")
        kind = "  [HTML only]" if c.markup_only else ""
        click.echo(f"── v{c.old.rev} → v{c.new.rev}  seen {fmt_time(c.new.seen)} UTC{kind} ──")
        if c.title_segments is not None:
            click.echo("title: " + render_diff(c.title_segments, context=0, style=style))
        body = render_diff(c.segments, context=context, style=style)
        if body and not re.fullmatch(r"(⋯ .*\n?)*", body):
            click.echo(body)
