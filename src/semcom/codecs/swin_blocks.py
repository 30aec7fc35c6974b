"""Swin Transformer building blocks in plain PyTorch (Liu et al., ICCV 2021).

timm has them, but timm cannot be imported without torchvision, which pulls a CUDA
build of torch on x86_64 (see DESIGN.md); these are small enough to own and test.

Token maps are ``[B, H, W, D] float32`` (channels last) throughout:

* :class:`WindowAttention` — multi-head self-attention inside non-overlapping
  ``window x window`` windows, with a learned relative position bias.
* :class:`SwinBlock` — ``x + (S)W-MSA(LN(x))`` then ``x + MLP(LN(x))``; ``shift > 0``
  cyclically shifts the map by ``shift`` tokens first and masks attention between
  tokens that were not neighbours before the roll (SW-MSA).
* :class:`PatchMerging` — ``[B, H, W, D] -> [B, H/2, W/2, out]`` (concatenate 2x2, LN,
  linear), :class:`PatchSplitting` — its mirror, ``[B, H, W, D] -> [B, 2H, 2W, out]``.

Maps whose sides are not multiples of the window are zero-padded before attention and
cropped after, as in the reference implementation.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from semcom.errors import SemcomError


def window_partition(x: torch.Tensor, window: int) -> torch.Tensor:
    """``[B, H, W, D]`` (H, W multiples of ``window``) -> ``[B*nW, window*window, D]``."""
    b, h, w, d = x.shape
    x = x.view(b, h // window, window, w // window, window, d)
    return x.permute(0, 1, 3, 2, 4, 5).reshape(-1, window * window, d)


def window_reverse(windows: torch.Tensor, window: int, h: int, w: int) -> torch.Tensor:
    """Inverse of :func:`window_partition`: ``[B*nW, window*window, D] -> [B, H, W, D]``."""
    d = windows.shape[-1]
    b = windows.shape[0] // ((h // window) * (w // window))
    x = windows.view(b, h // window, w // window, window, window, d)
    return x.permute(0, 1, 3, 2, 4, 5).reshape(b, h, w, d)


def relative_position_index(window: int) -> torch.Tensor:
    """``[window², window²] int64``: index into the ``(2*window-1)²`` bias table."""
    coords = torch.stack(
        torch.meshgrid(torch.arange(window), torch.arange(window), indexing="ij")
    ).flatten(1)  # [2, w²]
    rel = coords[:, :, None] - coords[:, None, :] + (window - 1)  # [2, w², w²], >= 0
    return rel[0] * (2 * window - 1) + rel[1]


def shifted_window_mask(h: int, w: int, window: int, shift: int) -> torch.Tensor:
    """``[nW, window², window²] float32``: 0 where two tokens of a shifted window were
    neighbours before the cyclic roll, ``-inf`` (as -100) where they were not."""
    region = torch.zeros(h, w)
    label = 0
    cuts = (slice(0, -window), slice(-window, -shift), slice(-shift, None))
    for hs in cuts:
        for ws in cuts:
            region[hs, ws] = label
            label += 1
    regions = window_partition(region[None, :, :, None], window).squeeze(-1)  # [nW, w²]
    differ = regions[:, :, None] != regions[:, None, :]
    return differ.float() * -100.0


class WindowAttention(nn.Module):
    """Multi-head self-attention inside one window, with relative position bias.

    Args:
        dim: token dimension D.
        heads: attention heads (must divide ``dim``).
        window: window side in tokens.

    ``forward(x, mask=None)``: ``x [N, window², D]`` (N windows), ``mask
    [nW, window², window²]`` additive (N a multiple of nW) -> ``[N, window², D]``.
    """

    bias_index: torch.Tensor

    def __init__(self, dim: int, heads: int, window: int) -> None:
        super().__init__()
        if dim % heads:
            raise SemcomError(f"attention heads ({heads}) must divide the token dimension {dim}")
        self.heads = heads
        self.window = window
        self.scale = (dim // heads) ** -0.5
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.bias_table = nn.Parameter(torch.zeros((2 * window - 1) ** 2, heads))
        nn.init.trunc_normal_(self.bias_table, std=0.02)
        self.register_buffer("bias_index", relative_position_index(window), persistent=False)

    def position_bias(self) -> torch.Tensor:
        """``[heads, window², window²]`` relative position bias."""
        n = self.window * self.window
        table: torch.Tensor = self.bias_table[self.bias_index.reshape(-1)]
        return table.reshape(n, n, self.heads).permute(2, 0, 1)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        n_win, n, d = x.shape
        qkv = self.qkv(x).reshape(n_win, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]  # [N, heads, n, d/heads]
        bias = self.position_bias()  # [heads, n, n]
        if mask is None:
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=bias, scale=self.scale)
        else:  # windows come image by image, nW per image: group them to add the mask
            groups = mask.shape[0]
            q, k, v = (t.reshape(n_win // groups, groups, self.heads, n, -1) for t in (q, k, v))
            full = bias[None] + mask[:, None]  # [nW, heads, n, n]
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=full, scale=self.scale)
        out = out.reshape(n_win, self.heads, n, -1).transpose(1, 2).reshape(n_win, n, d)
        result: torch.Tensor = self.proj(out)
        return result


class SwinBlock(nn.Module):
    """One Swin Transformer block on a ``[B, H, W, D]`` token map.

    Args:
        dim: token dimension D.
        heads: attention heads.
        window: window side in tokens.
        shift: cyclic shift in tokens (0 for W-MSA, ``window // 2`` for SW-MSA).
        mlp_ratio: hidden width of the two-layer MLP relative to ``dim``.
    """

    def __init__(self, dim: int, heads: int, window: int, shift: int, mlp_ratio: float) -> None:
        super().__init__()
        self.window = window
        self.shift = shift
        self.norm1 = nn.LayerNorm(dim)
        self.attn = WindowAttention(dim, heads, window)
        self.norm2 = nn.LayerNorm(dim)
        hidden = round(dim * mlp_ratio)
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim))
        self._mask_cache: dict[tuple[int, int, str], torch.Tensor] = {}

    def _mask(self, h: int, w: int, device: torch.device) -> torch.Tensor | None:
        if not self.shift:
            return None
        key = (h, w, str(device))
        if key not in self._mask_cache:
            self._mask_cache[key] = shifted_window_mask(h, w, self.window, self.shift).to(device)
        return self._mask_cache[key]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, H, W, D] -> [B, H, W, D]``."""
        h, w = x.shape[1:3]
        y = self.norm1(x)
        ph, pw = -h % self.window, -w % self.window
        if ph or pw:
            y = F.pad(y, (0, 0, 0, pw, 0, ph))
        hp, wp = h + ph, w + pw
        # A window covering the whole map has nothing to shift across.
        shift = self.shift if min(hp, wp) > self.window else 0
        if shift:
            y = torch.roll(y, (-shift, -shift), dims=(1, 2))
        windows = window_partition(y, self.window)
        windows = self.attn(windows, self._mask(hp, wp, x.device) if shift else None)
        y = window_reverse(windows, self.window, hp, wp)
        if shift:
            y = torch.roll(y, (shift, shift), dims=(1, 2))
        x = x + y[:, :h, :w]
        out: torch.Tensor = x + self.mlp(self.norm2(x))
        return out


class SwinStage(nn.Module):
    """``depth`` Swin blocks alternating W-MSA and SW-MSA (shift ``window // 2``)."""

    def __init__(self, dim: int, depth: int, heads: int, window: int, mlp_ratio: float) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(
            SwinBlock(dim, heads, window, 0 if i % 2 == 0 else window // 2, mlp_ratio)
            for i in range(depth)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, H, W, D] -> [B, H, W, D]``."""
        for block in self.blocks:
            x = block(x)
        return x


class PatchMerging(nn.Module):
    """``[B, H, W, D] -> [B, ceil(H/2), ceil(W/2), out]``: concatenate each 2x2 group
    (4D), layer-norm, linear to ``out``."""

    def __init__(self, dim: int, out: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(4 * dim)
        self.reduction = nn.Linear(4 * dim, out, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[1:3]
        if h % 2 or w % 2:
            x = F.pad(x, (0, 0, 0, w % 2, 0, h % 2))
        x = torch.cat(
            [x[:, 0::2, 0::2], x[:, 1::2, 0::2], x[:, 0::2, 1::2], x[:, 1::2, 1::2]], dim=-1
        )
        out: torch.Tensor = self.reduction(self.norm(x))
        return out


class PatchSplitting(nn.Module):
    """``[B, H, W, D] -> [B, 2H, 2W, out]``: layer-norm, linear to ``4 * out``, and
    pixel shuffle (the decoder's mirror of :class:`PatchMerging`)."""

    def __init__(self, dim: int, out: int) -> None:
        super().__init__()
        self.out = out
        self.norm = nn.LayerNorm(dim)
        self.expand = nn.Linear(dim, 4 * out, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.expand(self.norm(x)).permute(0, 3, 1, 2)  # [B, 4*out, H, W]
        out: torch.Tensor = F.pixel_shuffle(y, 2).permute(0, 2, 3, 1)
        return out
