"""The archive as one ZIM file (``libzim``), for Kiwix and other offline readers.

Where the web is filtered, a library passed on as a file is how readers get it: a ZIM holds the
static site — every article's current version (with its list of versions and a page per
version: its history), the archived images, the home page as the main page, the source, day
and changes lists — plus Kiwix's own full-text index, built for Chinese (``Language = zho``;
libzim segments CJK text), so that the archive is searchable with no server and no script.
The site's JavaScript search, its feeds and their index files are left out: Kiwix searches the
ZIM's index instead.

The site is built first, incrementally, in the archive's state folder (``.newsvault/zim/site``,
git-ignored), so a second export costs only what changed there. The ZIM is written in a
temporary folder beside the final name and moved there only when complete: a full disk or an
interruption leaves no partial file under ``<name>.zim``.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from html import unescape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from libzim.writer import Creator, Hint, IndexData, Item, StringProvider

from ..boilerplate import strip_boilerplate
from ..errors import NewsvaultError
from ..text import html_to_text

if TYPE_CHECKING:
    from ..archive import Archive

__all__ = ["ZimReport", "export_zim", "zim_name"]

_SKIP = ("search/", "feeds/", "search.html")
_TYPES = {
    ".html": "text/html", ".css": "text/css", ".js": "application/javascript", ".xml": "application/atom+xml",
    ".jpg": "image/jpeg", ".png": "image/png", ".gif": "image/gif", ".webp": "image/webp", ".avif": "image/avif",
    ".bmp": "image/bmp", ".svg": "image/svg+xml", ".json": "application/json", ".txt": "text/plain",
}
_TITLE = re.compile(r"<title>(.*?)</title>", re.S)
_ARTICLE = re.compile(r"articles/[0-9a-f]{2}/([0-9a-f]+)\.html")


@dataclass
class ZimReport:
    path: Path
    articles: int = 0
    entries: int = 0
    images: int = 0
    bytes: int = 0
    seconds: float = 0.0
    site_seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"zim": str(self.path), "articles": self.articles, "entries": self.entries, "images": self.images,
                "bytes": self.bytes, "seconds": round(self.seconds, 2), "site_seconds": round(self.site_seconds, 2)}

    def summary(self) -> str:
        return (f"wrote {self.path}: {self.articles} articles, {self.images} images, {self.entries} entries, "
                f"{self.bytes / 1048576:.1f} MB in {self.seconds:.1f} s")


def zim_name(archive: Archive) -> str:
    """The file name: the archive's name as a slug (``newsvault-archive.zim`` by default)."""
    from ..config import slugify

    return slugify(archive.config.name) + ".zim"


def _illustration() -> bytes:
    """The 48×48 PNG every ZIM must carry (Kiwix shows it in its library): a plain mark."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (48, 48), (11, 92, 173))
    ImageDraw.Draw(img).rectangle((10, 10, 37, 37), outline=(255, 255, 255), width=4)
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


class _Index(IndexData):  # type: ignore[misc]  # libzim ships no types
    def __init__(self, title: str, text: str) -> None:
        super().__init__()
        self.title, self.text = title, text

    def has_indexdata(self) -> bool:
        return bool(self.text or self.title)

    def get_title(self) -> str:
        return self.title

    def get_content(self) -> str:
        return self.text

    def get_keywords(self) -> str:
        return ""

    def get_wordcount(self) -> int:
        return len(self.text)

    def get_geoposition(self) -> tuple[float, float] | None:
        return None

class _NoIndex(_Index):
    def has_indexdata(self) -> bool:
        return False

class _File(Item):  # type: ignore[misc]
    def __init__(self, rel: str, data: bytes, title: str, index: _Index | None, front: bool) -> None:
        super().__init__()
        self.rel, self.data, self.title, self.index, self.front = rel, data, title, index, front

    def get_path(self) -> str:
        return self.rel

    def get_title(self) -> str:
        return self.title

    def get_mimetype(self) -> str:
        return _TYPES.get(Path(self.rel).suffix, "application/octet-stream")

    def get_contentprovider(self) -> StringProvider:
        return StringProvider(self.data)

    def get_hints(self) -> dict[Any, bool]:
        return {Hint.FRONT_ARTICLE: self.front, Hint.COMPRESS: not self.rel.startswith("media/")}

    def get_indexdata(self) -> _Index | None:
        return self.index



def _item(archive: Archive, rel: str, data: bytes, report: ZimReport) -> _File:
    """One site file as a ZIM entry: article pages indexed (their text, footers dropped) and
    listed as front articles; other pages titled but not indexed; the rest plain files."""
    m = _ARTICLE.fullmatch(rel)
    a = archive.catalog.get(m.group(1)) if m else None  # one look-up a page: no catalog held in memory
    if a is not None:
        record = archive.read(a.latest_path)
        text = html_to_text(strip_boilerplate(record.body, record.url))
        report.articles += 1
        return _File(rel, data, a.title or "(无标题)", _Index(a.title, text), True)
    if rel.endswith(".html"):
        t = _TITLE.search(data[:4096].decode("utf-8", "replace"))
        return _File(rel, data, unescape(t.group(1)).strip() if t else rel, _NoIndex("", ""), False)
    report.images += rel.startswith("media/")
    return _File(rel, data, "", None, False)


def _site_files(site: Path) -> Iterator[tuple[str, Path]]:
    for path in sorted(site.rglob("*")):
        rel = path.relative_to(site).as_posix()
        if path.is_file() and not rel.startswith(".") and "/." not in rel and not rel.startswith(_SKIP):
            yield rel, path


def export_zim(archive: Archive, directory: Path | str, *, progress: Callable[[str], None] | None = None) -> ZimReport:
    """Write ``directory/<archive name>.zim``; see the module docstring."""
    from ..publish.site import build_site

    say = progress or (lambda _m: None)
    t0 = time.perf_counter()
    site = archive.state_dir / "zim" / "site"
    say("building the site")
    build_site(archive, site)
    site_seconds = time.perf_counter() - t0

    directory = Path(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=".zim-", dir=directory))
    except OSError as e:
        raise NewsvaultError(f"cannot write to {directory}: {e.strerror or e}") from None
    final = directory / zim_name(archive)
    report = ZimReport(final, site_seconds=site_seconds)
    say("writing the ZIM")
    try:
        done = _in_own_process({"root": str(archive.root), "site": str(site), "zim": str(work / final.name),
                                "stem": final.stem})
        if "error" in done:
            raise NewsvaultError(f"cannot write {final}: {done['error']} (nothing was left under that name)")
        report.articles, report.images, report.entries = done["articles"], done["images"], done["entries"]
        os.replace(work / final.name, final)
    except OSError as e:
        shutil.rmtree(work, ignore_errors=True)
        raise NewsvaultError(f"cannot write {final}: {e.strerror or e} (nothing was left under that name)") from None
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    shutil.rmtree(work, ignore_errors=True)
    report.bytes = final.stat().st_size
    report.seconds = time.perf_counter() - t0
    return report


def _in_own_process(job: dict[str, str]) -> dict[str, Any]:
    """Run :func:`zim_worker` on ``job`` in a ``python -c`` process and return what it reports.

    libzim's writer runs its own threads; once one of them has failed (a full disk) the C++
    creator can block for ever when it is destroyed, after the error has been reported. In a
    process of its own it is never destroyed: the worker reports, then leaves with ``os._exit``."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    proc = subprocess.Popen([sys.executable, "-c", "from newsvault.export.zim import zim_worker; zim_worker()"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
    try:
        out, _ = proc.communicate(json.dumps(job).encode())
    finally:  # (interrupted: the writer goes too)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    try:
        done: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"error": f"the ZIM writer stopped without a report (exit code {proc.returncode})"}
    return done


def zim_worker() -> None:
    """The ZIM-writing process: a job as JSON on stdin, one JSON line on stdout, then ``os._exit``."""
    job = json.loads(sys.stdin.buffer.read())
    answer = os.dup(1)  # libzim prints its progress on stdout and stderr: the report gets its own copy
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    try:
        from ..archive import Archive

        archive = Archive.open(job["root"])
        report = ZimReport(Path(job["zim"]))
        _write(archive, Path(job["site"]), Path(job["zim"]), job["stem"], report)
        done: dict[str, Any] = {"articles": report.articles, "images": report.images, "entries": report.entries}
    except (OSError, RuntimeError, NewsvaultError) as e:
        done = {"error": str(e.strerror if isinstance(e, OSError) and e.strerror else e)}
    except BaseException as e:  # a report still goes back: the caller must not guess
        done = {"error": f"{type(e).__name__}: {e}"}
    os.write(answer, (json.dumps(done) + "\n").encode())
    os._exit(0)


def _write(archive: Archive, site: Path, target: Path, stem: str, report: ZimReport) -> None:
    with Creator(str(target)).config_indexing(True, "zho") as creator:
        creator.set_mainpath("index.html")
        name = archive.config.name
        for key, value in (("Name", stem), ("Title", name[:30]), ("Description", f"{name}：新闻存档，每篇文章的全部版本"[:80]),
                           ("Language", "zho"), ("Creator", name), ("Publisher", "newsvault"),
                           ("Date", datetime.now(UTC).strftime("%Y-%m-%d")), ("Tags", "_category:news;_pictures:yes;_ftindex:yes")):
            creator.add_metadata(key, value)
        creator.add_illustration(48, _illustration())
        for rel, path in _site_files(site):
            creator.add_item(_item(archive, rel, path.read_bytes(), report))
            report.entries += 1
