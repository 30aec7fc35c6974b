"""N2, the restoration network: a four-level U-shaped stack of dynamic transformer blocks.

``N2(x_coarse [B, C, H, W], z [B, z_dim]) -> x_hat [B, C, H, W]``: features of width ``dim``
at full resolution, ``2 dim`` at 1/2, ``4 dim`` at 1/4 and ``8 dim`` at 1/8; every block is
modulated by the prior vector ``z`` (:mod:`semcom.refiners.sft_blocks`). The network
predicts a residual added to its input; its last convolution starts at zero, so a fresh N2
returns its input unchanged. Images whose sides are not multiples of 8 are reflect-padded
and cropped back.

Example:
    >>> import torch
    >>> n2 = RestorationNet(in_channels=3, dim=8, blocks=(1, 1, 1, 1), heads=(1, 1, 2, 2), z_dim=16)
    >>> n2(torch.rand(2, 3, 28, 28), torch.rand(2, 16)).shape
    torch.Size([2, 3, 28, 28])
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from semcom.refiners.sft_blocks import BlockStack, downsample, upsample


class RestorationNet(nn.Module):
    """The U-shaped restoration network (DiffIR's DIRformer layout).

    Args:
        in_channels: image channels C.
        dim: feature width at full resolution.
        blocks: dynamic transformer blocks at levels 1-4 (encoder and decoder alike).
        heads: attention heads at levels 1-4.
        z_dim: length of the prior vector (4 C').
        refinement_blocks: blocks after the decoder at full resolution.
        expansion: DGFN hidden width / input width.
    """

    def __init__(
        self,
        in_channels: int,
        dim: int,
        blocks: Sequence[int],
        heads: Sequence[int],
        z_dim: int,
        refinement_blocks: int = 1,
        expansion: float = 2.2,
    ) -> None:
        super().__init__()
        if len(blocks) != 4 or len(heads) != 4:
            raise ValueError("blocks and heads need one entry per level (4)")
        d = [dim, 2 * dim, 4 * dim, 8 * dim]

        def stack(n: int, width: int, h: int) -> BlockStack:
            return BlockStack(n, width, h, z_dim, expansion)

        self.embed = nn.Conv2d(in_channels, dim, 3, padding=1)
        self.enc = nn.ModuleList(stack(blocks[i], d[i], heads[i]) for i in range(3))
        self.down = nn.ModuleList(downsample(d[i]) for i in range(3))
        self.latent = stack(blocks[3], d[3], heads[3])
        self.up = nn.ModuleList(upsample(d[i + 1]) for i in range(3))
        # level 1 keeps the concatenated 2*dim channels (as Restormer); levels 2, 3 reduce
        self.reduce = nn.ModuleList(
            [nn.Identity()] + [nn.Conv2d(2 * d[i], d[i], 1) for i in (1, 2)]
        )
        self.dec = nn.ModuleList(
            [stack(blocks[0], 2 * dim, heads[0])]
            + [stack(blocks[i], d[i], heads[i]) for i in (1, 2)]
        )
        self.refine = stack(refinement_blocks, 2 * dim, heads[0])
        self.output = nn.Conv2d(2 * dim, in_channels, 3, padding=1)
        # a fresh N2 returns its input: training starts from the codec's own output (NGF)
        nn.init.zeros_(self.output.weight)
        nn.init.zeros_(self.output.bias)  # type: ignore[arg-type]

    def forward(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        ph, pw = (-h) % 8, (-w) % 8
        xp = F.pad(x, (0, pw, 0, ph), mode="reflect") if ph or pw else x
        f = self.embed(xp)
        skips = []
        for enc, down in zip(self.enc, self.down, strict=True):
            f = enc(f, z)
            skips.append(f)
            f = down(f)
        f = self.latent(f, z)
        for i in (2, 1, 0):
            f = self.up[i](f)
            f = self.reduce[i](torch.cat([f, skips[i]], dim=1))
            f = self.dec[i](f, z)
        f = self.refine(f, z)
        out = self.output(f) + xp
        result: torch.Tensor = out[..., :h, :w]
        return result
