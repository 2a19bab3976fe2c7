"""``newsvault save URL…``: archive pages on demand (docs/save.md)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ._app import EXIT_ERROR, emit_json, fmt_time, main, open_archive

if TYPE_CHECKING:
    from ..archive import Archive
    from ..save import SaveResult


def _urls(urls: tuple[str, ...], from_file: Path | None) -> list[str]:
    out: list[str] = []
    for url in urls:
        if url == "-":
            out.extend(line.strip() for line in sys.stdin if line.strip() and not line.lstrip().startswith("#"))
        else:
            out.append(url)
    if from_file is not None:
        text = from_file.read_text(encoding="utf-8")
        out.extend(line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#"))
    return out


@main.command("save")
@click.argument("urls", nargs=-1, metavar="URL...")
@click.option("--from", "from_file", type=click.Path(dir_okay=False, exists=True, path_type=Path), help="Read URLs from FILE, one a line.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array with one object per URL.")
@click.option("--issue-event", type=click.Path(dir_okay=False, exists=True, path_type=Path), help="Save the URLs of a GitHub issue (its event payload, or the issue as 'gh api' gives it).")
@click.option("--answer-dir", type=click.Path(file_okay=False, path_type=Path), help="With --issue-event: write the answer here (comment-N.md, label, title).")
@click.option("--commit", is_flag=True, help="One git commit of what was saved and the lists it changed.")
@click.option("--push", is_flag=True, help="Push after committing (a rejected push is replayed, like collect's).")
@click.pass_context
def save(
    ctx: click.Context, urls: tuple[str, ...], from_file: Path | None, as_json: bool,
    issue_event: Path | None, answer_dir: Path | None, commit: bool, push: bool,
) -> int:
    """Archive the pages at URL... now ('-': one URL a line on stdin), with the site's adapter.

    Prints each article's id and record path. A page the site shows as deleted is recorded as
    a 'gone' check of the archived article, never archived as text.
    """

    if issue_event is not None:
        return _answer_issue(ctx, issue_event, answer_dir, commit, push, as_json)
    if answer_dir is not None:
        raise click.UsageError("--answer-dir goes with --issue-event")
    wanted = _urls(urls, from_file)
    if not wanted:
        raise click.UsageError("give at least one URL (or '-' to read them from stdin, or --from FILE)")
    archive = _open(ctx)
    results = _save(archive, wanted, quiet=as_json)
    if commit or push:
        _commit(archive, results, commit, push)
    if as_json:
        emit_json([r.as_dict() for r in results])
    else:
        zone = archive.config.zone
        for r in results:
            if r.status in ("new", "revision", "unchanged"):
                when = fmt_time(r.published, zone) if r.published is not None else "no date"
                click.echo(f"{r.status:9}  {r.id}  {r.path}  {when}  {r.title}")
            else:
                click.echo(f"{r.status:9}  {r.url}: {r.message}")
    return EXIT_ERROR if any(r.status in ("error", "unsupported") for r in results) else 0


def _open(ctx: click.Context) -> Archive:
    """The archive, with its saved articles queued for the search index rather than indexed
    (as collect does): loading the engine and committing a segment would cost more than the
    save; the next search, ``serve`` query or ``index`` drains the queue first."""
    from ..compose import deferred_listeners

    return open_archive(ctx, listeners=deferred_listeners())


def _save(archive: Archive, urls: list[str], quiet: bool) -> list[SaveResult]:
    """Save the URLs with WARC evidence (when ``[capture] warc`` is on), then write the pass's
    manifest: the captures and the files written from each, records and kept files alike."""
    from ..evidence import recorder_for
    from ..fetch import FetchPolicy
    from ..save import save_urls
    from .collect_cmds import _seal

    policy = FetchPolicy(capture=recorder_for(archive))
    results = save_urls(archive, urls, policy)
    _seal(archive, policy, "save", quiet=quiet)
    return results


def _commit(archive: Archive, results: list[SaveResult], commit: bool, push: bool) -> None:
    """One commit of the saved records (and the lists they change), then the push with the
    hourly job's replay rule."""
    from ..collect import PassReport, SourceReport
    from .collect_cmds import _commit_and_push

    reports: dict[str, SourceReport] = {}
    for r in results:
        if r.site and r.path and r.status in ("new", "revision"):
            rep = reports.setdefault(r.site, SourceReport(r.site))
            rep.new += r.status == "new"
            rep.revised += r.status == "revision"
            rep.paths.append(r.path)
            if r.file:  # the PDF, image, … the record points to
                rep.paths.append(r.file)
    from ..preserve.checks import CHECKS_DIR

    for r in results:  # a gone check is a file of the archive too
        if r.status == "gone" and r.id and r.site:
            rep = reports.setdefault(r.site, SourceReport(r.site))
            rep.paths.append(f"{CHECKS_DIR}/{r.site}.jsonl")
    _commit_and_push(archive, PassReport(list(reports.values()), started=0), commit, push, quiet=True)


def _answer_issue(ctx: click.Context, event: Path, answer_dir: Path | None, commit: bool, push: bool, as_json: bool) -> int:
    from ..save.requests import read_request, write_answer

    request = read_request(event)
    archive = _open(ctx)
    results = _save(archive, request.urls, quiet=True) if request.urls else []
    if commit or push:
        _commit(archive, results, commit, push)
    summary = write_answer(archive, request, results, answer_dir or Path("answer"))
    if as_json:
        emit_json({**summary, "results": [r.as_dict() for r in results]})
    else:
        click.echo(f"issue #{request.number}: {summary['label']}: {summary['title']}")
    return 0  # the answer says what failed; the workflow must still hand it to gh
