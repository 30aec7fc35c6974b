"""Your own images: every image file in a folder, of any size (``folder:PATH``).

Every regular, non-hidden file directly inside the folder (sorted by name; no
recursion into sub-folders; hidden files such as ``.DS_Store`` are ignored) must be an
image Pillow can read (PNG, JPEG, BMP, TIFF, WebP, ...). A file that is not stops the
load with an error naming it, unless ``skip_bad=True`` (the CLI's ``--skip-bad``), which
skips it with a :class:`SkippedFilesWarning` naming it.

Images keep their own sizes. They are read as RGB unless every one is greyscale (then
``C`` = 1), or as the ``channels`` asked for (a codec's input channels). Evaluation cuts
each image into tiles of the codec's size and stitches the reconstruction back (see
:mod:`semcom.evaluation.sweep`); training uses :meth:`ImageFolder.tiles`.

Example:
    >>> import tempfile, torch
    >>> from pathlib import Path
    >>> from semcom.data.image_file import write_image
    >>> from semcom.data.folder import load_folder
    >>> root = Path(tempfile.mkdtemp())
    >>> write_image(torch.rand(3, 40, 50), root / "a.png")
    >>> write_image(torch.rand(3, 64, 64), root / "b.jpg")
    >>> folder = load_folder(root)
    >>> len(folder), folder.files, folder.channels
    (2, ('a.png', 'b.jpg'), 3)
    >>> folder.tiles(32).images.shape  # 2x2 tiles each
    torch.Size([8, 3, 32, 32])
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from semcom.data.dataset import ImageDataset
from semcom.errors import SemcomError
from semcom.tiling import tile_image

#: Pillow modes read as greyscale.
GREY_MODES = frozenset({"1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "F"})

#: How many file names an error or warning lists before "and N more".
MAX_NAMES = 5


class SkippedFilesWarning(UserWarning):
    """Files of a ``folder:`` spec that were skipped because they are not images."""


@dataclass(frozen=True, eq=False)
class ImageFolder:
    """Images of different sizes read from one folder.

    Attributes:
        images: one ``[C, H, W] uint8`` tensor per file, ``C`` = :attr:`channels`.
        files: the file names, same order.
        name: the data spec plus the part taken, e.g. ``"folder:kodak[all]"``.
        channels: 1 (greyscale) or 3 (RGB).
        skipped: names of files skipped as non-images (``skip_bad=True`` only).
    """

    images: tuple[torch.Tensor, ...]
    files: tuple[str, ...]
    name: str
    channels: int
    skipped: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.images)

    def image(self, i: int) -> torch.Tensor:
        """Image ``i`` as ``[C, H, W] float32`` in [0, 1]."""
        return self.images[i].float().div_(255)

    def subset(self, indices: Sequence[int] | np.ndarray, name: str | None = None) -> ImageFolder:
        """The images at ``indices`` (in that order)."""
        idx = [int(i) for i in indices]
        return ImageFolder(
            tuple(self.images[i] for i in idx),
            tuple(self.files[i] for i in idx),
            name or self.name,
            self.channels,
            self.skipped,
        )

    def tiles(self, size: int, name: str | None = None) -> ImageDataset:
        """Every image cut into ``size x size`` tiles (reflect-padded at the bottom and right
        edges, see :func:`semcom.tiling.tile_image`): ``[N_tiles, C, size, size] uint8``.
        Labels are the index of the source image."""
        parts, labels = [], []
        for i, img in enumerate(self.images):
            t, _ = tile_image(img.float(), (size, size))
            parts.append(t.round().to(torch.uint8))
            labels.append(torch.full((len(t),), i, dtype=torch.int64))
        return ImageDataset(
            torch.cat(parts), torch.cat(labels), name or f"{self.name}[tiles {size}px]", self.files
        )


def _names(files: list[str]) -> str:
    shown = ", ".join(files[:MAX_NAMES])
    return shown + (f" and {len(files) - MAX_NAMES} more" if len(files) > MAX_NAMES else "")


def load_folder(
    path: str | Path, channels: int | None = None, *, skip_bad: bool = False, name: str = ""
) -> ImageFolder:
    """Read every image file directly inside ``path`` (see the module docstring).

    Args:
        path: the folder.
        channels: 1 or 3 to convert every image to; ``None``: 1 if all are greyscale, else 3.
        skip_bad: skip (with a :class:`SkippedFilesWarning`) files that are not images
            instead of failing.
        name: the data set's name; default ``folder:PATH[all]``.

    Raises:
        SemcomError: missing folder, a path that is not a folder, a non-image file (without
            ``skip_bad``), a folder with no images, ``channels`` not 1 or 3.
    """
    root = Path(path)
    if channels not in (None, 1, 3):
        raise SemcomError(f"channels must be 1 or 3, got {channels!r}")
    if not root.exists():
        raise SemcomError(f"image folder not found: {root}")
    if not root.is_dir():
        raise SemcomError(f"folder:{root} is not a folder (for one image use 'semcom transmit')")
    candidates = sorted(p for p in root.iterdir() if p.is_file() and not p.name.startswith("."))
    opened: list[tuple[str, Image.Image]] = []
    bad: list[str] = []
    for p in candidates:
        try:
            with Image.open(p) as file:
                file.load()
                opened.append((p.name, file.copy()))
        except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
            bad.append(p.name)
    if bad and not skip_bad:
        raise SemcomError(
            f"{len(bad)} file(s) in {root} are not readable images: {_names(bad)}; "
            "remove them or pass --skip-bad to skip them"
        )
    if bad:
        warnings.warn(
            f"skipped {len(bad)} file(s) in {root} that are not readable images: {_names(bad)}",
            SkippedFilesWarning,
            stacklevel=2,
        )
    if not opened:
        raise SemcomError(f"no image files in {root}")
    if channels is None:
        channels = 1 if all(im.mode in GREY_MODES for _, im in opened) else 3
    images = []
    for _, im in opened:
        arr = np.asarray(im.convert("L" if channels == 1 else "RGB"), dtype=np.uint8)
        t = torch.from_numpy(arr.copy())
        images.append(t.unsqueeze(0) if t.ndim == 2 else t.permute(2, 0, 1).contiguous())
    return ImageFolder(
        tuple(images),
        tuple(n for n, _ in opened),
        name or f"folder:{root}[all]",
        channels,
        tuple(bad),
    )
