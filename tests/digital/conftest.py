"""Helpers of the digital tests: photo crops and each codec's own full-file decode."""

from __future__ import annotations

import io
from collections.abc import Callable

import imagecodecs
import numpy as np
import pytest
from PIL import Image


def photo(channels: int, seed: int = 0) -> np.ndarray:
    from skimage import data

    rng = np.random.default_rng(seed)
    y, x = rng.integers(0, 400, size=2)
    img = data.astronaut()[y : y + 32, x : x + 32]
    return img if channels == 3 else img.mean(axis=2, keepdims=True).astype(np.uint8)


def full_decode(name: str, image: np.ndarray, q: int) -> np.ndarray:
    """The codec's own decode of its complete file."""
    if name == "jpeg":
        buf = io.BytesIO()
        pil = Image.fromarray(image[..., 0] if image.shape[2] == 1 else image)
        pil.save(buf, "JPEG", quality=q, subsampling=2, optimize=False)
        return np.asarray(Image.open(buf)).reshape(image.shape)
    if name == "jpeg2000":
        src = image[..., 0] if image.shape[2] == 1 else image
        stream = imagecodecs.jpeg2k_encode(src, level=q, codecformat="J2K")
        return np.asarray(imagecodecs.jpeg2k_decode(stream)).reshape(image.shape)
    rgb = np.repeat(image, 3, axis=2) if image.shape[2] == 1 else image
    out = imagecodecs.webp_decode(imagecodecs.webp_encode(rgb, level=q, lossless=False))
    return out if image.shape[2] == 3 else out.mean(axis=2, keepdims=True).round().astype(np.uint8)


@pytest.fixture
def photo_crop() -> Callable[..., np.ndarray]:
    """``photo_crop(channels, seed)``: a 32x32 crop of scikit-image's astronaut."""
    return photo


@pytest.fixture
def codec_decode() -> Callable[[str, np.ndarray, int], np.ndarray]:
    """``codec_decode(name, image, q)``: the codec's own decode of its complete file."""
    return full_decode
