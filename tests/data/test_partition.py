"""Client partitions: exact, disjoint, seeded; Dirichlet skew follows alpha."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from semcom.data import class_histogram, dirichlet_partition, iid_partition
from semcom.data.partition import DirichletPartitioner, IIDPartitioner
from semcom.errors import SemcomError
from semcom.registry import PARTITIONERS, create_partitioner


def _assert_exact(parts: list[np.ndarray], n: int) -> None:
    assert all(p.dtype == np.int64 for p in parts)
    allidx = np.concatenate(parts)
    assert len(allidx) == n
    assert np.array_equal(np.sort(allidx), np.arange(n))


def _labels(n: int = 1000, classes: int = 10) -> np.ndarray:
    return np.random.default_rng(5).integers(0, classes, n)


def test_iid_exact_balanced_seeded() -> None:
    parts = iid_partition(103, 5, seed=0)
    _assert_exact(parts, 103)
    sizes = [len(p) for p in parts]
    assert max(sizes) - min(sizes) <= 1
    again = iid_partition(103, 5, seed=0)
    assert all(np.array_equal(a, b) for a, b in zip(parts, again, strict=True))
    other = iid_partition(103, 5, seed=1)
    assert not all(np.array_equal(a, b) for a, b in zip(parts, other, strict=True))


def test_iid_class_balance() -> None:
    y = _labels(5000)
    hist = class_histogram(y, iid_partition(len(y), 5, seed=0), 10)
    share = hist / hist.sum(axis=1, keepdims=True)
    assert float(np.abs(share - 0.1).max()) < 0.04


@pytest.mark.parametrize("alpha", [0.1, 0.9, 100.0])
def test_dirichlet_exact_seeded(alpha: float) -> None:
    y = _labels()
    parts = dirichlet_partition(y, 8, alpha=alpha, seed=3)
    _assert_exact(parts, len(y))
    assert min(len(p) for p in parts) >= 1
    again = dirichlet_partition(y, 8, alpha=alpha, seed=3)
    assert all(np.array_equal(a, b) for a, b in zip(parts, again, strict=True))


def test_dirichlet_min_size() -> None:
    parts = dirichlet_partition(_labels(), 5, alpha=0.3, seed=0, min_size=50)
    assert min(len(p) for p in parts) >= 50


def _skew(alpha: float) -> float:
    """Mean total-variation distance of client class mixes from the global mix."""
    y = _labels(4000)
    values = []
    for seed in range(3):
        hist = class_histogram(y, dirichlet_partition(y, 5, alpha=alpha, seed=seed), 10)
        share = hist / hist.sum(axis=1, keepdims=True)
        glob = np.bincount(y, minlength=10) / len(y)
        values.append(0.5 * np.abs(share - glob).sum(axis=1).mean())
    return float(np.mean(values))


def test_dirichlet_small_alpha_more_skewed() -> None:
    small, large = _skew(0.1), _skew(100.0)
    assert small > 0.4
    assert large < 0.1
    assert small > 4 * large


def test_dirichlet_accepts_torch_labels() -> None:
    y = torch.arange(60) % 3
    _assert_exact(dirichlet_partition(y, 3, seed=0), 60)


def test_dirichlet_gives_up() -> None:
    y = np.zeros(10, np.int64)  # one class, tiny alpha: nearly all mass on one client
    with pytest.raises(SemcomError, match="raise alpha"):
        dirichlet_partition(y, 5, alpha=1e-4, seed=0, min_size=2)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: iid_partition(3, 5, 0), "use fewer clients"),
        (lambda: iid_partition(10, 0, 0), "clients must be >= 1"),
        (lambda: dirichlet_partition(np.zeros(10, np.int64), 2, alpha=0.0), "alpha"),
        (lambda: dirichlet_partition(np.zeros((2, 5), np.int64), 2), "1-D"),
        (lambda: dirichlet_partition(np.array([0.5, 1.0]), 2), "integers"),
        (lambda: dirichlet_partition(np.array([0, -1]), 2), ">= 0"),
        (lambda: class_histogram(np.array([0, 3]), [np.array([0, 1])], 3), "out of range"),
    ],
)
def test_errors(call: object, message: str) -> None:
    with pytest.raises(SemcomError, match=message):
        call()  # type: ignore[operator]


def test_class_histogram() -> None:
    y = np.array([0, 1, 1, 2, 2, 2])
    hist = class_histogram(y, [np.array([0, 3]), np.array([1, 2, 4, 5])], 4)
    assert hist.dtype == np.int64
    assert hist.tolist() == [[1, 0, 1, 0], [0, 2, 2, 0]]


def test_registry() -> None:
    assert {"iid", "dirichlet"} <= set(PARTITIONERS.names())
    iid = create_partitioner("iid")
    assert isinstance(iid, IIDPartitioner)
    _assert_exact(iid(20, 3, 0), 20)
    _assert_exact(iid(np.arange(20), 3, 0), 20)
    dirich = create_partitioner("dirichlet", alpha=0.5)
    assert isinstance(dirich, DirichletPartitioner)
    assert dirich.alpha == 0.5
    _assert_exact(dirich(_labels(), 4, 0), 1000)
    with pytest.raises(SemcomError, match="needs class labels"):
        dirich(100, 4, 0)
    with pytest.raises(SemcomError, match="no option 'beta'"):
        create_partitioner("dirichlet", beta=1.0)
