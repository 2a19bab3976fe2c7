"""Data commands: ``newsvault export`` (Parquet / JSON lines dataset, WACZ) and ``newsvault sql``,
plus the ``show --evidence`` listing."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ._app import emit_json, main, open_archive

if TYPE_CHECKING:
    from ..archive import Archive
    from ..catalog import Article

DEFAULT_EXPORT = ".newsvault/export"  # where ``sql`` keeps its export (derived, git-ignored)


def show_evidence(archive: Archive, article: Article, as_json: bool) -> None:
    """``show ID --evidence``: the captures behind each version, linked when it was written
    or, for versions from before links were stored, matched by time (and labelled so)."""
    from ..evidence.links import evidence_for

    source = archive.config.source(article.source)
    feeds = source.feeds if source else []
    linked = evidence_for(archive.root, archive.catalog.versions(article.id), feeds)
    if as_json:
        emit_json([
            {"rev": e.version.rev, "path": e.version.path, "seen": e.version.seen, "link": "stored" if e.stored else "time", "captures": [c.__dict__ for c in e.captures]}
            for e in linked
        ])
        return
    if not (archive.root / "warc").is_dir():
        click.echo("no WARC captures in this archive (set [capture] warc = true in newsvault.toml to record them)")
    for e in linked:
        how = "linked when written" if e.stored else "matched by time: no link stored for this version"
        click.echo(f"version {e.version.rev}  {e.version.path}  ({how})")
        if not e.captures:
            click.echo("  no capture recorded")
        for c in e.captures:
            click.echo(f"  {c.time}  {c.status}  {c.url}")
            click.echo(f"      {c.file} @ {c.offset}  {c.digest}")


@main.command("export")
@click.argument("directory", required=False, type=click.Path(path_type=Path, file_okay=False))
@click.option("--format", "fmt", type=click.Choice(["parquet", "jsonl", "zim"]), default="parquet", show_default=True,
              help="Dataset format, or zim: the site as one file for Kiwix (DIRECTORY/<archive name>.zim).")
@click.option("--wacz", type=click.Path(path_type=Path, dir_okay=False), help="Instead: package the WARC captures as a WACZ file for replay.")
@click.option("--sign", "sign_key", type=click.Path(path_type=Path, dir_okay=False, exists=True), help="With --wacz: sign it with this PEM EC private key (WACZ signing, publicKey form).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
def export_cmd(ctx: click.Context, directory: Path | None, fmt: str, wacz: Path | None, sign_key: Path | None, as_json: bool) -> None:
    """Export the archive as a dataset in DIRECTORY (articles, versions, checks, media), or
    its captures as a WACZ file (--wacz FILE).

    Incremental: only partitions whose content changed are rewritten."""
    archive = open_archive(ctx)
    if wacz is not None:
        from ..evidence.wacz import write_wacz

        n = write_wacz(archive.root, wacz, sign_key.read_bytes() if sign_key else None)
        _say(as_json, {"wacz": str(wacz), "captures": n}, f"wrote {wacz}: {n} captures")
        return
    if sign_key is not None:
        raise click.UsageError("--sign signs a WACZ: give --wacz FILE too")
    if directory is None:
        raise click.UsageError("give a DIRECTORY to export to (or --wacz FILE)")
    if fmt == "zim":
        from ..export.zim import export_zim

        zim = export_zim(archive, directory)
        _say(as_json, zim.as_dict(), zim.summary())
        return
    from ..export import export_dataset

    report = export_dataset(archive, directory, fmt=fmt)
    _say(as_json, report.as_dict(), report.summary())


def _say(as_json: bool, data: dict[str, Any], text: str) -> None:
    if as_json:
        emit_json(data)
    else:
        click.echo(text)


@main.command("sql")
@click.argument("query")
@click.option("--json", "as_json", is_flag=True, help="Print the rows as a JSON array of objects.")
@click.option("--export-dir", type=click.Path(path_type=Path, file_okay=False), help=f"The Parquet export to query (default: {DEFAULT_EXPORT}, refreshed first).")
@click.pass_context
def sql_cmd(ctx: click.Context, query: str, as_json: bool, export_dir: Path | None) -> None:
    """Run a DuckDB query over the dataset: views articles, versions, checks, media.

    The export is brought up to date first (only changed partitions are rewritten)."""
    from ..export import export_dataset
    from ..export.analysis import run_query

    archive = open_archive(ctx)
    target = export_dir or archive.root / DEFAULT_EXPORT
    export_dataset(archive, target, fmt="parquet")
    columns, rows = run_query(target, query)
    if as_json:
        emit_json([dict(zip(columns, row, strict=True)) for row in rows])
        return
    _print_table(columns, rows)


def _print_table(columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(*columns, box=None, header_style="bold")
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    Console(soft_wrap=True).print(table)
    click.echo(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
