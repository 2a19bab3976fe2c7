"""Content-Encoding undone within the body-size cap, layer by layer and step by step.

httpx decodes a whole network chunk at once, so a cap counted on its output comes too late: a
6 KB answer sent as ``Content-Encoding: gzip, gzip`` (a gzip of a gzip of 4 GB of spaces) turns
one 64 KB chunk into 4 MB, then into 4 GB, before anything can be counted. Here every layer
inflates at most :data:`STEP` bytes at a time (zlib's ``max_length``) and hands them on before
asking for more, and every layer's running total is held to the cap, so no answer ever costs
more memory than the cap plus a few steps, however many layers or however small on the wire.

Only the encodings newsvault asks for (``gzip``, ``deflate``) and ``identity`` are undone; any
other (``br``, ``zstd``, ``compress``, a typo) is refused with its name, since a decoder that
cannot be bounded must not run.
"""

from __future__ import annotations

import zlib

__all__ = ["BodyTooLarge", "BoundedDecoder", "UnsupportedEncoding", "STEP"]

STEP = 64 * 1024
_GZIP = zlib.MAX_WBITS | 16
_ZLIB = zlib.MAX_WBITS
_RAW = -zlib.MAX_WBITS


class BodyTooLarge(Exception):
    """The (decoded) body grew past the cap; reading stopped there."""


class UnsupportedEncoding(Exception):
    """A Content-Encoding that cannot be undone within a bound."""


class _Layer:
    """One encoding's decompressor, fed and drained in bounded steps."""

    def __init__(self, name: str):
        self.name = name
        self.z = zlib.decompressobj(_GZIP if name == "gzip" else _ZLIB)
        self.started = False
        self.total = 0

    def step(self, data: bytes) -> tuple[bytes, bytes]:
        """Inflate at most STEP bytes of output from ``data``; return (output, input left over)."""
        try:
            out = self.z.decompress(data, STEP)
        except zlib.error:
            # "deflate" is sent both as zlib-wrapped and as raw deflate: try raw on the first bytes.
            if self.name != "deflate" or self.started:
                raise
            self.z = zlib.decompressobj(_RAW)
            out = self.z.decompress(data, STEP)
        self.started = True
        left = self.z.unconsumed_tail
        if self.z.eof and self.z.unused_data:
            if self.name != "gzip":  # trailing bytes after a deflate stream: ignored, as zlib does
                return out, b""
            # A gzip body may hold several members one after another (RFC 1952 2.2).
            left = self.z.unused_data + left
            self.z = zlib.decompressobj(_GZIP)
        return out, left


class BoundedDecoder:
    """Undo ``Content-Encoding`` (the header's value) on raw chunks, holding output to ``cap``.

    ``feed`` each raw chunk as it arrives, then ``finish`` for the body. Raises
    :class:`BodyTooLarge` as soon as the raw bytes, any layer's output or the body pass the cap,
    :class:`UnsupportedEncoding` at once for an encoding it cannot bound, and ``zlib.error`` for
    a corrupt stream.
    """

    def __init__(self, content_encoding: str, cap: int):
        names = [n.strip().lower() for n in content_encoding.split(",") if n.strip()]
        names = [n for n in names if n != "identity"]
        for n in names:
            if n == "x-gzip":
                continue
            if n not in ("gzip", "deflate"):
                raise UnsupportedEncoding(f"Content-Encoding {n!r} is not accepted (only gzip and deflate)")
        # The header lists encodings in the order they were applied: undo the last one first.
        self.layers = [_Layer("gzip" if n == "x-gzip" else n) for n in reversed(names)]
        self.cap = cap
        self.raw = 0
        self.size = 0
        self.chunks: list[bytes] = []

    def feed(self, data: bytes) -> None:
        self.raw += len(data)
        if self.raw > self.cap:
            raise BodyTooLarge(f"more than {self.cap} bytes on the wire")
        self._push(0, data)

    def finish(self) -> bytes:
        for i in range(len(self.layers)):  # what each layer still holds, innermost last
            self._push(i, b"")
        return b"".join(self.chunks)

    def _push(self, i: int, data: bytes) -> None:
        if i == len(self.layers):
            self.size += len(data)
            if self.size > self.cap:
                raise BodyTooLarge(f"more than {self.cap} bytes once decoded")
            if data:
                self.chunks.append(data)
            return
        layer = self.layers[i]
        while True:
            out, data = layer.step(data)
            if out:
                layer.total += len(out)
                # An inner layer is the compressed form of the body: past the cap (with room for
                # an incompressible body's framing), the body itself cannot fit.
                if layer.total > self.cap + self.cap // 100 + STEP:
                    raise BodyTooLarge(f"more than {self.cap} bytes once decoded ({layer.name} layer)")
                self._push(i + 1, out)
            if len(out) < STEP and not data:
                return  # input used up and nothing more pending in this layer
