"""An in-memory image data set: uint8 images, optional int64 labels, plain tensor slicing.

Images are stored as ``[N, C, H, W] uint8`` (``C`` = 1 for greyscale, 3 for RGB) and
handed out as ``[B, C, H, W] float32`` in ``[0, 1]``. Batching is plain tensor indexing
(no ``DataLoader``): the data sets here are small enough to live in memory.

Example:
    >>> import torch
    >>> from semcom.data import ImageDataset
    >>> ds = ImageDataset(torch.zeros(10, 1, 8, 8, dtype=torch.uint8),
    ...                   torch.arange(10) % 2, "toy[train]")
    >>> len(ds), ds.channels, ds.num_classes
    (10, 1, 2)
    >>> x, y = next(ds.iter_batches(4, shuffle=False))
    >>> tuple(x.shape), x.dtype, tuple(y.shape)
    ((4, 1, 8, 8), torch.float32, (4,))
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from semcom.errors import SemcomError

#: What :meth:`ImageDataset.batch` and :meth:`ImageDataset.subset` accept as an index.
Index = torch.Tensor | np.ndarray | Sequence[int] | slice | int


def _as_index(index: Index, n: int) -> torch.Tensor | slice:
    """Normalise ``index`` to a 1-D int64 tensor (or keep a slice); checks the range."""
    if isinstance(index, slice):
        return index
    idx = torch.as_tensor(np.asarray(index) if not isinstance(index, torch.Tensor) else index)
    if idx.dtype == torch.bool:
        if idx.shape != (n,):
            raise SemcomError(f"boolean index must have shape [{n}], got {list(idx.shape)}")
        return idx.nonzero().flatten()
    if idx.ndim == 0:
        idx = idx.reshape(1)
    if idx.ndim != 1:
        raise SemcomError(f"index must be 1-D, got shape {list(idx.shape)}")
    if idx.numel() == 0:
        return idx.to(torch.int64)
    if idx.is_floating_point() or idx.is_complex():
        raise SemcomError(f"index must hold integers, got dtype {idx.dtype}")
    idx = idx.to(torch.int64)
    lo, hi = int(idx.min()), int(idx.max())
    if lo < -n or hi >= n:
        raise SemcomError(f"index out of range for a data set of {n} images: {lo}..{hi}")
    return idx


@dataclass(frozen=True, eq=False)
class ImageDataset:
    """Images ``[N, C, H, W] uint8`` with optional labels ``[N] int64``.

    Args:
        images: ``[N, C, H, W]`` ``torch.uint8`` pixel values 0..255, ``C`` in {1, 3},
            ``N >= 1``.
        labels: ``[N]`` ``torch.int64`` class indices ``>= 0``, or ``None``.
        name: where the data came from (spec and split), e.g. ``"patches:32[train]"``;
            used in reports.
        class_names: optional names of the classes; when given, ``num_classes`` is its
            length (so every split of one source reports the same number of classes)
            and every label must be below it.

    Raises:
        SemcomError: wrong dtype, rank, channel count, empty, or labels that do not match.

    Example:
        >>> import torch
        >>> ds = ImageDataset(torch.full((3, 3, 4, 4), 255, dtype=torch.uint8), None, "toy")
        >>> float(ds.batch(slice(0, 2)).max()), ds.num_classes
        (1.0, None)
    """

    images: torch.Tensor
    labels: torch.Tensor | None
    name: str
    class_names: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        x, y = self.images, self.labels
        if not isinstance(x, torch.Tensor):
            raise SemcomError(f"{self.name}: images must be a torch.Tensor, got {type(x).__name__}")
        if x.dtype != torch.uint8:
            raise SemcomError(f"{self.name}: images have dtype {x.dtype}; torch.uint8 expected")
        if x.ndim != 4:
            raise SemcomError(
                f"{self.name}: images must be [N, C, H, W], got shape {list(x.shape)}"
            )
        if x.shape[1] not in (1, 3):
            raise SemcomError(
                f"{self.name}: images must have 1 or 3 channels, got {x.shape[1]} "
                f"(shape {list(x.shape)})"
            )
        if x.shape[0] == 0 or x.shape[2] == 0 or x.shape[3] == 0:
            raise SemcomError(f"{self.name}: no images (shape {list(x.shape)})")
        if y is None:
            return
        if not isinstance(y, torch.Tensor):
            raise SemcomError(f"{self.name}: labels must be a torch.Tensor, got {type(y).__name__}")
        if y.dtype != torch.int64:
            raise SemcomError(f"{self.name}: labels have dtype {y.dtype}; torch.int64 expected")
        if y.ndim != 1 or y.shape[0] != x.shape[0]:
            raise SemcomError(
                f"{self.name}: labels must have shape [{x.shape[0]}] (one per image), "
                f"got {list(y.shape)}"
            )
        if int(y.min()) < 0:
            raise SemcomError(f"{self.name}: labels must be >= 0, found {int(y.min())}")
        if self.class_names is not None and int(y.max()) >= len(self.class_names):
            raise SemcomError(
                f"{self.name}: label {int(y.max())} is out of range for "
                f"{len(self.class_names)} class names"
            )

    def __len__(self) -> int:
        """Number of images ``N``."""
        return int(self.images.shape[0])

    def __repr__(self) -> str:
        c, h, w = self.images.shape[1:]
        lab = "no labels" if self.labels is None else f"{self.num_classes} classes"
        return f"ImageDataset({self.name!r}, {len(self)} x {c}x{h}x{w}, {lab})"

    @property
    def channels(self) -> int:
        """Channel count ``C`` (1 greyscale, 3 RGB)."""
        return int(self.images.shape[1])

    @property
    def height(self) -> int:
        """Image height ``H`` in pixels."""
        return int(self.images.shape[2])

    @property
    def width(self) -> int:
        """Image width ``W`` in pixels."""
        return int(self.images.shape[3])

    @property
    def num_classes(self) -> int | None:
        """``len(class_names)`` if given, else ``max(label) + 1``; ``None`` without labels."""
        if self.labels is None:
            return None
        if self.class_names is not None:
            return len(self.class_names)
        return int(self.labels.max()) + 1

    def batch(self, index: Index) -> torch.Tensor:
        """Images at ``index`` (int, int tensor/array/list, bool mask or slice) as
        ``[B, C, H, W] float32`` in ``[0, 1]``.

        Example:
            >>> import torch
            >>> ds = ImageDataset(torch.zeros(5, 3, 4, 4, dtype=torch.uint8), None, "toy")
            >>> tuple(ds.batch(torch.tensor([0, 4])).shape)
            (2, 3, 4, 4)
        """
        idx = _as_index(index, len(self))
        return self.images[idx].to(torch.float32).div_(255.0)

    def subset(self, indices: Index) -> ImageDataset:
        """A new data set holding the images (and labels) at ``indices``, in that order.

        Example:
            >>> import torch
            >>> ds = ImageDataset(torch.zeros(5, 1, 4, 4, dtype=torch.uint8), None, "toy")
            >>> len(ds.subset([1, 3]))
            2
        """
        idx = _as_index(indices, len(self))
        labels = None if self.labels is None else self.labels[idx]
        return ImageDataset(self.images[idx], labels, self.name, self.class_names)

    def head(self, n: int) -> ImageDataset:
        """The first ``min(n, N)`` images (``n >= 1``).

        Example:
            >>> import torch
            >>> ds = ImageDataset(torch.zeros(5, 1, 4, 4, dtype=torch.uint8), None, "toy")
            >>> len(ds.head(3)), len(ds.head(99))
            (3, 5)
        """
        if n < 1:
            raise SemcomError(f"head needs n >= 1, got {n}")
        return self.subset(slice(0, n))

    def iter_batches(
        self,
        batch_size: int,
        shuffle: bool = False,
        generator: torch.Generator | None = None,
        *,
        drop_last: bool = False,
    ) -> Iterator[tuple[torch.Tensor, torch.Tensor | None]]:
        """Yield ``(images [B, C, H, W] float32 in [0, 1], labels [B] int64 or None)``.

        One pass over the data; ``B = batch_size`` except possibly the last batch
        (dropped when ``drop_last``). With ``shuffle`` the order is
        ``torch.randperm(N, generator=generator)``; pass a seeded generator for
        reproducible epochs.

        Example:
            >>> import torch
            >>> ds = ImageDataset(torch.zeros(5, 1, 4, 4, dtype=torch.uint8), None, "toy")
            >>> [x.shape[0] for x, _ in ds.iter_batches(2, True, torch.Generator().manual_seed(0))]
            [2, 2, 1]
        """
        if batch_size < 1:
            raise SemcomError(f"batch size must be >= 1, got {batch_size}")
        n = len(self)
        order = torch.randperm(n, generator=generator) if shuffle else None
        stop = n - n % batch_size if drop_last else n
        for start in range(0, stop, batch_size):
            end = min(start + batch_size, n)
            idx: torch.Tensor | slice = slice(start, end) if order is None else order[start:end]
            x = self.images[idx].to(torch.float32).div_(255.0)
            y = None if self.labels is None else self.labels[idx]
            yield x, y
