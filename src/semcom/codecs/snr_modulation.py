"""Channel-state modulation: scale features by a function of the SNR (SwinJSCC / WITT).

A single SNR-adaptive model covers a range of SNRs because every modulation layer
rescales its features per channel from the mean token and ``snr_db``:
``x * 2 sigmoid(MLP([mean(x), snr_db / 10]))``. At initialisation the scale is close
to 1 at every SNR, so the network starts as its SNR-blind counterpart.
"""

from __future__ import annotations

import torch
from torch import nn

#: ``snr_db`` is divided by this before entering the MLP (keeps inputs near [0, 2]).
SNR_SCALE_DB = 10.0
#: Deepest fade :func:`effective_snr_db` reports, in dB below the average SNR.
DEEPEST_FADE_DB = 30.0


def effective_snr_db(snr_db: torch.Tensor, csi: torch.Tensor | None) -> torch.Tensor:
    """Per-example SNR after the fade the receiver knows: ``snr_db + 10 log10 mean |csi|^2``.

    ``snr_db [B] float32`` (dB, the average SNR), ``csi [B, k] complex64`` (the channel's
    coefficients, see :class:`~semcom.channels.base.Channel`) -> ``[B] float32`` (dB).
    Under Rayleigh block fading this is the SNR of the example's own fade ``|h|^2 snr``,
    floored :data:`DEEPEST_FADE_DB` below ``snr_db``; where ``csi`` is all ones (AWGN,
    multi-user ZF) or None it is ``snr_db`` unchanged.

    Example:
        >>> import torch
        >>> h = torch.full((2, 4), 0.1 ** 0.5, dtype=torch.complex64)
        >>> effective_snr_db(torch.tensor([10.0, 0.0]), h).round()
        tensor([  0., -10.])
    """
    if csi is None:
        return snr_db
    gain = csi.abs().square().mean(dim=1).clamp_min(10 ** (-DEEPEST_FADE_DB / 10))
    return snr_db + 10 * torch.log10(gain)


class SNRModulation(nn.Module):
    """Per-channel scaling of a ``[B, H, W, D]`` token map conditioned on ``snr_db``.

    Args:
        dim: token dimension D.
        hidden: width of the two-layer MLP (default ``dim``).

    ``forward(x, snr_db)``: ``x [B, H, W, D] float32``, ``snr_db [B] float32`` (dB)
    -> ``[B, H, W, D] float32``.
    """

    def __init__(self, dim: int, hidden: int | None = None) -> None:
        super().__init__()
        hidden = hidden or dim
        first, last = nn.Linear(dim + 1, hidden), nn.Linear(hidden, dim)
        with torch.no_grad():  # start near scale 1 (not exactly: gradients must flow)
            last.weight.mul_(0.1)
            last.bias.zero_()
        self.mlp = nn.Sequential(first, nn.ReLU(), last)

    def forward(self, x: torch.Tensor, snr_db: torch.Tensor) -> torch.Tensor:
        context = torch.cat([x.mean(dim=(1, 2)), snr_db[:, None] / SNR_SCALE_DB], dim=1)
        scale = 2 * torch.sigmoid(self.mlp(context))  # [B, D]
        return x * scale[:, None, None, :]
