"""Per-example power normalisation before the channel.

Example:
    >>> import torch
    >>> from semcom.channels.power import normalize_power, real_to_complex
    >>> z = real_to_complex(torch.randn(4, 16))
    >>> s = normalize_power(z)
    >>> torch.allclose(s.abs().pow(2).mean(dim=1), torch.ones(4))
    True
"""

from __future__ import annotations

import torch


def normalize_power(z: torch.Tensor, eps: float = 1e-12) -> torch.Tensor:
    """Scale each example of ``z: [B, k] complex64`` to unit average power.

    Returns ``[B, k] complex64`` with ``mean(|s|^2) == 1`` per row.
    """
    power = z.real.pow(2).add(z.imag.pow(2)).mean(dim=1, keepdim=True)
    return z / torch.sqrt(power + eps)


def real_to_complex(v: torch.Tensor) -> torch.Tensor:
    """Pair consecutive reals of ``v: [B, 2k] float32`` into ``[B, k] complex64``."""
    if v.shape[-1] % 2:
        raise ValueError(f"need an even number of reals, got {v.shape[-1]}")
    return torch.view_as_complex(v.float().reshape(*v.shape[:-1], -1, 2).contiguous())


def complex_to_real(z: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`real_to_complex`: ``[B, k] complex64`` -> ``[B, 2k] float32``."""
    return torch.view_as_real(z).reshape(*z.shape[:-1], -1)
