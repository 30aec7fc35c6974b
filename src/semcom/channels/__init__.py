"""Channels: unit-power complex symbols in, noisy equalised symbols and CSI out.

Every channel follows :class:`~semcom.channels.base.Channel`:
``channel(x: [B, k] complex64, snr_db: float | [B] float32, generator)`` returns
``(y, csi)``, both ``[B, k] complex64``. Registered channels (``semcom.registry.CHANNELS``):

* ``awgn`` (:class:`AWGN`): complex AWGN, ``csi`` = 1;
* ``rayleigh-block`` (:class:`RayleighBlock`): one CN(0, 1) fade per example,
  ZF or MMSE equalisation with perfect CSI;
* ``rayleigh-fast`` (:class:`RayleighFast`): one CN(0, 1) fade per symbol;
* ``mu-mimo`` (:class:`MultiUserMIMO`): ``K`` users (groups of ``K`` examples) to an
  ``M``-antenna receiver with ZF or MMSE detection; functional core :func:`uplink`.

Example:
    >>> import torch
    >>> from semcom.channels import AWGN, normalize_power, real_to_complex
    >>> x = normalize_power(real_to_complex(torch.randn(2, 16)))
    >>> y, csi = AWGN()(x, 10.0, torch.Generator().manual_seed(0))
    >>> y.shape
    torch.Size([2, 8])
"""

from __future__ import annotations

from semcom.channels.awgn import AWGN
from semcom.channels.base import Channel, noise_variance, snr_tensor
from semcom.channels.multiuser import MultiUserMIMO, rayleigh_mimo, uplink
from semcom.channels.power import complex_to_real, normalize_power, real_to_complex
from semcom.channels.rayleigh import RayleighBlock, RayleighFast

__all__ = [
    "AWGN",
    "Channel",
    "MultiUserMIMO",
    "RayleighBlock",
    "RayleighFast",
    "complex_to_real",
    "noise_variance",
    "normalize_power",
    "rayleigh_mimo",
    "real_to_complex",
    "snr_tensor",
    "uplink",
]
