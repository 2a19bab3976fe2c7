"""``newsvault save URL…``: archive pages on demand (docs/save.md)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ._app import EXIT_ERROR, emit_json, fmt_time, main, open_archive


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
@click.pass_context
def save(ctx: click.Context, urls: tuple[str, ...], from_file: Path | None, as_json: bool) -> int:
    """Archive the pages at URL... now ('-': one URL a line on stdin), with the site's adapter.

    Prints each article's id and record path. A page the site shows as deleted is recorded as
    a 'gone' check of the archived article, never archived as text.
    """
    from ..save import save_urls

    wanted = _urls(urls, from_file)
    if not wanted:
        raise click.UsageError("give at least one URL (or '-' to read them from stdin, or --from FILE)")
    archive = open_archive(ctx)
    results = save_urls(archive, wanted)
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
