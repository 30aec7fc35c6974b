from __future__ import annotations

from pathlib import Path

import torch

from semcom import create_codec
from semcom.data import load_images
from semcom.evaluation import COLUMNS, read_csv, sweep_codecs, write_csv
from semcom.evaluation.plots import plot_psnr_vs_snr, save_image_grid
from semcom.train import load_checkpoint


def test_columns_are_the_documented_ones() -> None:
    assert COLUMNS == ["method", "channel", "snr_db", "psnr_db", "ssim", "ms_ssim", "n_images"]


def test_sweep_rows_csv_and_plot(tmp_path: Path, trained_checkpoint: Path, rgb_npz: Path) -> None:
    codec = load_checkpoint(trained_checkpoint).build_codec()
    data = load_images(f"npz:{rgb_npz}", "eval")
    rows = sweep_codecs(
        {"a": codec}, data, ["awgn", "rayleigh-block"], [-10.0, 30.0], progress=False
    )
    assert [(r.channel, r.snr_db) for r in rows] == [
        ("awgn", -10.0),
        ("awgn", 30.0),
        ("rayleigh-block", -10.0),
        ("rayleigh-block", 30.0),
    ]
    assert all(r.n_images == 32 and r.ms_ssim is None for r in rows)
    assert rows[1].psnr_db > rows[0].psnr_db
    write_csv(rows, tmp_path / "results.csv")
    text = (tmp_path / "results.csv").read_text().splitlines()
    assert text[0].startswith("# psnr_db, ssim, ms_ssim: mean over images")
    assert text[1] == ",".join(COLUMNS)
    assert read_csv(tmp_path / "results.csv") == rows
    png = plot_psnr_vs_snr(rows, tmp_path / "p.png")
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_fixed_noise_seed_gives_each_method_the_same_noise(rgb_npz: Path) -> None:
    codec = create_codec("deepjscc")
    data = load_images(f"npz:{rgb_npz}", "eval")
    rows = sweep_codecs({"x": codec, "y": codec}, data, ["rayleigh-fast"], [5.0], progress=False)
    assert rows[0].psnr_db == rows[1].psnr_db
    again = sweep_codecs({"x": codec}, data, ["rayleigh-fast"], [5.0], progress=False)
    assert again[0].psnr_db == rows[0].psnr_db


def test_image_grid(tmp_path: Path) -> None:
    p = save_image_grid(
        [torch.rand(4, 1, 8, 8), torch.rand(4, 1, 8, 8)], ["a", "b"], tmp_path / "g.png"
    )
    assert p.stat().st_size > 0
