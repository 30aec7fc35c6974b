"""The codec contract every learned JSCC codec follows (after CompressAI).

A codec is built for one image geometry ``(in_channels, image_size)`` and a bandwidth
ratio ``cbr = k / (C*H*W)``; it sends every image over exactly ``k = round(cbr*C*H*W)``
complex channel uses.

* ``encode(x, snr_db) -> symbols``: ``x: [B, C, H, W] float32`` in [0, 1] to
  ``[B, k] complex64`` with unit average power per example.
* ``decode(y, snr_db, csi=None) -> x_hat``: ``[B, k] complex64`` back to
  ``[B, C, H, W] float32`` in [0, 1].
* ``forward(x, channel, snr_db, generator=None) -> dict`` with ``x_hat`` and the
  auxiliaries a loss may need (``symbols``, ``received``, ``csi``).

Subclasses implement only :meth:`Codec.analysis` (padded image -> real latent map) and
:meth:`Codec.synthesis` (latent map -> padded image); the base class does the padding
(reflect-pad to the downsampling factor, crop back after decoding), the trimming of
the latent to exactly ``2k`` reals, and the power normalisation.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from semcom.channels.base import Channel, snr_tensor
from semcom.channels.power import complex_to_real, normalize_power, real_to_complex
from semcom.errors import SemcomError
from semcom.parsing import parse_cbr


def channel_uses(cbr: float, in_channels: int, image_size: tuple[int, int]) -> int:
    """Complex channel uses per image ``k = round(cbr * C * H * W)``; errors if k < 1."""
    h, w = image_size
    k = round(cbr * in_channels * h * w)
    if k < 1:
        raise SemcomError(
            f"cbr {cbr:.4g} does not fit a {in_channels}x{h}x{w} image: "
            f"it gives {cbr * in_channels * h * w:.3g} channel uses (need at least 1)"
        )
    return k


class Codec(nn.Module, ABC):
    """Base class of the learned JSCC codecs.

    Args:
        in_channels: image channels C (1 greyscale, 3 RGB).
        image_size: ``(H, W)`` in pixels of the images this codec sends.
        cbr: bandwidth ratio k / (C*H*W), a float or a string such as ``"1/6"``.

    Subclasses set :attr:`downsample` (the spatial reduction of :meth:`analysis`) and
    call :meth:`_latent_channels` to size their last encoder layer.
    """

    #: Registry name of the codec family.
    name: str = "codec"
    #: Spatial downsampling factor of :meth:`analysis`.
    downsample: int = 1

    def __init__(
        self,
        in_channels: int = 3,
        image_size: tuple[int, int] | list[int] = (32, 32),
        cbr: float | str = 1 / 6,
    ) -> None:
        super().__init__()
        if in_channels not in (1, 3):
            raise SemcomError(f"in_channels must be 1 or 3, got {in_channels}")
        h, w = (int(v) for v in image_size)
        if h < 4 or w < 4:
            raise SemcomError(f"image_size must be at least 4x4 pixels, got {h}x{w}")
        self.in_channels = in_channels
        self.image_size = (h, w)
        self.cbr_requested = parse_cbr(cbr)
        self.k = channel_uses(self.cbr_requested, in_channels, self.image_size)
        d = self.downsample
        self.padded_size = (math.ceil(h / d) * d, math.ceil(w / d) * d)
        self.latent_hw = (self.padded_size[0] // d, self.padded_size[1] // d)

    # -- geometry --------------------------------------------------------------------
    @property
    def cbr(self) -> float:
        """The exact bandwidth ratio ``k / (C*H*W)`` (``k`` is rounded)."""
        return self.k / (self.in_channels * self.image_size[0] * self.image_size[1])

    def _latent_channels(self) -> int:
        """Channels of the latent map so that it holds at least ``2k`` reals."""
        return math.ceil(2 * self.k / (self.latent_hw[0] * self.latent_hw[1]))

    def config(self) -> dict[str, Any]:
        """Keyword arguments that rebuild this codec with :func:`semcom.create_codec`."""
        return {
            "in_channels": self.in_channels,
            "image_size": list(self.image_size),
            "cbr": self.cbr_requested,
            **self.extra_config(),
        }

    def extra_config(self) -> dict[str, Any]:
        """Subclass-specific constructor arguments (override when there are any)."""
        return {}

    # -- the two halves subclasses write ---------------------------------------------
    @abstractmethod
    def analysis(self, x: torch.Tensor, snr_db: torch.Tensor) -> torch.Tensor:
        """``[B, C, Hp, Wp] float32`` -> latent ``[B, c, Hp/d, Wp/d] float32``."""

    @abstractmethod
    def synthesis(
        self, z: torch.Tensor, snr_db: torch.Tensor, csi: torch.Tensor | None
    ) -> torch.Tensor:
        """Latent ``[B, c, Hp/d, Wp/d] float32`` -> ``[B, C, Hp, Wp] float32`` in [0, 1]."""

    # -- the contract ----------------------------------------------------------------
    def _check_images(self, x: torch.Tensor) -> None:
        expected = (self.in_channels, *self.image_size)
        if x.ndim != 4 or tuple(x.shape[1:]) != expected:
            raise SemcomError(
                f"{self.name} codec was built for images of shape [B, {expected[0]}, "
                f"{expected[1]}, {expected[2]}], got {list(x.shape)}"
            )

    def encode(self, x: torch.Tensor, snr_db: float | torch.Tensor = 10.0) -> torch.Tensor:
        """Images ``[B, C, H, W] float32`` in [0, 1] -> symbols ``[B, k] complex64``.

        Each example's symbols have unit average power. ``snr_db`` (``[B]`` or a float,
        dB) is used by SNR-adaptive codecs and ignored by the others.
        """
        self._check_images(x)
        return self._encode(x, snr_tensor(snr_db, x.shape[0], x.device))

    def _encode(self, x: torch.Tensor, snr: torch.Tensor) -> torch.Tensor:
        """:meth:`encode` without the input checks: ``snr`` is already ``[B] float32``."""
        ph = self.padded_size[0] - self.image_size[0]
        pw = self.padded_size[1] - self.image_size[1]
        if ph or pw:
            x = F.pad(x, (0, pw, 0, ph), mode="reflect")
        z = self.analysis(x, snr)
        reals = z.flatten(1)[:, : 2 * self.k]
        return normalize_power(real_to_complex(reals))

    def decode(
        self,
        y: torch.Tensor,
        snr_db: float | torch.Tensor = 10.0,
        csi: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Received symbols ``[B, k] complex64`` -> images ``[B, C, H, W] float32`` in [0, 1].

        ``csi`` (``[B, k] complex64``, optional) is the channel state a decoder may use.
        """
        if y.ndim != 2 or y.shape[1] != self.k:
            raise SemcomError(
                f"{self.name} decoder expects [B, {self.k}] symbols, got {list(y.shape)}"
            )
        return self._decode(y, snr_tensor(snr_db, y.shape[0], y.device), csi)

    def _decode(self, y: torch.Tensor, snr: torch.Tensor, csi: torch.Tensor | None) -> torch.Tensor:
        """:meth:`decode` without the input checks: ``snr`` is already ``[B] float32``."""
        reals = complex_to_real(y)
        c = self._latent_channels()
        h, w = self.latent_hw
        missing = c * h * w - reals.shape[1]
        if missing:
            reals = F.pad(reals, (0, missing))
        x_hat = self.synthesis(reals.reshape(-1, c, h, w), snr, csi)
        return x_hat[:, :, : self.image_size[0], : self.image_size[1]]

    def forward(
        self,
        x: torch.Tensor,
        channel: Channel,
        snr_db: float | torch.Tensor,
        generator: torch.Generator | None = None,
    ) -> dict[str, torch.Tensor]:
        """Encode, send over ``channel`` at ``snr_db`` and decode.

        Returns a dict with ``x_hat`` ``[B, C, H, W] float32``, ``symbols`` and
        ``received`` ``[B, k] complex64``, ``csi`` ``[B, k] complex64``.
        """
        self._check_images(x)
        snr = snr_tensor(snr_db, x.shape[0], x.device)
        symbols = self._encode(x, snr)
        received, csi = channel.transmit(symbols, snr, generator)  # inputs valid by construction
        x_hat = self._decode(received, snr, csi)
        return {"x_hat": x_hat, "symbols": symbols, "received": received, "csi": csi}

    @classmethod
    def from_state_dict(cls, state_dict: dict[str, torch.Tensor], config: dict[str, Any]) -> Codec:
        """Rebuild a codec from its :meth:`config` and weights."""
        model = cls(**config)
        model.load_state_dict(state_dict)
        return model
