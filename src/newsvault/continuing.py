"""Continue an existing repository in place (a duty-machine archive, a clone of one).

``newsvault open`` makes such a repository a newsvault archive without rewriting any of its
files: ``.newsvault/`` (derived data) is git-ignored so that the original's ``git add .`` never
commits it; the repository's layout (newsvault.layout) and, for a single-outlet repository,
the source of its records are recorded in newsvault.toml, so new records are written like
their neighbours and lists in the original's own form; the catalog is built from the record files, and the texts git holds from
before are recovered as dated versions (:mod:`newsvault.githistory`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from urllib.parse import urlsplit

from . import record as recordfmt
from .archive import ARTICLES, STATE_DIR, TEMP_PREFIX, TEMP_SUFFIX, Archive, write_atomic
from .config import CONFIG_NAME, slugify
from .errors import RecordError
from .githistory import HistoryReport, recover_history
from .layout import detect
from .publish.lists import detect_list_form

__all__ = ["open_in_place", "ignore_state", "records_source"]

_SAMPLE = 200  # records read to name the source of a single-outlet repository


def ignore_state(archive: Archive) -> bool:
    """Add newsvault's own files to the repository's .gitignore; True when it changed."""
    gitignore = archive.root / ".gitignore"
    text = gitignore.read_text(encoding="utf-8") if gitignore.is_file() else ""
    lines = text.splitlines()
    missing = [e for e in (f"/{STATE_DIR}/", f"{TEMP_PREFIX}*{TEMP_SUFFIX}") if e not in lines and e.lstrip("/") not in lines]
    if not missing:
        return False
    write_atomic(gitignore, text + ("" if not text or text.endswith("\n") else "\n") + "".join(f"{e}\n" for e in missing))
    return True


def records_source(archive: Archive) -> str | None:
    """The source of the records directly under articles/ (a single-outlet repository), from
    what they say (their URLs' host), never from the folder's name. None when there are none."""
    hosts: Counter[str] = Counter()
    folder = archive.root / ARTICLES
    files = sorted(p for p in folder.glob("*.md") if p.is_file() and not p.is_symlink())[:_SAMPLE] if folder.is_dir() else []
    for path in files:
        try:
            host = urlsplit(recordfmt.parse(path.read_bytes(), name=path.name).url).hostname
        except (OSError, RecordError, ValueError):
            continue
        if host:
            hosts[host] += 1
    if not hosts:
        return None
    host = hosts.most_common(1)[0][0]
    return archive.config.source_for_host(host) or slugify(host.removeprefix("www.").split(".")[0])


def record_layout(archive: Archive, *, opened: bool) -> bool:
    """Detect the repository's layout and list form into ``archive.config`` unless they are
    there already; ``opened``: its history is being read now (once read, it stays so). True
    when the config changed."""
    config = archive.config
    before = config.layout
    layout = before or detect(archive.root)
    if layout.lists is None:
        layout = replace(layout, lists=detect_list_form(archive.root, layout))  # read before newsvault writes any list
    config.layout = replace(layout, opened=opened or (before is not None and before.opened))
    return config.layout != before


def open_in_place(archive: Archive) -> HistoryReport:
    """Make the repository at ``archive.root`` ready to continue, and recover its history."""
    ignore_state(archive)
    config = archive.config
    changed = record_layout(archive, opened=True)
    named = False
    if config.default_source is None and (source := records_source(archive)) is not None:
        config.default_source = source
        changed = named = True
    if changed or not (archive.root / CONFIG_NAME).is_file():
        write_atomic(archive.root / CONFIG_NAME, config.dump())
    if named:
        archive.reindex()  # the catalog was built with the folder's name as the records' source
    return recover_history(archive)
