from __future__ import annotations

from pathlib import Path

import pytest

from semcom.errors import SemcomError
from semcom.train import load_checkpoint


def test_missing_checkpoint(tmp_path: Path) -> None:
    with pytest.raises(SemcomError, match="does not exist"):
        load_checkpoint(tmp_path / "nope.pt")


def test_garbage_checkpoint(tmp_path: Path) -> None:
    p = tmp_path / "garbage.pt"
    p.write_bytes(b"this is not a checkpoint")
    with pytest.raises(SemcomError, match="corrupt or not a checkpoint"):
        load_checkpoint(p)


def test_folder_is_not_a_checkpoint(tmp_path: Path) -> None:
    with pytest.raises(SemcomError, match="is a folder"):
        load_checkpoint(tmp_path)


def test_hash_mismatch_is_detected(tmp_path: Path, trained_checkpoint: Path) -> None:
    data = bytearray(trained_checkpoint.read_bytes())
    data[-100] ^= 0xFF
    bad = tmp_path / trained_checkpoint.name
    bad.write_bytes(bytes(data))
    with pytest.raises(SemcomError, match="corrupt"):
        load_checkpoint(bad)


def test_renamed_checkpoint_still_loads(tmp_path: Path, trained_checkpoint: Path) -> None:
    p = tmp_path / "mine.pt"
    p.write_bytes(trained_checkpoint.read_bytes())
    ckpt = load_checkpoint(p)
    assert ckpt.name == "mine"
    assert ckpt.build_codec().k == 512
