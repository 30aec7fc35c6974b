"""The CUDA path (marker ``gpu``; run with ``pytest -m gpu`` on a machine with a GPU)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from semcom import create_channel, create_codec
from semcom.config import TrainConfig
from semcom.registry import CHANNELS
from semcom.train import load_checkpoint, train

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
]


@pytest.mark.parametrize("name", CHANNELS.names())
def test_channels_on_cuda(name: str) -> None:
    gen = torch.Generator(device="cuda").manual_seed(0)
    x = torch.randn(6, 4096, dtype=torch.complex64, device="cuda")
    x = x / x.abs().pow(2).mean(dim=1, keepdim=True).sqrt()
    y, csi = create_channel(name)(x, 20.0, gen)
    assert y.device.type == "cuda"
    assert csi.device.type == "cuda"
    assert float((y - x).abs().pow(2).mean()) < 0.5


def test_codec_on_cuda_matches_cpu() -> None:
    codec = create_codec("deepjscc").eval()
    x = torch.rand(4, 3, 32, 32)
    with torch.no_grad():
        cpu = codec.decode(codec.encode(x))
        gpu = codec.cuda().decode(codec.encode(x.cuda())).cpu()
    assert torch.allclose(cpu, gpu, atol=1e-4)


def test_train_on_auto_device_and_load_on_cpu(tmp_path: Path, rgb_npz: Path) -> None:
    result = train(
        TrainConfig(
            data=f"npz:{rgb_npz}", epochs=2, batch_size=32, out=str(tmp_path / "r"), device="auto"
        ),
        progress=False,
    )
    assert next(result.codec.parameters()).device.type == "cuda"
    assert result.history[-1]["val_psnr_db"] > 5
    codec = load_checkpoint(result.checkpoint).build_codec("cpu")
    x = torch.rand(2, 3, 32, 32)
    with torch.no_grad():
        ref = result.codec.decode(result.codec.encode(x.cuda())).cpu()
        assert torch.allclose(codec.decode(codec.encode(x)), ref, atol=1e-4)


def test_short_demo_on_cuda(tmp_path: Path) -> None:
    from semcom.experiments.demo import run_demo

    result = run_demo(tmp_path / "demo", train_minutes=0.1, device="cuda", progress=False)
    assert (tmp_path / "demo" / "report.md").exists()
    assert len(result.rows) == 10
