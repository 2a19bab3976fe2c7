"""The day's articles as an EPUB 3 book (``ebooklib``): a file to pass on and read offline.

One chapter per new or changed article (its current version, as published: the publisher's
footers dropped, sanitised), in the digest's order, after a first chapter that is the digest
itself; a table of contents (EPUB 3 nav and NCX). Images are the archive's own copies, packed
into the book; one with no kept copy is the site's placeholder (alt text, link to the
original), and one larger than :data:`MAX_IMAGE_BYTES` is left out with a note in its chapter
and in the digest — a book passed around by mail must stay small.

Typography for Chinese: ``lang="zh"``, a CJK font stack, 1.8 line height, justified text,
first-line indent of two characters, strict line breaking (no 。 or ， at a line start).
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

from ..archive import Archive
from ..errors import NewsvaultError, RecordError
from .digest import Digest, DigestItem
from .render import publish_body

__all__ = ["MAX_IMAGE_BYTES", "EpubReport", "write_epub"]

MAX_IMAGE_BYTES = 10 * 1024 * 1024
_PREFIX = "images/"  # where publish_body points kept images; the book holds them there
_IMG = re.compile(r'<img\b[^>]*?\bsrc="(images/[0-9a-f]{2}/[0-9a-f]{64}\.(\w+))"[^>]*>')
_TYPES = {"jpg": "image/jpeg", "png": "image/png", "gif": "image/gif", "webp": "image/webp", "avif": "image/avif", "bmp": "image/bmp"}

CSS = """\
html { -epub-line-break: strict; line-break: strict; }
body { font-family: "Noto Serif CJK SC", "Source Han Serif SC", "Songti SC", serif; line-height: 1.8;
       text-align: justify; word-break: normal; overflow-wrap: break-word; }
h1 { font-size: 1.3em; line-height: 1.4; text-indent: 0; margin: 0 0 .5em; }
p { text-indent: 2em; margin: 0 0 .4em; }
p.meta, li p, figcaption { text-indent: 0; color: #555; font-size: .85em; }
img { max-width: 100%; height: auto; }
del { color: #8a1c1c; } ins { color: #1b5e20; text-decoration: none; }
"""


@dataclass
class EpubReport:
    path: Path
    chapters: int = 0
    images: int = 0
    notes: list[str] = field(default_factory=list)  # images left out, articles not readable


def _images(body: str, media_dir: Path, title: str, notes: list[str]) -> tuple[str, list[tuple[str, str, bytes]]]:
    """``body`` with each kept image either packed ((name, type, bytes) returned) or, too big
    or missing, replaced by a note."""
    packed: list[tuple[str, str, bytes]] = []

    def one(m: re.Match[str]) -> str:
        rel, ext = m.group(1), m.group(2)
        path = media_dir / rel[len(_PREFIX):]
        try:
            size = path.stat().st_size
        except OSError:
            return '<span class="note">[图片缺失]</span>'
        if size > MAX_IMAGE_BYTES:
            notes.append(f"《{title}》的一张图片（{size / 1048576:.0f} MB）超过 {MAX_IMAGE_BYTES // 1048576} MB，未放入电子书：{path.name}")
            return f'<span class="note">[图片过大（{size / 1048576:.0f} MB），未放入电子书]</span>'
        packed.append((rel, _TYPES.get(ext, "application/octet-stream"), path.read_bytes()))
        return m.group(0)

    return _IMG.sub(one, body), packed


def _chapter_html(item: DigestItem, body: str, source_name: str) -> str:
    a = item.article
    return (f'<h1>{escape(a.title or "(无标题)")}</h1><p class="meta">{escape(source_name)} · '
            f'<a href="{escape(a.url)}">原文</a></p>{body}')


def write_epub(archive: Archive, digest: Digest, path: Path, digest_body: str) -> EpubReport:
    """Write the book of ``digest`` to ``path`` (atomically: a failed write leaves no file
    under that name). ``digest_body``: the digest as XHTML-safe HTML for the first chapter."""
    from ebooklib import epub

    from ..media.publish import MediaLinks

    report = EpubReport(path)
    book = epub.EpubBook()
    scope = f"{archive.config.name}" + (f" · {archive.source_display_name(digest.source)}" if digest.source else "")
    book.set_identifier(f"newsvault-digest-{scope}-{digest.day.isoformat()}")
    book.set_title(f"{scope} · {digest.day.isoformat()}")
    book.set_language("zh")
    book.add_author(archive.config.name)
    book.add_metadata("DC", "date", digest.day.isoformat())
    css = epub.EpubItem(uid="style", file_name="style.css", media_type="text/css", content=CSS.encode())
    book.add_item(css)

    links = MediaLinks(archive)
    chapters = []
    seen_images: set[str] = set()
    try:
        for n, item in enumerate([*digest.new, *digest.changed]):
            try:
                record = archive.read(item.article.latest_path)
            except (OSError, RecordError) as e:
                report.notes.append(f"{item.article.id}: 记录无法读取（{e}），未放入电子书")
                continue
            body = publish_body(record, media=links.lookup(_PREFIX))
            body, images = _images(body, links.dir, item.article.title, report.notes)
            for rel, mime, data in images:
                if rel not in seen_images:
                    seen_images.add(rel)
                    book.add_item(epub.EpubItem(uid=f"img{len(seen_images)}", file_name=rel, media_type=mime, content=data))
            ch = epub.EpubHtml(title=item.article.title or "(无标题)", file_name=f"a{n:04d}.xhtml", lang="zh")
            ch.content = _chapter_html(item, body, archive.source_display_name(item.article.source))
            ch.add_item(css)
            chapters.append(ch)
    finally:
        links.close()
    intro = epub.EpubHtml(title="本日摘要", file_name="digest.xhtml", lang="zh")
    intro.content = digest_body + "".join(f'<p class="meta">{escape(n)}</p>' for n in report.notes)
    intro.add_item(css)
    for ch in (intro, *chapters):
        book.add_item(ch)
    book.toc = [intro, *chapters]
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    book.spine = ["nav", intro, *chapters]
    report.chapters, report.images = len(chapters), len(seen_images)

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        epub.write_epub(tmp, book, {"epub3_pages": False})
        os.chmod(tmp, 0o644)  # mkstemp makes it private; the book is for passing on
        os.replace(tmp, path)
    except OSError as e:
        raise NewsvaultError(f"cannot write {path}: {e.strerror or e}") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return report
