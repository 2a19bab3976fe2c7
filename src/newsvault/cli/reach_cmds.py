"""Reaching readers: ``newsvault digest`` (the day's page, feed, EPUB and mail)."""

from __future__ import annotations

from pathlib import Path

import click

from ._app import emit_json, main, open_archive

DEFAULT_DIGESTS = "site/digest"
FEED_DAYS = 7  # digests in the feed: the day asked for and the six before it


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
    from datetime import datetime, timedelta

    from ..publish.digest import build_digest, digest_fragment, digest_html, digest_text, digest_zone, digests_feed, parse_digest_day
    from ..publish.epub import write_epub

    archive = open_archive(ctx)
    if source is not None and archive.catalog.count_articles(source=source) == 0 and archive.config.source(source) is None:
        known = sorted({s.slug for s in archive.config.sources})
        raise click.BadParameter(f"no source {source!r} (known: {', '.join(known) or 'none'})", param_hint="--source")
    if send_mail and archive.config.mail is None:
        raise click.UsageError("--mail needs a [mail] table in newsvault.toml (host, sender, to; see docs/reach.md)")
    _, tz = digest_zone(archive)
    the_day = parse_digest_day(day) if day else datetime.now(tz).date()
    digest = build_digest(archive, the_day, source=source)
    out.mkdir(parents=True, exist_ok=True)
    name = the_day.isoformat()
    epub_path = out / f"{name}.epub"
    book = write_epub(archive, digest, epub_path, digest_fragment(archive, digest, base_url=base_url))
    html = digest_html(archive, digest, base_url=base_url, notes=book.notes)
    _write(out / f"{name}.html", html)
    # The feed: this digest and the days before it, each with its page (written once).
    recent = [digest]
    for k in range(1, FEED_DAYS):
        earlier = build_digest(archive, the_day - timedelta(days=k), source=source)
        page = out / f"{earlier.day.isoformat()}.html"
        if not page.exists():
            _write(page, digest_html(archive, earlier, base_url=base_url))
        recent.append(earlier)
    _write(out / "index.xml", digests_feed(archive, recent, base_url=base_url))
    sent: list[str] = []
    if send_mail:
        from ..publish.mail import digest_message, send

        assert archive.config.mail is not None
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


def _write(path: Path, text: str) -> None:
    from ..archive import write_atomic

    write_atomic(path, text)
