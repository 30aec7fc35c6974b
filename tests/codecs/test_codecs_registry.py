"""Registry-driven checks every codec gets for free."""

from __future__ import annotations

import pytest
import torch

from semcom import create_channel, create_codec
from semcom.codecs.base import Codec
from semcom.errors import SemcomError
from semcom.registry import CODECS

NAMES = CODECS.names()
GEOMETRIES = [(3, (32, 32)), (1, (28, 28)), (3, (30, 34))]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(("channels", "size"), GEOMETRIES)
def test_shapes_power_and_k(name: str, channels: int, size: tuple[int, int]) -> None:
    codec = create_codec(name, in_channels=channels, image_size=size, cbr="1/6")
    x = torch.rand(3, channels, *size)
    symbols = codec.encode(x, 10.0)
    assert symbols.dtype == torch.complex64
    assert symbols.shape == (3, round(channels * size[0] * size[1] / 6))
    assert codec.k == symbols.shape[1]
    assert torch.allclose(symbols.abs().pow(2).mean(dim=1), torch.ones(3), atol=1e-4)
    out = codec(x, create_channel("awgn"), snr_db=torch.tensor([0.0, 10.0, 20.0]))
    assert out["x_hat"].shape == x.shape
    assert out["x_hat"].dtype == torch.float32
    x_hat = out["x_hat"].detach()
    assert float(x_hat.min()) >= 0
    assert float(x_hat.max()) <= 1


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("cbr", ["1/12", "1/6", "1/3"])
def test_k_matches_cbr(name: str, cbr: str) -> None:
    codec = create_codec(name, cbr=cbr)
    expected = {"1/12": 256, "1/6": 512, "1/3": 1024}[cbr]
    assert codec.k == expected
    assert codec.encode(torch.rand(2, 3, 32, 32)).shape == (2, expected)


@pytest.mark.parametrize("name", NAMES)
def test_gradients_reach_every_parameter(name: str) -> None:
    torch.manual_seed(0)
    codec = create_codec(name)
    out = codec(torch.rand(4, 3, 32, 32), create_channel("rayleigh-block"), snr_db=10.0)
    out["x_hat"].mean().backward()
    for pname, p in codec.named_parameters():
        assert p.grad is not None, pname
        assert torch.isfinite(p.grad).all(), pname
        assert p.grad.abs().sum() > 0, pname


@pytest.mark.parametrize("name", NAMES)
def test_loss_decreases_on_a_fixed_batch(name: str) -> None:
    torch.manual_seed(0)
    codec = create_codec(name)
    channel = create_channel("awgn")
    coarse = torch.rand(8, 3, 4, 4)
    x = torch.nn.functional.interpolate(coarse, size=(32, 32), mode="bilinear")
    opt = torch.optim.Adam(codec.parameters(), lr=2e-3)
    losses = []
    for step in range(30):
        g = torch.Generator().manual_seed(step)
        loss = torch.nn.functional.mse_loss(codec(x, channel, 20.0, g)["x_hat"], x)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    assert losses[-1] < 0.7 * losses[0]


@pytest.mark.parametrize("name", NAMES)
def test_state_dict_round_trip(name: str) -> None:
    codec = create_codec(name, in_channels=1, image_size=(28, 28), cbr=0.1)
    rebuilt = type(codec).from_state_dict(codec.state_dict(), codec.config())
    assert isinstance(rebuilt, Codec)
    x = torch.rand(2, 1, 28, 28)
    assert torch.equal(
        codec.eval().decode(codec.encode(x)), rebuilt.eval().decode(rebuilt.encode(x))
    )


def test_noiseless_link_is_deterministic() -> None:
    codec = create_codec("deepjscc").eval()
    x = torch.rand(2, 3, 32, 32)
    assert torch.equal(codec.decode(codec.encode(x)), codec.decode(codec.encode(x)))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"cbr": "1/100000"}, "does not fit"),
        ({"cbr": "2"}, "cbr must be in (0, 1]"),
        ({"cbr": "one sixth"}, "cannot parse cbr"),
        ({"in_channels": 2}, "in_channels must be 1 or 3"),
        ({"widht": 3}, "has no option 'widht'"),
        ({"norm": "layer"}, "unknown norm 'layer'; choose one of: group, batch, none"),
        ({"width": 1}, "width must be at least 2"),
    ],
)
def test_bad_construction(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(SemcomError, match=message.replace("(", r"\(").replace(")", r"\)")):
        create_codec("deepjscc", **kwargs)


def test_wrong_image_shape_is_a_clear_error() -> None:
    codec = create_codec("deepjscc")
    with pytest.raises(SemcomError, match=r"built for images of shape \[B, 3, 32, 32\]"):
        codec.encode(torch.rand(1, 1, 32, 32))
    with pytest.raises(SemcomError, match="expects"):
        codec.decode(torch.zeros(1, 7, dtype=torch.complex64))


def test_unknown_codec_lists_choices() -> None:
    choices = "csc, deepjscc, swinjscc, vitjscc"
    with pytest.raises(SemcomError, match=f"unknown codec 'nope'; choose one of: {choices}"):
        create_codec("nope")


@pytest.mark.parametrize(
    ("norm", "layer"), [("group", torch.nn.GroupNorm), ("batch", torch.nn.BatchNorm2d)]
)
def test_deepjscc_norm_options(norm: str, layer: type) -> None:
    codec = create_codec("deepjscc", norm=norm)
    assert any(isinstance(m, layer) for m in codec.modules())
    paper = create_codec("deepjscc", norm="none")
    assert not any(
        isinstance(m, torch.nn.GroupNorm | torch.nn.BatchNorm2d) for m in paper.modules()
    )
    out = paper(torch.rand(2, 3, 32, 32), create_channel("awgn"), 10.0)
    assert out["x_hat"].shape == (2, 3, 32, 32)


def test_group_norm_output_does_not_depend_on_the_batch() -> None:
    codec = create_codec("deepjscc").train()
    x = torch.rand(4, 3, 32, 32)
    with torch.no_grad():
        together = codec.decode(codec.encode(x))
        alone = torch.cat([codec.decode(codec.encode(x[i : i + 1])) for i in range(4)])
    assert torch.allclose(together, alone, atol=1e-5)
