"""The channel contract every channel follows (after Sionna PHY).

A channel maps unit-power complex symbols ``x: [B, k] complex64`` and a per-example
SNR ``snr_db: [B] float32`` (or a float, broadcast) to received, equalised symbols
``y: [B, k] complex64`` and the channel state ``csi: [B, k] complex64`` (the complex
gain each symbol went through; ones for AWGN). It is a pure function of its inputs and
of ``generator``; it has no parameters and lets gradients flow from ``y`` to ``x``.

Noise is complex AWGN with variance ``10 ** (-snr_db / 10)`` per complex symbol,
i.e. the SNR is the ratio of the (unit) average symbol power to the noise power.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import torch
from torch import nn

from semcom.errors import SemcomError


def snr_tensor(snr_db: float | torch.Tensor, batch: int, device: torch.device) -> torch.Tensor:
    """Broadcast ``snr_db`` (float, ``[]`` or ``[B]``) to a ``[B] float32`` tensor in dB."""
    if isinstance(snr_db, torch.Tensor):
        if snr_db.shape == (batch,) and snr_db.dtype == torch.float32 and snr_db.device == device:
            return snr_db  # the common case inside a link: nothing to do
        t = snr_db.to(device=device, dtype=torch.float32)
    else:
        return torch.full((batch,), float(snr_db), dtype=torch.float32, device=device)
    if t.ndim == 0:
        return t.expand(batch).clone()
    if t.shape != (batch,):
        raise SemcomError(f"snr_db must be a float or have shape [{batch}], got {list(t.shape)}")
    return t


def noise_variance(snr_db: torch.Tensor) -> torch.Tensor:
    """Noise variance per complex symbol, ``10 ** (-snr_db / 10)`` (unit signal power)."""
    return torch.pow(10.0, -snr_db / 10.0)


def complex_normal(
    shape: tuple[int, ...],
    device: torch.device,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Samples of CN(0, 1): ``shape`` complex64, E|z|^2 = 1."""
    re_im = torch.randn((*shape, 2), device=device, generator=generator)
    return torch.view_as_complex(re_im * (0.5**0.5)).to(torch.complex64)


class Channel(nn.Module, ABC):
    """Base class: subclasses implement :meth:`transmit`; ``forward`` checks inputs."""

    #: Registry name, set by subclasses.
    name: str = "channel"

    def forward(
        self,
        x: torch.Tensor,
        snr_db: float | torch.Tensor,
        generator: torch.Generator | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Send ``x: [B, k] complex64`` at ``snr_db``; return ``(y, csi)``, both ``[B, k]``."""
        if not torch.is_complex(x) or x.ndim != 2:
            raise SemcomError(
                f"channel input must be [B, k] complex, got {list(x.shape)} {x.dtype}"
            )
        snr = snr_tensor(snr_db, x.shape[0], x.device)
        return self.transmit(x.to(torch.complex64), snr, generator)

    @abstractmethod
    def transmit(
        self, x: torch.Tensor, snr_db: torch.Tensor, generator: torch.Generator | None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``x: [B, k] complex64``, ``snr_db: [B] float32`` -> ``(y, csi)`` ``[B, k] complex64``."""
