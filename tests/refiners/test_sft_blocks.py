"""N2's blocks, N2 and the prior networks: shapes, transposed attention, modulation."""

from __future__ import annotations

import pytest
import torch

from semcom.refiners.prior import PriorNet
from semcom.refiners.restoration import RestorationNet
from semcom.refiners.sft_blocks import DMTA, DynamicTransformerBlock


def test_dmta_is_attention_across_channels() -> None:
    torch.manual_seed(0)
    m = DMTA(dim=4, heads=2, z_dim=3)
    x, z = torch.randn(1, 4, 5, 6), torch.randn(1, 3)
    q, k, v = m.qkv_dw(m.qkv(m.modulation(x, z))).chunk(3, dim=1)
    outs = []
    for h in range(2):
        sl = slice(2 * h, 2 * h + 2)
        qh, kh, vh = (t[0, sl].reshape(2, 30) for t in (q, k, v))
        qh, kh = qh / qh.norm(dim=1, keepdim=True), kh / kh.norm(dim=1, keepdim=True)
        a = torch.softmax(qh @ kh.T * m.temperature[h], dim=1)
        outs.append((a @ vh).reshape(2, 5, 6))
    expected = m.project(torch.cat(outs)[None])
    torch.testing.assert_close(m(x, z), expected)


def test_modulation_depends_on_the_prior_from_the_start() -> None:
    torch.manual_seed(0)
    block = DynamicTransformerBlock(dim=8, heads=2, z_dim=4)
    x = torch.randn(2, 8, 6, 6)
    z1, z2 = torch.randn(2, 4), torch.randn(2, 4)
    assert not torch.allclose(block(x, z1), block(x, z2))


def test_zero_initialised_modulation_starts_as_identity() -> None:
    torch.manual_seed(0)
    block = DynamicTransformerBlock(dim=8, heads=2, z_dim=4)
    block.attn.modulation.reset("zeros")
    block.ffn.modulation.reset("zeros")
    x = torch.randn(2, 8, 6, 6)
    z1, z2 = torch.randn(2, 4), torch.randn(2, 4)
    torch.testing.assert_close(block(x, z1), block(x, z2))
    with pytest.raises(ValueError, match="unknown modulation init"):
        block.attn.modulation.reset("ones")


@pytest.mark.parametrize(("c", "size"), [(3, (32, 32)), (1, (28, 28)), (3, (20, 36))])
def test_restoration_shapes_and_gradients(c: int, size: tuple[int, int]) -> None:
    n2 = RestorationNet(c, dim=8, blocks=(1, 1, 1, 1), heads=(1, 1, 2, 2), z_dim=16)
    x = torch.rand(2, c, *size)
    torch.nn.init.normal_(n2.output.weight, std=0.1)
    out = n2(x, torch.randn(2, 16))
    assert out.shape == x.shape
    out.square().mean().backward()
    missing = [n for n, p in n2.named_parameters() if p.grad is None]
    assert not missing


@pytest.mark.parametrize("size", [(32, 32), (28, 28), (30, 30)])
def test_prior_net_gives_one_vector_per_image(size: tuple[int, int]) -> None:
    n1 = PriorNet(image_channels=6, width=8, res_blocks=2)
    assert n1(torch.rand(3, 6, *size)).shape == (3, 32)
