"""Reading captures back and checking WARC files (``fsck``).

Each ``warc/**/*.warc.gz`` is read record by record with warcio, recomputing every block and
payload digest; a file that ends mid-record (a capture killed mid-write) is reported with the
offset of the damaged record. Each line of ``warc/index.jsonl`` must name a response record
that exists at its offset, and each record named in ``warc/links.jsonl`` must be indexed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .captures import INDEX_NAME, LINKS_NAME, WARC_DIR, read_capture, read_index, read_links, warc_files

__all__ = ["WarcReport", "verify_warcs", "read_capture", "warc_files"]


@dataclass
class WarcReport:
    files: int = 0
    records: int = 0
    problems: list[tuple[str, str]] | None = None  # (file, what is wrong)

    def __post_init__(self) -> None:
        if self.problems is None:
            self.problems = []


def _truncated_at(path: Path) -> int | None:
    """The offset of a gzip member that ends before its end (a cut-off write), if any.

    warcio stops quietly at a cut-off member, so each member is walked here with zlib."""
    import zlib

    with open(path, "rb") as f:
        data = f.read()
    pos = 0
    while pos < len(data):
        d = zlib.decompressobj(wbits=31)
        try:
            d.decompress(data[pos:])
        except zlib.error:
            return pos
        if not d.eof:
            return pos
        pos = len(data) - len(d.unused_data)
    return None


def _check_file(root: Path, path: Path, report: WarcReport) -> None:
    from warcio.archiveiterator import ArchiveIterator

    rel = path.relative_to(root).as_posix()
    problems = report.problems
    assert problems is not None
    cut = _truncated_at(path)
    if cut is not None:
        problems.append((rel, f"truncated record at offset {cut} (a capture interrupted mid-write; the records before it are whole)"))
    offset = 0
    try:
        with open(path, "rb") as f:
            it = ArchiveIterator(f, check_digests=True)
            for record in it:
                offset = it.get_record_offset()
                record.content_stream().read()  # reading to the end computes the digests
                it.read_to_end(record)
                if record.digest_checker.passed is False:
                    problems.append((rel, f"record at offset {offset}: digest mismatch ({'; '.join(map(str, record.digest_checker.problems))})"))
                report.records += 1
                offset = it.get_record_offset() + it.get_record_length()
    except Exception as e:  # noqa: BLE001 - any failure to read is the finding
        if cut is None:  # a cut-off end is reported once, above
            problems.append((rel, f"damaged record at offset {offset} ({type(e).__name__}: {e})"))


def verify_warcs(root: Path) -> WarcReport:
    """Check every WARC file and every line of the capture index."""
    root = Path(root)
    report = WarcReport()
    assert report.problems is not None
    for path in warc_files(root):
        report.files += 1
        _check_file(root, path, report)
    captures, problems = read_index(root)
    index = f"{WARC_DIR}/{INDEX_NAME}"
    report.problems.extend((index, p) for p in problems)
    for c in captures:
        try:
            record, _ = read_capture(root, c)
            if record.rec_headers.get_header("WARC-Record-ID") != c.record_id:
                report.problems.append((index, f"{c.record_id} is not at {c.file} offset {c.offset}"))
        except Exception as e:  # noqa: BLE001
            report.problems.append((index, f"{c.file} offset {c.offset}: cannot be read ({e})"))
    indexed = {c.record_id for c in captures}
    for version_path, records in read_links(root).items():
        missing = [r for r in records if r not in indexed]
        if missing:
            report.problems.append((f"{WARC_DIR}/{LINKS_NAME}", f"{version_path}: capture {missing[0]} is not in {index}"))
    return report
