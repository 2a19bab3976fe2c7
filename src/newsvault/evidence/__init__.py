"""Evidence: what a server sent and when, kept as WARC (ISO 28500) files under ``warc/``.

* :mod:`.warc` — :class:`WarcRecorder`, the :attr:`FetchPolicy.capture` hook of collect, watch
  and recheck (set up by :func:`recorder_for`) that writes each HTTP exchange as a request +
  response record pair (one gzip member per record), rotating files by size and day; the
  ``warc/index.jsonl`` that locates each response record;
* :mod:`.captures` — what the others share: the index, the links, reading a capture back;
* :mod:`.verify` — checking WARC files and digests (used by ``fsck``);
* :mod:`.links` — the captures behind each archived version (``show --evidence``), linked when
  the version is written (``warc/links.jsonl``), else matched by time;
* :mod:`.wacz` — packaging captures for replay (WACZ 1.1.1), signed on request;
* :mod:`.manifest` — one manifest per pass: each capture and the sha256 of every file written
  from it; :mod:`.timestamp` — an RFC 3161 token for each manifest; :mod:`.seal` — both, at
  the end of a pass;
* :mod:`.chain` — ``newsvault verify``: record ↔ manifest ↔ WARC ↔ token ↔ TSA chain.
"""

from .captures import INDEX_NAME, WARC_DIR, Capture, read_index
from .warc import WarcRecorder, recorder_for

__all__ = ["Capture", "WarcRecorder", "read_index", "recorder_for", "INDEX_NAME", "WARC_DIR"]
