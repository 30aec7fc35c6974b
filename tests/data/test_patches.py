"""The download-free ``patches`` data set."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from semcom.data import load_images
from semcom.data.patches import MIN_STD, PHOTOGRAPHS, _split_columns, load_patches
from semcom.errors import SemcomError


def test_shapes_and_counts() -> None:
    train, test = load_patches(32, "train"), load_patches(32, "test")
    assert train.images.dtype == torch.uint8
    assert train.images.shape[1:] == (3, 32, 32)
    assert test.images.shape[1:] == (3, 32, 32)
    assert 2000 < len(train) < 5000
    assert 300 < len(test) < len(train)
    assert train.num_classes == len(PHOTOGRAPHS) == 8
    assert train.name == "patches:32[train]"


def test_deterministic() -> None:
    a, b = load_patches(32, "train"), load_patches(32, "train")
    assert a.images is not b.images  # independent copies of the cached arrays
    assert torch.equal(a.images, b.images)
    assert a.labels is not None
    assert b.labels is not None
    assert torch.equal(a.labels, b.labels)
    a.images[0].zero_()  # mutating a copy does not touch the cache
    assert torch.equal(load_patches(32, "train").images, b.images)


def test_shuffled() -> None:
    labels = load_patches(32, "train").labels
    assert labels is not None
    # photographs interleave rather than coming in blocks
    assert int((labels[1:] != labels[:-1]).sum()) > len(labels) // 2


def test_train_test_disjoint() -> None:
    train, test = load_patches(32, "train"), load_patches(32, "test")
    train_keys = {bytes(p) for p in train.images.numpy().reshape(len(train), -1)}
    test_keys = {bytes(p) for p in test.images.numpy().reshape(len(test), -1)}
    assert not train_keys & test_keys


@pytest.mark.parametrize("size", [8, 32, 64, 256])
def test_regions_disjoint_by_construction(size: int) -> None:
    for width in (451, 512, 600, 741, 1000, 1411):
        n_train, n_test = _split_columns(width, size)
        if n_train == 0:
            continue
        train_end = n_train * size
        test_start = (n_train + 1) * size
        assert test_start - train_end == size  # one patch of gap
        assert test_start + n_test * size <= width
        assert 0.6 <= n_train / (n_train + n_test) <= 0.9 or n_train + n_test < 5


def test_no_flat_patches() -> None:
    x = load_patches(32, "test").batch(slice(None))
    assert float(x.reshape(len(x), -1).std(dim=1).min()) >= MIN_STD - 1e-6


def test_size_64() -> None:
    ds = load_images("patches:64", "train")
    assert ds.images.shape[1:] == (3, 64, 64)
    assert len(ds) < len(load_patches(32, "train"))
    assert load_images("patches:64", "eval").name == "patches:64[test]"


@pytest.mark.parametrize("spec", ["patches:7", "patches:30", "patches:260", "patches:0"])
def test_bad_size(spec: str) -> None:
    with pytest.raises(SemcomError, match=r"8\.\.256 and a multiple of 4"):
        load_images(spec)


def test_non_integer_size() -> None:
    with pytest.raises(SemcomError, match="not an integer"):
        load_images("patches:big")


def test_roles() -> None:
    train, test = load_images("patches", "train"), load_images("patches", "eval")
    assert torch.equal(train.images, load_patches(32, "train").images)
    assert torch.equal(test.images, load_patches(32, "test").images)
    assert np.array_equal(load_images("patches#test", "train").images, test.images)
