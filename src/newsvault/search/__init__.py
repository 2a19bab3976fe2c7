"""Search: a Chinese-aware SQLite FTS5 index over the archive (see index.py)."""
