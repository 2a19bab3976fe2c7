"""Evidence commands: ``verify`` (the chain from a record file to a time-stamp authority)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..errors import NewsvaultError
from ._app import emit_json, main, open_archive

if TYPE_CHECKING:
    from ..archive import Archive


@main.command()
@click.argument("ref", required=False)
@click.option("--all", "everything", is_flag=True, help="Every file every manifest lists, and every manifest's token.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
def verify(ctx: click.Context, ref: str | None, everything: bool, as_json: bool) -> None:
    """Check, offline, that an article's files (ARTICLE: id, URL or record path; or any FILE a
    manifest lists, such as an image) are the bytes a server sent, when it sent them:
    record ↔ manifest ↔ WARC payload ↔ time-stamp token ↔ the authority's certificate chain.

    Exit status: 0 when every link holds, 1 naming the first link that breaks."""
    from ..evidence.chain import verify_all, verify_files

    if everything == bool(ref):
        raise click.UsageError("give an ARTICLE or FILE, or --all")
    if ref and ref.endswith(".wacz") and Path(ref).is_file():
        _verify_wacz(Path(ref), as_json)
        return
    archive = open_archive(ctx)
    if everything:
        proof = verify_all(archive)
    else:
        assert ref is not None
        proof = verify_files(archive, _paths(archive, ref))
    if as_json:
        emit_json({"ok": proof.ok, "checked": len(proof.findings), "findings": [f.as_dict() for f in proof.findings]})
    else:
        for f in proof.findings:
            for line in f.statement():
                click.echo(line)
        if not proof.findings:
            click.echo("no manifest yet: nothing to verify (manifests are written by passes that capture WARC)")
    broken = proof.first_broken
    if broken is not None:
        raise NewsvaultError(f"{broken.path}: the {broken.broken} link is broken: {broken.problem}")


def _verify_wacz(path: Path, as_json: bool) -> None:
    """A WACZ file: every member against datapackage.json, that against its digest and signature."""
    from ..evidence.wacz import verify_wacz

    problems = verify_wacz(path)
    if as_json:
        emit_json({"ok": not problems, "wacz": str(path), "problems": problems})
    elif not problems:
        click.echo(f"{path}: every file matches its listed sha256, and the list its digest" + (" and signature" if _signed(path) else ""))
    if problems:
        raise NewsvaultError(f"{path}: {problems[0]}")


def _signed(path: Path) -> bool:
    import json
    import zipfile

    with zipfile.ZipFile(path) as zf:
        return "signedData" in json.loads(zf.read("datapackage-digest.json"))


def _paths(archive: Archive, ref: str) -> list[str]:
    """The files ``ref`` names: a file in the archive as itself, else an article's versions."""
    candidate = Path(ref)
    full = candidate if candidate.is_absolute() else (Path.cwd() / candidate)
    try:
        rel = full.resolve().relative_to(archive.root).as_posix()
    except ValueError:
        rel = ""
    if rel and (archive.root / rel).is_file() and archive.catalog.version_at(rel) is None:
        return [rel]  # an image or other listed file
    article, rev = archive.resolve(ref)
    versions = archive.catalog.versions(article.id)
    return [v.path for v in versions if rev is None or v.rev == rev]
