"""ImageDataset: validation, properties, batching."""

from __future__ import annotations

import pytest
import torch

from semcom.data import ImageDataset
from semcom.errors import SemcomError


def _ds(n: int = 10, c: int = 3, labels: bool = True) -> ImageDataset:
    x = torch.arange(n * c * 4 * 5, dtype=torch.int64).remainder(256).to(torch.uint8)
    y = torch.arange(n) % 3 if labels else None
    return ImageDataset(x.reshape(n, c, 4, 5), y, "toy[train]")


@pytest.mark.parametrize("c", [1, 3])
def test_properties(c: int) -> None:
    ds = _ds(c=c)
    assert len(ds) == 10
    assert (ds.channels, ds.height, ds.width) == (c, 4, 5)
    assert ds.num_classes == 3
    assert _ds(labels=False).num_classes is None
    assert "toy" in repr(ds)


def test_class_names_set_num_classes() -> None:
    ds = ImageDataset(
        torch.zeros(2, 1, 2, 2, dtype=torch.uint8), torch.tensor([0, 0]), "t", ("a", "b", "c")
    )
    assert ds.num_classes == 3
    assert ds.subset([1]).num_classes == 3


def test_batch_float_range() -> None:
    ds = _ds()
    x = ds.batch(torch.tensor([0, 2, 4]))
    assert x.shape == (3, 3, 4, 5)
    assert x.dtype == torch.float32
    assert float(x.min()) >= 0.0
    assert float(x.max()) <= 1.0
    assert torch.equal(x, ds.images[[0, 2, 4]].float() / 255)
    assert ds.batch(slice(2, 5)).shape == (3, 3, 4, 5)
    assert ds.batch([1]).shape == (1, 3, 4, 5)
    assert ds.batch(3).shape == (1, 3, 4, 5)


def test_batch_bad_index() -> None:
    with pytest.raises(SemcomError, match="out of range"):
        _ds().batch(torch.tensor([10]))
    with pytest.raises(SemcomError, match="integers"):
        _ds().batch(torch.tensor([0.5]))


def test_subset_and_head() -> None:
    ds = _ds()
    sub = ds.subset(torch.tensor([3, 1]))
    assert len(sub) == 2
    assert torch.equal(sub.images[0], ds.images[3])
    assert sub.labels is not None
    assert sub.labels.tolist() == [0, 1]
    assert len(ds.head(4)) == 4
    assert torch.equal(ds.head(4).images, ds.images[:4])
    assert len(ds.head(100)) == 10
    with pytest.raises(SemcomError, match="n >= 1"):
        ds.head(0)
    with pytest.raises(SemcomError, match="no images"):
        ds.subset([])


def test_iter_batches_covers_all() -> None:
    ds = _ds(n=10)
    sizes = [x.shape[0] for x, _ in ds.iter_batches(4, shuffle=False)]
    assert sizes == [4, 4, 2]
    assert [x.shape[0] for x, _ in ds.iter_batches(4, shuffle=False, drop_last=True)] == [4, 4]
    got = torch.cat(
        [y for _, y in ds.iter_batches(3, True, torch.Generator().manual_seed(0)) if y is not None]
    )
    assert sorted(got.tolist()) == sorted(ds.labels.tolist())  # type: ignore[union-attr]
    for x, y in _ds(labels=False).iter_batches(5):
        assert x.dtype == torch.float32
        assert y is None


def test_iter_batches_seeded() -> None:
    ds = _ds(n=20)

    def order(seed: int) -> list[torch.Tensor]:
        return [x for x, _ in ds.iter_batches(7, True, torch.Generator().manual_seed(seed))]

    a, b, c = order(1), order(1), order(2)
    assert all(torch.equal(p, q) for p, q in zip(a, b, strict=True))
    assert not all(torch.equal(p, q) for p, q in zip(a, c, strict=True))
    with pytest.raises(SemcomError, match="batch size"):
        next(ds.iter_batches(0))


@pytest.mark.parametrize(
    ("images", "labels", "message"),
    [
        (torch.zeros(2, 3, 4, 4), None, "dtype"),
        (torch.zeros(2, 4, 4, dtype=torch.uint8), None, r"\[N, C, H, W\]"),
        (torch.zeros(2, 4, 4, 4, dtype=torch.uint8), None, "1 or 3 channels"),
        (torch.zeros(0, 3, 4, 4, dtype=torch.uint8), None, "no images"),
        (
            torch.zeros(2, 3, 4, 4, dtype=torch.uint8),
            torch.zeros(3, dtype=torch.int64),
            "labels must have shape",
        ),
        (
            torch.zeros(2, 3, 4, 4, dtype=torch.uint8),
            torch.zeros(2, dtype=torch.int32),
            "int64 expected",
        ),
        (torch.zeros(2, 3, 4, 4, dtype=torch.uint8), torch.tensor([0, -1]), ">= 0"),
    ],
)
def test_validation(images: torch.Tensor, labels: torch.Tensor | None, message: str) -> None:
    with pytest.raises(SemcomError, match=message):
        ImageDataset(images, labels, "bad")
