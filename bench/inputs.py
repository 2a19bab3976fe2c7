"""Where the bench scripts' real inputs come from.

The figures in ``bench/results.md`` were measured on the full reference corpus (2,352 real records,
49 MB of them Jekyll posts), which sits beside the repository as ``../shared/corpus`` in the
project's own working copies. A clone has only the tests' subset (``tests/corpus``, 553 records):
the scripts use it when the full corpus is absent and say so, since figures from it are not
comparable with the recorded ones. ``--corpus DIR`` names another corpus. Larger inputs are
generated from whichever corpus is used (``bench/scale.py``).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REFERENCE_CORPUS = ROOT.parent / "shared" / "corpus"
TEST_CORPUS = ROOT / "tests" / "corpus"


def default_corpus() -> Path:
    if REFERENCE_CORPUS.is_dir():
        return REFERENCE_CORPUS
    print(f"(full reference corpus not found at {REFERENCE_CORPUS}: using the tests' subset {TEST_CORPUS};"
          " figures are not comparable with bench/results.md)", file=sys.stderr)
    return TEST_CORPUS
