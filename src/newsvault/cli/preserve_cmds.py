"""Preservation commands: history, recheck, deleted, fsck."""

from __future__ import annotations

import re

import click

from ._app import (
    MAX_COUNT,
    archive_dir,
    check_sources,
    count_option,
    emit_json,
    fmt_time,
    is_tty,
    iter_lines,
    main,
    open_archive,
    seconds_option,
)

MAX_AGE_SECONDS = 100 * 365 * 86400


def _style(op: str, text: str) -> str:
    if op == "delete":
        return click.style(text, fg="red", strikethrough=True)
    return click.style(text, fg="green", bold=True)


@main.command()
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (versions and full diffs).")
@click.option("--context", type=click.IntRange(0, MAX_COUNT), default=1, show_default=True, help="Unchanged paragraphs shown around each change.")
@click.pass_context
def history(ctx: click.Context, ref: str, as_json: bool, context: int) -> None:
    """List the versions of an article (by id, id prefix, URL or path) and what changed.

    Deletions are marked [-like this-], insertions {+like this+} (in colour on a terminal).
    """
    from ..preserve.diff import render_diff
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
        if c.significance is not None and c.significance.minor and c.significance.ways:
            kind += f"  [minor: {', '.join(c.significance.ways)}]"  # kept, left out of change feeds
        elif c.significance is not None and c.significance.title:
            kind += "  [title changed]"
        click.echo(f"── v{c.old.rev} → v{c.new.rev}  seen {fmt_time(c.new.seen)} UTC{kind} ──")
        if c.title_segments is not None:
            click.echo("title: " + render_diff(c.title_segments, context=0, style=style))
        body = render_diff(c.segments, context=context, style=style)
        if body and not re.fullmatch(r"(⋯ .*\n?)*", body):
            click.echo(body)


_AGE = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw]?)")
_AGE_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def _parse_age(value: str | None) -> float | None:
    if value is None:
        return None
    m = _AGE.fullmatch(value.strip().lower())
    if not m:
        raise click.BadParameter(f"{value!r} is not an age; use e.g. 30m, 12h, 1d, 2w", param_hint="--older-than")
    age = float(m.group(1)) * _AGE_UNITS[m.group(2)]
    if age > MAX_AGE_SECONDS:
        raise click.BadParameter(f"{value!r} is more than 100 years", param_hint="--older-than")
    return age


@main.command()
@click.option("--source", help="Only articles of this source.")
@click.option("--older-than", "older_than", metavar="AGE", help="Only articles not checked within AGE (30m, 12h, 1d, 2w); never-checked ones come first.")
@click.option("--limit", type=count_option(), help="Check at most this many articles.")
@click.option("--delay", type=seconds_option(), default=1.0, show_default=True, help="Seconds between two requests to the same host.")
@click.option("--timeout", type=seconds_option(minimum=0.1), default=20.0, show_default=True, help="Seconds before a request counts as failing.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object: counts and every result.")
@click.pass_context
def recheck(ctx: click.Context, source: str | None, older_than: str | None, limit: int | None, delay: float, timeout: float, as_json: bool) -> None:
    """Revisit archived articles at their source: live, changed (a new revision is archived),
    gone (404/410), redirected away (a soft deletion) or failing (checked again next time).

    Results are appended to checks/<source>.jsonl in the archive (commit them with the records).
    """
    from ..evidence import recorder_for
    from ..preserve.recheck import RecheckPolicy, select_articles
    from ..preserve.recheck import recheck as run_recheck
    from ._app import Progress

    age = _parse_age(older_than)
    archive = open_archive(ctx)
    check_sources(archive, [source] if source else [])
    articles = select_articles(archive, source=source, older_than=age, limit=limit)
    recorder = recorder_for(archive)
    with Progress("checking") as bar:
        results = run_recheck(archive, articles=articles, policy=RecheckPolicy(delay=delay, timeout=timeout, capture=recorder), progress=bar.update)
    from ..evidence.seal import seal_pass

    _, stamped = seal_pass(archive, recorder, "recheck")
    if stamped.error and not as_json:
        click.echo(f"newsvault: warning: timestamping failed, retried next pass: {stamped.error}", err=True)
    counts = {s: 0 for s in ("live", "changed", "gone", "redirected", "failing")}
    for r in results:
        counts[r.status] += 1
    if as_json:
        emit_json({"checked": len(results), **counts, "results": [r.as_dict() for r in results]})
        return
    click.echo(f"checked {len(results)}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    rows = []
    for r in results:
        if r.status == "live" and not r.final_url:
            continue
        detail = (r.path if r.status == "changed" else r.reason) or ""
        rows.append([r.status, r.id, r.url or "", detail])
    for line in iter_lines(rows):
        click.echo(line)


@main.command()
@click.option("--source", help="Only this source.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@click.pass_context
def deleted(ctx: click.Context, source: str | None, as_json: bool) -> None:
    """List articles deleted at their source (已删除), with the date it was noticed."""
    from ..preserve.checks import deleted_articles, last_conclusive

    archive = open_archive(ctx)
    check_sources(archive, [source] if source else [])
    gone = deleted_articles(archive)
    latest = last_conclusive(archive.root)
    items = []
    shown = []
    for aid, noticed in sorted(gone.items(), key=lambda kv: (-kv[1], kv[0])):
        article = archive.catalog.get(aid)
        if article is None or (source and article.source != source):
            continue
        shown.append((aid, noticed, article))
        last = latest.get(aid, {})
        items.append({
            "id": aid, "source": article.source, "title": article.title, "url": article.url, "noticed": noticed,
            "status": last.get("status"), "http": last.get("http"), "reason": last.get("reason"), "last_checked": last.get("checked"),
        })
    if as_json:
        emit_json(items)
        return
    if not items:
        click.echo("no deleted articles noticed" + (" (run 'newsvault recheck' to check)" if not latest else ""))
        return
    rows = [[aid, f"已删除 {fmt_time(noticed)[:10]}", article.source, article.title] for aid, noticed, article in shown]
    for line in iter_lines(rows):
        click.echo(line)


@main.command()
@click.option("--repair", is_flag=True, help="Rebuild what is derived (catalog, search index), finish interrupted writes, remove stray temp files. Never touches a record file.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
def fsck(ctx: click.Context, repair: bool, as_json: bool) -> None:
    """Check record files, catalog, revisions and search index against each other.

    Exits 0 when the archive is consistent (after repair, with --repair), 1 when problems remain.
    """
    # Look before anything changes; what git brought (a pull, a checkout) is not a problem and
    # is taken in first; a hand edit or deletion is left for the check to report.
    # An archive never opened here (no state folder at all: a fresh clone, a repository the
    # original archiver wrote) has no catalog to be damaged: it is built first, as by any command.
    from ..archive import STATE_DIR
    from ..preserve.fsck import fsck as run_fsck
    from ._app import Progress

    first_open = not (archive_dir(ctx) / STATE_DIR).exists()
    archive = open_archive(ctx, recover=first_open, work_tree=False)
    if first_open and not as_json:
        click.echo("built the catalog from the records (the first command here)")
    with Progress("checking") as bar:
        report = run_fsck(archive, repair=repair, progress=bar.update)
    if as_json:
        emit_json(report.as_dict())
    else:
        for p in report.repaired:
            click.echo(f"repaired  {p.kind:<18} {p.path or ''}  {p.detail}")
        for a in report.actions:
            click.echo(f"action    {a}")
        for p in report.problems:
            tag = "problem " if p.repairable else "DAMAGED "
            click.echo(f"{tag}  {p.kind:<18} {p.path or ''}  {p.detail}")
        state = "clean" if report.clean else f"{len(report.problems)} problem{'s' if len(report.problems) > 1 else ''}"
        hint = "" if report.clean or repair or not any(p.repairable for p in report.problems) else "; 'newsvault fsck --repair' mends the derivable ones"
        click.echo(f"{report.files} record files, {report.catalogued} catalogued: {state}{hint} ({report.seconds:.2f} s)")
    if not report.clean:
        ctx.exit(1)
