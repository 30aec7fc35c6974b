"""Images from a NumPy ``.npz`` file, in one of two layouts.

* one split: keys ``x`` and (optional) ``y``;
* two splits: keys ``x_train``, ``y_train``, ``x_test``, ``y_test`` (the ``y_*`` keys
  optional; only the ``x_*`` key of the split asked for must exist).

``x*`` is ``[N, H, W, 3]`` (RGB) or ``[N, H, W]`` / ``[N, H, W, 1]`` (greyscale) ``uint8``,
channels last; it becomes ``[N, C, H, W]``. ``y*`` is ``[N]`` of any integer dtype
(values ``>= 0``); it becomes ``int64``. Every problem raises
:class:`~semcom.errors.SemcomError` naming the file and what is wrong.

Example:
    >>> import numpy as np, tempfile, os
    >>> from semcom.data.npz import load_npz
    >>> path = os.path.join(tempfile.mkdtemp(), "toy.npz")
    >>> np.savez(path, x=np.zeros((4, 8, 8), np.uint8), y=np.arange(4))
    >>> ds = load_npz(path)
    >>> tuple(ds.images.shape), ds.num_classes
    ((4, 1, 8, 8), 4)
"""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import torch

from semcom.data.dataset import ImageDataset
from semcom.errors import SemcomError

Layout = Literal["single", "split"]

_LAYOUTS = "accepted layouts: x[, y] (one split) or x_train[, y_train], x_test[, y_test]"


def _open(path: Path) -> Any:
    """Open ``path`` as an ``NpzFile``; raise :class:`SemcomError` if it is not one."""
    if not path.exists():
        raise SemcomError(f"npz file not found: {path}")
    if not path.is_file():
        raise SemcomError(f"npz path is not a file: {path}")
    try:
        data = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as e:
        raise SemcomError(f"{path} is not a valid .npz file ({_one_line(e)})") from None
    if not isinstance(data, np.lib.npyio.NpzFile):
        raise SemcomError(f"{path} is not a valid .npz file (it holds a single .npy array)")
    return data


def _one_line(e: BaseException) -> str:
    text = " ".join(str(e).split()) or type(e).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def _read(data: Any, key: str, path: Path) -> npt.NDArray[Any]:
    """``data[key]`` as an array, with decoding errors turned into :class:`SemcomError`."""
    try:
        return np.asarray(data[key])
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as e:
        raise SemcomError(f"{path}: cannot read key {key!r} ({_one_line(e)})") from None


def _layout(keys: list[str], path: Path) -> Layout:
    has_single = "x" in keys
    has_split = "x_train" in keys or "x_test" in keys
    found = ", ".join(sorted(keys)) or "(none)"
    if has_single and has_split:
        raise SemcomError(
            f"{path} has both x and x_train/x_test, so its layout is ambiguous "
            f"(keys found: {found}); {_LAYOUTS}"
        )
    if not (has_single or has_split):
        raise SemcomError(
            f"{path} has no key x or x_train/x_test (keys found: {found}); {_LAYOUTS}"
        )
    return "single" if has_single else "split"


def npz_layout(path: str | Path) -> Layout:
    """``"single"`` (keys ``x``/``y``) or ``"split"`` (keys ``x_train``... ) for ``path``.

    Example:
        >>> import numpy as np, tempfile, os
        >>> p = os.path.join(tempfile.mkdtemp(), "t.npz")
        >>> np.savez(p, x_train=np.zeros((2, 4, 4), np.uint8), x_test=np.zeros((1, 4, 4), np.uint8))
        >>> npz_layout(p)
        'split'
    """
    p = Path(path).expanduser()
    with _open(p) as data:
        return _layout(list(data.files), p)


def _images(x: npt.NDArray[Any], key: str, path: Path) -> torch.Tensor:
    """``x [N, H, W(, C)] uint8`` -> ``[N, C, H, W] uint8`` tensor."""
    if x.dtype != np.uint8:
        raise SemcomError(
            f"{path}: {key} has dtype {x.dtype}; uint8 expected (pixel values 0..255)"
        )
    if x.ndim == 3:
        x = x[:, None, :, :]
    elif x.ndim == 4 and x.shape[3] in (1, 3):
        x = x.transpose(0, 3, 1, 2)
    else:
        raise SemcomError(
            f"{path}: {key} has shape {list(x.shape)}; expected [N, H, W, 3] (RGB) or "
            f"[N, H, W] (greyscale), channels last"
        )
    if x.shape[0] == 0 or x.shape[2] == 0 or x.shape[3] == 0:
        raise SemcomError(f"{path}: {key} is empty (shape {list(x.shape)})")
    return torch.from_numpy(np.ascontiguousarray(x))


def _labels(y: npt.NDArray[Any], key: str, n: int, path: Path) -> torch.Tensor:
    """``y [N] integer`` -> ``[N] int64`` tensor."""
    if y.dtype == np.bool_ or not np.issubdtype(y.dtype, np.integer):
        raise SemcomError(f"{path}: {key} has dtype {y.dtype}; an integer dtype expected")
    if y.ndim != 1:
        raise SemcomError(f"{path}: {key} has shape {list(y.shape)}; expected [N] (one label each)")
    if y.shape[0] != n:
        raise SemcomError(f"{path}: {key} has {y.shape[0]} labels but there are {n} images")
    if n and int(y.min()) < 0:
        raise SemcomError(f"{path}: {key} has negative labels (min {int(y.min())}); need >= 0")
    return torch.from_numpy(y.astype(np.int64))


def load_npz(
    path: str | Path,
    split: Literal["train", "test"] | None = None,
    *,
    default_split: Literal["train", "test"] = "train",
    name: str | None = None,
) -> ImageDataset:
    """Load one split of an ``.npz`` file as an :class:`ImageDataset`.

    Args:
        path: the ``.npz`` file.
        split: ``"train"`` / ``"test"`` for the ``x_train``... layout (an error for the
            ``x``/``y`` layout); ``None``: all of ``x`` for that layout, ``default_split``
            for the two-split layout.
        default_split: the split taken from a two-split file when ``split`` is ``None``.
        name: the data set's name; default ``"npz:PATH[split]"``.

    Returns:
        ``ImageDataset`` with ``[N, C, H, W] uint8`` images and ``[N] int64`` labels (or
        ``None`` when the file has no labels for that split). When labels exist,
        ``class_names`` is ``("0", ..., str(K - 1))`` with ``K`` = 1 + the largest label
        over every split of the file, so all splits agree on ``num_classes``.

    Raises:
        SemcomError: missing or corrupt file, missing key, wrong dtype/shape, empty,
            label count mismatch, or ``split`` asked of a one-split file.

    Example:
        >>> import numpy as np, tempfile, os
        >>> p = os.path.join(tempfile.mkdtemp(), "t.npz")
        >>> np.savez(p, x_train=np.zeros((3, 4, 4, 3), np.uint8),
        ...          x_test=np.zeros((2, 4, 4, 3), np.uint8))
        >>> len(load_npz(p, "test")), load_npz(p).channels
        (2, 3)
    """
    p = Path(path).expanduser()
    with _open(p) as data:
        keys = list(data.files)
        layout = _layout(keys, p)
        if layout == "single":
            if split is not None:
                raise SemcomError(
                    f"{p} has one split (keys x/y), so #{split} does not apply; "
                    f"drop #{split}, or store x_train/x_test to have two splits"
                )
            xkey, ykey, label_keys, part = "x", "y", ["y"], "all"
        else:
            part = split or default_split
            xkey, ykey = f"x_{part}", f"y_{part}"
            label_keys = [k for k in ("y_train", "y_test") if k in keys]
            if xkey not in keys:
                found = ", ".join(sorted(keys))
                raise SemcomError(
                    f"{p} has no key {xkey} for the {part} split (keys found: {found}); {_LAYOUTS}"
                )
        images = _images(_read(data, xkey, p), xkey, p)
        labels = None
        if ykey in keys:
            labels = _labels(_read(data, ykey, p), ykey, images.shape[0], p)
        class_names = None
        if labels is not None:
            top = int(labels.max())
            for k in label_keys:
                if k != ykey:
                    other = _read(data, k, p)
                    if other.size and np.issubdtype(other.dtype, np.integer):
                        top = max(top, int(other.max()))
            class_names = tuple(str(i) for i in range(top + 1))
    return ImageDataset(images, labels, name or f"npz:{p}[{part}]", class_names)
