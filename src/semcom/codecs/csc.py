"""CSC: the conventional semantic codec of PSFL (Peng et al., paper 001, Sec. II-A, V-A).

The shared student of PSFL's mutual distillation: a ResNet-18 semantic encoder adapted
to small images (3x3 stem without max-pooling, four stages of two basic blocks with
``w, 2w, 4w, 8w`` channels and strides 1, 2, 2, 2), a 1x1 convolution to the latent
channels (``downsample = 8``), and a three-layer transposed-convolution decoder.

Adapted for semcom: the base width ``w`` is an option (ResNet-18 uses 64; the default
16 keeps the paper's CSC : GSC-M parameter ratio of about 1 : 2 with the ``vitjscc``
sizes while fitting CPU federated runs), and group normalisation replaces batch
normalisation (no running statistics: the output does not depend on the batch, and
federated averaging of clients with non-IID data has no statistics to reconcile; see
``docs/codecs.md`` for DeepJSCC's measurements of the same choice).

Example:
    >>> import torch
    >>> from semcom import create_codec, create_channel
    >>> codec = create_codec("csc")
    >>> codec(torch.rand(2, 3, 32, 32), create_channel("awgn"), 10.0)["x_hat"].shape
    torch.Size([2, 3, 32, 32])
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from semcom.codecs.base import Codec
from semcom.errors import SemcomError
from semcom.registry import CODECS

#: Channels per group of the group normalisation.
GROUP_SIZE = 8


def _norm(channels: int) -> nn.GroupNorm:
    return nn.GroupNorm(max(channels // GROUP_SIZE, 1), channels)


class BasicBlock(nn.Module):
    """ResNet basic block: two 3x3 convolutions and a (projected) shortcut.

    ``[B, cin, H, W] -> [B, cout, H/stride, W/stride]``.
    """

    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(cin, cout, 3, stride, 1, bias=False),
            _norm(cout),
            nn.ReLU(inplace=True),
            nn.Conv2d(cout, cout, 3, 1, 1, bias=False),
            _norm(cout),
        )
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), _norm(cout))
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.act(self.body(x) + self.shortcut(x))
        return out


def resnet18_features(in_channels: int, width: int) -> nn.Sequential:
    """ResNet-18 trunk for small images: ``[B, C, H, W] -> [B, 8w, H/8, W/8]``."""
    layers: list[nn.Module] = [
        nn.Conv2d(in_channels, width, 3, 1, 1, bias=False),
        _norm(width),
        nn.ReLU(inplace=True),
    ]
    cin = width
    for i, stride in enumerate((1, 2, 2, 2)):
        cout = width * 2**i
        layers += [BasicBlock(cin, cout, stride), BasicBlock(cout, cout, 1)]
        cin = cout
    return nn.Sequential(*layers)


@CODECS.register("csc", summary="CSC (PSFL, paper 001): ResNet-18 encoder, 3-layer deconv decoder")
class CSC(Codec):
    """ResNet-18 / deconvolution codec (PSFL's shared student).

    Args:
        in_channels: image channels C (1 or 3).
        image_size: ``(H, W)`` pixels.
        cbr: bandwidth ratio k / (C*H*W) (default 1/6).
        width: base width ``w`` of the ResNet-18 (64 in the original; default 16).
    """

    name = "csc"
    downsample = 8

    def __init__(
        self,
        in_channels: int = 3,
        image_size: tuple[int, int] | list[int] = (32, 32),
        cbr: float | str = 1 / 6,
        width: int = 16,
    ) -> None:
        super().__init__(in_channels, image_size, cbr)
        if width < GROUP_SIZE or width % GROUP_SIZE:
            raise SemcomError(f"width must be a positive multiple of {GROUP_SIZE}, got {width}")
        self.width = width
        latent = self._latent_channels()
        self.encoder = nn.Sequential(
            resnet18_features(in_channels, width), nn.Conv2d(8 * width, latent, 1)
        )

        def up(cin: int, cout: int) -> nn.ConvTranspose2d:
            return nn.ConvTranspose2d(cin, cout, 4, stride=2, padding=1)

        self.decoder = nn.Sequential(
            up(latent, 4 * width),
            _norm(4 * width),
            nn.ReLU(inplace=True),
            up(4 * width, 2 * width),
            _norm(2 * width),
            nn.ReLU(inplace=True),
            up(2 * width, in_channels),
            nn.Sigmoid(),
        )

    def extra_config(self) -> dict[str, Any]:
        return {"width": self.width}

    def analysis(self, x: torch.Tensor, snr_db: torch.Tensor) -> torch.Tensor:
        """``[B, C, Hp, Wp]`` in [0, 1] -> ``[B, c, Hp/8, Wp/8]`` (``snr_db`` unused)."""
        out: torch.Tensor = self.encoder(x * 2 - 1)
        return out

    def synthesis(
        self, z: torch.Tensor, snr_db: torch.Tensor, csi: torch.Tensor | None
    ) -> torch.Tensor:
        """``[B, c, Hp/8, Wp/8]`` -> ``[B, C, Hp, Wp]`` in [0, 1] (``snr_db``, ``csi`` unused)."""
        out: torch.Tensor = self.decoder(z)
        return out
