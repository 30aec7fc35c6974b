from __future__ import annotations

from pathlib import Path

import torch

from semcom import create_channel, create_codec
from semcom.data import load_images
from semcom.evaluation import COLUMNS, read_csv, sweep_codecs, write_csv
from semcom.evaluation.plots import plot_psnr_vs_snr, save_image_grid
from semcom.train import load_checkpoint


def test_columns_are_the_documented_ones() -> None:
    assert COLUMNS == [
        "method",
        "channel",
        "snr_db",
        "psnr_db",
        "ssim",
        "ms_ssim",
        "n_images",
        "delivered",
        "note",
        "lpips",
        "accuracy",
    ]


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


def _save(images: torch.Tensor, folder: Path) -> None:
    from semcom.data.image_file import write_image

    for i, im in enumerate(images):
        write_image(im, folder / f"{i:02d}.png")


def test_folder_of_model_sized_images_matches_the_batched_path(
    tmp_path: Path, trained_checkpoint: Path, rgb_npz: Path
) -> None:
    from semcom.data import load_folder

    codec = load_checkpoint(trained_checkpoint).build_codec()
    data = load_images(f"npz:{rgb_npz}", "eval")
    _save(data.batch(slice(0, 6)), tmp_path / "f")
    folder = load_folder(tmp_path / "f")
    # at 80 dB the noise is negligible, so only the evaluation path could differ
    direct = sweep_codecs({"a": codec}, data.head(6), ["awgn"], [80.0], progress=False)[0]
    tiled = sweep_codecs({"a": codec}, folder, ["awgn"], [80.0], progress=False)[0]
    assert tiled.n_images == 6
    assert abs(tiled.psnr_db - direct.psnr_db) < 1e-3
    assert abs(tiled.ssim - direct.ssim) < 1e-4


def test_large_images_are_scored_whole_after_stitching(
    tmp_path: Path, trained_checkpoint: Path
) -> None:
    from semcom.data import load_folder

    codec = load_checkpoint(trained_checkpoint).build_codec()
    _save(torch.rand(2, 3, 64, 96) * 0.5 + 0.25, tmp_path / "f")
    folder = load_folder(tmp_path / "f")
    row = sweep_codecs({"a": codec}, folder, ["awgn"], [80.0], progress=False)[0]
    # reference: each image's six tiles sent directly, MSE pooled over the whole image
    expected = []
    for i in range(2):
        tiles = folder.tiles(32).images[6 * i : 6 * (i + 1)].float() / 255
        with torch.no_grad():
            out = codec(tiles, create_channel("awgn"), 80.0)["x_hat"]
        mse = ((out.clamp(0, 1) - tiles) ** 2).mean()
        expected.append(float(10 * torch.log10(1 / mse)))
    assert abs(row.psnr_db - sum(expected) / 2) < 1e-3
    assert row.ms_ssim is None  # 64 px images are too small for MS-SSIM


def test_channel_mismatch_is_an_error(trained_checkpoint: Path, grey_npz: Path) -> None:
    import pytest

    from semcom.errors import SemcomError

    codec = load_checkpoint(trained_checkpoint).build_codec()
    with pytest.raises(SemcomError, match="RGB images"):
        sweep_codecs({"a": codec}, load_images(f"npz:{grey_npz}"), ["awgn"], [0.0], progress=False)


class _NoisyIdentity(torch.nn.Module):
    """A refiner that draws noise as a diffusion refiner does and returns its input."""

    def forward(
        self,
        x: torch.Tensor,
        snr_db: object = None,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        torch.randn(x.shape, generator=generator, device=x.device)
        return x


def test_a_refined_codec_sees_the_same_channel_noise_as_its_codec(rgb_npz: Path) -> None:
    """GSC vs NGF is a paired comparison: the refiner's random draws must not shift the
    channel's, batch after batch (here 4 batches of 8 images over Rayleigh fading)."""
    from semcom.evaluation import RefinedCodec

    codec = create_codec("deepjscc")
    data = load_images(f"npz:{rgb_npz}", "eval")
    models = {"gsc": RefinedCodec(codec, _NoisyIdentity()), "ngf": codec}
    for channel in ("awgn", "rayleigh-block"):
        rows = sweep_codecs(models, data, [channel], [5.0], batch_size=8, progress=False)
        assert rows[0].psnr_db == rows[1].psnr_db, channel
