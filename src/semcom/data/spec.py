"""The data-spec language every CLI command uses, and :func:`load_images`.

Grammar (``[...]`` optional)::

    SPEC      := SOURCE [ "#" FRAGMENT ]*
    SOURCE    := "patches" [ ":" SIZE ]         # download-free default, SIZE 8..256, /4
               | "npz:" PATH                    # a local .npz file
               | "folder:" PATH                 # image files of any size (see semcom.data.folder)
               | "cifar10" | "cifar100" | "mnist" | "fashion-mnist"   # need download=True
    FRAGMENT  := "train" | "test" | "val=" F    # 0 < F < 1; split and val combinable

Which images a spec gives for a role (``"train"`` or ``"eval"``):

* split: ``#train`` / ``#test`` pick that split whatever the role; without one, role
  ``train`` takes the train split and ``eval`` the test split. An ``npz`` file with
  keys ``x``/``y`` has one split (all its images) and refuses ``#train`` / ``#test``.
* ``#val=F`` carves a fixed part of fraction ``F`` out of the selected split
  (permutation with seed 0, independent of anything else; ``round(F * N)`` images,
  at least 1, leaving at least 1): role ``train`` gets the rest, role ``eval`` the
  validation part. Without a split fragment the selected split is the train split,
  for both roles.
* ``folder:PATH`` is one split (all its files; ``#val=F`` holds out whole files).
  :func:`load_images` cuts its images into ``32 x 32`` tiles (training data);
  :func:`load_image_folder` keeps them whole, for evaluation by tiling at the codec's size.

Example:
    >>> from semcom.data.spec import parse_data_spec, load_images
    >>> parse_data_spec("npz:data/mnist.npz#train#val=0.1")
    DataSpec(scheme='npz', path='data/mnist.npz', size=None, split='train', val_fraction=0.1)
    >>> ds = load_images("patches:16", "eval")
    >>> ds.name, ds.height
    ('patches:16[test]', 16)
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import torch

from semcom.data.dataset import ImageDataset
from semcom.data.folder import ImageFolder, load_folder
from semcom.data.npz import load_npz
from semcom.data.patches import DEFAULT_SIZE, check_patch_size, load_patches
from semcom.errors import SemcomError

Split = Literal["train", "test"]

#: Public data sets fetched through torchvision (only with ``download=True``).
DOWNLOADABLE: tuple[str, ...] = ("cifar10", "cifar100", "mnist", "fashion-mnist")

#: Where downloads go unless ``root`` is given.
DEFAULT_ROOT = "~/.cache/semcom/datasets"

#: Seed of the permutation that carves the ``#val=F`` part.
VAL_SEED = 0

ACCEPTED_FORMS = (
    "patches, patches:SIZE, npz:PATH, folder:PATH, cifar10, cifar100, mnist, fashion-mnist "
    "(each optionally followed by #train, #test and/or #val=F)"
)


@dataclass(frozen=True)
class DataSpec:
    """A parsed data spec.

    Attributes:
        scheme: ``"patches"``, ``"npz"``, ``"folder"`` or one of :data:`DOWNLOADABLE`.
        path: the ``.npz`` file or image folder (``npz`` / ``folder`` only), as written.
        size: patch side in pixels (``patches`` only).
        split: ``"train"``, ``"test"`` or ``None`` (chosen by the role).
        val_fraction: fraction ``F`` in ``(0, 1)`` of ``#val=F``, or ``None``.

    Example:
        >>> str(parse_data_spec("patches#val=0.2"))
        'patches:32#val=0.2'
    """

    scheme: str
    path: str | None = None
    size: int | None = None
    split: Split | None = None
    val_fraction: float | None = None

    def __str__(self) -> str:
        if self.scheme == "patches":
            text = f"patches:{self.size}"
        elif self.scheme in ("npz", "folder"):
            text = f"{self.scheme}:{self.path}"
        else:
            text = self.scheme
        if self.split is not None:
            text += f"#{self.split}"
        if self.val_fraction is not None:
            text += f"#val={self.val_fraction:g}"
        return text


def _parse_fraction(text: str, spec: str) -> float:
    try:
        f = float(text)
    except ValueError:
        raise SemcomError(f"data spec {spec!r}: #val={text} is not a number") from None
    if not (math.isfinite(f) and 0.0 < f < 1.0):
        raise SemcomError(f"data spec {spec!r}: #val={text} must be between 0 and 1 (exclusive)")
    return f


def parse_data_spec(spec: str) -> DataSpec:
    """Parse a data spec (grammar in the module docstring) into a :class:`DataSpec`.

    Raises:
        SemcomError: empty spec, unknown scheme (the message lists the accepted forms),
            bad patch size, unknown / repeated fragment, bad ``#val`` fraction.

    Example:
        >>> parse_data_spec("patches:64").size
        64
        >>> parse_data_spec("cifar10#test").split
        'test'
    """
    text = spec.strip()
    if not text:
        raise SemcomError(f"empty data spec; accepted forms: {ACCEPTED_FORMS}")
    source, *fragments = text.split("#")
    split: Split | None = None
    val: float | None = None
    for frag in fragments:
        frag = frag.strip()
        if frag in ("train", "test"):
            if split is not None:
                raise SemcomError(f"data spec {spec!r} names a split twice (#{split}, #{frag})")
            split = "train" if frag == "train" else "test"
        elif frag.startswith("val="):
            if val is not None:
                raise SemcomError(f"data spec {spec!r} has #val= twice")
            val = _parse_fraction(frag[4:], spec)
        else:
            raise SemcomError(
                f"data spec {spec!r}: unknown fragment #{frag}; accepted: #train, #test, #val=F"
            )

    scheme, sep, arg = source.partition(":")
    scheme = scheme.strip().lower()
    if scheme == "patches":
        size = DEFAULT_SIZE
        if sep:
            try:
                size = int(arg)
            except ValueError:
                raise SemcomError(
                    f"data spec {spec!r}: patch size {arg!r} is not an integer"
                ) from None
        return DataSpec("patches", size=check_patch_size(size), split=split, val_fraction=val)
    if scheme == "npz":
        if not arg.strip():
            raise SemcomError(f"data spec {spec!r}: npz: needs a path, e.g. npz:data/train.npz")
        return DataSpec("npz", path=arg.strip(), split=split, val_fraction=val)
    if scheme == "folder":
        if not arg.strip():
            raise SemcomError(f"data spec {spec!r}: folder: needs a path, e.g. folder:kodak/")
        if split is not None:
            raise SemcomError(
                f"data spec {spec!r}: a folder is one split; use #val=F to hold out files"
            )
        return DataSpec("folder", path=arg.strip(), val_fraction=val)
    if scheme in DOWNLOADABLE and not sep:
        return DataSpec(scheme, split=split, val_fraction=val)
    hint = ""
    if source.strip().lower().endswith(".npz"):
        hint = f"; for a file write npz:{source.strip()}"
    raise SemcomError(f"unknown data spec {spec!r}{hint}; accepted forms: {ACCEPTED_FORMS}")


def split_validation(
    n: int, fraction: float, seed: int = VAL_SEED
) -> tuple[np.ndarray, np.ndarray]:
    """Split ``range(n)`` into ``(rest, val)``, sorted int64 index arrays.

    ``val`` holds ``round(fraction * n)`` indices (at least 1, leaving at least 1),
    chosen by ``np.random.default_rng(seed).permutation(n)``; deterministic.

    Example:
        >>> rest, val = split_validation(10, 0.2)
        >>> len(rest), len(val)
        (8, 2)
    """
    if n < 2:
        raise SemcomError(f"cannot carve a validation part out of {n} image(s); need at least 2")
    n_val = min(max(1, round(fraction * n)), n - 1)
    perm = np.random.default_rng(seed).permutation(n)
    return np.sort(perm[n_val:]).astype(np.int64), np.sort(perm[:n_val]).astype(np.int64)


def _one_line(e: BaseException) -> str:
    text = f"{type(e).__name__}: {' '.join(str(e).split())}"
    return text if len(text) <= 200 else text[:197] + "..."


def _load_torchvision(name: str, split: Split, root: str) -> ImageDataset:
    """Download (if needed) and load ``name`` through torchvision."""
    fix = "or convert the data to .npz and use npz:PATH"
    try:
        from torchvision import datasets
    except Exception as e:  # ImportError, or RuntimeError beside a mismatched torch
        raise SemcomError(
            f"data set {name!r} needs torchvision, which failed to import ({_one_line(e)}); "
            f"install it with pip install 'semcom[download]' (matching your torch), {fix}"
        ) from None
    classes: dict[str, Any] = {
        "cifar10": datasets.CIFAR10,
        "cifar100": datasets.CIFAR100,
        "mnist": datasets.MNIST,
        "fashion-mnist": datasets.FashionMNIST,
    }
    root_path = os.path.expanduser(root)
    try:
        ds = classes[name](root=root_path, train=split == "train", download=True)
        x = np.asarray(ds.data, dtype=np.uint8)
        y = np.asarray(ds.targets, dtype=np.int64)
        names = tuple(str(c) for c in getattr(ds, "classes", ()) or ())
    except Exception as e:  # network, disk, corrupt archive, ...
        raise SemcomError(
            f"could not download or read {name} into {root_path} ({_one_line(e)}); "
            f"check the network connection, {fix}"
        ) from None
    images = torch.from_numpy(
        np.ascontiguousarray(x[:, None] if x.ndim == 3 else x.transpose(0, 3, 1, 2))
    )
    class_names = names if names and len(names) > int(y.max()) else None
    return ImageDataset(images, torch.from_numpy(y), f"{name}[{split}]", class_names)


def load_images(
    spec: str,
    role: str = "train",
    *,
    download: bool = False,
    root: str | None = None,
    skip_bad: bool = False,
) -> ImageDataset:
    """Load the images a data spec names, for a role.

    Args:
        spec: a data spec (grammar in the module docstring), e.g. ``"patches"``,
            ``"npz:data/mnist.npz#train#val=0.1"``, ``"cifar10"``.
        role: ``"train"`` (data to fit on) or ``"eval"`` (held-out data to report on).
        download: allow the torchvision data sets (``cifar10`` ...) to be fetched; needs
            ``pip install 'semcom[download]'`` and network (the CLI's ``--download``).
        root: download folder for those; default ``~/.cache/semcom/datasets``.
        skip_bad: ``folder:`` only: skip non-image files (with a warning) instead of failing.

    Returns:
        :class:`ImageDataset` (``[N, C, H, W] uint8``, ``C`` = 1 or 3); its ``name`` is the
        canonical spec plus the part taken, e.g. ``"npz:d.npz#val=0.1[all/rest]"``.

    Raises:
        SemcomError: bad spec or role, missing/corrupt file, a downloadable data set
            without ``download=True``, torchvision missing or the download failing.

    Example:
        >>> ds = load_images("patches", "train")
        >>> ds.channels, ds.height, ds.width
        (3, 32, 32)
    """
    if role not in ("train", "eval"):
        raise SemcomError(f"data role must be 'train' or 'eval', got {role!r}")
    parsed = parse_data_spec(spec)
    if parsed.scheme == "folder":
        folder = load_image_folder(spec, role, skip_bad=skip_bad)
        return folder.tiles(DEFAULT_SIZE, f"{folder.name[:-1]}, tiles {DEFAULT_SIZE}px]")
    if parsed.split is not None:
        split: Split = parsed.split
    elif parsed.val_fraction is not None or role == "train":
        split = "train"
    else:
        split = "test"
    canonical = str(parsed)
    part: str

    if parsed.scheme == "patches":
        assert parsed.size is not None
        ds = load_patches(parsed.size, split)
        part = split
    elif parsed.scheme == "npz":
        assert parsed.path is not None
        chosen = None if parsed.split is None else split
        ds = load_npz(parsed.path, chosen, default_split=split)
        part = ds.name.rsplit("[", 1)[-1].rstrip("]")
    else:
        if not download:
            raise SemcomError(
                f"data set {parsed.scheme!r} must be downloaded: pass --download (needs "
                f"pip install 'semcom[download]' and network), or convert the data to .npz "
                f"and use npz:PATH"
            )
        ds = _load_torchvision(parsed.scheme, split, root or DEFAULT_ROOT)
        part = split

    if parsed.val_fraction is not None:
        rest, val = split_validation(len(ds), parsed.val_fraction)
        if role == "train":
            ds, part = ds.subset(rest), f"{part}/rest"
        else:
            ds, part = ds.subset(val), f"{part}/val"
    return ImageDataset(ds.images, ds.labels, f"{canonical}[{part}]", ds.class_names)


def load_image_folder(
    spec: str, role: str = "eval", *, channels: int | None = None, skip_bad: bool = False
) -> ImageFolder:
    """The whole images of a ``folder:PATH[#val=F]`` spec, for a role (see :func:`load_images`).

    Args:
        spec: a ``folder:`` data spec.
        role: ``"train"`` or ``"eval"``; only matters with ``#val=F``.
        channels: convert every image to 1 or 3 channels; ``None``: as read (see
            :func:`~semcom.data.folder.load_folder`).
        skip_bad: skip non-image files (with a warning) instead of failing.

    Raises:
        SemcomError: not a ``folder:`` spec, or any problem :func:`load_folder` reports.
    """
    if role not in ("train", "eval"):
        raise SemcomError(f"data role must be 'train' or 'eval', got {role!r}")
    parsed = parse_data_spec(spec)
    if parsed.scheme != "folder" or parsed.path is None:
        raise SemcomError(f"{spec!r} is not a folder:PATH data spec")
    folder = load_folder(parsed.path, channels, skip_bad=skip_bad, name=f"{parsed}[all]")
    if parsed.val_fraction is None:
        return folder
    rest, val = split_validation(len(folder), parsed.val_fraction)
    part = "all/rest" if role == "train" else "all/val"
    return folder.subset(rest if role == "train" else val, f"{parsed}[{part}]")


def is_folder_spec(spec: str) -> bool:
    """Whether ``spec`` names a ``folder:`` data set (cheap; no validation)."""
    return spec.strip().lower().startswith("folder:")
