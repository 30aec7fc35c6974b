from __future__ import annotations

import torch

from semcom import SemanticLink, create_channel, create_codec


class _Brighten(torch.nn.Module):
    def forward(self, x: torch.Tensor, snr_db: object, generator: object = None) -> torch.Tensor:
        return (x + 0.1).clamp(0, 1)


def test_link_without_refiner_equals_codec_forward() -> None:
    codec, channel = create_codec("deepjscc"), create_channel("awgn")
    link = SemanticLink(codec, channel)
    x = torch.rand(2, 3, 32, 32)
    a = link(x, 5.0, torch.Generator().manual_seed(1))["x_hat"]
    b = codec(x, channel, 5.0, torch.Generator().manual_seed(1))["x_hat"]
    assert torch.equal(a, b)
    assert link.channel_uses == 512


def test_link_applies_refiner_and_keeps_coarse() -> None:
    link = SemanticLink(create_codec("deepjscc"), create_channel("awgn"), _Brighten())
    out = link(torch.rand(2, 3, 32, 32), 5.0, torch.Generator().manual_seed(1))
    assert torch.allclose(out["x_hat"], (out["x_coarse"] + 0.1).clamp(0, 1))
