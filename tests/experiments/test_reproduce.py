"""``semcom reproduce``: every paper 003 recipe on a tiny link, and its errors."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest

from semcom.cli.app import main
from semcom.experiments.recipe import RECIPES
from semcom.train.refiner_trainer import RefinerTrainConfig, train_refiner


@pytest.fixture
def tiny_link(trained_checkpoint: Path, rgb_npz: Path, tmp_path: Path) -> Path:
    cfg = RefinerTrainConfig(
        checkpoint=str(trained_checkpoint),
        data=f"npz:{rgb_npz}",
        refiner_options={"dim": 8, "prior_width": 8},
        stage1_epochs=1,
        stage2_epochs=1,
        batch_size=32,
        val_images=8,
        device="cpu",
        out=str(tmp_path / "link"),
    )
    return train_refiner(cfg, progress=False).checkpoint


def _reproduce(name: str, link: Path, base: Path, data: Path, out: Path) -> int:
    return main(
        [
            "reproduce", name, "--channel", "awgn", "--link", f"awgn={link}",
            "--baseline", f"awgn={base}", "--data", f"npz:{data}", "--limit", "8",
            "--out", str(out), "--device", "cpu", "--no-progress",
        ]
    )  # fmt: skip


def test_list_names_every_recipe(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["reproduce", "--list"]) == 0
    listed = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert listed == RECIPES.names()
    assert set(listed) == {
        "000-fig4",
        "000-fig5",
        "001-fig4-5",
        "001-fig6",
        "001-fig7-8",
        "001-fig9-10",
        "001-fig11-12",
        "001-fig13",
        "002-fig4a",
        "002-fig4b",
        "003-fig4",
        "003-fig4cd",
        "003-fig5",
        "003-fig5cd",
        "003-fig6",
        "003-fig7",
        "003-table1",
    }


def test_paper003_recipes_write_csv_and_png(
    tiny_link: Path,
    trained_checkpoint: Path,
    rgb_npz: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "rep"
    for name in ("003-fig4", "003-fig6", "003-fig7", "003-table1"):
        assert _reproduce(name, tiny_link, trained_checkpoint, rgb_npz, out) == 0, name
    capsys.readouterr()
    with (out / "fig4.csv").open() as f:
        rows = list(csv.DictReader(line for line in f if not line.startswith("#")))
    assert {r["method"] for r in rows} == {
        "GSC", "NGF", "DeepJSCC", "JPEG+LDPC+QAM", "JPEG+capacity"
    }  # fmt: skip
    assert {float(r["snr_db"]) for r in rows} == {0.0, 5.0, 10.0, 15.0}
    with (out / "fig6.csv").open() as f:
        cells = list(csv.DictReader(f))
    assert len(cells) == 2 * 4 * 6  # NGF and GSC, 4 SNRs, 6 images
    with (out / "fig7.csv").open() as f:
        assert [(r["stage"], r["epoch"]) for r in csv.DictReader(f)] == [("1", "1"), ("2", "1")]
    with (out / "table1.csv").open() as f:
        lat = list(csv.DictReader(f))
    measured = {(r["method"], r["steps"], r["batch"]) for r in lat}
    assert measured >= {("GSC", "4", "1"), ("NGF", "0", "1"), ("GSC", "1", "8")}
    served = {(r["method"], r["batch"], r["users"]) for r in lat if r["method"].startswith("MU")}
    assert served == {
        (m, b, u)
        for m, b in (
            ("MU-GSC one-at-a-time", "1"),
            ("MU-GSC batched", "32"),
            ("MU-GSC batched, 2 model processes", "32"),
        )
        for u in ("3", "32")
    }
    for stem in ("fig4", "fig6", "fig7", "table1"):
        assert (out / f"{stem}.png").stat().st_size > 1000


def test_mu_gsc_fig4cd_writes_mean_and_per_user_csv_and_png(
    tiny_link: Path,
    trained_checkpoint: Path,
    rgb_npz: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "mu"
    code = main(
        [
            "reproduce", "003-fig4cd", "--channel", "awgn,rayleigh-block",
            "--link", f"awgn={tiny_link}", "--link", f"rayleigh-block={tiny_link}",
            "--data", f"npz:{rgb_npz}", "--limit", "8", "--seed", "3",
            "--out", str(out), "--device", "cpu", "--no-progress",
        ]
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    capsys.readouterr()
    with (out / "fig4cd.csv").open() as f:
        rows = list(csv.DictReader(line for line in f if not line.startswith("#")))
    snrs = {0.0, 5.0, 10.0, 15.0}
    expected = {("MU-GSC", "awgn"), ("MU-NGF", "awgn")} | {
        (m, "rayleigh-block") for m in ("MU-GSC", "MU-NGF", "MU-GSC (MMSE)", "MU-NGF (MMSE)")
    }
    got = [(r["method"], r["channel"], float(r["snr_db"])) for r in rows]
    assert sorted(got) == sorted((m, c, s) for m, c in expected for s in snrs)
    assert all(math.isfinite(float(r["psnr_db"])) and float(r["psnr_db"]) > 0 for r in rows)
    assert {r["n_images"] for r in rows} == {"6"}  # 8 images cut to 2 groups of 3 users
    with (out / "fig4cd_users.csv").open() as f:
        users = list(csv.DictReader(f))
    assert len(users) == 3 * len(rows)
    assert {(u["user"], u["n_images"]) for u in users} == {("1", "2"), ("2", "2"), ("3", "2")}
    assert {(u["channel"], u["fading"]) for u in users} == {
        ("awgn", "none"), ("rayleigh-block", "rayleigh")
    }  # fmt: skip
    # the mean row is the mean of its three users (equal numbers of images)
    first = [
        u for u in users if (u["method"], u["channel"], u["snr_db"]) == ("MU-GSC", "awgn", "0.0")
    ]
    mean = sum(float(u["psnr_db"]) for u in first) / 3
    assert float(rows[0]["psnr_db"]) == pytest.approx(mean, rel=1e-5)
    assert (out / "fig4cd.png").stat().st_size > 1000


def test_mu_gsc_needs_one_image_per_user(
    rgb_npz: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [
        "reproduce", "003-fig4cd", "--channel", "awgn", "--link", f"awgn={tmp_path}/x.pt",
        "--data", f"npz:{rgb_npz}", "--limit", "2", "--out", str(tmp_path), "--no-progress",
    ]  # fmt: skip
    assert main(argv) == 2
    assert "MU-GSC needs at least 3 images (one per user), got 2" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (
            ["reproduce", "003-fig9"],
            "unknown recipe '003-fig9'; choose one of: 000-fig4, 000-fig5, 001-fig11-12",
        ),
        (["reproduce"], "name a recipe"),
        (["reproduce", "003-fig4", "--scale", "huge"], "unknown scale 'huge'"),
        (["reproduce", "003-fig4", "--channel", "mu-mimo"], "use channels awgn, rayleigh-block"),
        (["reproduce", "003-fig4", "--link", "awgn"], "--link takes CHANNEL=CHECKPOINT"),
    ],
)
def test_bad_input_is_one_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], needle: str
) -> None:
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert needle in lines[0]


def test_fig5_without_lpips_weights_exits_2_with_the_reason(
    tiny_link: Path,
    trained_checkpoint: Path,
    rgb_npz: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SEMCOM_LPIPS_WEIGHTS", str(tmp_path / "none"))
    code = _reproduce("003-fig5", tiny_link, trained_checkpoint, rgb_npz, tmp_path / "rep")
    err = capsys.readouterr().err
    assert code == 2
    assert "003-fig5 needs LPIPS weights" in err


def test_fig5cd_without_lpips_weights_exits_2_with_the_reason(
    rgb_npz: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SEMCOM_LPIPS_WEIGHTS", str(tmp_path / "none"))
    never = tmp_path / "never-loaded.pt"  # the weights are checked before any model
    code = _reproduce("003-fig5cd", never, never, rgb_npz, tmp_path / "rep")
    err = capsys.readouterr().err
    assert code == 2
    assert "003-fig5cd needs LPIPS weights" in err
    assert not (tmp_path / "rep" / "fig5cd.csv").exists()


def test_a_codec_checkpoint_is_not_a_link(
    trained_checkpoint: Path, rgb_npz: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = _reproduce("003-fig6", trained_checkpoint, trained_checkpoint, rgb_npz, tmp_path)
    assert code == 2
    assert "needs a link checkpoint" in capsys.readouterr().err
