"""Image codecs of the digital baseline: JPEG (Pillow), JPEG 2000 and WebP (imagecodecs).

Images are ``[H, W, C] uint8`` numpy arrays (C = 1 or 3). Each codec has a list of
quality settings, best first, and splits its bitstream into what must be sent and what
the receiver can rebuild on its own:

* ``payload(image, q) -> bytes`` — what is sent (counted against the channel budget);
* ``restore(payload, q, shape) -> image`` — the receiver's decode, ``None`` when the
  bitstream is corrupt.

What is *not* counted, per codec (both ends know the quality index ``q``, which the
frame carries in one byte, and the image shape, fixed by the system):

* ``jpeg``: everything before the entropy-coded scan — SOI, APP0 (JFIF), the two DQT
  tables of quality ``q``, SOF0, the standard DHT tables, SOS (about 600 bytes for an
  RGB image) — and the EOI marker. The receiver rebuilds them by encoding a blank image
  of the same shape at quality ``q`` (Pillow's header depends on nothing else; tested).
  Baseline JPEG, 4:2:0 chroma subsampling, standard Huffman tables.
* ``jpeg2000``: the main header (SOC, SIZ, COD, QCD, ... up to the first SOT) and the
  EOC marker, rebuilt the same way; ``q`` is the target PSNR of the encoder (dB).
* ``webp``: the 20-byte RIFF / ``VP8 `` container header (two lengths the receiver
  computes) and the 7 bytes of the key frame's start code and dimensions; the 3-byte
  frame tag is sent. Lossy VP8; greyscale images are sent as RGB and averaged back.
"""

from __future__ import annotations

import io
from abc import ABC, abstractmethod
from functools import lru_cache

import numpy as np

from semcom.errors import SemcomError


class ImageCodec(ABC):
    """A lossy image codec with a quality ladder (best first)."""

    name: str = ""
    #: Quality settings from best to worst.
    qualities: tuple[int, ...] = ()

    @abstractmethod
    def payload(self, image: np.ndarray, q: int) -> bytes:
        """The bytes sent for ``image`` (``[H, W, C] uint8``) at quality ``q``."""

    @abstractmethod
    def restore(self, payload: bytes, q: int, shape: tuple[int, int, int]) -> np.ndarray | None:
        """``[H, W, C] uint8`` decoded from ``payload``; ``None`` if it cannot be decoded."""

    def best_fit(self, image: np.ndarray, budget_bytes: int) -> tuple[int, bytes] | None:
        """The best quality whose payload fits ``budget_bytes``, with the payload; ``None``
        when even the worst quality does not fit.

        Bisection over the ladder (payloads grow with quality), so about log2 of the
        ladder's length encodes per image.
        """
        image = np.ascontiguousarray(image)
        worst = self.payload(image, self.qualities[-1])
        if len(worst) > budget_bytes:
            return None
        best: tuple[int, bytes] = (self.qualities[-1], worst)
        lo, hi = 0, len(self.qualities) - 1  # qualities[hi] fits
        while lo < hi:
            mid = (lo + hi) // 2
            data = self.payload(image, self.qualities[mid])
            if len(data) <= budget_bytes:
                best, hi = (self.qualities[mid], data), mid
            else:
                lo = mid + 1
        return best

    def smallest(self, image: np.ndarray) -> int:
        """Bytes of the worst quality's payload for ``image``."""
        return len(self.payload(np.ascontiguousarray(image), self.qualities[-1]))


def _blank(shape: tuple[int, int, int]) -> np.ndarray:
    return np.full(shape, 128, dtype=np.uint8)


# -- JPEG ---------------------------------------------------------------------------------
def _jpeg_encode(image: np.ndarray, q: int) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    pil = Image.fromarray(image[..., 0] if image.shape[2] == 1 else image)
    pil.save(buf, "JPEG", quality=q, subsampling=2, optimize=False, progressive=False)
    return buf.getvalue()


def _jpeg_header_end(data: bytes) -> int:
    """Offset of the first byte of entropy-coded data (just after the SOS segment)."""
    pos = 2  # after SOI
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            break
        marker = data[pos + 1]
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        pos += 2 + length
        if marker == 0xDA:  # SOS
            return pos
    raise SemcomError("not a baseline JPEG stream (no SOS marker)")


@lru_cache(maxsize=512)
def _jpeg_header(q: int, shape: tuple[int, int, int]) -> bytes:
    data = _jpeg_encode(_blank(shape), q)
    return data[: _jpeg_header_end(data)]


class JPEG(ImageCodec):
    """Baseline JPEG through Pillow; qualities 95 .. 1."""

    name = "jpeg"
    qualities = tuple(range(95, 0, -1))

    def payload(self, image: np.ndarray, q: int) -> bytes:
        data = _jpeg_encode(image, q)
        start = _jpeg_header_end(data)
        if data[:start] != _jpeg_header(q, image.shape):
            raise SemcomError("JPEG header differs from the one the receiver rebuilds")
        return data[start:-2]  # without the EOI marker

    def restore(self, payload: bytes, q: int, shape: tuple[int, int, int]) -> np.ndarray | None:
        from PIL import Image

        try:
            with Image.open(io.BytesIO(_jpeg_header(q, shape) + payload + b"\xff\xd9")) as im:
                out = np.asarray(im.convert("L" if shape[2] == 1 else "RGB"))
        except (OSError, ValueError, SyntaxError):
            return None
        out = out.reshape(out.shape[0], out.shape[1], -1)
        return out if out.shape == shape else None


# -- JPEG 2000 -----------------------------------------------------------------------------
def _j2k_encode(image: np.ndarray, q: int) -> bytes:
    import imagecodecs

    data = imagecodecs.jpeg2k_encode(
        image[..., 0] if image.shape[2] == 1 else image, level=q, codecformat="J2K"
    )
    return bytes(data)


def _j2k_header_end(data: bytes) -> int:
    pos = data.find(b"\xff\x90")  # first SOT
    if pos < 0:
        raise SemcomError("not a JPEG 2000 codestream (no SOT marker)")
    return pos


@lru_cache(maxsize=512)
def _j2k_header(q: int, shape: tuple[int, int, int]) -> bytes:
    data = _j2k_encode(_blank(shape), q)
    return data[: _j2k_header_end(data)]


class JPEG2000(ImageCodec):
    """JPEG 2000 (OpenJPEG through imagecodecs); target PSNR 60 .. 15 dB."""

    name = "jpeg2000"
    qualities = tuple(range(60, 14, -1))

    def payload(self, image: np.ndarray, q: int) -> bytes:
        data = _j2k_encode(image, q)
        start = _j2k_header_end(data)
        if data[:start] != _j2k_header(q, image.shape):
            raise SemcomError("JPEG 2000 header differs from the one the receiver rebuilds")
        return data[start:-2]  # without EOC

    def restore(self, payload: bytes, q: int, shape: tuple[int, int, int]) -> np.ndarray | None:
        import imagecodecs

        try:
            out = imagecodecs.jpeg2k_decode(_j2k_header(q, shape) + payload + b"\xff\xd9")
        except Exception:  # imagecodecs raises its own error types for corrupt streams
            return None
        out = np.asarray(out, dtype=np.uint8).reshape(shape[0], shape[1], -1)
        return out if out.shape == shape else None


# -- WebP ----------------------------------------------------------------------------------
_VP8_START = b"\x9d\x01\x2a"


class WebP(ImageCodec):
    """Lossy WebP (libwebp through imagecodecs); qualities 100 .. 0."""

    name = "webp"
    qualities = tuple(range(100, -1, -1))

    def payload(self, image: np.ndarray, q: int) -> bytes:
        import imagecodecs

        rgb = np.repeat(image, 3, axis=2) if image.shape[2] == 1 else image
        data = bytes(imagecodecs.webp_encode(rgb, level=q, lossless=False))
        if data[:4] != b"RIFF" or data[8:16] != b"WEBPVP8 " or data[23:26] != _VP8_START:
            raise SemcomError("unexpected WebP container (expected a simple lossy VP8 file)")
        size = int.from_bytes(data[16:20], "little")
        chunk = data[20 : 20 + size]
        return chunk[:3] + chunk[10:]  # frame tag + data; start code and dims are known

    def restore(self, payload: bytes, q: int, shape: tuple[int, int, int]) -> np.ndarray | None:
        import imagecodecs

        h, w = shape[0], shape[1]
        dims = w.to_bytes(2, "little") + h.to_bytes(2, "little")
        chunk = payload[:3] + _VP8_START + dims + payload[3:]
        pad = b"\x00" if len(chunk) % 2 else b""
        body = b"WEBPVP8 " + len(chunk).to_bytes(4, "little") + chunk + pad
        try:
            out = imagecodecs.webp_decode(b"RIFF" + len(body).to_bytes(4, "little") + body)
        except Exception:  # corrupt stream
            return None
        out = np.asarray(out, dtype=np.uint8)
        if out.shape[:2] != (h, w):
            return None
        if shape[2] == 1:
            grey: np.ndarray = out[..., :3].mean(axis=2, keepdims=True).round().astype(np.uint8)
            return grey
        rgb_out: np.ndarray = out[..., :3]
        return rgb_out


IMAGE_CODECS: dict[str, type[ImageCodec]] = {"jpeg": JPEG, "jpeg2000": JPEG2000, "webp": WebP}


def create_image_codec(name: str) -> ImageCodec:
    """An image codec by name (``jpeg``, ``jpeg2000``, ``webp``)."""
    if name not in IMAGE_CODECS:
        raise SemcomError(f"unknown image codec {name!r}; choose one of: {', '.join(IMAGE_CODECS)}")
    return IMAGE_CODECS[name]()
