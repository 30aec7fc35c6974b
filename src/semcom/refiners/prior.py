"""N1 and N1': the prior networks that squeeze an image into a compact vector of 4 C' values.

After DiffIR's CPEN: PixelUnshuffle by 4 (every 4x4 block of pixels becomes 16 channels),
a 3x3 convolution to ``C'`` channels, residual blocks, widening convolutions to ``4 C'``,
global average pooling and a two-layer MLP.

* N1 (stage 1) sees ``PixelUnshuffle(concat(x_coarse, x))``: the decoded *and* the original
  image, so its vector carries what the decoder lost (the training target of stage 2).
* N1' (stage 2) sees ``PixelUnshuffle(x_coarse)`` only: the condition of the diffusion.

Example:
    >>> import torch
    >>> n1 = PriorNet(image_channels=6, width=8, res_blocks=1)
    >>> n1(torch.rand(2, 6, 32, 32)).shape
    torch.Size([2, 32])
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class _ResBlock(nn.Module):
    def __init__(self, width: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(width, width, 3, padding=1),
            nn.LeakyReLU(0.1),
            nn.Conv2d(width, width, 3, padding=1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        result: torch.Tensor = x + self.body(x)
        return result


class PriorNet(nn.Module):
    """``[B, image_channels, H, W] -> [B, 4 * width]``.

    Args:
        image_channels: channels of the input (6 for N1 on RGB pairs, 3 for N1').
        width: C', so the vector has ``4 * width`` values.
        res_blocks: residual blocks at 1/4 resolution.
    """

    def __init__(self, image_channels: int, width: int, res_blocks: int = 2) -> None:
        super().__init__()
        self.z_dim = 4 * width
        lrelu = nn.LeakyReLU(0.1)
        self.features = nn.Sequential(
            nn.PixelUnshuffle(4),
            nn.Conv2d(16 * image_channels, width, 3, padding=1),
            lrelu,
            *(_ResBlock(width) for _ in range(res_blocks)),
            nn.Conv2d(width, 2 * width, 3, padding=1),
            lrelu,
            nn.Conv2d(2 * width, 4 * width, 3, padding=1),
            lrelu,
            nn.AdaptiveAvgPool2d(1),
        )
        self.mlp = nn.Sequential(
            nn.Linear(4 * width, 4 * width),
            lrelu,
            nn.Linear(4 * width, 4 * width),
            lrelu,
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        ph, pw = (-h) % 4, (-w) % 4
        if ph or pw:
            x = F.pad(x, (0, pw, 0, ph), mode="reflect")
        result: torch.Tensor = self.mlp(self.features(x).flatten(1))
        return result
