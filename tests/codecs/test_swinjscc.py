"""Swin-JSCC specifics (the registry tests cover shapes, gradients and round trips)."""

from __future__ import annotations

import pytest
import torch

from semcom import create_channel, create_codec
from semcom.codecs.base import Codec
from semcom.errors import SemcomError


def _trained_modulation(**kwargs: object) -> Codec:
    """A Swin-JSCC whose SNR modulations are not the near-identity of initialisation."""
    torch.manual_seed(0)
    codec = create_codec("swinjscc", **kwargs).eval()
    for m in codec.modules():
        if m.__class__.__name__ == "SNRModulation":
            torch.nn.init.normal_(m.mlp[2].weight)
    return codec


def test_output_depends_on_snr() -> None:
    codec = _trained_modulation()
    x = torch.rand(2, 3, 32, 32)
    with torch.no_grad():
        at_0 = codec.encode(x, 0.0)
        at_15 = codec.encode(x, 15.0)
        y = at_0.clone()
        assert not torch.allclose(at_0, at_15, atol=1e-4)
        assert not torch.allclose(codec.decode(y, 0.0), codec.decode(y, 15.0), atol=1e-4)


def test_snr_blind_ablation_ignores_snr() -> None:
    codec = create_codec("swinjscc", snr_adaptive=False).eval()
    x = torch.rand(2, 3, 32, 32)
    with torch.no_grad():
        assert torch.equal(codec.encode(x, 0.0), codec.encode(x, 15.0))
    assert codec.config()["snr_adaptive"] is False


def test_per_example_snr() -> None:
    codec = _trained_modulation()
    x = torch.rand(1, 3, 32, 32).expand(2, -1, -1, -1)
    with torch.no_grad():
        both = codec.encode(x, torch.tensor([0.0, 15.0]))
        assert torch.allclose(both[1], codec.encode(x[:1], 15.0)[0], atol=1e-5)


def test_receiver_csi_decodes_at_the_snr_after_the_fade() -> None:
    codec = _trained_modulation(receiver_csi=True)
    y = torch.randn(2, 512, dtype=torch.complex64)
    faded = torch.full((2, 512), 0.1**0.5, dtype=torch.complex64)  # |h|^2 = -10 dB
    with torch.no_grad():
        assert torch.allclose(codec.decode(y, 10.0, csi=faded), codec.decode(y, 0.0), atol=1e-5)
        unit = torch.ones(2, 512, dtype=torch.complex64)
        assert torch.equal(codec.decode(y, 10.0, csi=unit), codec.decode(y, 10.0))
        assert not torch.allclose(
            codec.decode(y, 10.0, csi=faded), codec.decode(y, 10.0), atol=1e-4
        )
    assert codec.config()["receiver_csi"] is True


def test_without_receiver_csi_the_decoder_ignores_the_fade() -> None:
    codec = _trained_modulation()
    y = torch.randn(2, 512, dtype=torch.complex64)
    faded = torch.full((2, 512), 0.1**0.5, dtype=torch.complex64)
    with torch.no_grad():
        assert torch.equal(codec.decode(y, 10.0, csi=faded), codec.decode(y, 10.0))


def test_larger_images_use_more_windows() -> None:
    codec = create_codec("swinjscc", image_size=(64, 96))
    out = codec(torch.rand(1, 3, 64, 96), create_channel("awgn"), 10.0)
    assert out["x_hat"].shape == (1, 3, 64, 96)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"embed_dim": 24}, "embed_dim must be a positive multiple of 16"),
        ({"depth1": 0}, "depth1 and depth2 must be at least 1"),
        ({"window": 0}, "window must be at least 1"),
        ({"mlp_ratio": 0}, "mlp_ratio must be positive"),
        ({"receiver_csi": True, "snr_adaptive": False}, "receiver_csi needs snr_adaptive"),
    ],
)
def test_bad_construction(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(SemcomError, match=message):
        create_codec("swinjscc", **kwargs)
