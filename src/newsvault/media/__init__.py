"""Article images: found in record HTML, fetched politely, verified, kept content-addressed.

* :mod:`.refs` — which images an article's HTML shows (``src``, ``srcset``, lazy attributes,
  ``<picture>``, ``poster``);
* :mod:`.verify` — are the bytes an image (signature sniffing, Pillow decode under a pixel
  limit; SVG refused);
* :mod:`.store` — ``media/<2 hex>/<sha256>.<ext>`` files and the ``.newsvault/media.sqlite``
  catalog (URL → sha256, type, size, dimensions, status, attempts, next retry);
* :mod:`.fetching` — fetch what is due, within budgets, after collect/recheck and by backfill.

Record files are never changed: publishing maps original URLs to the local copies.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

# Imported on first use: a pass that keeps no images (or only checks the media catalog's
# name) does not load the fetching, verifying and Pillow-facing code.
_EXPORTS = {
    "MediaReport": "fetching", "after_pass": "fetching", "backfill": "fetching", "fetch_images": "fetching",
    "images_of": "fetching", "open_store": "fetching", "image_urls": "refs", "MediaRow": "store",
    "MediaStore": "store", "media_dir": "store", "Rejected": "verify", "inspect": "verify",
}  # fmt: skip

__all__ = [
    "MediaReport", "MediaRow", "MediaStore", "Rejected", "after_pass", "backfill", "fetch_images",
    "image_urls", "images_of", "inspect", "media_dir", "open_store",
]

if TYPE_CHECKING:
    from .fetching import MediaReport as MediaReport
    from .fetching import after_pass as after_pass
    from .fetching import backfill as backfill
    from .fetching import fetch_images as fetch_images
    from .fetching import images_of as images_of
    from .fetching import open_store as open_store
    from .refs import image_urls as image_urls
    from .store import MediaRow as MediaRow
    from .store import MediaStore as MediaStore
    from .store import media_dir as media_dir
    from .verify import Rejected as Rejected
    from .verify import inspect as inspect


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'newsvault.media' has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
