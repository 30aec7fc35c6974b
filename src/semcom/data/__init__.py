"""Image data: the data-spec language, in-memory data sets and client partitions.

Every CLI command names its data with a *data spec*::

    SPEC      := SOURCE [ "#" FRAGMENT ]*
    SOURCE    := "patches" [ ":" SIZE ]         # default; RGB patches of scikit-image's
                                                # photographs, SIZE 8..256, multiple of 4
               | "npz:" PATH                    # a .npz file: keys x[, y] or
                                                # x_train[, y_train], x_test[, y_test]
               | "folder:" PATH                 # your image files (PNG, JPEG, ...), any size
               | "cifar10" | "cifar100" | "mnist" | "fashion-mnist"
                                                # torchvision, only with --download
    FRAGMENT  := "train" | "test" | "val=" F    # 0 < F < 1; combinable

:func:`load_images` turns a spec and a role (``"train"`` or ``"eval"``) into an
:class:`ImageDataset` (``[N, C, H, W] uint8``, ``C`` = 1 or 3). Without a split
fragment role ``train`` reads the train split and ``eval`` the test split;
``#val=F`` holds out a fixed fraction ``F`` (seed 0) of the train split: role
``train`` gets the rest and role ``eval`` the held-out part. An ``npz`` file with keys
``x``/``y`` is one split (all its images), for both roles, and so is a folder:
:func:`load_image_folder` keeps its images whole (evaluation tiles them at the codec's
size and scores the stitched image), :func:`load_images` cuts them into 32 px tiles.

Examples: ``patches``, ``patches:64``, ``npz:data/mnist_subset.npz#train``,
``npz:data/cifar10_train_subset.npz#val=0.1``, ``cifar10#test`` (with download).

Partitions for federated clients: :func:`iid_partition`, :func:`dirichlet_partition`
(also in ``semcom.registry.PARTITIONERS`` as ``iid`` / ``dirichlet``) and
:func:`class_histogram`.

Example:
    >>> from semcom.data import load_images, iid_partition
    >>> ds = load_images("patches", "train")
    >>> x = ds.batch(slice(0, 8))
    >>> tuple(x.shape), x.dtype
    ((8, 3, 32, 32), torch.float32)
    >>> parts = iid_partition(len(ds), 4, seed=0)
    >>> sum(len(p) for p in parts) == len(ds)
    True
"""

from __future__ import annotations

from semcom.data.dataset import ImageDataset
from semcom.data.folder import ImageFolder, SkippedFilesWarning, load_folder
from semcom.data.partition import class_histogram, dirichlet_partition, iid_partition
from semcom.data.spec import (
    DataSpec,
    is_folder_spec,
    load_image_folder,
    load_images,
    parse_data_spec,
)

__all__ = [
    "DataSpec",
    "ImageDataset",
    "ImageFolder",
    "SkippedFilesWarning",
    "class_histogram",
    "dirichlet_partition",
    "iid_partition",
    "is_folder_spec",
    "load_folder",
    "load_image_folder",
    "load_images",
    "parse_data_spec",
]
