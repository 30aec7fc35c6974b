from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
import torch

from semcom.config import TrainConfig
from semcom.errors import SemcomError
from semcom.tasks import load_classifier
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
    real = trainer_mod.validation_scores
    calls = {"n": 0}

    def crash_in_second_epoch(*args: object, **kwargs: object) -> tuple[float, float | None]:
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(trainer_mod, "validation_scores", crash_in_second_epoch)
    with pytest.raises(KeyboardInterrupt):
        train(_cfg(tmp_path, rgb_npz, epochs=3), progress=False)
    state = torch.load(tmp_path / "run" / "last.pt", weights_only=True)
    assert state["epoch"] == 1
    monkeypatch.setattr(trainer_mod, "validation_scores", real)
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


def test_init_starts_from_the_checkpoint_weights(
    tmp_path: Path, rgb_npz: Path, trained_checkpoint: Path
) -> None:
    start = load_checkpoint(trained_checkpoint)
    ft = tmp_path / "finetune"
    # a vanishing learning rate keeps the weights: the run must start from the checkpoint's
    result = train(
        _cfg(tmp_path, rgb_npz, epochs=1, lr=1e-12, init=str(trained_checkpoint), out=str(ft)),
        progress=False,
    )
    for key, value in start.state_dict.items():
        assert torch.allclose(result.codec.state_dict()[key], value, atol=1e-8), key
    fresh = train(
        _cfg(tmp_path, rgb_npz, epochs=1, lr=1e-12, out=str(tmp_path / "fresh")), progress=False
    )
    assert result.history[0]["val_psnr_db"] > fresh.history[0]["val_psnr_db"]
    assert load_checkpoint(result.checkpoint).train_config["init"] == str(trained_checkpoint)


def test_init_from_the_zoo_keeps_its_options(tmp_path: Path, rgb_npz: Path) -> None:
    cfg = _cfg(tmp_path, rgb_npz, epochs=1, init="zoo:deepjscc-cifar10-awgn")
    result = train(cfg, progress=False)
    zoo = load_checkpoint("zoo:deepjscc-cifar10-awgn")
    assert result.codec.config() == zoo.build_codec().config()


def test_init_may_change_an_option_that_keeps_the_weights(tmp_path: Path, rgb_npz: Path) -> None:
    zoo = load_checkpoint("zoo:swinjscc-cifar10-rayleigh")
    cfg = _cfg(
        tmp_path,
        rgb_npz,
        epochs=1,
        lr=1e-12,
        codec="swinjscc",
        channel="rayleigh-block",
        init="zoo:swinjscc-cifar10-rayleigh",
        codec_options={"receiver_csi": True},
    )
    result = train(cfg, progress=False)
    assert result.codec.config() == {**zoo.build_codec().config(), "receiver_csi": True}
    for key, value in zoo.state_dict.items():
        assert torch.allclose(result.codec.state_dict()[key], value, atol=1e-8), key


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"cbr": 1 / 12}, "has cbr 0.1667, not 0.08333"),
        ({"codec_options": {"width": 8}}, "has width=32, not 8; its weights do not fit"),
        ({"data": "grey"}, "expects 3x32x32 images"),
        ({"init": "zoo:nope"}, "unknown zoo model"),
    ],
)
def test_init_mismatches_are_named(
    tmp_path: Path,
    rgb_npz: Path,
    grey_npz: Path,
    trained_checkpoint: Path,
    change: dict[str, object],
    needle: str,
) -> None:
    kw: dict[str, object] = {"init": str(trained_checkpoint), "out": str(tmp_path / "ft")}
    kw.update(change)
    if kw.get("data") == "grey":
        kw["data"] = f"npz:{grey_npz}"
    with pytest.raises(SemcomError, match=re.escape(needle)):
        train(_cfg(tmp_path, rgb_npz, **kw), progress=False)


def test_cosine_schedule_ends_at_a_hundredth(tmp_path: Path, rgb_npz: Path) -> None:
    cfg = _cfg(tmp_path, rgb_npz, epochs=2, lr=2e-3, lr_schedule="cosine")
    train(cfg, progress=False)
    state = torch.load(tmp_path / "run" / "last.pt", weights_only=False)
    last_lr = state["optimizer"]["param_groups"][0]["lr"]
    # the last step runs at done = (n - 1) / n of the run: just above the floor
    assert 2e-5 <= last_lr < 2e-4
    assert trainer_mod.scheduled_lr(cfg, 1.0) == pytest.approx(2e-5)
    assert trainer_mod.scheduled_lr(cfg.replace(lr_schedule="constant"), 0.7) == 2e-3


def test_flip_augmentation_mirrors_about_half() -> None:
    x = torch.rand(400, 3, 8, 8)
    gen = torch.Generator().manual_seed(0)
    y = trainer_mod._augment(x, "flip", gen)
    same = (y == x).flatten(1).all(1)
    mirrored = (y == x.flip(-1)).flatten(1).all(1)
    assert bool((same ^ mirrored).all())
    assert 150 < int(mirrored.sum()) < 250
    assert trainer_mod._augment(x, "none", gen) is x


def test_flip_training_resumes_exactly(tmp_path: Path, rgb_npz: Path) -> None:
    full = train(_cfg(tmp_path, rgb_npz, epochs=2, augment="flip"), progress=False)
    part = _cfg(tmp_path, rgb_npz, epochs=1, augment="flip", out=str(tmp_path / "b"))
    train(part, progress=False)
    resumed = train(part.replace(epochs=2), resume=True, progress=False)
    for key, value in full.codec.state_dict().items():
        assert torch.equal(resumed.codec.state_dict()[key], value), key


@pytest.mark.parametrize(("key", "value"), [("lr_schedule", "step"), ("augment", "crop")])
def test_unknown_schedule_or_augmentation(
    tmp_path: Path, rgb_npz: Path, key: str, value: str
) -> None:
    with pytest.raises(SemcomError, match=f"unknown {key} '{value}'"):
        _cfg(tmp_path, rgb_npz, **{key: value})


def test_task_classify_trains_a_classifier_jointly(tmp_path: Path, rgb_npz: Path) -> None:
    cfg = _cfg(tmp_path, rgb_npz, epochs=2, task="classify", task_weight=0.5)
    result = train(cfg, progress=False)
    accs = [h["val_accuracy"] for h in result.history]
    assert all(0.0 <= a <= 1.0 for a in accs)
    ckpt = load_checkpoint(result.checkpoint)
    classifier = ckpt.build_classifier()
    assert classifier is not None
    assert not any(p.requires_grad for p in classifier.parameters())
    # sweeps use the stored classifier for the accuracy column
    from semcom.data import load_images
    from semcom.evaluation import sweep_codecs

    data = load_images(f"npz:{rgb_npz}", "eval")
    rows = sweep_codecs(
        {"c": ckpt.build_codec()},
        data,
        ["awgn"],
        [10.0],
        progress=False,
        classifiers={"c": classifier},
    )
    assert rows[0].accuracy is not None
    assert 0.0 <= rows[0].accuracy <= 1.0
    # resuming restores the jointly trained classifier too
    more = train(cfg.replace(epochs=3), resume=True, progress=False)
    assert len(more.history) == 3


def test_task_classify_with_a_frozen_classifier(tmp_path: Path, rgb_npz: Path) -> None:
    from semcom.tasks.train_classifier import ClassifierConfig, train_classifier

    clf_path, _ = train_classifier(
        ClassifierConfig(data=f"npz:{rgb_npz}", epochs=1, out=str(tmp_path / "clf")),
        progress=False,
    )
    before = load_classifier(clf_path).state_dict
    result = train(
        _cfg(tmp_path, rgb_npz, epochs=1, task="classify", classifier=str(clf_path)),
        progress=False,
    )
    assert result.history[0]["val_accuracy"] is not None
    after = load_classifier(clf_path).state_dict
    assert all(torch.equal(before[k], after[k]) for k in before)  # frozen
    stored = load_checkpoint(result.checkpoint).classifier  # kept with the codec for sweeps
    assert stored is not None
    assert all(torch.equal(before[k], stored["state_dict"][k]) for k in before)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"task": "segment"}, "unknown task 'segment'; choose one of: reconstruct, classify"),
        ({"classifier": "zoo:classifier-cifar10"}, "--classifier only applies with --task"),
        ({"task": "classify", "task_weight": -1.0}, "task_weight must be >= 0"),
    ],
)
def test_bad_task_settings(
    tmp_path: Path, rgb_npz: Path, changes: dict[str, object], message: str
) -> None:
    with pytest.raises(SemcomError, match=message):
        _cfg(tmp_path, rgb_npz, epochs=1, **changes)


def test_task_classify_needs_labels(tmp_path: Path) -> None:
    import numpy as np

    unlabelled = tmp_path / "x.npz"
    np.savez(unlabelled, x=np.zeros((8, 32, 32, 3), np.uint8))
    cfg = TrainConfig(
        data=f"npz:{unlabelled}#val=0.25", epochs=1, task="classify", out=str(tmp_path / "r")
    )
    with pytest.raises(SemcomError, match="--task classify needs labelled data"):
        train(cfg, progress=False)


def test_bf16_training_learns_and_keeps_float32_weights(tmp_path: Path, rgb_npz: Path) -> None:
    result = train(
        _cfg(tmp_path, rgb_npz, epochs=3, codec="swinjscc", precision="bf16"), progress=False
    )
    assert result.history[-1]["train_loss"] < result.history[0]["train_loss"]
    assert all(v.dtype == torch.float32 for v in result.codec.state_dict().values())
    assert load_checkpoint(result.checkpoint).train_config["precision"] == "bf16"


def test_bf16_runs_the_forward_pass_in_bfloat16(
    tmp_path: Path, rgb_npz: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[torch.dtype] = []
    real = trainer_mod.IMAGE_LOSSES["mse"]

    def spy(a: torch.Tensor, b: torch.Tensor, *args: object, **kw: object) -> torch.Tensor:
        seen.append(
            torch.get_autocast_dtype("cpu") if torch.is_autocast_enabled("cpu") else a.dtype
        )
        return real(a, b)

    monkeypatch.setitem(trainer_mod.IMAGE_LOSSES, "mse", spy)
    train(_cfg(tmp_path / "a", rgb_npz, epochs=1, precision="bf16"), progress=False)
    assert seen
    assert set(seen) == {torch.bfloat16}
    seen.clear()
    train(_cfg(tmp_path / "b", rgb_npz, epochs=1), progress=False)
    assert set(seen) == {torch.float32}


def test_precision_may_change_on_resume_and_a_bad_one_is_named(
    tmp_path: Path, rgb_npz: Path
) -> None:
    train(_cfg(tmp_path, rgb_npz, epochs=1), progress=False)
    resumed = train(
        _cfg(tmp_path, rgb_npz, epochs=2, precision="bf16"), resume=True, progress=False
    )
    assert len(resumed.history) == 2
    with pytest.raises(SemcomError, match="unknown precision 'fp16'; choose one of: fp32, bf16"):
        _cfg(tmp_path, rgb_npz, precision="fp16")


def test_the_psnr_loss_raises_the_mean_psnr_and_is_stored(tmp_path: Path, rgb_npz: Path) -> None:
    result = train(_cfg(tmp_path, rgb_npz, epochs=3, loss="psnr"), progress=False)
    first, last = result.history[0], result.history[-1]
    # the loss is minus the mean per-image PSNR of the epoch's training batches
    assert last["train_loss"] == pytest.approx(-last["train_psnr_db"], abs=1e-3)
    assert last["train_loss"] < first["train_loss"] < 0
    assert load_checkpoint(result.checkpoint).train_config["loss"] == "psnr"


def test_an_unknown_loss_is_named(tmp_path: Path, rgb_npz: Path) -> None:
    with pytest.raises(SemcomError, match="unknown loss 'ssim'; choose one of: mse, l1, psnr"):
        _cfg(tmp_path, rgb_npz, loss="ssim")
