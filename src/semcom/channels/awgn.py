"""Additive white Gaussian noise channel.

Example:
    >>> import torch
    >>> from semcom.channels.awgn import AWGN
    >>> x = torch.ones(2, 8, dtype=torch.complex64)
    >>> y, csi = AWGN()(x, 10.0, torch.Generator().manual_seed(0))
    >>> y.shape, y.dtype, bool((csi == 1).all())
    (torch.Size([2, 8]), torch.complex64, True)
"""

from __future__ import annotations

import torch

from semcom.channels.base import Channel
from semcom.registry import CHANNELS


def awgn_noise(
    shape: tuple[int, int],
    snr_db: torch.Tensor,
    device: torch.device,
    generator: torch.Generator | None,
) -> torch.Tensor:
    """Complex AWGN of variance ``10 ** (-snr_db / 10)`` per symbol.

    Args:
        shape: ``(B, k)``.
        snr_db: ``[B] float32`` SNR in dB, one per example (row).
        device: where the noise lives.
        generator: source of randomness.

    Returns:
        ``[B, k] complex64`` noise, row ``b`` of variance ``10 ** (-snr_db[b] / 10)``.

    Example:
        >>> import torch
        >>> n = awgn_noise((2, 4), torch.tensor([0.0, 20.0]), torch.device("cpu"), None)
        >>> n.shape, n.dtype
        (torch.Size([2, 4]), torch.complex64)
    """
    # one draw of [B, k, 2] reals, scaled by sigma / sqrt(2) per row: CN(0, sigma^2)
    scale = torch.pow(10.0, snr_db * -0.05).mul_(0.5**0.5).view(-1, 1, 1)
    re_im = torch.randn((*shape, 2), device=device, generator=generator).mul_(scale)
    return torch.view_as_complex(re_im)


@CHANNELS.register("awgn", summary="complex AWGN, no fading (csi = 1)")
class AWGN(Channel):
    """Complex AWGN channel: ``y = x + n``, ``n ~ CN(0, 10 ** (-snr_db / 10))``.

    ``forward(x, snr_db, generator)`` takes ``x: [B, k] complex64`` (unit average
    power), ``snr_db`` a float or ``[B] float32`` in dB, and returns
    ``(y, csi)``, both ``[B, k] complex64``; ``csi`` is all ones.

    Example:
        >>> import torch
        >>> x = torch.ones(3, 4, dtype=torch.complex64)
        >>> y, csi = AWGN()(x, torch.tensor([0.0, 10.0, 20.0]))
        >>> y.shape, csi.dtype
        (torch.Size([3, 4]), torch.complex64)
    """

    name = "awgn"

    def __init__(self) -> None:
        # Explicit, option-free signature: the registry then rejects unknown options.
        super().__init__()

    def transmit(
        self, x: torch.Tensor, snr_db: torch.Tensor, generator: torch.Generator | None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``x: [B, k] complex64``, ``snr_db: [B] float32`` -> ``(x + n, ones)``, ``[B, k]``.

        Example:
            >>> import torch
            >>> x = torch.zeros(1, 2, dtype=torch.complex64)
            >>> y, csi = AWGN().transmit(x, torch.tensor([300.0]), None)
            >>> bool(y.abs().max() < 1e-6)
            True
        """
        b, k = x.shape
        y = x + awgn_noise((b, k), snr_db, x.device, generator)
        return y, torch.ones((), dtype=y.dtype, device=y.device).expand_as(y)  # a view
