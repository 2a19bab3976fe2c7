"""Reaching readers: ``newsvault digest`` (the day's page, feed, EPUB and mail)."""

from __future__ import annotations

from pathlib import Path

import click

from ._app import emit_json, main, open_archive

DEFAULT_DIGESTS = "site/digest"


@main.command("digest")
@click.option("--date", "day", metavar="YYYY-MM-DD", help="The day (in [digest] timezone, default the archive's; default: today there).")
@click.option("--source", help="Only this source (a slug).")
@click.option("--out", "out", type=click.Path(path_type=Path, file_okay=False), default=DEFAULT_DIGESTS, show_default=True,
              help="Where to write <date>.html, <date>.epub and the feed index.xml.")
@click.option("--base-url", help="The site's address, to link each article's archived page.")
@click.option("--mail", "send_mail", is_flag=True, help="Also send it through the SMTP server of [mail] in newsvault.toml.")
@click.option("--json", "as_json", is_flag=True, help="Print the ids under new, changed, deleted (and minor) as JSON.")
@click.pass_context
def digest_cmd(ctx: click.Context, day: str | None, source: str | None, out: Path, base_url: str | None, send_mail: bool, as_json: bool) -> None:
    """The digest of one day: articles archived, changed (with the diff excerpt) and deleted.

    Writes OUT/<date>.html (one self-contained page, fit for the site and for mail),
    OUT/<date>.epub (the day's articles with their images) and OUT/index.xml (an Atom feed of
    the last seven digests, their pages written beside it)."""
    from datetime import datetime

    from ..publish.digest import digest_text, digest_zone, parse_digest_day
    from ..publish.digest_files import write_digest_files

    archive = open_archive(ctx)
    if source is not None and archive.catalog.count_articles(source=source) == 0 and archive.config.source(source) is None:
        known = sorted({s.slug for s in archive.config.sources})
        raise click.BadParameter(f"no source {source!r} (known: {', '.join(known) or 'none'})", param_hint="--source")
    if send_mail and archive.config.mail is None:
        raise click.UsageError("--mail needs a [mail] table in newsvault.toml (host, sender, to; see docs/reach.md)")
    _, tz = digest_zone(archive)
    the_day = parse_digest_day(day) if day else datetime.now(tz).date()
    files = write_digest_files(archive, the_day, out, source=source, base_url=base_url)
    digest, book, epub_path = files.digest, files.book, files.epub
    name = the_day.isoformat()
    sent: list[str] = []
    if send_mail:
        from ..publish.mail import digest_message, send

        assert archive.config.mail is not None
        html = files.html.read_text(encoding="utf-8")
        sent = send(archive.config.mail, digest_message(archive.config.mail, digest.subject, digest_text(digest), html, epub_path))
    if as_json:
        emit_json({**digest.as_dict(), "html": str(out / f"{name}.html"), "epub": str(epub_path), "feed": str(out / "index.xml"),
                   "notes": book.notes, "mailed": sent})
        return
    click.echo(f"{digest.subject}\nwrote {out / f'{name}.html'}, {epub_path} ({book.chapters} articles, {book.images} images), {out / 'index.xml'}")
    for note in book.notes:
        click.echo(f"note: {note}")
    if sent:
        click.echo(f"mailed to {', '.join(sent)}")

