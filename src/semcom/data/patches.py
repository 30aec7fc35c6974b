"""The default, download-free data set: RGB patches cut from scikit-image's photographs.

``patches:S`` (``S`` = 32 unless given) is made of ``S x S`` RGB patches cut from the
eight colour photographs that scikit-image ships inside its wheel (so it works
offline): astronaut, chelsea, coffee, rocket, immunohistochemistry,
hubble_deep_field, retina and the left view of stereo_motorcycle.

Construction, per photograph of width ``W``, with ``n = W // S`` patch columns:

* the **test** region is the last ``max(1, round(0.2 * n))`` patch columns, the
  **train** region the first ``n - 1 - n_test`` columns; the one patch column between
  them is left out, so no train patch touches a test patch;
* patches lie on a non-overlapping ``S x S`` grid anchored at the top-left corner;
* near-flat patches (pixel standard deviation ``< 0.02`` in ``[0, 1]`` units, e.g. the
  black background of retina) are dropped;
* each split is shuffled with a fixed seed.

Labels are the index of the source photograph (``class_names`` = the photograph
names), so non-IID partitions work on this data set too.

Example:
    >>> from semcom.data.patches import load_patches
    >>> ds = load_patches(32, "test")
    >>> ds.channels, ds.height, ds.num_classes
    (3, 32, 8)
"""

from __future__ import annotations

import functools

import numpy as np
import numpy.typing as npt
import torch

from semcom.data.dataset import ImageDataset
from semcom.errors import SemcomError

#: The photographs used, in label order.
PHOTOGRAPHS: tuple[str, ...] = (
    "astronaut",
    "chelsea",
    "coffee",
    "rocket",
    "immunohistochemistry",
    "hubble_deep_field",
    "retina",
    "stereo_motorcycle",
)

#: Default patch side in pixels.
DEFAULT_SIZE = 32
#: Fraction of each photograph's patch columns used for the test region.
TEST_FRACTION = 0.2
#: Patches whose pixel standard deviation (in [0, 1] units) is below this are dropped.
MIN_STD = 0.02
#: Seed of the fixed shuffle of each split.
SHUFFLE_SEED = 0

_U8 = npt.NDArray[np.uint8]
_I64 = npt.NDArray[np.int64]


def check_patch_size(size: int) -> int:
    """Return ``size`` if it is a valid patch side (8..256, a multiple of 4), else raise.

    Example:
        >>> check_patch_size(64)
        64
    """
    if not 8 <= size <= 256 or size % 4:
        raise SemcomError(f"patch size must be 8..256 and a multiple of 4, got {size}")
    return size


@functools.lru_cache(maxsize=1)
def _photographs() -> tuple[_U8, ...]:
    """The decoded photographs, each ``[H, W, 3] uint8`` (read-only, cached)."""
    import skimage.data

    out = []
    for name in PHOTOGRAPHS:
        img = getattr(skimage.data, name)()
        if name == "stereo_motorcycle":
            img = img[0]  # (left view, right view, disparity)
        arr = np.ascontiguousarray(np.asarray(img, dtype=np.uint8)[..., :3])
        arr.setflags(write=False)
        out.append(arr)
    return tuple(out)


def _grid(region: _U8, size: int) -> _U8:
    """Non-overlapping ``size`` patches of ``region [H, W, 3]`` as ``[P, 3, size, size]``."""
    rows, cols = region.shape[0] // size, region.shape[1] // size
    r = region[: rows * size, : cols * size]
    r = r.reshape(rows, size, cols, size, 3).transpose(0, 2, 4, 1, 3)
    return np.ascontiguousarray(r.reshape(rows * cols, 3, size, size))


def _split_columns(width: int, size: int) -> tuple[int, int]:
    """``(n_train_cols, n_test_cols)`` for a photograph ``width`` pixels wide."""
    n = width // size
    n_test = max(1, round(TEST_FRACTION * n))
    n_train = n - 1 - n_test
    if n_train < 1:
        return 0, 0
    return n_train, n_test


@functools.lru_cache(maxsize=8)
def _patch_arrays(size: int, split: str) -> tuple[_U8, _I64]:
    """``(patches [P, 3, size, size] uint8, labels [P] int64)`` for a split (cached)."""
    chunks: list[_U8] = []
    labels: list[_I64] = []
    for label, photo in enumerate(_photographs()):
        n_train, n_test = _split_columns(photo.shape[1], size)
        if n_train == 0:
            continue
        if split == "train":
            region = photo[:, : n_train * size]
        else:
            start = (n_train + 1) * size
            region = photo[:, start : start + n_test * size]
        p = _grid(region, size)
        if len(p) == 0:
            continue
        std = p.reshape(len(p), -1).astype(np.float32).std(axis=1) / 255.0
        p = p[std >= MIN_STD]
        chunks.append(p)
        labels.append(np.full(len(p), label, dtype=np.int64))
    x = np.concatenate(chunks) if chunks else np.zeros((0, 3, size, size), np.uint8)
    y = np.concatenate(labels) if labels else np.zeros(0, np.int64)
    rng = np.random.default_rng(SHUFFLE_SEED + (0 if split == "train" else 1))
    order = rng.permutation(len(x))
    x, y = x[order], y[order]
    x.setflags(write=False)
    y.setflags(write=False)
    return x, y


def load_patches(size: int = DEFAULT_SIZE, split: str = "train") -> ImageDataset:
    """The ``patches:size`` data set, split ``"train"`` or ``"test"``.

    Args:
        size: patch side in pixels, 8..256 and a multiple of 4.
        split: ``"train"`` (left ~80 % of each photograph) or ``"test"`` (right ~20 %).

    Returns:
        ``ImageDataset`` of ``[N, 3, size, size] uint8`` RGB patches, labels ``[N] int64``
        = source photograph index (see :data:`PHOTOGRAPHS`). Deterministic.

    Raises:
        SemcomError: bad size or split.

    Example:
        >>> ds = load_patches(64, "train")
        >>> tuple(ds.images.shape[1:])
        (3, 64, 64)
    """
    check_patch_size(size)
    if split not in ("train", "test"):
        raise SemcomError(f"patches split must be 'train' or 'test', got {split!r}")
    x, y = _patch_arrays(size, split)
    if len(x) == 0:
        raise SemcomError(f"patches:{size} has no {split} patches; use a smaller size")
    return ImageDataset(
        torch.from_numpy(x.copy()),
        torch.from_numpy(y.copy()),
        f"patches:{size}[{split}]",
        PHOTOGRAPHS,
    )
