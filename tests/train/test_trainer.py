from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
import torch

from semcom.config import TrainConfig
from semcom.errors import SemcomError
from semcom.train import load_checkpoint, train
from semcom.train import trainer as trainer_mod


def _cfg(tmp_path: Path, npz: Path, **kw: object) -> TrainConfig:
    base: dict[str, object] = {
        "data": f"npz:{npz}",
        "epochs": 2,
        "batch_size": 32,
        "out": str(tmp_path / "run"),
        "device": "cpu",
    }
    base.update(kw)
    return TrainConfig(**base)  # type: ignore[arg-type]


def test_train_writes_state_log_and_hashed_checkpoint(tmp_path: Path, rgb_npz: Path) -> None:
    result = train(_cfg(tmp_path, rgb_npz), progress=False)
    assert re.fullmatch(r"deepjscc-[0-9a-f]{8}\.pt", result.checkpoint.name)
    assert (tmp_path / "run" / "last.pt").exists()
    with (tmp_path / "run" / "train_log.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert [int(r["epoch"]) for r in rows] == [1, 2]
    assert all(float(r["val_psnr_db"]) > 5 for r in rows)
    ckpt = load_checkpoint(result.checkpoint)
    assert ckpt.train_config["epochs"] == 2
    assert ckpt.codec_config["cbr"] == pytest.approx(1 / 6)
    codec = ckpt.build_codec()
    x = torch.rand(2, 3, 32, 32)
    assert torch.equal(codec.decode(codec.encode(x)), result.codec.decode(result.codec.encode(x)))


def test_loss_goes_down(tmp_path: Path, rgb_npz: Path) -> None:
    result = train(_cfg(tmp_path, rgb_npz, epochs=4), progress=False)
    assert result.history[-1]["train_loss"] < result.history[0]["train_loss"]


def test_existing_run_needs_resume(tmp_path: Path, rgb_npz: Path) -> None:
    train(_cfg(tmp_path, rgb_npz, epochs=1), progress=False)
    with pytest.raises(SemcomError, match="already holds a training run; pass --resume"):
        train(_cfg(tmp_path, rgb_npz, epochs=1), progress=False)


def test_resume_continues_exactly(tmp_path: Path, rgb_npz: Path) -> None:
    straight = train(_cfg(tmp_path / "a", rgb_npz, epochs=2), progress=False)
    train(_cfg(tmp_path / "b", rgb_npz, epochs=1), progress=False)
    resumed = train(_cfg(tmp_path / "b", rgb_npz, epochs=2), resume=True, progress=False)
    assert len(resumed.history) == 2
    for (k, a), b in zip(
        straight.codec.state_dict().items(), resumed.codec.state_dict().values(), strict=True
    ):
        assert torch.allclose(a, b, atol=1e-5), k


def test_a_crash_loses_at_most_the_running_epoch(
    tmp_path: Path, rgb_npz: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = trainer_mod.validation_psnr
    calls = {"n": 0}

    def crash_in_second_epoch(*args: object, **kwargs: object) -> float:
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(trainer_mod, "validation_psnr", crash_in_second_epoch)
    with pytest.raises(KeyboardInterrupt):
        train(_cfg(tmp_path, rgb_npz, epochs=3), progress=False)
    state = torch.load(tmp_path / "run" / "last.pt", weights_only=True)
    assert state["epoch"] == 1
    monkeypatch.setattr(trainer_mod, "validation_psnr", real)
    result = train(_cfg(tmp_path, rgb_npz, epochs=3), resume=True, progress=False)
    assert [h["epoch"] for h in result.history] == [1, 2, 3]


def test_resume_refuses_a_changed_config(tmp_path: Path, rgb_npz: Path) -> None:
    train(_cfg(tmp_path, rgb_npz, epochs=1), progress=False)
    with pytest.raises(SemcomError, match="cannot resume: cbr was"):
        train(_cfg(tmp_path, rgb_npz, epochs=2, cbr=1 / 12), resume=True, progress=False)


def test_time_budget_stops_training(tmp_path: Path, rgb_npz: Path) -> None:
    result = train(_cfg(tmp_path, rgb_npz, epochs=None, time_budget_min=1e-4), progress=False)
    assert result.stopped_by == "time budget"
    assert len(result.history) == 1


def test_greyscale_training(tmp_path: Path, grey_npz: Path) -> None:
    result = train(_cfg(tmp_path, grey_npz, epochs=1, cbr=1 / 12), progress=False)
    assert result.codec.in_channels == 1
    assert result.codec.image_size == (28, 28)


def test_training_over_each_channel(tmp_path: Path, rgb_npz: Path) -> None:
    for ch in ["rayleigh-block", "rayleigh-fast", "mu-mimo"]:
        result = train(_cfg(tmp_path / ch, rgb_npz, epochs=1, channel=ch), progress=False)
        assert result.history[0]["val_psnr_db"] > 5
