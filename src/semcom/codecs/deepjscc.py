"""DeepJSCC (Bourtsoulatzis, Kurka, Gündüz, IEEE TCCN 2019).

Encoder: five 5x5 convolutions with PReLU (two with stride 2, so ``downsample = 4``),
the last producing the latent map; decoder: five transposed convolutions mirroring
it with PReLU, and a sigmoid on the output. The latent is trimmed to exactly ``2k``
reals and power-normalised by :class:`~semcom.codecs.base.Codec`.

Example:
    >>> import torch
    >>> from semcom import create_codec, create_channel
    >>> codec = create_codec("deepjscc", cbr="1/6")
    >>> out = codec(torch.rand(2, 3, 32, 32), create_channel("awgn"), snr_db=10.0)
    >>> out["x_hat"].shape, out["symbols"].shape
    (torch.Size([2, 3, 32, 32]), torch.Size([2, 512]))
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from semcom.codecs.base import Codec
from semcom.registry import CODECS


def _conv(cin: int, cout: int, stride: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 5, stride=stride, padding=2), nn.PReLU(cout))


def _deconv(cin: int, cout: int, stride: int) -> nn.ConvTranspose2d:
    return nn.ConvTranspose2d(cin, cout, 5, stride=stride, padding=2, output_padding=stride - 1)


@CODECS.register("deepjscc", summary="DeepJSCC (Bourtsoulatzis et al. 2019): conv/PReLU, sigmoid")
class DeepJSCC(Codec):
    """DeepJSCC codec.

    Args:
        in_channels: image channels C (1 or 3).
        image_size: ``(H, W)`` pixels.
        cbr: bandwidth ratio k / (C*H*W) (default 1/6; 1/12 and 1/3 work too).
        width: channels of the hidden layers (paper: 16 then 32).
    """

    name = "deepjscc"
    downsample = 4

    def __init__(
        self,
        in_channels: int = 3,
        image_size: tuple[int, int] | list[int] = (32, 32),
        cbr: float | str = 1 / 6,
        width: int = 32,
    ) -> None:
        super().__init__(in_channels, image_size, cbr)
        self.width = width
        half = max(width // 2, 1)
        c = self._latent_channels()
        self.encoder = nn.Sequential(
            _conv(in_channels, half, 2),
            _conv(half, width, 2),
            _conv(width, width, 1),
            _conv(width, width, 1),
            _conv(width, c, 1),
        )
        self.decoder = nn.Sequential(
            _deconv(c, width, 1),
            nn.PReLU(width),
            _deconv(width, width, 1),
            nn.PReLU(width),
            _deconv(width, width, 1),
            nn.PReLU(width),
            _deconv(width, half, 2),
            nn.PReLU(half),
            _deconv(half, in_channels, 2),
            nn.Sigmoid(),
        )

    def extra_config(self) -> dict[str, Any]:
        return {"width": self.width}

    def analysis(self, x: torch.Tensor, snr_db: torch.Tensor) -> torch.Tensor:
        """``[B, C, Hp, Wp]`` -> ``[B, c, Hp/4, Wp/4]`` (``snr_db`` unused)."""
        out: torch.Tensor = self.encoder(x)
        return out

    def synthesis(
        self, z: torch.Tensor, snr_db: torch.Tensor, csi: torch.Tensor | None
    ) -> torch.Tensor:
        """``[B, c, Hp/4, Wp/4]`` -> ``[B, C, Hp, Wp]`` in [0, 1] (``snr_db``, ``csi`` unused)."""
        out: torch.Tensor = self.decoder(z)
        return out
