"""Contract tests run on every registered channel."""

from __future__ import annotations

import doctest
import importlib

import pytest
import torch

import semcom.channels  # noqa: F401  (registers the built-in channels)
from semcom.channels import Channel, normalize_power
from semcom.channels.base import complex_normal
from semcom.errors import SemcomError
from semcom.registry import CHANNELS, create_channel

NAMES = CHANNELS.names()
B, K = 6, 16
CPU = torch.device("cpu")


def _x(seed: int = 0, b: int = B, k: int = K) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    return normalize_power(complex_normal((b, k), CPU, gen))


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_builtin_channels_registered() -> None:
    assert {"awgn", "rayleigh-block", "rayleigh-fast", "mu-mimo"} <= set(NAMES)
    for name in NAMES:
        assert CHANNELS.entry(name).summary


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("snr", [10.0, torch.linspace(0.0, 20.0, B)])
def test_shapes_and_dtypes(name: str, snr: float | torch.Tensor) -> None:
    ch = create_channel(name)
    assert isinstance(ch, Channel)
    assert list(ch.parameters()) == []
    y, csi = ch(_x(), snr, _gen(1))
    for t in (y, csi):
        assert t.shape == (B, K)
        assert t.dtype == torch.complex64
        assert torch.isfinite(torch.view_as_real(t)).all()


@pytest.mark.parametrize("name", NAMES)
def test_deterministic_given_generator(name: str) -> None:
    ch = create_channel(name)
    x = _x()
    y1, c1 = ch(x, 5.0, _gen(7))
    y2, c2 = ch(x, 5.0, _gen(7))
    y3, _ = ch(x, 5.0, _gen(8))
    assert torch.equal(y1, y2)
    assert torch.equal(c1, c2)
    assert not torch.equal(y1, y3)


@pytest.mark.parametrize("name", NAMES)
def test_gradient_flows_to_input(name: str) -> None:
    ch = create_channel(name)
    x = _x().requires_grad_()
    y, _ = ch(x, 10.0, _gen(2))
    y.abs().sum().backward()
    assert x.grad is not None
    grad = torch.view_as_real(x.grad)
    assert torch.isfinite(grad).all()
    assert grad.abs().sum() > 0


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(
    ("x", "snr"),
    [
        (torch.randn(B, K), 10.0),  # real input
        (torch.ones(K, dtype=torch.complex64), 10.0),  # 1-D
        (torch.ones(B, 2, K, dtype=torch.complex64), 10.0),  # 3-D
        (torch.ones(B, K, dtype=torch.complex64), torch.zeros(B + 1)),  # bad snr
        (torch.ones(B, K, dtype=torch.complex64), torch.zeros(B, 1)),  # bad snr
    ],
)
def test_bad_input_raises(name: str, x: torch.Tensor, snr: float | torch.Tensor) -> None:
    with pytest.raises(SemcomError):
        create_channel(name)(x, snr, _gen(0))


@pytest.mark.parametrize("name", NAMES)
def test_unknown_option_raises(name: str) -> None:
    with pytest.raises(SemcomError, match="no option"):
        create_channel(name, no_such_option=1)


@pytest.mark.parametrize(
    "module",
    [
        "semcom.channels",
        "semcom.channels.awgn",
        "semcom.channels.rayleigh",
        "semcom.channels.multiuser",
        "semcom.channels.power",
    ],
)
def test_docstring_examples_run(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module), verbose=False)
    assert result.attempted > 0
    assert result.failed == 0
