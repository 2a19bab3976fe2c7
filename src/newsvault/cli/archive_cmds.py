"""Archive commands: init, open, import, show, ls, stats, reindex."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .. import __version__
from ._app import Progress, check_sources, count_option, emit_json, fmt_time, iter_lines, main, open_archive, parse_date

if TYPE_CHECKING:
    from ..archive import Archive
    from ..catalog import Article


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--name", help="Archive name shown on lists and the site (default: the folder name).")
@click.option("--default-sources", is_flag=True, help="Follow the outlets the original archivers mirrored.")
@click.option("--github-actions", is_flag=True, help="Write a workflow that collects, updates the lists, commits and pushes hourly.")
@click.option("--install", "install", metavar="SPEC", help=f"What the workflow installs: a git URL ('git+https://github.com/OWNER/newsvault@v{__version__}') or a wheel in the archive.")
@click.option("--pages", is_flag=True, help="The workflow also builds the static site and deploys it to GitHub Pages.")
@click.option("--git", "make_repo", is_flag=True, help="Also make DIRECTORY a git repository (for 'collect --commit').")
@click.option("--no-media", "no_media", is_flag=True, help="Do not keep article images (default: collect fetches them, at most 10 MB each and 200 MB a pass).")
def init(directory: Path, name: str | None, default_sources: bool, github_actions: bool, install: str | None, pages: bool, make_repo: bool, no_media: bool) -> None:
    """Create an empty archive in DIRECTORY."""
    import dataclasses

    from ..archive import Archive, write_atomic
    from ..config import CONFIG_NAME, DEFAULT_SOURCES

    if github_actions:
        from ..collect.workflow import INSTALL_HINT, check_install

        if install is None:
            raise click.UsageError(f"--github-actions needs to know what the runner installs: pass {INSTALL_HINT}")
        check_install(install)
    elif install is not None or pages:
        raise click.UsageError("--install and --pages describe the workflow; add --github-actions")
    archive = Archive.init(directory, name=name, media=not no_media)
    if default_sources:
        archive.config.sources = [dataclasses.replace(s) for s in DEFAULT_SOURCES]
        write_atomic(archive.root / CONFIG_NAME, archive.config.dump())
    if github_actions and install is not None:
        from ..collect.save_workflow import write_save_files
        from ..collect.workflow import write_workflow

        path = write_workflow(archive, install, pages=pages)
        click.echo(f"wrote {path.relative_to(archive.root)}")
        for extra in write_save_files(archive, install):  # save-requests by issue (docs/save.md)
            click.echo(f"wrote {extra.relative_to(archive.root)}")
    archive.close()
    if make_repo:
        from ..collect.gitops import init_repo

        init_repo(archive.root)
    what = [f"{len(DEFAULT_SOURCES)} sources"] if default_sources else []
    what += ["a git repository"] if make_repo else []
    click.echo(f"initialised archive in {archive.root}" + (f" with {' and '.join(what)}" if what else ""))


@main.command("open")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
def open_cmd(ctx: click.Context, as_json: bool) -> None:
    """Open an existing repository in place and recover its history from git.

    Git-ignores .newsvault/, builds the catalog, and files every earlier text git holds under
    articles/ as a version dated by its commit; files the repository deleted come back as
    articles marked removed. Run again to read only the commits since (see docs/continuing.md).
    """
    from ..continuing import open_in_place

    archive = open_archive(ctx, read_history=False)
    report = open_in_place(archive)
    if as_json:
        emit_json(report.as_dict())
        return
    for note in report.notes:
        click.echo(f"note: {note}")
    click.echo(
        f"read {report.commits} commits, {report.blobs} texts: {report.revisions} earlier versions, "
        f"{report.removed} articles removed from the repository"
    )
    for w in report.warnings:
        click.echo(f"warning {w['path']}: {w['reason']}")


@main.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--source", help="Source slug for every file (default: from front matter, folder or URL host).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
def import_cmd(ctx: click.Context, paths: tuple[Path, ...], source: str | None, as_json: bool) -> None:
    """Import record files and directories (any variant; recursive)."""
    from ..importer import import_paths

    archive = open_archive(ctx)
    with Progress("importing") as bar:
        report = import_paths(archive, paths, source=source, progress=bar.update)
    if as_json:
        emit_json(report.as_dict())
        return
    click.echo(
        f"seen {report.seen}: imported {report.imported}, revisions {report.revisions}, "
        f"unchanged {report.unchanged}, rejected {report.rejected}"
    )
    for r in report.rejects:
        click.echo(f"rejected {r['path']}: {r['reason']}")
    if report.history is not None:
        h = report.history
        for note in h.notes:
            click.echo(f"note: {note}")
        click.echo(f"from git history: {h.commits} commits, {h.blobs} texts, {h.revisions} earlier versions, {h.removed} articles removed from the repository")
        for w in h.warnings:
            click.echo(f"warning {w['path']}: {w['reason']}")
    for w in report.warnings:
        click.echo(f"warning {w['path']}: {w['reason']}")


def _article_json(archive: Archive, article: Article, rev: int | None = None) -> dict[str, Any]:
    from ..githistory import removed_articles

    versions = archive.catalog.versions(article.id)
    chosen = versions[rev] if rev is not None else versions[-1]
    record = archive.read(chosen.path)
    return {
        "id": article.id,
        "source": article.source,
        "source_name": archive.source_display_name(article.source),
        "title": chosen.title,
        "url": chosen.url,
        "canonical_url": article.canonical_url,
        "published": article.published,
        "published_utc": fmt_time(article.published, with_seconds=True),
        "path": article.path,
        "rev": chosen.rev,
        "versions": [
            {"rev": v.rev, "path": v.path, "seen": v.seen, "title": v.title, "content_hash": v.content_hash, "size": v.size}
            for v in versions
        ],
        "body_html": record.body,
        "removed_from_repository": removed_articles(archive.root).get(article.id),
    }


@main.command()
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (with the body HTML).")
@click.option("--raw", is_flag=True, help="Print the record file exactly as stored.")
@click.option("--evidence", is_flag=True, help="List the WARC captures behind each version.")
@click.pass_context
def show(ctx: click.Context, ref: str, as_json: bool, raw: bool, evidence: bool) -> None:
    """Show an article by id (or prefix, or ID@REV), URL or record path."""
    from ..sanitize import sanitize_html
    from ..text import html_to_text

    archive = open_archive(ctx)
    article, rev = archive.resolve(ref)
    if evidence:
        from .data_cmds import show_evidence

        show_evidence(archive, article, as_json)
        return
    data = _article_json(archive, article, rev)
    # A record path shows that very file (its text is the version chosen above).
    named = ref.strip() if ref.strip().endswith(".md") and archive.catalog.version_at(ref.strip()) is not None else None
    path = named or data["versions"][data["rev"]]["path"]
    if named:
        data["body_html"] = archive.read(named).body
    if raw:
        click.echo(archive.read_bytes(path).decode("utf-8"), nl=False)
        return
    if as_json:
        emit_json(data)
        return
    click.echo(data["title"])
    click.echo("=" * min(60, max(10, len(data["title"]) * 2)))
    click.echo(f"id        {article.id}" + (f"  (version {data['rev']} of {article.versions})" if article.versions > 1 else ""))
    click.echo(f"source    {article.source} ({data['source_name']})")
    config = archive.config
    click.echo(f"published {fmt_time(article.published, with_seconds=True)} UTC  ({fmt_time(article.published, config.zone)} {config.timezone})")
    click.echo(f"url       {data['url']}")
    click.echo(f"file      {path}")
    if removed := data["removed_from_repository"]:
        click.echo(f"removed   from the repository by commit {removed['commit'][:12]} ({fmt_time(removed['removed'])} UTC, was {removed['path']})")
    click.echo("")
    # What a reader of the site sees: share bars and promo placeholders are not the article.
    click.echo(html_to_text(sanitize_html(data["body_html"])))


@main.command("ls")
@click.option("--source", help="Only this source.")
@click.option("--since", help="Published on or after this day (YYYY-MM-DD, UTC).")
@click.option("--until", help="Published on or before this day (YYYY-MM-DD, UTC).")
@click.option("--limit", type=count_option(), help="At most this many.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@click.pass_context
def ls_cmd(ctx: click.Context, source: str | None, since: str | None, until: str | None, limit: int | None, as_json: bool) -> None:
    """List articles, newest first."""
    since_ms, until_ms = parse_date(since, "--since"), parse_date(until, "--until", end=True)
    archive = open_archive(ctx)
    check_sources(archive, [source] if source else [])
    articles = archive.catalog.list_articles(source=source, since=since_ms, until=until_ms, limit=limit)
    if as_json:
        emit_json([
            {"id": a.id, "source": a.source, "published": a.published, "title": a.title, "url": a.url, "path": a.path, "versions": a.versions}
            for a in articles
        ])
        return
    rows = [[a.id, fmt_time(a.published), a.source, a.title + (f"  [{a.versions} versions]" if a.versions > 1 else "")] for a in articles]
    for line in iter_lines(rows):
        click.echo(line)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
def stats(ctx: click.Context, as_json: bool) -> None:
    """Records and revisions per source, date range, bytes."""
    from ..health import any_pass_recorded, health_rows, source_health

    archive = open_archive(ctx)
    data = archive.catalog.stats()
    health = source_health(archive)
    from ..evidence.timestamp import timestamp_status

    stamps = timestamp_status(archive)
    if as_json:
        emit_json({**data, "health": {slug: h.as_dict() for slug, h in health.items()}, "evidence": {"timestamps": stamps}})
        return
    rows = [["source", "records", "revisions", "first", "last", "MB"]]
    for slug, s in data["sources"].items():
        rows.append([slug, str(s["records"]), str(s["revisions"]), fmt_time(s["first_published"])[:10], fmt_time(s["last_published"])[:10], f"{s['bytes'] / 1e6:.1f}"])
    t = data["total"]
    rows.append(["total", str(t["records"]), str(t["revisions"]), fmt_time(t["first_published"])[:10], fmt_time(t["last_published"])[:10], f"{t['bytes'] / 1e6:.1f}"])
    for line in iter_lines(rows):
        click.echo(line)
    if any_pass_recorded(health):  # nothing to say before the first collect pass
        click.echo("")
        for line in iter_lines(health_rows(health)):
            click.echo(line)
    if stamps and stamps["pending"]:
        why = f" (last attempt: {stamps['last_error']})" if stamps["last_error"] else ""
        click.echo(f"timestamps: {stamps['pending']} manifest(s) waiting for a token, retried next pass{why}")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
def reindex(ctx: click.Context, as_json: bool) -> None:
    """Rebuild the catalog and search index from the record files alone."""
    from ..catchup import catch_up

    archive = open_archive(ctx, recover=False, catch_up=False)
    with Progress("reindexing") as bar:
        result = archive.reindex(progress=bar.update)
    catch_up(archive, fresh=True)  # note the commit and work tree the rebuilt catalog reflects
    if as_json:
        emit_json(result)
        return
    click.echo(f"reindexed {result['versions']} files: {result['articles']} articles")
    for e in result["errors"]:
        click.echo(f"unreadable {e['path']}: {e['reason']}")
