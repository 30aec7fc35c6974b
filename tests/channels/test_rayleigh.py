"""Rayleigh block / fast fading: coefficient statistics and equalisation."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from semcom.channels import RayleighBlock, RayleighFast, normalize_power
from semcom.channels.base import complex_normal
from semcom.channels.rayleigh import RayleighChannel, equalize
from semcom.errors import SemcomError
from semcom.registry import create_channel

CPU = torch.device("cpu")


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _check_cn01(h: torch.Tensor) -> None:
    h = h.to(torch.complex128)
    assert abs(h.abs().pow(2).mean().item() - 1.0) < 0.02
    assert abs(h.real.var().item() - 0.5) < 0.01
    assert abs(h.imag.var().item() - 0.5) < 0.01
    assert abs(h.mean().item()) < 0.01


def test_block_coefficients_cn01_and_constant_per_row() -> None:
    x = torch.ones(10**6, 2, dtype=torch.complex64)
    _, h = RayleighBlock()(x, 10.0, _gen(0))
    assert torch.equal(h[:, 0], h[:, 1])
    _check_cn01(h[:, 0])


def test_fast_coefficients_cn01_and_independent_across_symbols() -> None:
    x = torch.ones(1000, 1000, dtype=torch.complex64)
    _, h = RayleighFast()(x, 10.0, _gen(0))
    _check_cn01(h.flatten())
    h64 = h.to(torch.complex128)
    corr = (h64[:, 1:] * h64[:, :-1].conj()).mean()
    assert abs(corr.item()) < 0.01
    assert not torch.equal(h[:, 0], h[:, 1])


@pytest.mark.parametrize("cls", [RayleighBlock, RayleighFast])
def test_zf_recovers_input_at_very_high_snr(cls: type[RayleighChannel]) -> None:
    x = normalize_power(complex_normal((16, 64), CPU, _gen(1)))
    y, _ = cls(equalizer="zf")(x, 100.0, _gen(2))
    torch.testing.assert_close(y, x, rtol=0.0, atol=1e-2)


@pytest.mark.parametrize("cls", [RayleighBlock, RayleighFast])
def test_mmse_matches_closed_form(cls: type[RayleighChannel]) -> None:
    # Same seed -> same h and noise; ZF output times h gives back y_raw = h x + n.
    x = normalize_power(complex_normal((8, 32), CPU, _gen(3)))
    snr = torch.linspace(-5.0, 15.0, 8)
    y_zf, h_zf = cls(equalizer="zf")(x, snr, _gen(4))
    y_mmse, h_mmse = cls()(x, snr, _gen(4))
    assert torch.equal(h_zf, h_mmse)
    h = h_zf.numpy().astype(np.complex128)
    y_raw = y_zf.numpy().astype(np.complex128) * h
    sigma2 = 10.0 ** (-snr.numpy().astype(np.float64) / 10.0)[:, None]
    expected = np.conj(h) * y_raw / (np.abs(h) ** 2 + sigma2)
    np.testing.assert_allclose(y_mmse.numpy(), expected, rtol=1e-4, atol=1e-5)


def test_equalize_against_numpy() -> None:
    gen = _gen(5)
    y = complex_normal((4, 10), CPU, gen)
    h = complex_normal((4, 10), CPU, gen)
    nv = torch.rand(4, 1, generator=gen)
    yn, hn, nvn = (t.numpy().astype(np.complex128) for t in (y, h, nv))
    np.testing.assert_allclose(equalize(y, h, nv, "zf").numpy(), yn / hn, rtol=1e-5)
    mmse = np.conj(hn) * yn / (np.abs(hn) ** 2 + nvn.real)
    np.testing.assert_allclose(equalize(y, h, nv, "mmse").numpy(), mmse, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["rayleigh-block", "rayleigh-fast"])
def test_unknown_equalizer_names_allowed_values(name: str) -> None:
    with pytest.raises(SemcomError, match=r"mmse.*zf"):
        create_channel(name, equalizer="lmmse")


def test_default_equalizer_is_mmse() -> None:
    assert RayleighBlock().equalizer == "mmse"
    assert create_channel("rayleigh-fast", equalizer="zf").equalizer == "zf"
