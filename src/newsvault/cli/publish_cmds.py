"""Publish commands: build (lists and README in the archive; with --site, the static mirror)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ._app import Progress, emit_json, main, open_archive


@main.command()
@click.option("--site", "site_dir", type=click.Path(file_okay=False, path_type=Path), help="Also build the static site into this folder.")
@click.option("--base-url", help="Public address of the site (makes Atom feed links absolute), e.g. https://example.org/mirror/ (default: [site] base_url).")
@click.option("--workers", type=click.IntRange(1, 64), help="Processes rendering article pages (default: CPU count).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON report.")
@click.pass_context
def build(ctx: click.Context, site_dir: Path | None, base_url: str | None, workers: int | None, as_json: bool) -> None:
    """Write lists/ and README.md into the archive, and with --site the static mirror site.

    Rebuilds are incremental: only files whose inputs changed are rewritten.
    """
    from ..publish.lists import build_lists

    if base_url is not None and not base_url.startswith(("http://", "https://")):
        raise click.BadParameter("must start with http:// or https://", param_hint="--base-url")
    archive = open_archive(ctx)
    if base_url is None:  # the address newsvault.toml names (checked when it was read)
        base_url = archive.config.site_url
    articles = archive.catalog.list_articles()  # one load for lists and site
    lists = build_lists(archive, articles)
    out: dict[str, Any] = {"lists": lists.as_dict()}
    site = None
    if site_dir is not None:
        from ..publish.site import build_site

        with Progress("building site") as bar:
            site = build_site(archive, site_dir, base_url=base_url, workers=workers, articles=articles,
                              progress=_phase_counter(bar))
        out["site"] = site.as_dict()
    if as_json:
        emit_json(out)
        return
    for rel in lists.written:
        click.echo(f"wrote {rel}")
    click.echo(f"lists: {len(lists.written)} written, {lists.unchanged} unchanged")
    if site is not None:
        click.echo(
            f"site {site.site}: {_n(site.written, 'file')} written ({_n(site.articles_rendered, 'article')} rendered), "
            f"{site.skipped} unchanged, {site.removed} removed in {site.seconds:.1f} s"
        )
        for note in site.notes:
            click.echo(note)
        for e in site.errors[:20]:
            click.echo(f"skipped unreadable record {e['path']}: {e['reason']}", err=True)


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


SITE_PHASES = 5  # what build_site reports: catalog, articles, search index, list pages, feeds


def _phase_counter(bar: Progress) -> Callable[[str], None]:
    """The site build's phase messages as steps of the progress bar (shown on a terminal only)."""
    done = [0]

    def step(_message: str) -> None:
        bar.update(done[0], SITE_PHASES)
        done[0] += 1

    return step
