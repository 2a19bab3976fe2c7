"""Collector commands: source add/ls/rm/import-opml/export-opml, collect, watch."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import click

from ..errors import ConfigError, NewsvaultError
from ._app import EXIT_INTERRUPTED, MAX_SECONDS, Stopped, archive_dir, emit_json, iter_lines, main, open_archive, seconds_option

if TYPE_CHECKING:
    from ..archive import Archive
    from ..collect import PassReport
    from ..collect.gitops import PushResult
    from ..config import Source
    from ..fetch import FetchPolicy

EXIT_SOME_FAILED = 3
MAX_RETRIES = 100


def _save_config(archive: Archive) -> None:
    from ..archive import write_atomic
    from ..config import CONFIG_NAME

    write_atomic(archive.root / CONFIG_NAME, archive.config.dump())


def _check_url(url: str) -> str:
    scheme = urlsplit(url).scheme.lower()
    if scheme not in ("http", "https", "file") or (scheme != "file" and not urlsplit(url).hostname):
        raise click.BadParameter(f"{url!r} is not an http(s):// or file:// URL", param_hint="URL")
    return url


def _policy(archive: Archive, timeout: float | None, retries: int | None) -> FetchPolicy:
    """The fetch policy of collect and watch: the options given, and WARC evidence of every
    exchange when the archive's ``[capture] warc`` is on."""
    from ..evidence import recorder_for
    from ..fetch import FetchPolicy

    policy = FetchPolicy(capture=recorder_for(archive))
    if timeout is not None:
        policy.timeout = timeout
        policy.deadline = max(timeout * 3, timeout + 1)
    if retries is not None:
        policy.retries = retries
    return policy


def _pick_sources(archive: Archive, slugs: tuple[str, ...]) -> list[Source]:
    sources = archive.config.sources
    if not sources:
        raise click.UsageError("this archive follows no sources yet; add one with 'newsvault source add SLUG URL'")
    if not slugs:
        return list(sources)
    picked: list[Source] = []
    for slug in slugs:
        s = archive.config.source(slug)
        if s is None:
            raise click.ClickException(f"no source {slug!r} to collect (known: {', '.join(x.slug for x in sources)})")
        picked.append(s)
    return picked


# ---------------------------------------------------------------------------------------------
# newsvault source …
# ---------------------------------------------------------------------------------------------


@main.group()
def source() -> None:
    """Manage the outlets this archive follows (stored in newsvault.toml)."""


@source.command("add")
@click.argument("slug")
@click.argument("urls", nargs=-1, required=True, metavar="URL...")
@click.option("--name", help="Display name (e.g. 法广); default: the slug.")
@click.option("--body", type=click.Choice(["feed", "page"]), help="Article body from the feed item, or from the article page.")
@click.option("--selector", help="CSS selector of the article body on pages (implies --body page).")
@click.option("--category", help="Only archive items with a category matching this regex.")
@click.option("--interval", type=click.IntRange(60, MAX_SECONDS), default=3600, show_default=True, help="Seconds between polls (watch).")
@click.pass_context
def source_add(ctx: click.Context, slug: str, urls: tuple[str, ...], name: str | None, body: str | None, selector: str | None, category: str | None, interval: int) -> None:
    """Follow a new outlet: SLUG names its folder, URL its feed(s)."""
    from ..config import Source
    from ..extract import check_selector

    for url in urls:
        _check_url(url)
    if selector:
        try:
            check_selector(selector)
        except ValueError as e:
            raise click.BadParameter(str(e), param_hint="--selector") from None
    archive = open_archive(ctx)
    if archive.config.source(slug) is not None:
        raise ConfigError(f"source {slug!r} exists already; remove it first ('newsvault source rm {slug}') or choose another slug")
    try:
        new = Source(slug, name or slug, list(urls), body=body or ("page" if selector else "feed"), selector=selector, category=category, interval=interval)
    except ConfigError as e:
        raise click.BadParameter(str(e)) from None
    archive.config.sources.append(new)
    _save_config(archive)
    click.echo(f"added source {slug} ({new.name}): {len(urls)} feed{'s' if len(urls) > 1 else ''}, body from {new.body}")


@source.command("ls")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@click.pass_context
def source_ls(ctx: click.Context, as_json: bool) -> None:
    """List the sources this archive follows."""
    from ..health import any_pass_recorded, health_rows, source_health

    archive = open_archive(ctx)
    sources = archive.config.sources
    health = source_health(archive, [s.slug for s in sources])
    if as_json:
        emit_json([
            {"slug": s.slug, "name": s.name, "feeds": s.feeds, "body": s.body, "selector": s.selector, "category": s.category, "interval": s.interval,
             "hosts": s.hosts, "allow_private": archive.config.private_allowed(s), "health": health[s.slug].as_dict()}
            for s in sources
        ])
        return
    if not sources:
        click.echo("no sources; add one with 'newsvault source add SLUG URL'")
        return
    rows = [["slug", "name", "body", "every", "feeds"]]
    for s in sources:
        body = s.body + (f" ({s.selector})" if s.selector else "")
        rows.append([s.slug, s.name, body, f"{s.interval // 60} min", " ".join(s.feeds)])
    for line in iter_lines(rows):
        click.echo(line)
    private = [s.slug for s in sources if archive.config.private_allowed(s)]
    if private:  # worth knowing: these feeds may reach this machine's own network
        click.echo(f"private and loopback addresses allowed for: {', '.join(private)}")
    if any_pass_recorded(health):  # nothing to say before the first collect pass
        click.echo("")
        for line in iter_lines(health_rows(health)):
            click.echo(line)


@source.command("rm")
@click.argument("slug")
@click.pass_context
def source_rm(ctx: click.Context, slug: str) -> None:
    """Stop following SLUG (its archived articles stay)."""
    archive = open_archive(ctx)
    s = archive.config.source(slug)
    if s is None:
        raise ConfigError(f"no source {slug!r} in this archive")
    archive.config.sources.remove(s)
    _save_config(archive)
    click.echo(f"removed source {slug}; its archived articles are kept")


@source.command("import-opml")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def source_import_opml(ctx: click.Context, file: Path) -> None:
    """Add the feeds of an OPML file (sources whose slug exists are skipped)."""
    from ..collect.opml import read_opml

    archive = open_archive(ctx)
    imported = read_opml(file.read_bytes(), name=str(file))
    added, skipped = [], []
    for s in imported:
        if archive.config.source(s.slug) is not None:
            skipped.append(s.slug)
        else:
            archive.config.sources.append(s)
            added.append(s.slug)
    if added:
        _save_config(archive)
    click.echo(f"added {len(added)} source{'s' if len(added) != 1 else ''}" + (f": {_some(added)}" if added else ""))
    if skipped:
        click.echo(f"skipped {len(skipped)} existing: {_some(skipped)}")
    click.echo(f"{file.name}: {len(imported)} sources; the archive follows {len(archive.config.sources)} sources ('newsvault source ls' lists them)")


def _some(slugs: list[str], shown: int = 10) -> str:
    """The first few slugs of a long list: an OPML file of 2,000 feeds is a summary, not a line."""
    more = len(slugs) - shown
    return ", ".join(slugs[:shown]) + (f" and {more:,} more" if more > 0 else "")


@source.command("export-opml")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file (default: stdout).")
@click.pass_context
def source_export_opml(ctx: click.Context, output: Path | None) -> None:
    """Write the sources as OPML (readable by any feed reader; round-trips through import-opml)."""
    from ..archive import write_atomic
    from ..collect.opml import write_opml

    archive = open_archive(ctx)
    text = write_opml(archive.config.sources, title=archive.config.name)
    if output:
        write_atomic(output, text)
        click.echo(f"wrote {len(archive.config.sources)} sources to {output}")
    else:
        click.echo(text, nl=False)


# ---------------------------------------------------------------------------------------------
# newsvault collect / watch
# ---------------------------------------------------------------------------------------------


def _print_report(report: PassReport) -> None:
    rows = []
    for s in report.sources:
        if s.failed:
            status = f"FAILED: {s.reason}"
        else:
            status = f"{s.new} new, {s.revised} revised, {s.unchanged} unchanged"
            extras = []
            if s.not_modified:
                extras.append(f"{s.not_modified} feed{'s' if s.not_modified > 1 else ''} not modified")
            if s.skipped:
                extras.append(f"{s.skipped} filtered out")
            if s.duplicates:
                extras.append(f"{s.duplicates} duplicates")
            if extras:
                status += f" ({', '.join(extras)})"
        if s.failed and (s.new or s.revised):
            status = f"{s.new} new, {s.revised} revised; " + status
        rows.append([s.slug, status])
    for line in iter_lines(rows):
        click.echo(line)
    for s in report.sources:
        for w in s.warnings[:3]:
            click.echo(f"{s.slug}: warning: {w}", err=True)
    t = report.totals()
    click.echo(f"{len(report.sources)} sources in {report.seconds:.1f} s: {t['new']} new, {t['revised']} revised, {t['failed']} failed")


def _seal(archive: Archive, policy: FetchPolicy, kind: str, quiet: bool = False) -> None:
    """The pass's manifest and its time-stamp token (docs/evidence.md); a failing TSA is a
    warning, retried next pass."""
    from ..evidence.seal import seal_pass
    from ..evidence.warc import WarcRecorder

    recorder = policy.capture if isinstance(policy.capture, WarcRecorder) else None
    _, stamped = seal_pass(archive, recorder, kind)
    if stamped.error and not quiet:
        click.echo(f"newsvault: warning: timestamping failed, retried next pass: {stamped.error}", err=True)


def _commit_and_push(archive: Archive, report: PassReport, commit: bool, push: bool, quiet: bool = False) -> list[PushResult]:
    """The end of an hourly pass: one commit of the records and the lists they change, then a
    push to every remote (a rejected push is replayed onto the remote's branch; see gitops)."""
    from ..collect import commit_message

    if commit:
        from ..collect.gitops import commit_paths, mark_catalog

        paths = list(report.paths)
        if paths:
            from ..evidence.seal import evidence_files

            paths += _regenerate(archive, {archive.source_of(p) for p in paths})
            paths += evidence_files(archive)  # manifests and tokens travel with the records
        sha = commit_paths(archive.root, paths, commit_message(report))
        mark_catalog(archive)
        report.commit = sha
        if not quiet:
            click.echo(f"committed {sha[:10]}: {commit_message(report).splitlines()[0]}" if sha else "nothing new to commit")
    if not push:
        return []
    results = _push_everywhere(archive)
    for r in results:
        if r.ok and not quiet:
            click.echo(f"{r.remote}: {r.detail}")
        elif not r.ok:
            click.echo(f"newsvault: warning: push to {r.remote} failed: {r.detail}", err=True)
    if not any(r.ok for r in results):
        from ..collect.gitops import GitError

        raise GitError(f"push failed on every remote ({', '.join(r.remote for r in results)}); the commit is kept and the next pass pushes it")
    return results


def _regenerate(archive: Archive, sources: set[str]) -> list[str]:
    """Rewrite the lists of ``sources`` and the README index, and with ``[digest] hourly`` the
    day's digest (today in the digest's zone); return the files that changed."""
    from ..publish.lists import build_lists

    written = build_lists(archive, sources=sources).written
    if archive.config.digest.hourly:
        from datetime import datetime

        from ..publish.digest import digest_zone
        from ..publish.digest_files import HOURLY_DIR, write_digest_files

        _, tz = digest_zone(archive)
        files = write_digest_files(archive, datetime.now(tz).date(), archive.root / HOURLY_DIR)
        written += [archive.rel(p) for p in files.written]
    return written


def _replay(archive: Archive, ref: str) -> None:
    from ..collect.gitops import replay_onto

    replay_onto(archive, ref, lambda sources: _regenerate(archive, sources))


def _push_everywhere(archive: Archive) -> list[PushResult]:
    from ..collect.gitops import pick_remotes, push_all

    remotes = pick_remotes(archive.root, archive.config.git_remotes)
    return push_all(archive.root, remotes, replay=lambda ref: _replay(archive, ref))


@main.command()
@click.option("--source", "slugs", multiple=True, help="Only this source (repeatable).")
@click.option("--commit", is_flag=True, help="Make one git commit of what this pass archived and the lists it changed (none when nothing changed).")
@click.option("--push", is_flag=True, help="Push to every remote ([git] remotes in newsvault.toml, default: all); a rejected push is replayed and retried.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--timeout", type=seconds_option(minimum=0.1), help="Seconds to wait for a server, per attempt (default 20).")
@click.option("--retries", type=click.IntRange(0, MAX_RETRIES), help="Retries after a failed attempt (default 3).")
@click.pass_context
def collect(ctx: click.Context, slugs: tuple[str, ...], commit: bool, push: bool, as_json: bool, timeout: float | None, retries: int | None) -> None:
    """Fetch every source once and archive what is new or changed.

    Exit status: 0 when every source succeeded, 3 when some sources or some remotes failed (the
    others were still archived and pushed), 1 when every push failed, 2 on usage errors.
    """
    import signal

    from ..archive import CATALOG_FILE, STATE_DIR
    from ..collect import run_pass, run_stoppable
    from ..compose import deferred_listeners

    cached = (archive_dir(ctx) / STATE_DIR / CATALOG_FILE).exists()
    # The pass queues its articles for the search index: the next search indexes them.
    archive = open_archive(ctx, listeners=deferred_listeners())
    sources = _pick_sources(archive, slugs)
    if commit or push:
        from ..collect.gitops import check_repo, sync_catalog

        check_repo(archive.root)
        sync_catalog(archive, fresh=not cached)  # a cached catalog may predate HEAD
    # SIGTERM ends the pass at an await and then the process; Ctrl-C ends the pass, and what
    # it archived is still committed below.
    policy = _policy(archive, timeout, retries)
    report = run_stoppable(run_pass(archive, sources, policy), reraise=(signal.SIGTERM,))
    _seal(archive, policy, "collect", quiet=as_json)
    pushes: list[PushResult] = []
    if as_json:
        try:
            pushes = _commit_and_push(archive, report, commit, push, quiet=True)
        finally:
            emit_json({**report.as_dict(), **({"pushes": [vars(r) for r in pushes]} if push else {})})
    else:
        _print_report(report)
        pushes = _commit_and_push(archive, report, commit, push)
    if report.interrupted:  # Ctrl-C: what was archived before it is kept (and committed)
        raise Stopped("interrupted", EXIT_INTERRUPTED)
    if not report.ok or not all(r.ok for r in pushes):
        ctx.exit(EXIT_SOME_FAILED)


@main.command()
@click.option("--source", "slugs", multiple=True, help="Only this source (repeatable).")
@click.option("--commit", is_flag=True, help="Commit after each pass that archived something.")
@click.option("--push", is_flag=True, help="git push after each commit.")
@click.option("--timeout", type=seconds_option(minimum=0.1), help="Seconds to wait for a server, per attempt (default 20).")
@click.option("--retries", type=click.IntRange(0, MAX_RETRIES), help="Retries after a failed attempt (default 3).")
@click.pass_context
def watch(ctx: click.Context, slugs: tuple[str, ...], commit: bool, push: bool, timeout: float | None, retries: int | None) -> None:
    """Poll each source on its own interval until SIGTERM or Ctrl-C (finishing in-flight writes)."""
    import asyncio

    from ..collect import watch as run_watch
    from ..collect.gitops import check_repo

    archive = open_archive(ctx)
    sources = _pick_sources(archive, slugs)
    if commit or push:
        check_repo(archive.root)

    policy = _policy(archive, timeout, retries)

    def after_pass(report: PassReport) -> None:
        _seal(archive, policy, "collect")
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        t = report.totals()
        failed = [s.slug for s in report.sources if s.failed]
        click.echo(
            f"{stamp} pass over {len(report.sources)} source{'s' if len(report.sources) > 1 else ''}: "
            f"{t['new']} new, {t['revised']} revised" + (f", failed: {', '.join(failed)}" if failed else "") + (" (interrupted)" if report.interrupted else "")
        )
        for s in report.sources:
            if s.failed:
                click.echo(f"  {s.slug}: {s.reason}", err=True)
        if (commit and report.paths) or push:
            try:
                _commit_and_push(archive, report, commit and bool(report.paths), push and bool(report.paths))
            except NewsvaultError as e:  # a failed push must not stop the daemon
                click.echo(f"newsvault: error: {e}", err=True)
        sys.stdout.flush()

    click.echo(f"watching {len(sources)} source{'s' if len(sources) > 1 else ''}; stop with Ctrl-C or SIGTERM")
    sys.stdout.flush()
    passes = asyncio.run(run_watch(archive, sources, policy, after_pass=after_pass))
    click.echo(f"stopped after {passes} pass{'es' if passes != 1 else ''}")
