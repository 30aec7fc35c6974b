"""The .npz loader: both layouts, greyscale, and every bad-input message."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from semcom.data.npz import load_npz, npz_layout
from semcom.errors import SemcomError


def _rgb(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (n, 6, 5, 3), dtype=np.uint8)


def _grey(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (n, 6, 5), dtype=np.uint8)


def test_single_layout_rgb(tmp_path: Path) -> None:
    x, y = _rgb(7), np.arange(7, dtype=np.int32) % 3
    path = tmp_path / "a.npz"
    np.savez(path, x=x, y=y)
    ds = load_npz(path)
    assert npz_layout(path) == "single"
    assert ds.images.shape == (7, 3, 6, 5)
    assert ds.images.dtype == torch.uint8
    assert torch.equal(ds.images, torch.from_numpy(x).permute(0, 3, 1, 2))
    assert ds.labels is not None
    assert ds.labels.dtype == torch.int64
    assert ds.labels.tolist() == y.tolist()
    assert ds.num_classes == 3
    assert ds.name.endswith("[all]")


def test_single_layout_without_labels(tmp_path: Path) -> None:
    path = tmp_path / "a.npz"
    np.savez(path, x=_grey(4))
    ds = load_npz(path)
    assert ds.labels is None
    assert ds.num_classes is None


def test_greyscale(tmp_path: Path) -> None:
    x = _grey(5)
    path = tmp_path / "g.npz"
    np.savez(path, x=x)
    ds = load_npz(path)
    assert ds.images.shape == (5, 1, 6, 5)
    assert ds.channels == 1
    assert torch.equal(ds.images[:, 0], torch.from_numpy(x))
    np.savez(path, x=x[..., None])  # [N, H, W, 1] is greyscale too
    assert load_npz(path).images.shape == (5, 1, 6, 5)


def test_split_layout(tmp_path: Path) -> None:
    path = tmp_path / "s.npz"
    np.savez(
        path,
        x_train=_grey(8),
        y_train=np.arange(8, dtype=np.uint8) % 2,
        x_test=_grey(3, seed=1),
        y_test=np.array([0, 4, 1], dtype=np.int16),
    )
    assert npz_layout(path) == "split"
    train, test = load_npz(path, "train"), load_npz(path, "test")
    assert (len(train), len(test)) == (8, 3)
    assert len(load_npz(path)) == 8
    assert len(load_npz(path, default_split="test")) == 3
    assert train.channels == test.channels == 1
    # num_classes agrees across splits (largest label over the whole file)
    assert train.num_classes == test.num_classes == 5
    assert test.name.endswith("[test]")


def test_split_layout_missing_test(tmp_path: Path) -> None:
    path = tmp_path / "s.npz"
    np.savez(path, x_train=_grey(3))
    assert len(load_npz(path, "train")) == 3
    with pytest.raises(SemcomError, match=r"no key x_test.*keys found: x_train"):
        load_npz(path, "test")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SemcomError, match="not found"):
        load_npz(tmp_path / "nope.npz")


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(SemcomError, match="not a file"):
        load_npz(tmp_path)


def test_corrupt_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.npz"
    path.write_bytes(b"this is not a zip archive at all")
    with pytest.raises(SemcomError, match=r"not a valid \.npz"):
        load_npz(path)


def test_truncated_file(tmp_path: Path) -> None:
    path = tmp_path / "cut.npz"
    np.savez(path, x=_rgb(50))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(SemcomError, match=r"not a valid \.npz|cannot read"):
        load_npz(path)


def test_npy_is_not_npz(tmp_path: Path) -> None:
    path = tmp_path / "a.npy"
    np.save(path, _rgb(2))
    with pytest.raises(SemcomError, match=r"single \.npy array"):
        load_npz(path)


def test_missing_key(tmp_path: Path) -> None:
    path = tmp_path / "k.npz"
    np.savez(path, images=_rgb(2), labels=np.zeros(2, np.int64))
    with pytest.raises(SemcomError) as info:
        load_npz(path)
    msg = str(info.value)
    assert "keys found: images, labels" in msg
    assert "x_train" in msg
    assert "x[, y]" in msg


def test_ambiguous_layout(tmp_path: Path) -> None:
    path = tmp_path / "k.npz"
    np.savez(path, x=_rgb(2), x_train=_rgb(2))
    with pytest.raises(SemcomError, match="ambiguous"):
        load_npz(path)


def test_wrong_dtype(tmp_path: Path) -> None:
    path = tmp_path / "f.npz"
    np.savez(path, x=_rgb(2).astype(np.float32))
    with pytest.raises(SemcomError, match="dtype float32; uint8 expected"):
        load_npz(path)


@pytest.mark.parametrize("shape", [(2, 6), (2, 6, 5, 4), (2, 3, 6, 5, 1), (6,)])
def test_wrong_rank_or_channels(tmp_path: Path, shape: tuple[int, ...]) -> None:
    path = tmp_path / "r.npz"
    np.savez(path, x=np.zeros(shape, np.uint8))
    with pytest.raises(SemcomError, match=r"expected \[N, H, W, 3\] \(RGB\) or \[N, H, W\]"):
        load_npz(path)


def test_empty(tmp_path: Path) -> None:
    path = tmp_path / "e.npz"
    np.savez(path, x=np.zeros((0, 6, 5, 3), np.uint8))
    with pytest.raises(SemcomError, match="empty"):
        load_npz(path)


def test_label_length_mismatch(tmp_path: Path) -> None:
    path = tmp_path / "l.npz"
    np.savez(path, x=_rgb(4), y=np.zeros(3, np.int64))
    with pytest.raises(SemcomError, match="3 labels but there are 4 images"):
        load_npz(path)


def test_label_dtype(tmp_path: Path) -> None:
    path = tmp_path / "l.npz"
    np.savez(path, x=_rgb(2), y=np.zeros(2, np.float64))
    with pytest.raises(SemcomError, match="y has dtype float64; an integer dtype expected"):
        load_npz(path)


def test_label_rank_and_sign(tmp_path: Path) -> None:
    path = tmp_path / "l.npz"
    np.savez(path, x=_rgb(2), y=np.zeros((2, 1), np.int64))
    with pytest.raises(SemcomError, match=r"y has shape \[2, 1\]"):
        load_npz(path)
    np.savez(path, x=_rgb(2), y=np.array([0, -2]))
    with pytest.raises(SemcomError, match="negative labels"):
        load_npz(path)


@pytest.mark.parametrize("split", ["train", "test"])
def test_split_asked_of_single_layout(tmp_path: Path, split: str) -> None:
    path = tmp_path / "one.npz"
    np.savez(path, x=_rgb(2), y=np.zeros(2, np.int64))
    with pytest.raises(SemcomError, match=f"one split.*#{split} does not apply"):
        load_npz(path, split)  # type: ignore[arg-type]


def test_pickled_objects_refused(tmp_path: Path) -> None:
    path = tmp_path / "o.npz"
    np.savez(path, x=np.array([object(), object()], dtype=object))
    with pytest.raises(SemcomError, match="cannot read key 'x'"):
        load_npz(path)
