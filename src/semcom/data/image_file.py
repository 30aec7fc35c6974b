"""Reading and writing single image files (PNG, JPEG, ... through Pillow).

Example:
    >>> import torch
    >>> from semcom.data.image_file import read_image, write_image
    >>> write_image(torch.rand(3, 8, 8), "/tmp/semcom-doctest.png")
    >>> read_image("/tmp/semcom-doctest.png", channels=3).shape
    torch.Size([3, 8, 8])
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from semcom.errors import SemcomError


def image_from_pil(pil: Image.Image, channels: int = 3) -> torch.Tensor:
    """A Pillow image as ``[C, H, W] float32`` in [0, 1], converted to ``channels`` (1 or 3)."""
    arr = np.asarray(pil.convert("L" if channels == 1 else "RGB"), dtype=np.uint8)
    x = arr.astype(np.float32) / np.float32(255)  # NumPy: see image_to_array
    x = x[None] if x.ndim == 2 else np.ascontiguousarray(x.transpose(2, 0, 1))
    return torch.from_numpy(x)


def image_to_array(image: torch.Tensor) -> np.ndarray:
    """``image: [C, H, W] float32`` in [0, 1] (C = 1 or 3) as the ``uint8`` array Pillow
    takes: ``[H, W]`` for one channel, ``[H, W, 3]`` for three."""
    # NumPy, not torch: every torch call releases the interpreter lock and waits to take
    # it back, which in a busy service (semcom serve's event loop) costs more than the
    # arithmetic on a small image
    x = image.detach().cpu().numpy()
    arr = np.rint(np.clip(x, 0.0, 1.0) * 255.0).astype(np.uint8)
    return arr[0] if arr.shape[0] == 1 else np.ascontiguousarray(arr.transpose(1, 2, 0))


def read_image(path: str | Path, channels: int = 3) -> torch.Tensor:
    """Read an image file as ``[C, H, W] float32`` in [0, 1], converted to ``channels`` (1 or 3)."""
    p = Path(path)
    if not p.is_file():
        raise SemcomError(f"image {str(p)!r} does not exist")
    try:
        with Image.open(p) as opened:
            return image_from_pil(opened, channels)
    except (UnidentifiedImageError, OSError, ValueError) as e:
        raise SemcomError(f"{str(p)!r} is not a readable image: {e}") from None


def write_image(image: torch.Tensor, path: str | Path) -> None:
    """Write ``image: [C, H, W] float32`` in [0, 1] (C = 1 or 3); the suffix picks the format."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    try:
        Image.fromarray(image_to_array(image)).save(p)
    except (ValueError, OSError) as e:
        raise SemcomError(f"cannot write {str(p)!r}: {e}") from None
