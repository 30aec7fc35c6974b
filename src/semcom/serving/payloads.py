"""What travels over HTTP: complex symbols, CSI and images, and their validation.

Symbols and CSI arrive either as base64 of little-endian ``complex64`` (8 bytes per symbol:
real then imaginary ``float32``) or as a JSON list of ``[re, im]`` pairs; images as base64
PNG (or any format Pillow reads). Every problem raises :class:`PayloadError` naming the
request field, so the service can answer 4xx before anything reaches the model.

Example:
    >>> import numpy as np
    >>> from semcom.serving.payloads import symbols_to_base64, parse_symbols
    >>> z = np.array([1 + 2j, 3 - 0.5j], dtype=np.complex64)
    >>> parse_symbols(symbols_to_base64(z), "symbols").tolist()
    [(1+2j), (3-0.5j)]
    >>> parse_symbols([[1.0, 2.0], [0.0, -0.5]], "symbols").dtype
    dtype('complex64')
"""

from __future__ import annotations

import base64
import binascii
import io
from collections.abc import Sequence

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from semcom.data.image_file import image_from_pil, image_to_array

#: One of the wire formats of a complex vector: base64 string or ``[[re, im], ...]``.
ComplexPayload = str | Sequence[Sequence[float]]


class PayloadError(ValueError):
    """A request field that cannot be used; ``field`` names it, ``status`` is the HTTP code."""

    def __init__(self, field: str, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.status = status


def symbols_to_base64(z: np.ndarray | torch.Tensor) -> str:
    """``[k] complex`` -> base64 of little-endian ``complex64`` (the wire format)."""
    arr = z.detach().cpu().numpy() if isinstance(z, torch.Tensor) else np.asarray(z)
    return base64.b64encode(arr.astype("<c8").tobytes()).decode("ascii")


def _decode_b64(text: str, field: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise PayloadError(field, f"{field} is not valid base64") from None


def parse_symbols(value: ComplexPayload, field: str) -> np.ndarray:
    """A wire complex vector -> ``[n] complex64`` numpy array, finite.

    Raises:
        PayloadError: bad base64, a byte count that is not a multiple of 8, pairs that are
            not ``[re, im]``, an empty vector or a NaN / infinite value.
    """
    if isinstance(value, str):
        raw = _decode_b64(value, field)
        if len(raw) % 8:
            raise PayloadError(
                field, f"{field} holds {len(raw)} bytes, not a whole number of complex64 (8 bytes)"
            )
        arr = np.frombuffer(raw, dtype="<c8").astype(np.complex64)
    else:
        try:
            with np.errstate(over="ignore", invalid="ignore"):  # overflow -> inf, refused below
                pairs = np.asarray(value, dtype=np.float32)
        except (TypeError, ValueError):
            raise PayloadError(field, f"{field} must be a list of [re, im] pairs") from None
        if pairs.ndim != 2 or pairs.shape[1] != 2:
            raise PayloadError(field, f"{field} must be a list of [re, im] pairs")
        with np.errstate(invalid="ignore"):
            arr = (pairs[:, 0] + 1j * pairs[:, 1]).astype(np.complex64)
    if arr.size == 0:
        raise PayloadError(field, f"{field} is empty")
    if not np.isfinite(arr.view(np.float32)).all():
        raise PayloadError(field, f"{field} holds NaN or infinite values")
    return arr


def image_to_png_base64(image: torch.Tensor) -> str:
    """``[C, H, W] float32`` in [0, 1] (C = 1 or 3) -> base64 PNG (8 bits per channel)."""
    buf = io.BytesIO()
    Image.fromarray(image_to_array(image)).save(buf, format="PNG", compress_level=1)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def parse_image(text: str, field: str, channels: int, max_pixels: int) -> torch.Tensor:
    """Base64 image (PNG, JPEG, ... anything Pillow reads) -> ``[C, H, W] float32`` in [0, 1].

    The image is converted to ``channels`` (1: grey, 3: RGB). More than ``max_pixels`` pixels
    is a 413 (decompression bombs are refused before decoding).
    """
    raw = _decode_b64(text, field)
    try:
        with Image.open(io.BytesIO(raw)) as pil:
            if pil.width * pil.height > max_pixels:
                raise PayloadError(
                    field,
                    f"{field} is {pil.width}x{pil.height} pixels; this service takes at most "
                    f"{max_pixels} pixels per image",
                    status=413,
                )
            return image_from_pil(pil, channels)
    except PayloadError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise PayloadError(field, f"{field} is not an image Pillow can read") from None
