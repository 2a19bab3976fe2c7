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

from .fetching import MediaReport, after_pass, backfill, fetch_images, images_of, open_store
from .refs import image_urls
from .store import MediaRow, MediaStore, media_dir
from .verify import Rejected, inspect

__all__ = [
    "MediaReport", "MediaRow", "MediaStore", "Rejected", "after_pass", "backfill", "fetch_images",
    "image_urls", "images_of", "inspect", "media_dir", "open_store",
]
