"""Words most often removed in edits (docs/analysis.md): DuckDB pairs each version with the
one before it; newsvault.chinese counts the words of what was deleted.

    python3 bench/removed_words.py ARCHIVE EXPORT
"""

import sys
from collections import Counter
from pathlib import Path

import duckdb

from newsvault.chinese import fold, words
from newsvault.preserve.diff import diff_text
from newsvault.record import parse
from newsvault.text import html_to_text

archive, export = Path(sys.argv[1]), Path(sys.argv[2])
rows = duckdb.sql(f"""
    SELECT v.path AS new, p.path AS old FROM read_parquet('{export}/versions/**/*.parquet') v
    JOIN read_parquet('{export}/versions/**/*.parquet') p ON p.article_id = v.article_id AND p.rev = v.rev - 1
""").fetchall()


def text(path: str) -> str:
    return html_to_text(parse((archive / path).read_text(encoding="utf-8")).body)


removed = Counter()
for new, old in rows:
    for seg in diff_text(text(old), text(new)):
        if seg.op == "delete":
            removed.update(w for w in words(fold(seg.text)) if len(w) >= 2)
for word, n in removed.most_common(10):
    print(f"{n:4d}  {word}")
