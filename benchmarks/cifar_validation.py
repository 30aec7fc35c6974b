"""The shared CIFAR-10 subset as the quality benchmarks read it.

``../shared/data/cifar10_train_subset.npz`` split with ``#val=0.1``: the 544 validation
images no zoo model trained on (``"eval"``) and the 4894 it did (``"train"``). Scripts
run from the repository root import this module as a sibling (``python benchmarks/…``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch

from semcom.data import ImageDataset, load_images

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
CIFAR_NPZ = SHARED_DATA / "cifar10_train_subset.npz"


def cifar_split(split: str = "eval", limit: int | None = None) -> ImageDataset | None:
    """Images of one split of the shared CIFAR-10 subset, ``[N, 3, 32, 32]`` in [0, 1].

    ``split`` is ``"eval"`` (validation) or ``"train"``; ``limit`` keeps the first N.
    Returns None, after one line on stderr, when ``../shared/data`` is absent. Pins
    torch to one thread so figures from different runs compare.
    """
    if not CIFAR_NPZ.exists():
        print(f"error: {CIFAR_NPZ} not found (the project's shared data)", file=sys.stderr)
        return None
    torch.set_num_threads(1)
    data = load_images(f"npz:{CIFAR_NPZ}#val=0.1", split)
    return data.head(limit) if limit else data
