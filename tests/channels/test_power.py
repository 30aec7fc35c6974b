"""Power normalisation and real <-> complex packing."""

from __future__ import annotations

import pytest
import torch

from semcom.channels import complex_to_real, normalize_power, real_to_complex


def test_unit_power_per_example() -> None:
    gen = torch.Generator().manual_seed(0)
    scale = torch.logspace(-3, 3, 100).unsqueeze(1)
    z = real_to_complex(torch.randn(100, 20_000, generator=gen) * scale)
    s = normalize_power(z)
    assert s.dtype == torch.complex64
    power = s.abs().pow(2).mean(dim=1)
    torch.testing.assert_close(power, torch.ones(100), rtol=1e-4, atol=0.0)


def test_normalize_power_zero_input_is_finite_and_differentiable() -> None:
    z = torch.zeros(2, 4, dtype=torch.complex64)
    assert torch.isfinite(torch.view_as_real(normalize_power(z))).all()
    v = torch.randn(2, 8, requires_grad=True)
    normalize_power(real_to_complex(v)).real.sum().backward()
    assert v.grad is not None
    assert torch.isfinite(v.grad).all()


def test_real_complex_round_trip_and_order() -> None:
    v = torch.tensor([[1.0, 2.0, 3.0, 4.0]])
    z = real_to_complex(v)
    assert z.dtype == torch.complex64
    assert torch.equal(z, torch.tensor([[1 + 2j, 3 + 4j]], dtype=torch.complex64))
    assert torch.equal(complex_to_real(z), v)
    w = torch.randn(3, 10)
    assert torch.equal(complex_to_real(real_to_complex(w)), w)


def test_odd_length_raises() -> None:
    with pytest.raises(ValueError, match="even"):
        real_to_complex(torch.zeros(2, 3))
