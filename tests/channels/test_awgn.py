"""AWGN channel statistics."""

from __future__ import annotations

import torch

from semcom.channels import AWGN, normalize_power
from semcom.channels.base import complex_normal

CPU = torch.device("cpu")


def test_noise_variance_matches_snr() -> None:
    gen = torch.Generator().manual_seed(0)
    snrs = torch.tensor([0.0, 10.0, 20.0])
    rows = 100  # per SNR, x 10_000 symbols = 10**6 samples per SNR
    x = normalize_power(complex_normal((3 * rows, 10_000), CPU, gen))
    snr_db = snrs.repeat_interleave(rows)
    y, csi = AWGN()(x, snr_db, gen)
    n = (y - x).reshape(3, rows * 10_000).to(torch.complex128)
    expected = torch.pow(10.0, -snrs.double() / 10)
    power = n.abs().pow(2).mean(dim=1)
    torch.testing.assert_close(power, expected, rtol=0.02, atol=0.0)
    torch.testing.assert_close(n.real.var(dim=1), expected / 2, rtol=0.02, atol=0.0)
    torch.testing.assert_close(n.imag.var(dim=1), expected / 2, rtol=0.02, atol=0.0)
    assert (n.mean(dim=1).abs() < 0.01 * expected.sqrt()).all()
    assert torch.equal(csi, torch.ones_like(csi))


def test_very_high_snr_is_transparent() -> None:
    x = torch.ones(2, 4, dtype=torch.complex64)
    y, _ = AWGN()(x, 200.0, torch.Generator().manual_seed(0))
    torch.testing.assert_close(y, x)
