"""Deciding whether fetched bytes are an image we keep: sniffed, decoded, bounded.

The Content-Type header is not trusted (outlets serve HTML error pages as ``image/jpeg``): the
bytes' signature decides the type. Pillow then decodes the whole image under a pixel limit, so a
decompression bomb (a small file declaring enormous dimensions) is refused instead of eating
the machine's memory, and a truncated file is refused instead of published broken.

SVG is refused: an SVG is a document that can carry script and fetch other resources, and no
CSP on a static mirror served by someone else's web server can be relied on to neuter it.
"""

from __future__ import annotations

import io
import threading
import warnings
from dataclasses import dataclass

__all__ = ["ImageInfo", "Rejected", "inspect", "MAX_PIXELS", "EXTENSIONS"]

MAX_PIXELS = 50_000_000  # about 7000 x 7000; more is not a news photo
# One image decoded at a time: a legal 7000 x 7000 image is up to 200 MB once decoded (collect
# also keeps decoding on one thread: media/fetching.py), and warnings.catch_warnings below is
# not thread-safe.
_DECODING = threading.Lock()
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "image/webp": "webp", "image/avif": "avif", "image/bmp": "bmp"}


class Rejected(Exception):
    """The bytes are not an image we keep; ``status`` names the kind (``not-image``, ``svg``,
    ``bomb``, ``corrupt``)."""

    def __init__(self, status: str, reason: str) -> None:
        super().__init__(reason)
        self.status = status


@dataclass(frozen=True)
class ImageInfo:
    mime: str
    ext: str
    width: int
    height: int


def sniff(data: bytes) -> str | None:
    """The image type the bytes' signature says, or None."""
    head = data[:64]
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:12] in (b"ftypavif", b"ftypavis"):
        return "image/avif"
    if head[:2] == b"BM":
        return "image/bmp"
    text = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith(b"<svg") or (text.startswith(b"<?xml") and b"<svg" in data[:4096].lower()):
        return "image/svg+xml"
    return None


def inspect(data: bytes, content_type: str = "") -> ImageInfo:
    """Check ``data`` is a whole raster image within the limits; raise :class:`Rejected`."""
    mime = sniff(data)
    if mime == "image/svg+xml":
        raise Rejected("svg", "SVG refused (it can carry script)")
    if mime is None:
        said = content_type.split(";")[0].strip() or "no type"
        raise Rejected("not-image", f"not an image (served as {said}, the bytes are not a known image format)")
    return _decode(data, mime)


def _decode(data: bytes, mime: str) -> ImageInfo:
    from PIL import Image, UnidentifiedImageError

    with _DECODING, warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        Image.MAX_IMAGE_PIXELS = MAX_PIXELS  # Pillow refuses twice this outright, warns above it
        try:
            with Image.open(io.BytesIO(data)) as img:
                width, height = img.size
                if width * height > MAX_PIXELS:
                    raise Rejected("bomb", f"{width}x{height} pixels is over the {MAX_PIXELS:,} pixel limit (a decompression bomb?)")
                img.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
            raise Rejected("bomb", f"decompression bomb refused ({e})") from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
            raise Rejected("corrupt", f"cannot decode the image ({e})") from None
    return ImageInfo(mime, EXTENSIONS[mime], width, height)
