"""Refiner training: both stages, the link checkpoint, resume, and the CLI around it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from semcom.cli.app import main
from semcom.errors import SemcomError
from semcom.train.checkpoint import load_checkpoint
from semcom.train.refiner_trainer import RefinerTrainConfig, train_refiner

TINY = {"dim": 8, "prior_width": 8, "blocks": [1, 1, 1, 1], "heads": [1, 1, 1, 1]}


def _cfg(ckpt: Path, data: Path, out: Path, **kw: object) -> RefinerTrainConfig:
    base: dict[str, object] = {
        "checkpoint": str(ckpt),
        "data": f"npz:{data}",
        "refiner_options": TINY,
        "stage1_epochs": 1,
        "stage2_epochs": 1,
        "batch_size": 32,
        "lr": 1e-3,
        "val_images": 16,
        "device": "cpu",
        "out": str(out),
    }
    base.update(kw)
    return RefinerTrainConfig(**base)  # type: ignore[arg-type]


def test_two_stages_write_a_link_checkpoint(
    trained_checkpoint: Path, rgb_npz: Path, tmp_path: Path
) -> None:
    res = train_refiner(_cfg(trained_checkpoint, rgb_npz, tmp_path / "r"), progress=False)
    assert [(h["stage"], h["epoch"]) for h in res.history] == [(1, 1), (2, 1)]
    assert res.checkpoint.name.startswith("deepjscc+sft-small-")
    link = load_checkpoint(res.checkpoint)
    codec_ckpt = load_checkpoint(trained_checkpoint)
    for k, v in codec_ckpt.state_dict.items():  # the codec is frozen
        torch.testing.assert_close(link.state_dict[k], v)
    refiner = link.build_refiner()
    assert refiner is not None
    log = (tmp_path / "r" / "train_log.csv").read_text().splitlines()
    assert log[0].startswith("stage,epoch,train_loss,val_psnr_ngf_db,val_psnr_db")
    assert len(log) == 3
    import semcom

    loaded = semcom.load(res.checkpoint, refiner_steps=2)
    assert loaded.refiner is not None
    out = loaded(torch.rand(2, 3, 32, 32), 5.0, torch.Generator().manual_seed(0))
    assert out["x_hat"].shape == out["x_coarse"].shape == (2, 3, 32, 32)


def test_stage1_lowers_the_l1_loss(trained_checkpoint: Path, rgb_npz: Path, tmp_path: Path) -> None:
    res = train_refiner(
        _cfg(trained_checkpoint, rgb_npz, tmp_path / "r", stage1_epochs=6, stage2_epochs=0),
        progress=False,
    )
    losses = [h["train_loss"] for h in res.history]
    assert losses[-1] < losses[0]


@pytest.mark.parametrize("image_loss", ["mse", "psnr"])
def test_mse_and_snr_conditioned_training_reaches_the_checkpoint(
    trained_checkpoint: Path, rgb_npz: Path, tmp_path: Path, image_loss: str
) -> None:
    options = {**TINY, "snr_conditioning": True}
    res = train_refiner(
        _cfg(
            trained_checkpoint,
            rgb_npz,
            tmp_path / "r",
            image_loss=image_loss,
            refiner_options=options,
            stage1_epochs=2,
        ),
        progress=False,
    )
    link = load_checkpoint(res.checkpoint)
    assert link.refiner is not None
    assert link.refiner["train_config"]["image_loss"] == image_loss
    refiner = link.build_refiner()
    assert refiner is not None
    assert refiner.snr_embed is not None
    from semcom.train.refiner_trainer import _stage_params

    embed = {id(p) for p in refiner.snr_embed.parameters()}
    for stage in (1, 2):  # the embedding is trained in both stages
        assert embed <= {id(p) for p in _stage_params(refiner, stage)}
    import semcom

    out = semcom.load(res.checkpoint)(torch.rand(2, 3, 32, 32), 3.0, torch.Generator())
    assert out["x_hat"].shape == (2, 3, 32, 32)


def test_resume_continues_where_it_stopped(
    trained_checkpoint: Path, rgb_npz: Path, tmp_path: Path
) -> None:
    out = tmp_path / "r"
    train_refiner(_cfg(trained_checkpoint, rgb_npz, out, stage2_epochs=0), progress=False)
    with pytest.raises(SemcomError, match="--resume"):
        train_refiner(_cfg(trained_checkpoint, rgb_npz, out), progress=False)
    res = train_refiner(_cfg(trained_checkpoint, rgb_npz, out), resume=True, progress=False)
    assert [(h["stage"], h["epoch"]) for h in res.history] == [(1, 1), (2, 1)]
    with pytest.raises(SemcomError, match="cannot resume: lr"):
        train_refiner(_cfg(trained_checkpoint, rgb_npz, out, lr=1e-2), resume=True, progress=False)


def test_data_of_another_geometry_is_refused(
    trained_checkpoint: Path, grey_npz: Path, tmp_path: Path
) -> None:
    with pytest.raises(SemcomError, match=r"\[1, 28, 28\].*\[3, 32, 32\]"):
        train_refiner(_cfg(trained_checkpoint, grey_npz, tmp_path / "r"), progress=False)


def test_cli_train_refiner_sweep_steps_and_profile(
    capsys: pytest.CaptureFixture[str], trained_checkpoint: Path, rgb_npz: Path, tmp_path: Path
) -> None:
    opts = [f"--refiner-option={k}={v}" for k, v in (("dim", 8), ("prior_width", 8))]
    code = main(
        [
            "train-refiner",
            "--checkpoint",
            str(trained_checkpoint),
            "--data",
            f"npz:{rgb_npz}",
            *opts,
            "--stage1-epochs",
            "1",
            "--stage2-epochs",
            "1",
            "--batch-size",
            "32",
            "--val-images",
            "8",
            "--device",
            "cpu",
            "--out",
            str(tmp_path / "r"),
            "--no-progress",
        ]
    )
    out, _ = capsys.readouterr()
    assert code == 0
    link = out.strip()
    code = main(
        ["sweep", "--checkpoint", link, "--refiner-steps", "0,1,4", "--snr-db", "0,10",
         "--limit", "8", "--out", str(tmp_path / "sw"), "--json", "--device", "cpu"]
    )  # fmt: skip
    out, _ = capsys.readouterr()
    assert code == 0
    rows = json.loads(out)
    methods = sorted({r["method"] for r in rows})
    stem = Path(link).stem
    assert methods == sorted([f"{stem} NGF", f"{stem} steps=1", f"{stem} steps=4"])
    ngf = [r["psnr_db"] for r in rows if r["method"].endswith("NGF")]
    refined = [r["psnr_db"] for r in rows if r["method"].endswith("steps=4")]
    assert ngf != refined
    from PIL import Image

    photo = tmp_path / "photo.png"
    Image.new("RGB", (40, 24), (120, 60, 200)).save(photo)
    received = tmp_path / "received.png"
    code = main(
        ["transmit", str(photo), "--model", link, "--out", str(received), "--device", "cpu"]
    )
    capsys.readouterr()
    assert code == 0
    assert Image.open(received).size == (40, 24)
    code = main(
        ["refiner-profile", "--checkpoint", link, "--limit", "8", "--snr-db", "0,10",
         "--batch-size", "4", "--out", str(tmp_path / "p.json"), "--no-progress",
         "--device", "cpu"]
    )  # fmt: skip
    capsys.readouterr()
    assert code == 0
    profile = json.loads((tmp_path / "p.json").read_text())
    assert profile["T"] == 4
    assert profile["image_size"] == [32, 32]
    assert [(r["snr_db"], r["steps"]) for r in profile["rows"]] == [
        (s, k) for s in (0.0, 10.0) for k in (1, 2, 3, 4)
    ]
    assert set(profile["rows"][0]) == {"snr_db", "steps", "psnr_db", "ssim", "latency_s_per_image"}
    assert all(r["latency_s_per_image"] > 0 for r in profile["rows"])


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["sweep", "--refiner-steps", "5"], "between 1 and T = 4, got 5"),
        (["sweep", "--refiner-steps", "a"], "whole numbers"),
        (["refiner-profile"], "has no refiner"),
        (["train-refiner", "--refiner", "sft-huge"], "unknown refiner 'sft-huge'"),
        (["train-refiner", "--image-loss", "l3"], "unknown image_loss 'l3'"),
        (["train-refiner", "--refiner-option", "foo=1"], "unexpected keyword argument 'foo'"),
        (["train-refiner", "--refiner-option", "blocks=3"], "'int' object is not iterable"),
        (["train-refiner", "--refiner-option", "blocks=[1,2]"], "one entry per level"),
        (["train-refiner", "--refiner-option", "blocks=[a,b]"], "cannot parse list"),
    ],
)
def test_bad_refiner_input_is_one_line(
    capsys: pytest.CaptureFixture[str],
    trained_checkpoint: Path,
    rgb_npz: Path,
    tmp_path: Path,
    argv: list[str],
    needle: str,
) -> None:
    extra = {
        "sweep": ["--checkpoint", "LINK", "--limit", "4", "--out", str(tmp_path / "s")],
        "refiner-profile": ["--checkpoint", str(trained_checkpoint), "--data", f"npz:{rgb_npz}"],
        "train-refiner": ["--checkpoint", str(trained_checkpoint), "--data", f"npz:{rgb_npz}"],
    }[argv[0]]
    if argv[0] == "sweep":
        link = train_refiner(
            _cfg(trained_checkpoint, rgb_npz, tmp_path / "r", stage2_epochs=0), progress=False
        ).checkpoint
        extra[1] = str(link)
    code = main([*argv, *extra])
    _, err = capsys.readouterr()
    assert code == 2
    assert "Traceback" not in err
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert needle in lines[0]


def test_bf16_refiner_training_writes_a_float32_link(
    trained_checkpoint: Path, rgb_npz: Path, tmp_path: Path
) -> None:
    out = tmp_path / "r"
    first = _cfg(trained_checkpoint, rgb_npz, out, stage2_epochs=0, precision="bf16")
    train_refiner(first, progress=False)
    res = train_refiner(_cfg(trained_checkpoint, rgb_npz, out), resume=True, progress=False)
    assert [(h["stage"], h["epoch"]) for h in res.history] == [(1, 1), (2, 1)]
    link = load_checkpoint(res.checkpoint)
    assert link.refiner is not None
    assert all(v.dtype == torch.float32 for v in link.refiner["state_dict"].values())
    with pytest.raises(SemcomError, match="unknown precision 'half'"):
        _cfg(trained_checkpoint, rgb_npz, out, precision="half")
