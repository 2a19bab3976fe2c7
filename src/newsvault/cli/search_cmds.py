"""Search commands: ``newsvault search`` and ``newsvault index``."""

from __future__ import annotations

import re

import click

from ._app import Progress, QueryCommand, check_sources, emit_json, fmt_time, is_tty, main, open_archive, parse_date

# newsvault.search is imported inside the commands: it compiles regexes that other commands
# need not pay for at start-up. (Equal to newsvault.search.MAX_LIMIT; a test checks.)
MAX_LIMIT = 200

_MARK = re.compile(r"<mark>(.*?)</mark>", re.S)


def _terminal(html_text: str) -> str:
    """A snippet for the terminal: matches in bold when it is one, plain text otherwise."""
    import html

    def mark(m: re.Match[str]) -> str:
        return click.style(m.group(1), bold=True, fg="yellow") if is_tty() else m.group(1)

    html_text = _MARK.sub(mark, html_text)
    return html.unescape(html_text)


@main.command("search", cls=QueryCommand)
@click.argument("query", nargs=-1, required=True)
@click.option("--source", "sources", multiple=True, help="Only this source (repeatable).")
@click.option("--since", help="Published on or after this day (YYYY-MM-DD, UTC).")
@click.option("--until", help="Published on or before this day (YYYY-MM-DD, UTC).")
@click.option("--limit", type=click.IntRange(1, MAX_LIMIT), default=10, show_default=True, help="How many results.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
def search_cmd(ctx: click.Context, query: tuple[str, ...], sources: tuple[str, ...], since: str | None, until: str | None, limit: int, as_json: bool) -> None:
    """Search the archive: words, "phrases", OR, -word, title:word, source:slug, since:/until:DATE.

    Simplified and Traditional Chinese find each other (臺灣 finds 台湾). The query may be one
    quoted argument or several words; a word starting with '-' excludes it (search 加沙 -香港).
    """
    from ..search import count_matches, index_for, parse_query, search_archive

    text = " ".join(query)

    since_ms, until_ms = parse_date(since, "--since"), parse_date(until, "--until", end=True)
    parse_query(text)  # a bad query is refused before any work
    archive = open_archive(ctx)
    check_sources(archive, sources)
    idx = index_for(archive)
    pending = idx.pending_count()
    if idx.read_only and pending:
        click.echo(f"note: the search index is {pending} articles behind and the archive is read-only: they are not searched", err=True)
    elif pending >= 1000:
        click.echo(f"indexing {pending} queued articles first (after an import or reindex)…", err=True)
    with Progress("indexing") as bar:
        hits = search_archive(archive, text, sources=list(sources), since=since_ms, until=until_ms, limit=limit, progress=bar.update)
    left = 0 if idx.read_only else idx.pending_count()
    if left:  # (the index was being built by another process)
        click.echo(f"note: {left} articles are not searched yet: another newsvault process is indexing them", err=True)
    if as_json:
        results = []
        for h in hits:
            article = archive.catalog.get(h.id)
            results.append({
                "id": h.id,
                "source": h.source,
                "source_name": archive.source_display_name(h.source),
                "title": h.title,
                "url": article.url if article else None,
                "published": h.published,
                "published_utc": fmt_time(h.published, with_seconds=True),
                "score": round(h.score, 4),
                "snippet": h.snippet,
                "snippet_html": h.snippet_html,
                "title_html": h.title_html,
            })
        total = count_matches(archive, text, sources=list(sources), since=since_ms, until=until_ms)
        emit_json({"query": text, "count": total, "returned": len(results), "results": results})
        return
    if not hits:
        click.echo("no matches", err=True)
        return
    for h in hits:
        click.echo(f"{h.id}  {h.source}  {fmt_time(h.published)}  {_terminal(h.title_html)}")
        click.echo(f"    {_terminal(h.snippet_html)}")


@main.command("index")
@click.option("--rebuild", is_flag=True, help="Drop the search index and build it again from the archive.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
def index_cmd(ctx: click.Context, rebuild: bool, as_json: bool) -> None:
    """Bring the search index up to date now (searches also do it when needed)."""
    from ..search import index_for

    archive = open_archive(ctx)
    idx = index_for(archive)
    if rebuild:
        with idx.transaction():
            idx.clear()
            idx.enqueue(a.id for a in archive.catalog.list_articles())
    with Progress("indexing") as bar:
        done = idx.catch_up(archive, progress=bar.update)
    if rebuild:
        idx.optimize()
        idx.vacuum()
    info = {"indexed": done, "articles": idx.count(), "bytes": idx.size_bytes()}
    if as_json:
        emit_json(info)
    else:
        click.echo(f"indexed {done} articles; the index holds {info['articles']} ({info['bytes'] / 1e6:.1f} MB)")
