"""Swin blocks against direct computations."""

from __future__ import annotations

import pytest
import torch

from semcom.codecs.swin_blocks import (
    PatchMerging,
    PatchSplitting,
    SwinBlock,
    WindowAttention,
    shifted_window_mask,
    window_partition,
    window_reverse,
)


def direct_attention(attn: WindowAttention, x: torch.Tensor) -> torch.Tensor:
    """Multi-head attention over all tokens of ``x [B, n, D]`` written out by hand."""
    b, n, d = x.shape
    h = attn.heads
    q, k, v = attn.qkv(x).split(d, dim=-1)
    q, k, v = (t.reshape(b, n, h, d // h).transpose(1, 2) for t in (q, k, v))
    scores = q @ k.transpose(-2, -1) / (d // h) ** 0.5 + attn.position_bias()
    return attn.proj((scores.softmax(-1) @ v).transpose(1, 2).reshape(b, n, d))


def test_window_attention_equals_direct_attention_on_one_window() -> None:
    torch.manual_seed(0)
    attn = WindowAttention(dim=32, heads=2, window=2)
    torch.nn.init.normal_(attn.bias_table)  # a visible bias
    x = torch.randn(5, 4, 32)
    assert torch.allclose(attn(x), direct_attention(attn, x), atol=1e-5)


def test_one_window_block_equals_a_plain_transformer_block() -> None:
    torch.manual_seed(0)
    block = SwinBlock(dim=16, heads=1, window=2, shift=1, mlp_ratio=2.0)
    x = torch.randn(3, 2, 2, 16)  # the whole map is one window: nothing to shift
    tokens = x.reshape(3, 4, 16)
    y = tokens + direct_attention(block.attn, block.norm1(tokens))
    y = y + block.mlp(block.norm2(y))
    assert torch.allclose(block(x), y.reshape(3, 2, 2, 16), atol=1e-5)


def test_relative_position_bias_depends_only_on_the_offset() -> None:
    attn = WindowAttention(dim=16, heads=1, window=3)
    torch.nn.init.normal_(attn.bias_table)
    bias = attn.position_bias()[0]  # [9, 9]; token i = (i // 3, i % 3)
    assert torch.equal(bias[0, 4], bias[4, 8])  # offset (1, 1) both times
    assert not torch.equal(bias[0, 4], bias[4, 0])


def test_partition_round_trip() -> None:
    x = torch.randn(2, 6, 4, 3)
    windows = window_partition(x, 2)
    assert windows.shape == (2 * 3 * 2, 4, 3)
    assert torch.equal(window_reverse(windows, 2, 6, 4), x)
    assert torch.equal(
        windows[0, :, 0], torch.stack([x[0, 0, 0, 0], x[0, 0, 1, 0], x[0, 1, 0, 0], x[0, 1, 1, 0]])
    )


@pytest.mark.parametrize("shift", [0, 1])
def test_attention_stays_inside_its_window(shift: int) -> None:
    """Perturbing one token changes, through attention alone, only the tokens of its
    own (shifted) window."""
    torch.manual_seed(0)
    block = SwinBlock(dim=16, heads=1, window=2, shift=shift, mlp_ratio=1.0)
    x = torch.randn(1, 4, 4, 16)
    x2 = x.clone()
    x2[0, 0, 0] += torch.randn(16)  # top-left token (not a constant: LN would remove it)
    changed = (block(x2) - block(x)).abs().sum(-1)[0] > 1e-6
    if shift == 0:  # its window is rows 0-1, cols 0-1
        expected = torch.zeros(4, 4, dtype=torch.bool)
        expected[:2, :2] = True
    else:  # after the roll by 1 the token sits alone in a window with wrapped-around
        # tokens, which the mask keeps apart: only the token itself changes
        expected = torch.zeros(4, 4, dtype=torch.bool)
        expected[0, 0] = True
    assert torch.equal(changed, expected)


def test_shifted_mask_separates_regions() -> None:
    mask = shifted_window_mask(4, 4, window=2, shift=1)
    assert mask.shape == (4, 4, 4)
    assert torch.equal(mask[0], torch.zeros(4, 4))  # first window: one region
    assert (mask[-1] < 0).sum() == 12  # last window: four tokens, four regions


def test_odd_maps_are_padded_and_cropped() -> None:
    block = SwinBlock(dim=16, heads=1, window=2, shift=1, mlp_ratio=1.0)
    assert block(torch.randn(2, 5, 3, 16)).shape == (2, 5, 3, 16)


def test_merging_and_splitting_shapes() -> None:
    x = torch.randn(2, 8, 6, 16)
    merged = PatchMerging(16, 32)(x)
    assert merged.shape == (2, 4, 3, 32)
    assert PatchSplitting(32, 16)(merged).shape == (2, 8, 6, 16)
