"""``newsvault demo``: a guided first run that works offline.

It runs the real commands, printing each one as ``$ newsvault …`` before its output, so that a new
user sees what to type next time: init, import the sample records shipped with newsvault, add
sample sources (local ``file://`` feeds), collect, build the lists and the static site, search.
The archive keeps images as ``init`` sets up every archive, but only from 127.0.0.1, so the demo
never contacts an outlet: its own sample article's image is served on loopback while it collects.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import click

from ..errors import ArchiveError
from ._app import main

DEMO_RECORDS = Path(__file__).resolve().parent.parent / "demo" / "records"


def _run(*args: str, allowed: tuple[int, ...] = (0,)) -> None:
    click.secho("\n$ newsvault " + " ".join(shlex.quote(a) for a in args), bold=True)
    code = main.main(list(args), prog_name="newsvault", standalone_mode=False)
    if (code or 0) not in allowed:
        raise ArchiveError(f"demo step 'newsvault {' '.join(args)}' failed (exit {code})")


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=Path("newsvault-demo"))
def demo(directory: Path) -> None:
    """Build a sample archive in DIRECTORY, offline: import, collect, build the site, search."""
    from ..archive import Archive, is_archive, write_atomic
    from ..collect import demo_sources  # the collector's HTTP stack is only needed here
    from ..collect.demo import image_server
    from ..config import CONFIG_NAME

    directory = directory.resolve()
    archive_dir = directory / "archive"
    if directory.exists() and any(directory.iterdir()) and not is_archive(archive_dir):
        raise ArchiveError(f"{directory} is not empty; give a new folder for the demo")
    a = str(archive_dir)
    if not is_archive(archive_dir):
        _run("init", a, "--name", "newsvault demo")
    _run("-C", a, "import", str(DEMO_RECORDS))

    with image_server() as image_url:
        archive = Archive.open(archive_dir)
        known = {s.slug for s in archive.config.sources}
        own = [s for s in demo_sources(directory / "feeds", image_url) if s.slug not in known]
        if "newsvault" not in known:
            # Offline: images only from loopback; the demo's own source may reach 127.0.0.1.
            click.echo(f'\n(demo: {CONFIG_NAME} gets [media] hosts = ["127.0.0.1"] and the source "newsvault", whose image is served on {image_url})')
            archive.config.media.hosts = ["127.0.0.1"]
            archive.config.sources += [s for s in own if s.slug == "newsvault"]
            write_atomic(archive.root / CONFIG_NAME, archive.config.dump())
        archive.close()
        for s in own:
            if s.slug == "newsvault":
                continue
            args = ["-C", a, "source", "add", s.slug, *s.feeds, "--name", s.name]
            if s.body != "feed":
                args += ["--body", s.body]
            if s.selector:
                args += ["--selector", s.selector]
            if s.category:
                args += ["--category", s.category]
            _run(*args)
        _run("-C", a, "collect", allowed=(0, 3))
    _run("-C", a, "build", "--site", str(directory / "site"))
    _run("-C", a, "search", "七国集团 加沙", "--limit", "3")
    _run("-C", a, "search", "台灣", "--limit", "3")

    click.secho("\nDone. Next:", bold=True)
    click.echo(f"  open {directory / 'site' / 'index.html'} in a browser (works offline, search included)")
    click.echo(f"  newsvault -C {a} serve          # the reader server on http://127.0.0.1:8080")
    click.echo(f"  newsvault -C {a} ls | head      # what is archived; 'show ID' reads one")
    click.echo(f"  newsvault -C {a} history ID     # versions of an edited article, with diffs")
