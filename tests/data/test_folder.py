"""``folder:PATH``: image files of any size, bad files named, ``--skip-bad``."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from semcom.data import (
    SkippedFilesWarning,
    load_folder,
    load_image_folder,
    load_images,
    parse_data_spec,
)
from semcom.data.image_file import write_image
from semcom.errors import SemcomError


@pytest.fixture
def photo_folder(tmp_path: Path) -> Path:
    root = tmp_path / "photos"
    write_image(torch.rand(3, 40, 50), root / "b.png")
    write_image(torch.rand(3, 64, 64), root / "a.jpg")
    Image.fromarray((torch.rand(20, 30) * 255).byte().numpy()).save(root / "c_grey.png")
    (root / ".DS_Store").write_bytes(b"\x00\x01")
    (root / "sub").mkdir()
    return root


def test_reads_every_image_sorted_keeping_sizes(photo_folder: Path) -> None:
    folder = load_folder(photo_folder)
    assert folder.files == ("a.jpg", "b.png", "c_grey.png")
    assert folder.channels == 3  # one colour image makes the set RGB
    assert [tuple(im.shape) for im in folder.images] == [(3, 64, 64), (3, 40, 50), (3, 20, 30)]
    assert all(im.dtype == torch.uint8 for im in folder.images)
    png = torch.from_numpy(np.asarray(Image.open(photo_folder / "b.png")).copy())
    assert torch.equal(folder.images[1], png.permute(2, 0, 1))  # lossless PNG read exactly
    grey = load_folder(photo_folder, channels=1)
    assert grey.channels == 1
    assert grey.images[0].shape == (1, 64, 64)


def test_all_greyscale_folder_is_greyscale(tmp_path: Path) -> None:
    for i in range(2):
        Image.fromarray((torch.rand(12, 12) * 255).byte().numpy()).save(tmp_path / f"{i}.png")
    assert load_folder(tmp_path).channels == 1


def test_tiles_cover_every_image(photo_folder: Path) -> None:
    ds = load_folder(photo_folder).tiles(32)
    assert ds.images.shape == (4 + 4 + 1, 3, 32, 32)
    assert ds.labels is not None
    assert ds.labels.tolist() == [0] * 4 + [1] * 4 + [2]
    assert torch.equal(ds.images[0], load_folder(photo_folder).images[0][:, :32, :32])


def test_non_image_is_named_and_skipped_only_on_request(photo_folder: Path) -> None:
    (photo_folder / "notes.txt").write_text("not an image")
    (photo_folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    with pytest.raises(SemcomError, match=r"2 file\(s\).*broken\.png, notes\.txt.*--skip-bad"):
        load_folder(photo_folder)
    with pytest.warns(SkippedFilesWarning, match="broken.png, notes.txt"):
        folder = load_folder(photo_folder, skip_bad=True)
    assert folder.skipped == ("broken.png", "notes.txt")
    assert len(folder) == 3


@pytest.mark.parametrize(
    ("make", "needle"),
    [
        (lambda p: p / "missing", "not found"),
        (lambda p: (p / "f.png").write_bytes(b"") or p / "f.png", "is not a folder"),
        (lambda p: p, "no image files"),
    ],
)
def test_bad_folders(tmp_path: Path, make: object, needle: str) -> None:
    path = make(tmp_path)  # type: ignore[operator]
    with pytest.raises(SemcomError, match=needle):
        load_folder(path)


def test_spec_roles_and_val_split(photo_folder: Path) -> None:
    spec = f"folder:{photo_folder}"
    assert parse_data_spec(spec).scheme == "folder"
    assert str(parse_data_spec(spec + "#val=0.4")) == spec + "#val=0.4"
    with pytest.raises(SemcomError, match="one split"):
        parse_data_spec(spec + "#test")
    with pytest.raises(SemcomError, match="needs a path"):
        parse_data_spec("folder:")
    rest = load_image_folder(spec + "#val=0.4", "train")
    val = load_image_folder(spec + "#val=0.4", "eval")
    assert len(rest) + len(val) == 3
    assert not set(rest.files) & set(val.files)
    assert val.name.endswith("[all/val]")
    tiles = load_images(spec, "train")
    assert (tiles.height, len(tiles)) == (32, 9)
    assert "tiles 32px" in tiles.name
    with pytest.raises(SemcomError, match="not a folder:PATH"):
        load_image_folder("patches")


def test_load_images_passes_skip_bad(photo_folder: Path) -> None:
    (photo_folder / "x.csv").write_text("1,2")
    with pytest.raises(SemcomError, match=r"x\.csv"):
        load_images(f"folder:{photo_folder}")
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        assert len(load_images(f"folder:{photo_folder}", skip_bad=True)) == 9
