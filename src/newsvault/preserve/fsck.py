"""Integrity check of an archive: record files ↔ catalog ↔ revisions ↔ search index.

The record files are the truth; everything in ``.newsvault/`` is derived from them. So fsck
reports every disagreement, and ``repair`` rebuilds what is derived (the catalog via
``Archive.reindex``, which also rebuilds the search index through its listener), finishes an
interrupted write (the journal), and removes temp files that no live process owns. It never
deletes or rewrites a record file: a damaged record is reported with how to restore it.

Checking does not change anything: it reads the catalog file directly (read-only, also on a
read-only disk) and never calls :meth:`Archive.recover`. It never follows a symbolic link out of
the archive nor opens a FIFO or device named like a record: those are reported as odd entries.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import subprocess
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .. import record as recordfmt
from ..archive import (
    ARTICLES,
    CATALOG_FILE,
    JOURNAL_FILE,
    REVISIONS,
    STATE_DIR,
    TEMP_PREFIX,
    TEMP_SUFFIX,
    Archive,
    Skipped,
    _writer_alive,
    is_revision_name,
    stray_revision,
)
from ..catalog import open_catalog
from ..catalog.sqlite import connect_read_only
from ..errors import ArchiveError, CatalogError, RecordError
from ..githistory import removed_articles

__all__ = ["Problem", "FsckReport", "fsck", "KINDS", "temp_owner_alive"]

# kind -> (what it means, whether repair can mend it)
KINDS: dict[str, tuple[str, bool]] = {
    "state-not-folder": (f"{STATE_DIR} is a file, not the folder of derived data", True),
    "catalog-missing": ("the catalog is missing", True),
    "catalog-damaged": ("the catalog cannot be read", True),
    "journal": ("an interrupted write left its journal", True),
    "temp-file": ("a stray temp file of an interrupted write", True),
    "unparseable": ("a record file that cannot be read as a record", False),
    "not-in-catalog": ("a record file the catalog does not list", True),
    "missing-file": ("the catalog lists a file that does not exist", True),
    "hash-mismatch": ("a record file changed since it was catalogued", True),
    "article-row": ("an article the catalog's article table lacks or describes unlike its versions", True),
    "orphan-revision": ("a revision whose article (version 0) is missing", False),
    "misplaced-revision": ("a revision filed under another article", False),
    "bad-revision-name": ("a revision not named <seen epoch seconds>[-n].md or undated[-n].md", False),
    "odd-entry": ("a symbolic link or special file among the records (never followed or read)", False),
    "index-missing": ("an article the search index neither holds nor has queued", True),
    "index-stale": ("a search index entry for an article not in the catalog", True),
    "index-damaged": ("the search index cannot be read", True),
    "media-missing": ("a kept article image whose file is missing (repair fetches it again)", True),
    "media-corrupt": ("a kept article image whose bytes do not match its name (repair fetches it again)", True),
    "warc": ("a WARC capture file or index line that is damaged or fails its digests", False),
}


@dataclass
class Problem:
    kind: str
    path: str | None
    detail: str

    @property
    def repairable(self) -> bool:
        return KINDS[self.kind][1]

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "repairable": self.repairable}


@dataclass
class FsckReport:
    files: int = 0
    catalogued: int = 0
    problems: list[Problem] = field(default_factory=list)
    repaired: list[Problem] = field(default_factory=list)  # found, then mended by repair
    actions: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def clean(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {
            "clean": self.clean,
            "files": self.files,
            "catalogued": self.catalogued,
            "problems": [p.as_dict() for p in self.problems],
            "repaired": [p.as_dict() for p in self.repaired],
            "actions": self.actions,
            "seconds": round(self.seconds, 3),
        }


def temp_owner_alive(name: str) -> bool:
    """Whether the process that wrote temp file ``.nv-<name>.<pid>.tmp`` is still running."""
    return _writer_alive(name)


def _git_hint(root: Path, rel: str) -> str:
    """How to get a record back: from git when the archive is a repository that has it."""
    if not (root / ".git").exists():
        return "restore it from a backup or clone"
    try:
        proc = subprocess.run(["git", "-C", str(root), "cat-file", "-e", f"HEAD:{rel}"], capture_output=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return "restore it from a backup or clone"
    if proc.returncode == 0:
        return f"restore it with: git -C {root} checkout -- '{rel}'"
    return "it is not in git HEAD either; restore it from a backup or clone"


def _scan_temp_files(archive: Archive) -> list[Problem]:
    problems = []
    for dirpath, dirnames, filenames in os.walk(archive.root):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        for name in filenames:
            if name.startswith(TEMP_PREFIX) and name.endswith(TEMP_SUFFIX) and not temp_owner_alive(name):
                path = Path(dirpath) / name
                problems.append(Problem("temp-file", archive.rel(path), f"{path.lstat().st_size} bytes, its writer is gone"))
    return problems


def _journal_problem(archive: Archive) -> Problem | None:
    journal = archive.state_dir / JOURNAL_FILE
    if not journal.exists():
        return None
    try:
        entries = json.loads(journal.read_text())
    except (ValueError, OSError):
        return Problem("journal", f"{STATE_DIR}/{JOURNAL_FILE}", "unreadable journal")
    if any(temp_owner_alive(Path(tmp).name) for tmp, _ in entries):
        return None  # a writer is at work right now
    pending = sum(1 for tmp, final in entries if (archive.root / tmp).exists() and not (archive.root / final).exists())
    return Problem("journal", f"{STATE_DIR}/{JOURNAL_FILE}", f"{len(entries)} files in the interrupted write, {pending} not yet in place")


def _catalog_state(archive: Archive) -> tuple[dict[str, tuple[str, str, str, str | None]] | None, Problem | None]:
    """path -> (file_hash, article_id, article's version-0 path, canonical url), or a problem."""
    path = archive.state_dir / CATALOG_FILE
    if not path.exists():
        return None, Problem("catalog-missing", f"{STATE_DIR}/{CATALOG_FILE}", "no catalog file")
    try:
        db = connect_read_only(path)
        try:
            ok = db.execute("PRAGMA quick_check").fetchone()[0]
            if ok != "ok":
                raise sqlite3.DatabaseError(ok)
        finally:
            db.close()
        catalog = open_catalog(path)
    except (sqlite3.DatabaseError, CatalogError) as e:
        return None, Problem("catalog-damaged", f"{STATE_DIR}/{CATALOG_FILE}", str(e))
    try:
        rows: dict[str, tuple[str, str, str, str | None]] = {}
        first: dict[str, str] = {}
        for p in catalog.paths():
            v = catalog.version_at(p)
            if v is None:
                continue
            rows[p] = (v.file_hash, v.article_id, "", v.canonical_url)
            if v.rev == 0:
                first[v.article_id] = p
        return {p: (h, a, first.get(a, ""), u) for p, (h, a, _, u) in rows.items()}, None
    except sqlite3.DatabaseError as e:
        return None, Problem("catalog-damaged", f"{STATE_DIR}/{CATALOG_FILE}", str(e))
    finally:
        catalog.close()


# As the catalog derives an article's row (catalog/sqlite.py, _article_row): versions are the
# rows with rev >= 0 (rev -1: a file repeating a version); the record is the first file under
# articles/ by path, else version 0; the latest is the highest rev.
_ARTICLE_ROWS = """
SELECT v.article_id, a.id, a.versions, SUM(v.rev >= 0), a.path,
       COALESCE(MIN(CASE WHEN v.path LIKE 'articles/%' THEN v.path END), MIN(CASE WHEN v.rev = 0 THEN v.path END)),
       a.latest_path, (SELECT w.path FROM versions w WHERE w.article_id = v.article_id ORDER BY w.rev DESC LIMIT 1)
FROM versions v LEFT JOIN articles a ON a.id = v.article_id GROUP BY v.article_id
"""


def _article_row_problems(archive: Archive) -> list[Problem]:
    """The article table against the version table (both derived, checked against the files
    by :func:`check`): every article with versions has its row, with their count and its first
    and latest paths, and no row is left without versions. A catalog that lost rows is still a
    valid database; without this the lists, search and site would silently lose the articles."""
    path = archive.state_dir / CATALOG_FILE
    if not path.exists():
        return []
    problems = []
    try:
        db = connect_read_only(path)
        try:
            for aid, row_id, count, n, first, want_first, latest, want_latest in db.execute(_ARTICLE_ROWS):
                if row_id is None:
                    problems.append(Problem("article-row", want_latest or want_first, f"article {aid} has {n} version(s) but no row in the article table"))
                elif (count, first, latest) != (n, want_first, want_latest):
                    problems.append(Problem("article-row", want_latest, f"article {aid}: the article table says {count} version(s), "
                                            f"first {first}, latest {latest}; its versions say {n}, {want_first}, {want_latest}"))
            for (aid,) in db.execute("SELECT id FROM articles WHERE id NOT IN (SELECT article_id FROM versions)"):
                problems.append(Problem("article-row", None, f"article {aid} has a row but no version"))
        finally:
            db.close()
    except sqlite3.DatabaseError:
        return []  # reported as catalog-damaged
    return problems


def _removed_stems(archive: Archive) -> set[str]:
    """Stems of record files the repository deleted (docs/continuing.md): their revisions are the
    article, with no record file of their own."""
    return {str(n.get("path", "")).rsplit("/", 1)[-1].removesuffix(".md") for n in removed_articles(archive.root).values()}


def _revision_problems(archive: Archive, rel: str, owner: str | None) -> list[Problem]:
    """A revision file ``revisions/<source>/<stem>/<seen>.md`` must sit under its version 0."""
    parts = rel.split("/")
    if len(parts) != 4:
        return [Problem("bad-revision-name", rel, "expected revisions/<source>/<stem>/<seen>.md")]
    stem, name = parts[2], parts[3]
    problems = []
    if not is_revision_name(name):
        problems.append(Problem("bad-revision-name", rel, f"{name!r} is not <seen epoch seconds>[-n].md or undated[-n].md"))
    source = parts[1]
    first = archive.root / ARTICLES / source / f"{stem}.md"
    flat = archive.root / ARTICLES / f"{stem}.md"  # single-outlet archives (old CDT layout)
    if not first.is_file() and not (source == archive.fallback_source and flat.is_file()) and stem not in _removed_stems(archive):
        problems.append(Problem("orphan-revision", rel, f"no {ARTICLES}/{source}/{stem}.md holds this article's first version"))
        return problems
    if owner is not None and not owner.startswith(REVISIONS + "/") and owner.rsplit("/", 1)[-1][:-3] != stem:
        problems.append(Problem("misplaced-revision", rel, f"its text belongs to the article of {owner}"))
    return problems


def _unlisted_or_changed(archive: Archive, path: Path, data: bytes, row: tuple[str, str, str, str | None] | None, listed: bool) -> Problem | None:
    """What is wrong with a record file the catalog does not list, or lists with other bytes."""
    rel = archive.rel(path)
    try:
        recordfmt.parse(data, name=path.name)
    except RecordError as e:
        return Problem("unparseable", rel, f"{e} ({len(data)} bytes); {_git_hint(archive.root, rel)}")
    if listed and row is None:
        stray = _stray(archive, path, rel)
        if stray:
            return Problem("misplaced-revision", rel, stray)
        return Problem("not-in-catalog", rel, "a record the catalog does not list")
    if row is not None:
        return Problem("hash-mismatch", rel, f"edited since it was catalogued (records are never rewritten); {_git_hint(archive.root, rel)}")
    return None


def _stray(archive: Archive, path: Path, rel: str) -> str | None:
    """For a revision the catalog does not list: why it is one the archive never grafts (its
    URL names an article whose record file is elsewhere), or None."""
    if not rel.startswith(REVISIONS + "/"):
        return None
    try:
        version = archive.read_version(path)[1]
    except (RecordError, OSError):
        return None
    owner = archive.catalog.lookup_url(version.canonical_url)
    return stray_revision(rel, owner.path) if owner is not None else None


def _index_problems(archive: Archive, article_ids: set[str]) -> list[Problem]:
    """Articles missing from the search index (and not queued for it), and stale entries."""
    from ..search import index as search_index

    path = archive.state_dir / getattr(search_index, "SEARCH_FILE", "search.sqlite")
    if not path.exists():
        # Not built yet (a collect pass queues into an index only once one exists) or deleted:
        # either way the first search builds it from the catalog, so nothing is unsearchable.
        return []
    try:
        db = connect_read_only(path)
        try:
            indexed = {r[0] for r in db.execute("SELECT article_id FROM docs")}
            queued = {r[0] for r in db.execute("SELECT article_id FROM pending")}
        finally:
            db.close()
    except sqlite3.DatabaseError as e:
        return [Problem("index-damaged", f"{STATE_DIR}/{path.name}", str(e))]
    problems = []
    missing = sorted(article_ids - indexed - queued)
    stale = sorted(indexed - article_ids)
    if missing:
        problems.append(Problem("index-missing", None, f"{len(missing)} articles neither indexed nor queued, e.g. {', '.join(missing[:5])}"))
    if stale:
        problems.append(Problem("index-stale", None, f"{len(stale)} index entries for articles not in the catalog, e.g. {', '.join(stale[:5])}"))
    return problems


def check(archive: Archive, progress: Callable[[int], None] | None = None) -> FsckReport:
    """Find every problem; change nothing."""
    started = time.perf_counter()
    report = FsckReport()
    problems = report.problems
    problems.extend(_scan_temp_files(archive))
    journal = _journal_problem(archive)
    if journal:
        problems.append(journal)
    if archive.state_dir.exists() and not archive.state_dir.is_dir():
        problems.append(Problem("state-not-folder", STATE_DIR, "not a folder; repair moves it aside and rebuilds the derived data"))
    rows, catalog_problem = _catalog_state(archive)
    if catalog_problem:
        problems.append(catalog_problem)
    seen_paths: set[str] = set()
    skipped: list[Skipped] = []
    for n, path in enumerate(archive.record_files(skipped), 1):
        rel = archive.rel(path)
        seen_paths.add(rel)
        report.files += 1
        try:
            data = archive.read_bytes(rel)
        except RecordError as e:
            problems.append(Problem("odd-entry", rel, str(e)))
            continue
        except OSError as e:
            problems.append(Problem("unparseable", rel, f"unreadable: {e.strerror or e}; {_git_hint(archive.root, rel)}"))
            continue
        row = rows.get(rel) if rows is not None else None
        digest = hashlib.sha256(data).hexdigest()
        if row is None or row[0] != digest:
            changed = _unlisted_or_changed(archive, path, data, row, listed=rows is not None)
            if changed is not None:
                problems.append(changed)
            if changed is not None and changed.kind in ("unparseable", "misplaced-revision"):
                continue
        if rel.startswith(REVISIONS + "/"):
            problems.extend(_revision_problems(archive, rel, row[2] if row else None))
        if progress:
            progress(n)
    problems.extend(Problem("odd-entry", s.path, s.reason) for s in skipped)
    if rows is not None:
        report.catalogued = len(rows)
        for rel in sorted(set(rows) - seen_paths):
            problems.append(Problem("missing-file", rel, f"catalogued but not on disk; {_git_hint(archive.root, rel)}"))
        problems.extend(_hand_changes(archive, {(p.kind, p.path) for p in problems}))
        problems.extend(_article_row_problems(archive))
        problems.extend(_index_problems(archive, {r[1] for r in rows.values()}))
    from ..media.check import media_problems

    problems.extend(Problem(kind, path, detail) for kind, path, detail in media_problems(archive))
    problems.extend(_warc_problems(archive))
    report.seconds = time.perf_counter() - started
    return report


def _hand_changes(archive: Archive, reported: set[tuple[str, str | None]]) -> list[Problem]:
    """Committed records edited or deleted by hand that an earlier command already took into
    the catalog (so the digests agree): git still says they differ from HEAD."""
    from ..catchup import hand_changes

    problems = []
    for rel, status in sorted(hand_changes(archive).items()):
        if status == "M" and ("hash-mismatch", rel) not in reported:
            problems.append(Problem("hash-mismatch", rel, f"edited by hand since it was committed (records are never rewritten); {_git_hint(archive.root, rel)}"))
        elif status == "D" and ("missing-file", rel) not in reported:
            problems.append(Problem("missing-file", rel, f"deleted by hand since it was committed; {_git_hint(archive.root, rel)}"))
    return problems


def _note_tree(archive: Archive, accepted: list[str]) -> None:
    """After a repair: the catalog reflects HEAD and the work tree as they are, hand changes
    in ``accepted`` included (fsck no longer reports them)."""
    from ..catchup import accept_hand_changes, catch_up

    catch_up(archive, fresh=True)
    if accepted:
        accept_hand_changes(archive, accepted)


def _warc_problems(archive: Archive) -> list[Problem]:
    """WARC evidence (``warc/``): every record's digests, and the index pointing at real records."""
    from ..evidence.verify import verify_warcs

    return [Problem("warc", path, what) for path, what in verify_warcs(archive.root).problems or []]


REPAIRS_DIR = "repairs"


def _log_repair(archive: Archive, accepted: list[Problem]) -> str:
    """Append-only evidence of what a repair took as the new truth: ``repairs/<UTC time>.jsonl``,
    one line a file, with the digest the catalog had and the one found (null: deleted). The time
    is when the repair found it, which is all that is known of when the change happened."""
    rows, _ = _catalog_state(archive)
    now = time.time()
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
    lines = []
    for p in accepted:
        assert p.path is not None
        path = archive.root / p.path
        found = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None
        before = rows.get(p.path, ("",))[0] if rows else ""
        lines.append(json.dumps({"detected": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)), "kind": p.kind, "path": p.path,
                                 "catalogued_sha256": before or None, "found_sha256": found}, ensure_ascii=False))
    folder = archive.root / REPAIRS_DIR
    folder.mkdir(exist_ok=True)
    n = 0
    while True:
        target = folder / (f"{stamp}.jsonl" if n == 0 else f"{stamp}-{n}.jsonl")
        try:
            with open(target, "x", encoding="utf-8") as f:  # never overwrites an earlier repair's file
                f.write("\n".join(lines) + "\n")
                f.flush()
                os.fsync(f.fileno())
            return target.relative_to(archive.root).as_posix()
        except FileExistsError:
            n += 1


def _refuse_read_only(archive: Archive) -> None:
    """Repair writes derived data; on a read-only disk say so before touching anything."""
    try:
        probe = archive.state_dir if archive.state_dir.is_dir() else archive.root
        with open(probe / f"{TEMP_PREFIX}probe.{os.getpid()}{TEMP_SUFFIX}", "wb") as f:
            os.unlink(f.name)
    except OSError as e:
        raise ArchiveError(f"cannot repair the archive at {archive.root}: {e.strerror or e}; nothing was changed") from None


def fsck(archive: Archive, repair: bool = False, progress: Callable[[int], None] | None = None) -> FsckReport:
    """Check the archive; with ``repair``, mend what is derivable and check again.

    The report's ``problems`` are what remains; ``repaired`` what was found and mended."""
    report = check(archive, progress)
    if not repair or report.clean:
        return report
    found = report.problems
    actions: list[str] = []
    kinds = {p.kind for p in found}
    if any(p.repairable for p in found):
        _refuse_read_only(archive)
    # Repair rebuilds every derived store, whatever listeners the caller registered.
    from ..compose import attach

    attach(archive)
    # 1. Temp files nobody owns: an interrupted batch that never reached its journal.
    journal_temps: set[str] = set()
    journal_path = archive.state_dir / JOURNAL_FILE
    if "journal" in kinds:
        with contextlib.suppress(ValueError, OSError):
            journal_temps = {tmp for tmp, _ in json.loads(journal_path.read_text())}
    for p in found:
        if p.kind == "temp-file" and p.path is not None and p.path not in journal_temps:  # the journal's are rolled forward
            (archive.root / p.path).unlink(missing_ok=True)
            actions.append(f"removed {p.path}")
    # 2. Derived data is rebuilt below: a file where its folder belongs is set aside (it may
    # be someone's; it is not deleted), and so is a damaged catalog.
    if "state-not-folder" in kinds:
        archive.close()
        aside = archive.state_dir.with_name(f"{STATE_DIR}.not-a-folder-{int(time.time())}")
        os.replace(archive.state_dir, aside)
        archive.state_dir.mkdir()
        actions.append(f"moved the file {STATE_DIR} to {aside.name}")
    if "catalog-damaged" in kinds:
        archive.close()
        catalog_path = archive.state_dir / CATALOG_FILE
        aside = catalog_path.with_name(f"{CATALOG_FILE}.damaged-{int(time.time())}")
        os.replace(catalog_path, aside)
        for suffix in ("-wal", "-shm"):
            Path(f"{catalog_path}{suffix}").unlink(missing_ok=True)
        actions.append(f"moved the damaged catalog to {STATE_DIR}/{aside.name}")
    if "index-damaged" in kinds:
        from ..search import index as search_index

        archive.close()
        ipath = archive.state_dir / getattr(search_index, "SEARCH_FILE", "search.sqlite")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{ipath}{suffix}").unlink(missing_ok=True)
        actions.append(f"removed the damaged search index {STATE_DIR}/{ipath.name}")
    # A record edited or deleted by hand becomes the truth the rebuild derives from: say so, in
    # a file of its own that nothing rewrites, before the catalog forgets the old digest.
    accepted = [p for p in found if p.kind in ("hash-mismatch", "missing-file") and p.path]
    if accepted:
        actions.append(f"recorded {len(accepted)} changed or deleted record file(s) in {_log_repair(archive, accepted)}")
    # 3. Opening the catalog rolls an interrupted write forward (the journal), or rebuilds a
    # missing catalog from the files; then whatever else is derived is rebuilt from the files.
    if kinds & {"journal", "catalog-missing", "catalog-damaged", "state-not-folder"}:
        archive.recover()
        actions.append("finished the interrupted write" if "journal" in kinds else "rebuilt the catalog")
    rebuilt = bool(kinds & {"catalog-missing", "catalog-damaged", "state-not-folder"})  # opening it just did
    if not rebuilt and kinds & {"not-in-catalog", "missing-file", "hash-mismatch", "article-row", "index-missing", "index-stale", "index-damaged"}:
        result = archive.reindex()
        actions.append(f"rebuilt the catalog and search index from {result['versions']} record files")
    _note_tree(archive, [p.path for p in accepted if p.path])
    if kinds & {"media-missing", "media-corrupt"}:
        from ..media.check import refetch

        fetched, tried = refetch(archive)
        actions.append(f"fetched {fetched} of {tried} images again" + ("" if fetched == tried else "; 'newsvault media ls --failed' lists the rest"))
    after = check(archive, progress)
    remaining = {(p.kind, p.path) for p in after.problems}
    after.repaired = [p for p in found if (p.kind, p.path) not in remaining]
    after.actions = actions
    after.seconds += report.seconds
    return after
