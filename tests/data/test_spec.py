"""The data-spec language and load_images."""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest
import torch

from semcom.data import DataSpec, load_images, parse_data_spec
from semcom.errors import SemcomError

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
MNIST = SHARED / "mnist_subset.npz"
CIFAR = SHARED / "cifar10_train_subset.npz"


def test_parse() -> None:
    assert parse_data_spec("patches") == DataSpec("patches", size=32)
    assert parse_data_spec("patches:64#test") == DataSpec("patches", size=64, split="test")
    assert parse_data_spec("npz:a/b.npz#train#val=0.25") == DataSpec(
        "npz", path="a/b.npz", split="train", val_fraction=0.25
    )
    assert parse_data_spec("npz:C:/d/x.npz").path == "C:/d/x.npz"
    assert parse_data_spec("fashion-mnist#val=0.1") == DataSpec("fashion-mnist", val_fraction=0.1)
    assert str(parse_data_spec("npz:x.npz#val=0.1#test")) == "npz:x.npz#test#val=0.1"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "empty data spec"),
        (
            "imagenet",
            "unknown data spec 'imagenet'; accepted forms: patches, patches:SIZE, npz:PATH",
        ),
        ("data/x.npz", "write npz:data/x.npz"),
        ("cifar10:foo", "unknown data spec"),
        ("npz:", "needs a path"),
        ("patches#val=1.5", "between 0 and 1"),
        ("patches#val=0", "between 0 and 1"),
        ("patches#val=abc", "not a number"),
        ("patches#bogus", "unknown fragment #bogus"),
        ("patches#train#test", "split twice"),
        ("patches#val=0.1#val=0.2", "#val= twice"),
    ],
)
def test_parse_errors(spec: str, message: str) -> None:
    with pytest.raises(SemcomError, match=message.replace("(", r"\(")):
        parse_data_spec(spec)


def test_bad_role() -> None:
    with pytest.raises(SemcomError, match="role"):
        load_images("patches", "test")


@pytest.fixture
def single(tmp_path: Path) -> Path:
    path = tmp_path / "single.npz"
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (50, 4, 4, 3), dtype=np.uint8)
    x[:, 0, 0, 0] = np.arange(50)  # make each image identifiable
    np.savez(path, x=x, y=np.arange(50) % 5)
    return path


@pytest.fixture
def split(tmp_path: Path) -> Path:
    path = tmp_path / "split.npz"
    x_train = np.zeros((40, 4, 4), np.uint8)
    x_train[:, 0, 0] = np.arange(40)
    x_test = np.full((10, 4, 4), 200, np.uint8)
    np.savez(
        path, x_train=x_train, y_train=np.arange(40) % 4, x_test=x_test, y_test=np.arange(10) % 4
    )
    return path


def _ids(images: torch.Tensor) -> set[int]:
    return set(images[:, 0, 0, 0].tolist())


def test_npz_single_roles(single: Path) -> None:
    for role in ("train", "eval"):
        ds = load_images(f"npz:{single}", role)
        assert len(ds) == 50
        assert ds.channels == 3
    for frag in ("#train", "#test"):
        with pytest.raises(SemcomError, match="one split"):
            load_images(f"npz:{single}{frag}")


def test_npz_split_roles(split: Path) -> None:
    assert len(load_images(f"npz:{split}", "train")) == 40
    assert len(load_images(f"npz:{split}", "eval")) == 10
    assert len(load_images(f"npz:{split}#train", "eval")) == 40
    assert len(load_images(f"npz:{split}#test", "train")) == 10
    ds = load_images(f"npz:{split}", "eval")
    assert ds.channels == 1
    assert ds.name == f"npz:{split}[test]"


def test_val_split(single: Path) -> None:
    spec = f"npz:{single}#val=0.1"
    rest, val = load_images(spec, "train"), load_images(spec, "eval")
    assert (len(rest), len(val)) == (45, 5)
    assert not _ids(rest.images) & _ids(val.images)
    assert _ids(rest.images) | _ids(val.images) == set(range(50))
    again = load_images(spec, "eval")
    assert torch.equal(again.images, val.images)
    assert rest.name.endswith("[all/rest]")
    assert val.name.endswith("[all/val]")
    assert val.num_classes == 5


def test_val_split_of_train_split(split: Path) -> None:
    rest = load_images(f"npz:{split}#val=0.25", "train")
    val = load_images(f"npz:{split}#val=0.25", "eval")
    assert (len(rest), len(val)) == (30, 10)
    assert _ids(rest.images) | _ids(val.images) == set(range(40))  # carved from train only
    assert torch.equal(load_images(f"npz:{split}#train#val=0.25", "eval").images, val.images)
    test_val = load_images(f"npz:{split}#test#val=0.2", "eval")
    assert len(test_val) == 2
    assert int(test_val.images.max()) == 200


def test_val_independent_of_role_order_and_global_seed(single: Path) -> None:
    spec = f"npz:{single}#val=0.2"
    torch.manual_seed(123)
    np.random.seed(123)
    a = load_images(spec, "eval")
    torch.manual_seed(7)
    np.random.seed(7)
    load_images(spec, "train")
    b = load_images(spec, "eval")
    assert torch.equal(a.images, b.images)


def test_patches_val() -> None:
    rest = load_images("patches:64#val=0.1", "train")
    val = load_images("patches:64#val=0.1", "eval")
    train = load_images("patches:64", "train")
    assert len(rest) + len(val) == len(train)


@pytest.mark.parametrize("name", ["cifar10", "cifar100", "mnist", "fashion-mnist", "mnist#val=0.1"])
def test_download_specs_need_flag(name: str) -> None:
    with pytest.raises(SemcomError) as info:
        load_images(name)
    msg = str(info.value)
    assert "--download" in msg
    assert "npz:" in msg
    assert "semcom[download]" in msg


def test_torchvision_missing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "torchvision", None)
    with pytest.raises(SemcomError, match="needs torchvision, which failed to import"):
        load_images("cifar10", download=True, root=str(tmp_path))


def test_torchvision_import_runtime_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    class Broken(types.ModuleType):
        def __getattr__(self, name: str) -> object:
            raise RuntimeError("operator torchvision::nms does not exist")

    monkeypatch.setitem(sys.modules, "torchvision", Broken("torchvision"))
    with pytest.raises(SemcomError, match="RuntimeError: operator torchvision::nms"):
        load_images("mnist", download=True, root=str(tmp_path))


def _fake_torchvision(monkeypatch: pytest.MonkeyPatch, fail: bool) -> list[dict[str, object]]:
    calls: list[dict[str, object]] = []

    class FakeMNIST:
        classes: ClassVar[list[str]] = [str(i) for i in range(10)]

        def __init__(self, root: str, train: bool, download: bool) -> None:
            calls.append({"root": root, "train": train, "download": download})
            if fail:
                raise OSError("[Errno -3] Temporary failure\nin name resolution")
            n = 30 if train else 10
            self.n = n
            self.data: object = torch.zeros(n, 28, 28, dtype=torch.uint8)
            self.targets: object = torch.arange(n) % 10

    class FakeCIFAR10(FakeMNIST):
        def __init__(self, root: str, train: bool, download: bool) -> None:
            super().__init__(root, train, download)
            self.data = np.zeros((self.n, 32, 32, 3), np.uint8)
            self.targets = list(range(self.n))

    mod = types.ModuleType("torchvision")
    datasets = types.ModuleType("torchvision.datasets")
    datasets.MNIST = datasets.FashionMNIST = FakeMNIST  # type: ignore[attr-defined]
    datasets.CIFAR10 = datasets.CIFAR100 = FakeCIFAR10  # type: ignore[attr-defined]
    mod.datasets = datasets  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "torchvision", mod)
    monkeypatch.setitem(sys.modules, "torchvision.datasets", datasets)
    return calls


def test_torchvision_download(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    calls = _fake_torchvision(monkeypatch, fail=False)
    train = load_images("mnist", "train", download=True, root=str(tmp_path))
    test = load_images("mnist", "eval", download=True, root=str(tmp_path))
    assert (len(train), len(test)) == (30, 10)
    assert train.images.shape[1:] == (1, 28, 28)
    assert train.num_classes == 10
    assert calls[0] == {"root": str(tmp_path), "train": True, "download": True}
    assert calls[1]["train"] is False
    cifar = load_images("cifar10#val=0.1", "eval", download=True, root=str(tmp_path))
    assert cifar.images.shape == (3, 3, 32, 32)


def test_torchvision_download_fails(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _fake_torchvision(monkeypatch, fail=True)
    with pytest.raises(SemcomError) as info:
        load_images("fashion-mnist", download=True, root=str(tmp_path))
    msg = str(info.value)
    assert "could not download" in msg
    assert "npz:PATH" in msg
    assert "\n" not in msg


@pytest.mark.skipif(not MNIST.exists(), reason="shared MNIST subset not present")
def test_shared_mnist() -> None:
    train = load_images(f"npz:{MNIST}", "train")
    test = load_images(f"npz:{MNIST}", "eval")
    assert train.images.shape == (19690, 1, 28, 28)
    assert test.images.shape == (8000, 1, 28, 28)
    assert train.num_classes == 10
    assert len(load_images(f"npz:{MNIST}#train", "eval")) == 19690


@pytest.mark.skipif(not CIFAR.exists(), reason="shared CIFAR-10 subset not present")
def test_shared_cifar_val() -> None:
    spec = f"npz:{CIFAR}#val=0.1"
    rest, val = load_images(spec, "train"), load_images(spec, "eval")
    assert (len(rest), len(val)) == (4894, 544)
    assert len(rest) + len(val) == 5438
    assert rest.images.shape[1:] == (3, 32, 32)
    with pytest.raises(SemcomError, match="one split"):
        load_images(f"npz:{CIFAR}#test", "eval")
