"""Archive on demand: ``newsvault save URL…`` with per-site adapters (docs/save.md)."""

from .saving import MAX_URLS, SaveResult, save_urls

__all__ = ["save_urls", "SaveResult", "MAX_URLS"]
