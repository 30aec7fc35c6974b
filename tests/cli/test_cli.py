"""The CLI: commands run through ``main(argv)``; bad input is one line and exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from semcom.cli.app import main
from semcom.evaluation import COLUMNS


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _assert_one_line_error(code: int, err: str, needle: str) -> None:
    assert code == 2
    assert "Traceback" not in err
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    assert needle in lines[0], lines[0]


@pytest.fixture
def wrong_keys_npz(tmp_path: Path) -> Path:
    p = tmp_path / "wrong.npz"
    np.savez(p, images=np.zeros((4, 8, 8), np.uint8))
    return p


def test_bad_inputs_are_one_line_exit_2(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    wrong_keys_npz: Path,
    trained_checkpoint: Path,
    grey_npz: Path,
) -> None:
    out = str(tmp_path / "o")
    corrupt = tmp_path / "corrupt.pt"
    corrupt.write_bytes(b"\x00" * 64)
    cases = [
        (["train", "--codec", "nope", "--epochs", "1", "--out", out], "unknown codec 'nope'"),
        (
            ["train", "--channel", "fading", "--epochs", "1", "--out", out],
            "unknown channel 'fading'",
        ),
        (["train", "--snr-db", "0:x", "--epochs", "1", "--out", out], "cannot parse SNR range"),
        (["train", "--cbr", "1/100000", "--epochs", "1", "--out", out], "does not fit"),
        (["train", "--cbr", "abc", "--epochs", "1", "--out", out], "cannot parse cbr"),
        (["train", "--out", out], "--epochs N or --time-budget-min"),
        (
            ["train", "--precision", "fp16", "--epochs", "1", "--out", out],
            "unknown precision 'fp16'; choose one of: fp32, bf16",
        ),
        (
            ["train", "--loss", "ssim", "--epochs", "1", "--out", out],
            "unknown loss 'ssim'; choose one of: mse, l1, psnr",
        ),
        (["train", "--data", f"npz:{wrong_keys_npz}", "--epochs", "1", "--out", out], "images"),
        (["train", "--data", "imagenet", "--epochs", "1", "--out", out], "imagenet"),
        (["train", "--data", "cifar10", "--epochs", "1", "--out", out], "semcom[download]"),
        (["train", "--epochs", "x"], "--epochs"),
        (["train", "--no-such-flag"], "--no-such-flag"),
        (["train", "--config", str(tmp_path / "missing.toml")], "does not exist"),
        (["sweep", "--checkpoint", str(tmp_path / "missing.pt")], "does not exist"),
        (["sweep", "--checkpoint", str(corrupt)], "corrupt or not a checkpoint"),
        (
            ["sweep", "--checkpoint", str(trained_checkpoint), "--snr-db", "0,,5"],
            "cannot parse SNR list",
        ),
        (
            ["sweep", "--checkpoint", str(trained_checkpoint), "--channel", "awgn,nope"],
            "unknown channel 'nope'",
        ),
        (["sweep", "--checkpoint", str(trained_checkpoint), "--limit", "0"], "--limit"),
        (
            ["sweep", "--checkpoint", str(trained_checkpoint), "--data", f"npz:{grey_npz}"],
            "codec expects RGB images",
        ),
        (
            ["sweep", "--checkpoint", str(trained_checkpoint), "--device", "tpu"],
            "unknown device 'tpu'",
        ),
        (
            ["sweep", "--checkpoint", str(trained_checkpoint), "--data", f"folder:{tmp_path}/x"],
            "image folder not found",
        ),
        (["models", "--cbr", "7"], "cbr must be in (0, 1]"),
        (["demo", "--train-minutes", "0"], "--train-minutes must be positive"),
    ]
    for argv, needle in cases:
        code, _, err = _run(capsys, *argv)
        _assert_one_line_error(code, err, needle)


def test_train_then_sweep_json(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, rgb_npz: Path
) -> None:
    code, out, _ = _run(
        capsys,
        "train",
        "--data",
        f"npz:{rgb_npz}",
        "--epochs",
        "1",
        "--batch-size",
        "32",
        "--out",
        str(tmp_path / "run"),
        "--no-progress",
    )
    assert code == 0
    ckpt = Path(out.strip())
    assert ckpt.exists()
    code, out, _ = _run(
        capsys,
        "sweep",
        "--checkpoint",
        str(ckpt),
        "--snr-db",
        "0,10",
        "--channel",
        "awgn,rayleigh-fast",
        "--limit",
        "8",
        "--out",
        str(tmp_path / "sw"),
        "--json",
    )
    assert code == 0
    rows = json.loads(out)  # stdout holds the JSON and nothing else
    assert len(rows) == 4
    assert list(rows[0]) == COLUMNS
    assert rows[0]["n_images"] == 8
    assert rows[0]["ms_ssim"] is None
    assert (tmp_path / "sw" / "results.csv").exists()
    assert (tmp_path / "sw" / "psnr_vs_snr.png").exists()


def test_train_from_toml_with_override(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, rgb_npz: Path
) -> None:
    cfg = tmp_path / "t.toml"
    cfg.write_text(
        f'data = "npz:{rgb_npz}"\nepochs = 5\nbatch_size = 32\ncbr = "1/12"\n'
        f'out = "{tmp_path / "run"}"\ndevice = "cpu"\n'
    )
    code, out, _ = _run(capsys, "train", "--config", str(cfg), "--epochs", "1", "--no-progress")
    assert code == 0
    from semcom.train import load_checkpoint

    ckpt = load_checkpoint(out.strip())
    assert ckpt.train_config["epochs"] == 1
    assert ckpt.codec_config["cbr"] == pytest.approx(1 / 12)


def test_toml_may_leave_out_what_the_flags_give(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, rgb_npz: Path
) -> None:
    cfg = tmp_path / "options.toml"  # codec options exist only in TOML; epochs only as a flag
    cfg.write_text('codec_options = { norm = "none", width = 8 }\n')
    argv = ["train", "--config", str(cfg), "--data", f"npz:{rgb_npz}", "--epochs", "1"]
    code, out, err = _run(capsys, *argv, "--out", str(tmp_path / "r"), "--no-progress")
    assert code == 0, err
    from semcom.train import load_checkpoint

    assert load_checkpoint(out.strip()).codec_config["norm"] == "none"
    code, _, err = _run(capsys, "train", "--config", str(cfg), "--out", str(tmp_path / "s"))
    _assert_one_line_error(code, err, "--epochs N or --time-budget-min")


def test_codec_options_as_flags(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, rgb_npz: Path
) -> None:
    argv = ["train", "--data", f"npz:{rgb_npz}", "--epochs", "1", "--no-progress"]
    argv += ["--codec-option", "width=8", "--codec-option", "norm=none"]
    code, out, err = _run(capsys, *argv, "--out", str(tmp_path / "r"))
    assert code == 0, err
    from semcom.train import load_checkpoint

    config = load_checkpoint(out.strip()).codec_config
    assert (config["width"], config["norm"]) == (8, "none")
    code, _, err = _run(capsys, *argv[:-4], "--codec-option", "depth=3", "--out", str(tmp_path))
    _assert_one_line_error(code, err, "depth")


def test_models_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "models", "--json")
    assert code == 0
    rows = {r["codec"]: r for r in json.loads(out)}
    assert rows["deepjscc"]["channel_uses"] == 512
    assert rows["deepjscc"]["parameters"] > 10_000


def test_help_and_no_args(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "--help")
    assert code == 0
    assert "demo" in out
    code, out, _ = _run(capsys)
    assert code == 0
    assert "train" in out


def test_sweep_a_folder_of_photographs_with_skip_bad(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import torch

    from semcom.data.image_file import write_image

    photos = tmp_path / "kodak"
    write_image(torch.rand(3, 170, 200), photos / "big.png")
    write_image(torch.rand(3, 40, 33), photos / "small.png")
    (photos / "readme.txt").write_text("not an image")
    args = ["sweep", "--checkpoint", "zoo:deepjscc-cifar10-awgn", "--data", f"folder:{photos}"]
    args += ["--snr-db", "10", "--out", str(tmp_path / "sw"), "--json", "--no-progress"]
    code, _, err = _run(capsys, *args)
    _assert_one_line_error(code, err, "readme.txt")
    assert "--skip-bad" in err
    code, out, err = _run(capsys, *args, "--skip-bad")
    assert code == 0, err
    assert "warning: skipped 1 file(s)" in err
    assert "readme.txt" in err
    (row,) = json.loads(out)
    assert row["n_images"] == 2
    assert row["ms_ssim"] is None  # the 40 px image has no MS-SSIM
    assert 5 < row["psnr_db"] < 40


def test_sweep_digital_methods_only(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, rgb_npz: Path
) -> None:
    code, out, _ = _run(
        capsys,
        "sweep",
        "--method",
        "digital:jpeg+ldpc+qam",
        "--method",
        "digital:jpeg+capacity",
        "--data",
        f"npz:{rgb_npz}",
        "--snr-db",
        "-5,20",
        "--limit",
        "4",
        "--out",
        str(tmp_path / "sw"),
        "--json",
    )
    assert code == 0
    rows = json.loads(out)
    assert [(r["method"], r["snr_db"]) for r in rows] == [
        ("digital:jpeg+ldpc1/2+qam4", -5.0),
        ("digital:jpeg+ldpc1/2+qam4", 20.0),
        ("digital:jpeg+capacity", -5.0),
        ("digital:jpeg+capacity", 20.0),
    ]
    # LDPC: nothing below the threshold, everything at 20 dB; capacity: all at 20 dB
    assert [r["delivered"] for r in rows[:2]] == [0.0, 1.0]
    assert rows[3]["delivered"] == 1.0
    assert (tmp_path / "sw" / "psnr_vs_snr.png").exists()


def test_sweep_bad_method_choices_are_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = _run(capsys, "sweep", "--out", str(tmp_path))
    _assert_one_line_error(code, err, "give at least one --checkpoint or --method")
    code, _, err = _run(capsys, "sweep", "--method", "digital:bpg+ldpc+qam", "--out", str(tmp_path))
    _assert_one_line_error(code, err, "unknown image codec 'bpg'; choose one of: jpeg, jpeg2000")


def test_sweep_lpips_column(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, rgb_npz: Path
) -> None:
    import torch

    from semcom.metrics.lpips import AlexLPIPS, save_lpips_weights

    torch.manual_seed(0)
    weights = save_lpips_weights(AlexLPIPS(), tmp_path / "lpips.pt")
    argv = ["sweep", "--method", "digital:jpeg+capacity", "--data", f"npz:{rgb_npz}"]
    argv += ["--snr-db", "0,20", "--limit", "4", "--out", str(tmp_path / "sw"), "--json"]
    code, out, _ = _run(capsys, *argv, "--lpips-weights", str(weights))
    assert code == 0
    rows = json.loads(out)
    assert all(isinstance(r["lpips"], float) for r in rows)
    code, _, err = _run(capsys, *argv, "--lpips-weights", str(tmp_path / "absent"))
    _assert_one_line_error(code, err, "no LPIPS weights at")


def test_train_classifier_then_sweep_accuracy(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, rgb_npz: Path
) -> None:
    code, out, err = _run(
        capsys,
        "train-classifier",
        "--data",
        f"npz:{rgb_npz}",
        "--epochs",
        "1",
        "--out",
        str(tmp_path / "clf"),
        "--no-progress",
    )
    assert code == 0
    assert "validation accuracy" in err
    clf = out.strip()
    argv = ["sweep", "--method", "digital:jpeg+capacity", "--data", f"npz:{rgb_npz}"]
    argv += ["--snr-db", "20", "--limit", "8", "--out", str(tmp_path / "sw"), "--json"]
    code, out, _ = _run(capsys, *argv, "--classifier", clf)
    assert code == 0
    acc = json.loads(out)[0]["accuracy"]
    assert 0.0 <= acc <= 1.0


def test_train_classifier_needs_labels(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    unlabelled = tmp_path / "x.npz"
    np.savez(unlabelled, x=np.zeros((8, 32, 32, 3), np.uint8))
    code, _, err = _run(
        capsys, "train-classifier", "--data", f"npz:{unlabelled}#val=0.25", "--out", str(tmp_path)
    )
    _assert_one_line_error(code, err, "has no labels; a classifier needs them")


def test_swinjscc_defaults_to_the_papers_recipe(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from semcom.train import trainer

    seen = []

    def capture(cfg: object, **_: object) -> None:
        seen.append(cfg)
        raise SystemExit(0)

    monkeypatch.setattr(trainer, "train", capture)
    base = ["train", "--codec", "swinjscc", "--epochs", "1", "--out", str(tmp_path)]
    with pytest.raises(SystemExit):
        main(base)
    with pytest.raises(SystemExit):
        main([*base, "--lr", "0.001"])
    toml = tmp_path / "t.toml"
    toml.write_text('codec = "swinjscc"\nepochs = 1\nbatch_size = 8\n')
    with pytest.raises(SystemExit):
        main(["train", "--config", str(toml), "--out", str(tmp_path)])
    paper, flagged, from_file = seen
    assert (paper.snr_db, paper.batch_size, paper.lr) == ((1.0, 13.0), 32, 1e-4)
    assert (flagged.snr_db, flagged.batch_size, flagged.lr) == ((1.0, 13.0), 32, 1e-3)
    assert (from_file.batch_size, from_file.lr) == (8, 1e-4)
