"""Shared fixtures: tiny data sets and a tiny trained checkpoint (CPU, seconds)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch


def smooth_images(n: int, size: int, channels: int, seed: int) -> np.ndarray:
    """``[n, size, size(, 3)] uint8`` smooth random images (low-frequency blobs)."""
    rng = np.random.default_rng(seed)
    coarse = rng.random((n, channels, 4, 4)).astype(np.float32)
    up = torch.nn.functional.interpolate(
        torch.from_numpy(coarse), size=(size, size), mode="bilinear", align_corners=False
    )
    img = (up.numpy() * 255).round().astype(np.uint8)
    img = img.transpose(0, 2, 3, 1)
    return img[..., 0] if channels == 1 else img


@pytest.fixture(autouse=True)
def _few_threads() -> None:
    torch.set_num_threads(2)


@pytest.fixture
def rgb_npz(tmp_path: Path) -> Path:
    """An npz (x_train/y_train/x_test/y_test) of 96 + 32 smooth 32x32 RGB images."""
    path = tmp_path / "rgb.npz"
    np.savez(
        path,
        x_train=smooth_images(96, 32, 3, 0),
        y_train=np.arange(96) % 10,
        x_test=smooth_images(32, 32, 3, 1),
        y_test=np.arange(32) % 10,
    )
    return path


@pytest.fixture
def grey_npz(tmp_path: Path) -> Path:
    """An npz (x/y, one split) of 64 smooth 28x28 greyscale images."""
    path = tmp_path / "grey.npz"
    np.savez(path, x=smooth_images(64, 28, 1, 2), y=np.arange(64) % 10)
    return path


@pytest.fixture
def trained_checkpoint(tmp_path: Path, rgb_npz: Path) -> Path:
    """A DeepJSCC checkpoint trained for one epoch on ``rgb_npz``."""
    from semcom.config import TrainConfig
    from semcom.train import train

    cfg = TrainConfig(
        data=f"npz:{rgb_npz}", epochs=1, batch_size=32, out=str(tmp_path / "run"), device="cpu"
    )
    return train(cfg, progress=False).checkpoint
