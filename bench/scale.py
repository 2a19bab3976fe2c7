"""Scale the corpus: derive N distinct, realistic records from the real ones (for benchmarks).

Each variant keeps a real record's language, length profile and HTML, with its own URL, time
and a title/body perturbation, so that indexes and sites see N different articles.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from newsvault.archive import Archive  # noqa: E402
from newsvault.compose import init_archive  # noqa: E402
from newsvault.errors import RecordError  # noqa: E402
from newsvault.importer import iter_candidates  # noqa: E402
from newsvault.record import Record, parse  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from inputs import default_corpus  # noqa: E402

CORPUS = default_corpus()
SOURCES = ["rfi", "bbc", "dw", "voa", "nyt", "rfa", "cdt", "zaobao"]


def base_records(corpus: Path = CORPUS) -> list[Record]:
    records = []
    for path in iter_candidates([corpus]):
        try:
            rec = parse(path.read_bytes())
        except RecordError:
            continue
        if rec.variant == "jekyll-page":
            continue  # scraped pages: mostly boilerplate, not what feeds deliver
        records.append(replace(rec, variant="canonical", front_matter=None, stamp=None))
    return records


def variants(n: int, max_body: int = 6000, seed: int = 7, corpus: Path = CORPUS, first: int = 0) -> Iterator[tuple[str, Record]]:
    """Yield ``(source slug, record)`` for n distinct articles, newest last; ``first`` > 0 gives
    the articles after that many (new ones for an archive made with ``n=first``)."""
    rng = random.Random(seed + first)
    base = base_records(corpus)
    start = 1_600_000_000_000
    for i in range(first, first + n):
        rec = base[i % len(base)]
        body = rec.body[:max_body]
        if len(rec.body) > max_body:
            cut = body.rfind("</p>")
            body = body[: cut + 4] if cut > 0 else body
        # Shift a few paragraphs so variants of one record are not identical documents.
        paras = body.split("</p>")
        if len(paras) > 3:
            k = rng.randrange(1, len(paras) - 1)
            paras = paras[k:-1] + paras[:k] + paras[-1:]
            body = "</p>".join(paras)
        # The variant number goes into the path: appended after a query string it could land in
        # a tracking parameter that canonical URLs drop, collapsing variants into one article.
        parts = urlsplit(rec.url)
        yield SOURCES[i % len(SOURCES)], Record(
            title=f"{rec.title}（{i}）",
            url=urlunsplit(parts._replace(path=f"{parts.path.rstrip('/')}/v{i}")),
            published=start + i * 60_000 + rng.randrange(60_000),
            body=body,
        )


def make_archive(root: Path, n: int, batch: int = 5000, **kw) -> Archive:
    """An archive at root holding n scaled records (written through the normal archive path)."""
    archive = init_archive(root)
    it = variants(n, **kw)
    while True:
        chunk = [x for _, x in zip(range(batch), it, strict=False)]
        if not chunk:
            break
        with archive.batch():
            for source, rec in chunk:
                archive.add(rec, source)
    return archive


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("dest", type=Path)
    ap.add_argument("-n", type=int, default=10_000)
    args = ap.parse_args()
    a = make_archive(args.dest, args.n)
    print(f"{args.n} records in {a.root}")
