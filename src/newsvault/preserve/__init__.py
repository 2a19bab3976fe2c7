"""Preservation: every version, deletion watch, integrity checks (see docs/preservation.md).

* :mod:`.history` - ``article_history(archive, ref)``: versions and readable diffs;
* :mod:`.diff` - word-level (CJK-aware) text diffs;
* :mod:`.recheck` - ``recheck(archive, ...)``: revisit archived URLs, classify, archive edits;
* :mod:`.checks` - the check results stored in the archive; ``deleted_articles(archive)``;
* :mod:`.fsck` - ``fsck(archive, repair=False)``: files ↔ catalog ↔ revisions ↔ search index.

Submodules are imported on use: ``from newsvault.preserve.history import article_history``.
"""
