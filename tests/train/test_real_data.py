"""Training and sweeping on the genuine CIFAR-10 / MNIST subsets in ../shared/data (slow)."""

from __future__ import annotations

from pathlib import Path

import pytest

from semcom.codecs import Codec
from semcom.config import TrainConfig
from semcom.data import load_images
from semcom.evaluation import sweep_codecs
from semcom.train import train

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
CIFAR = SHARED / "cifar10_train_subset.npz"
MNIST = SHARED / "mnist_subset.npz"


def _train_awgn(spec: str, epochs: int, out: Path) -> Codec:
    """DeepJSCC trained on ``spec`` over AWGN at 0-20 dB for ``epochs`` epochs (CPU)."""
    cfg = TrainConfig(
        data=spec,
        channel="awgn",
        snr_db=(0.0, 20.0),
        epochs=epochs,
        batch_size=64,
        out=str(out),
        device="cpu",
    )
    return train(cfg, progress=False).codec


@pytest.mark.slow
@pytest.mark.skipif(not CIFAR.exists(), reason=f"{CIFAR} not present (project shared data)")
def test_deepjscc_learns_cifar10_over_awgn_and_rayleigh(tmp_path: Path) -> None:
    spec = f"npz:{CIFAR}#val=0.1"
    codec = _train_awgn(spec, 12, tmp_path / "run")
    val = load_images(spec, "eval")
    assert len(val) == 544
    rows = sweep_codecs(
        {"deepjscc": codec},
        val,
        ["awgn", "rayleigh-block"],
        [0.0, 10.0, 20.0],
        progress=False,
    )
    awgn = [r.psnr_db for r in rows if r.channel == "awgn"]
    assert awgn == sorted(awgn), awgn
    assert awgn[-1] > 21.5, awgn  # 22.4 dB measured after ~800 steps; ~13 dB untrained
    ray = [r.psnr_db for r in rows if r.channel == "rayleigh-block"]
    assert ray[-1] < awgn[-1] + 0.5, (ray, awgn)


@pytest.mark.slow
@pytest.mark.skipif(not MNIST.exists(), reason=f"{MNIST} not present (project shared data)")
def test_deepjscc_learns_greyscale_mnist(tmp_path: Path) -> None:
    codec = _train_awgn(f"npz:{MNIST}#train#val=0.1", 3, tmp_path / "run")
    assert codec.in_channels == 1
    test = load_images(f"npz:{MNIST}#test", "eval").head(1000)
    rows = sweep_codecs({"m": codec}, test, ["awgn"], [0.0, 20.0], progress=False)
    assert rows[1].psnr_db > rows[0].psnr_db
    assert rows[1].psnr_db > 20.0, rows  # 24.5 dB measured after ~800 steps; 9.8 collapsed
