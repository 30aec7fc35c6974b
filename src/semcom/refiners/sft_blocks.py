"""The building blocks of the restoration network N2 (after DiffIR / Restormer).

A *dynamic transformer block* is a DMTA (dynamic multi-head transposed attention: attention
across channels, not pixels, so its cost is linear in the image area) followed by a DGFN
(dynamic gated feed-forward network). "Dynamic": before each, the features are scaled and
shifted channel-wise by an affine map of the compact prior vector ``z: [B, z_dim]``. The
map is initialised like any linear layer (as in DiffIR), so the prior network receives a
gradient from the first step; zero-initialising it (``init="zeros"``: a fresh block starts
as the plain, unmodulated block) leaves the prior without a gradient until the map has grown,
and in our CPU runs the prior then never carried image-specific information.

Example:
    >>> import torch
    >>> block = DynamicTransformerBlock(dim=16, heads=2, z_dim=32)
    >>> block(torch.rand(2, 16, 8, 8), torch.rand(2, 32)).shape
    torch.Size([2, 16, 8, 8])
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class LayerNorm2d(nn.Module):
    """Layer normalisation over the channels of ``[B, C, H, W]`` at every pixel."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        result: torch.Tensor = self.norm(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
        return result


class PriorModulation(nn.Module):
    """``x * (1 + a) + b`` with ``[a, b] = Linear(z)``, per channel.

    Args:
        dim: feature channels of ``x: [B, dim, H, W]``.
        z_dim: length of the prior vector ``z: [B, z_dim]``.
    """

    def __init__(self, dim: int, z_dim: int) -> None:
        super().__init__()
        self.linear = nn.Linear(z_dim, 2 * dim)

    def reset(self, init: str) -> None:
        """Re-initialise the map: ``"default"`` (PyTorch's linear init) or ``"zeros"``."""
        if init == "zeros":
            nn.init.zeros_(self.linear.weight)
            nn.init.zeros_(self.linear.bias)
        elif init == "default":
            self.linear.reset_parameters()
        else:
            raise ValueError(f"unknown modulation init {init!r}: use default | zeros")

    def forward(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        scale, shift = self.linear(z)[:, :, None, None].chunk(2, dim=1)
        result: torch.Tensor = x * (1 + scale) + shift
        return result


class DMTA(nn.Module):
    """Dynamic multi-head transposed attention: ``[B, dim, H, W] -> [B, dim, H, W]``.

    Queries, keys and values come from a 1x1 then a depth-wise 3x3 convolution; per head,
    the ``[d, d]`` attention map between channels uses L2-normalised queries and keys and
    a learned temperature.
    """

    def __init__(self, dim: int, heads: int, z_dim: int) -> None:
        super().__init__()
        if dim % heads:
            raise ValueError(f"dim {dim} is not divisible by heads {heads}")
        self.heads = heads
        self.modulation = PriorModulation(dim, z_dim)
        self.temperature = nn.Parameter(torch.ones(heads, 1, 1))
        self.qkv = nn.Conv2d(dim, 3 * dim, 1)
        self.qkv_dw = nn.Conv2d(3 * dim, 3 * dim, 3, padding=1, groups=3 * dim)
        self.project = nn.Conv2d(dim, dim, 1)

    def forward(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        q, k, v = self.qkv_dw(self.qkv(self.modulation(x, z))).chunk(3, dim=1)
        q, k, v = (t.reshape(b, self.heads, c // self.heads, h * w) for t in (q, k, v))
        q, k = F.normalize(q, dim=-1), F.normalize(k, dim=-1)
        attn = ((q @ k.transpose(-2, -1)) * self.temperature).softmax(dim=-1)
        result: torch.Tensor = self.project((attn @ v).reshape(b, c, h, w))
        return result


class DGFN(nn.Module):
    """Dynamic gated feed-forward network: ``GELU(a) * b`` of a depth-wise-convolved
    expansion, projected back; ``[B, dim, H, W] -> [B, dim, H, W]``."""

    def __init__(self, dim: int, expansion: float, z_dim: int) -> None:
        super().__init__()
        hidden = max(1, int(dim * expansion))
        self.modulation = PriorModulation(dim, z_dim)
        self.project_in = nn.Conv2d(dim, 2 * hidden, 1)
        self.dw = nn.Conv2d(2 * hidden, 2 * hidden, 3, padding=1, groups=2 * hidden)
        self.project_out = nn.Conv2d(hidden, dim, 1)

    def forward(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        a, b = self.dw(self.project_in(self.modulation(x, z))).chunk(2, dim=1)
        result: torch.Tensor = self.project_out(F.gelu(a) * b)
        return result


class DynamicTransformerBlock(nn.Module):
    """``x + DMTA(LN(x), z)``, then ``+ DGFN(LN(x), z)``; ``[B, dim, H, W]`` in and out."""

    def __init__(self, dim: int, heads: int, z_dim: int, expansion: float = 2.2) -> None:
        super().__init__()
        self.norm1 = LayerNorm2d(dim)
        self.attn = DMTA(dim, heads, z_dim)
        self.norm2 = LayerNorm2d(dim)
        self.ffn = DGFN(dim, expansion, z_dim)

    def forward(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.norm1(x), z)
        result: torch.Tensor = x + self.ffn(self.norm2(x), z)
        return result


class BlockStack(nn.Module):
    """``n`` :class:`DynamicTransformerBlock` s sharing one prior vector."""

    def __init__(self, n: int, dim: int, heads: int, z_dim: int, expansion: float) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(
            DynamicTransformerBlock(dim, heads, z_dim, expansion) for _ in range(n)
        )

    def forward(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        for block in self.blocks:
            x = block(x, z)
        return x


def downsample(dim: int) -> nn.Module:
    """``[B, dim, H, W] -> [B, 2*dim, H/2, W/2]`` (3x3 conv to dim/2, PixelUnshuffle 2)."""
    return nn.Sequential(nn.Conv2d(dim, dim // 2, 3, padding=1), nn.PixelUnshuffle(2))


def upsample(dim: int) -> nn.Module:
    """``[B, dim, H, W] -> [B, dim/2, 2H, 2W]`` (3x3 conv to 2*dim, PixelShuffle 2)."""
    return nn.Sequential(nn.Conv2d(dim, 2 * dim, 3, padding=1), nn.PixelShuffle(2))
