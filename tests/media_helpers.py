"""Images for the media tests: real files made with Pillow, hostile ones, and a server that
streams a huge body without holding it in memory."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

from http_helpers import LoopbackServer
from newsvault.archive import Archive, write_atomic
from newsvault.config import CONFIG_NAME, Config


def image(fmt: str = "PNG", size: tuple[int, int] = (40, 30), color: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, fmt)
    return buf.getvalue()


def bomb_png(width: int = 200_000, height: int = 200_000) -> bytes:
    """A tiny PNG whose header declares ``width`` x ``height`` pixels (a decompression bomb)."""
    data = bytearray(image("PNG", (1, 1)))
    ihdr = 8  # signature, then the IHDR chunk: length(4) type(4) data(13) crc(4)
    body = bytes(data[ihdr + 4 : ihdr + 8]) + struct.pack(">II", width, height) + bytes(data[ihdr + 16 : ihdr + 21])
    data[ihdr + 8 : ihdr + 16] = struct.pack(">II", width, height)
    data[ihdr + 21 : ihdr + 25] = struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)
    return bytes(data)


SVG_WITH_SCRIPT = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>'


def enable_media(root: Path, **settings: object) -> None:
    """Turn on ``[media] fetch`` (and any other ``[media]`` settings) in the archive at ``root``."""
    path = Path(root) / CONFIG_NAME
    config = Config.load(path)
    config.media.fetch = True
    for k, v in settings.items():
        setattr(config.media, k, v)
    write_atomic(path, config.dump())


def reopen(archive: Archive) -> Archive:
    archive.close()
    return Archive.open(archive.root)


def serve_huge_jpeg(server: LoopbackServer, path: str = "/huge.jpg", total: int = 50 * 1024 * 1024) -> str:
    """Serve at ``path`` a JPEG signature then ``total`` bytes in 64 KB chunks, with no
    Content-Length (so only a streaming cap can stop it); ``server.sent[path]`` counts the bytes
    actually written. Returns its URL."""
    server.endless(path, total, content_type="image/jpeg", head=b"", filler=b"\xff\xd8\xff" + bytes(64 * 1024 - 3))
    return server.url(path)
