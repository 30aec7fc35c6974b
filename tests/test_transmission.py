from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import semcom
from semcom.cli.app import main
from semcom.transmission import transmit_image


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    import skimage.data

    p = tmp_path / "chelsea.png"
    Image.fromarray(skimage.data.chelsea()[:100, :150]).save(p)
    return p


def test_transmit_image_tiles_and_reports() -> None:
    link = semcom.load("zoo:deepjscc-cifar10-awgn")
    img = torch.rand(3, 40, 70)
    res = transmit_image(link, img, snr_db=10.0)
    assert res.received.shape == img.shape
    assert res.tiles == 2 * 3
    assert res.channel_uses == 6 * 512
    assert res.ssim is not None
    assert res.ms_ssim is None
    again = transmit_image(link, img, snr_db=10.0)
    assert torch.equal(again.received, res.received)  # fixed noise seed


def test_transmit_a_photo_end_to_end(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, photo: Path
) -> None:
    out = tmp_path / "rx.png"
    code = main(
        [
            "transmit",
            str(photo),
            "--model",
            "zoo:deepjscc-cifar10-awgn",
            "--snr-db",
            "20",
            "--out",
            str(out),
            "--device",
            "cpu",
        ]
    )
    assert code == 0
    stdout, stderr = capsys.readouterr()
    assert "20 tiles of 32x32" in " ".join(stderr.split())  # ceil(100/32) x ceil(150/32)
    assert "10240 channel uses" in " ".join(stderr.split())  # 20 x 512
    psnr = float(stdout.split()[1])
    assert psnr > 24.0  # a trained zoo model on a natural photo at 20 dB
    received = np.asarray(Image.open(out))
    assert received.shape == (100, 150, 3)


def test_transmit_greyscale_model_on_a_colour_photo(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, photo: Path
) -> None:
    out = tmp_path / "rx.png"
    assert (
        main(
            [
                "transmit",
                str(photo),
                "--model",
                "zoo:deepjscc-mnist-awgn",
                "--out",
                str(out),
                "--device",
                "cpu",
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert np.asarray(Image.open(out)).shape == (100, 150)


def test_transmit_bad_input(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("not an image")
    for argv, needle in [
        (["transmit", str(tmp_path / "missing.png")], "does not exist"),
        (["transmit", str(text)], "is not a readable image"),
        (["transmit", str(text), "--model", "zoo:nope"], "unknown zoo model 'nope'"),
        (["transmit", str(text), "--channel", "wifi"], "unknown channel 'wifi'"),
    ]:
        assert main(argv) == 2
        err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
        assert len(err) == 1
        assert needle in err[0]
