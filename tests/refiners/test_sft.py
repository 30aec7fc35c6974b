"""The SFT refiner (registry-driven) and its place in the SemanticLink."""

from __future__ import annotations

import pytest
import torch

from semcom import SemanticLink, create_channel, create_codec
from semcom.errors import SemcomError
from semcom.refiners import REFINERS, SFTRefiner, create_refiner, refiner_from_config


@pytest.mark.parametrize("name", REFINERS.names())
def test_every_refiner_keeps_the_shape_and_is_rebuilt_from_its_config(name: str) -> None:
    r = create_refiner(name).eval()
    x = torch.rand(2, 3, 32, 32)
    out = r(x, 5.0, torch.Generator().manual_seed(0))
    assert out.shape == x.shape
    assert out.dtype == torch.float32
    again = refiner_from_config(r.config(), r.state_dict()).eval()
    torch.testing.assert_close(again(x, 5.0, torch.Generator().manual_seed(0)), out)


def _small(fresh: bool = False) -> SFTRefiner:
    """A small refiner; unless ``fresh``, its last convolution is randomised so that it
    changes its input (a fresh one returns it unchanged)."""
    torch.manual_seed(0)
    r = create_refiner("sft-small", dim=8, prior_width=8)
    if not fresh:
        torch.nn.init.normal_(r.n2.output.weight, std=0.1)
    return r


def test_a_fresh_refiner_returns_the_decoded_image() -> None:
    x = torch.rand(2, 3, 32, 32)
    torch.testing.assert_close(_small(fresh=True).eval()(x, 5.0), x)


def test_stage1_trains_n1_and_n2_only() -> None:
    r = _small()
    x = torch.rand(2, 3, 32, 32)
    r.stage1(x * 0.9, x).abs().mean().backward()
    assert all(p.grad is not None for p in r.n1.parameters())
    assert all(p.grad is not None for p in r.n2.embed.parameters())
    assert all(p.grad is None for p in r.n1_prime.parameters())
    assert all(p.grad is None for p in r.eps.parameters())


@pytest.mark.parametrize(("init", "n1_learns"), [("default", True), ("zeros", False)])
def test_the_oracle_prior_gets_a_gradient_only_with_a_live_modulation(
    init: str, n1_learns: bool
) -> None:
    """Why ``modulation_init="default"``: with zero-initialised maps N1 gets no gradient
    (in CPU runs its prior stayed a constant vector)."""
    torch.manual_seed(0)
    r = create_refiner("sft-small", dim=8, prior_width=8, modulation_init=init)
    torch.nn.init.normal_(r.n2.output.weight, std=0.1)
    x = torch.rand(2, 3, 32, 32)
    r.stage1(x * 0.9, x).abs().mean().backward()
    grads = [p.grad for p in r.n1.parameters()]
    assert all(g is not None for g in grads)
    assert any(bool(g.abs().sum() > 0) for g in grads if g is not None) is n1_learns


def test_snr_conditioning_feeds_the_snr_to_the_diffusion() -> None:
    torch.manual_seed(0)
    r = create_refiner("sft-small", dim=8, prior_width=8, snr_conditioning=True)
    torch.nn.init.normal_(r.n2.output.weight, std=0.1)
    r.eval()
    x = torch.rand(2, 3, 32, 32)
    low = r(x, 0.0, torch.Generator().manual_seed(1))
    high = r(x, torch.tensor([20.0, 20.0]), torch.Generator().manual_seed(1))
    assert not torch.allclose(low, high)
    again = refiner_from_config(r.config(), r.state_dict()).eval()
    torch.testing.assert_close(again(x, 0.0, torch.Generator().manual_seed(1)), low)
    with pytest.raises(SemcomError, match="conditioned on the SNR"):
        r(x, None)
    with pytest.raises(SemcomError, match="unknown modulation_init 'ones'"):
        create_refiner("sft-small", modulation_init="ones")
    r.train()
    x_hat, z_hat, z0 = r.stage2(x * 0.9, x, torch.Generator().manual_seed(0), 5.0)
    ((x_hat - x).abs().mean() + (z_hat - z0).abs().mean()).backward()
    assert r.snr_embed is not None
    assert all(p.grad is not None for p in r.snr_embed.parameters())


def test_stage2_trains_the_diffusion_not_n1() -> None:
    r = _small()
    x = torch.rand(2, 3, 32, 32)
    x_hat, z_hat, z0 = r.stage2(x * 0.9, x, torch.Generator().manual_seed(0))
    assert z_hat.shape == z0.shape == (2, r.z_dim)
    ((x_hat - x).abs().mean() + (z_hat - z0).abs().mean()).backward()
    assert all(p.grad is None for p in r.n1.parameters())
    assert all(p.grad is not None for p in r.n1_prime.parameters())
    assert all(p.grad is not None for p in r.eps.parameters())


def test_inference_never_sees_the_original_and_steps_matter() -> None:
    r = _small().eval()
    torch.nn.init.normal_(r.n2.enc[0].blocks[0].attn.modulation.linear.weight)
    x = torch.rand(2, 3, 32, 32)
    runs = {}
    for steps in (1, 2, 4):
        r.set_steps(steps)
        runs[steps] = r(x, None, torch.Generator().manual_seed(3))
    assert not torch.allclose(runs[1], runs[4])
    r.set_steps(4)
    torch.testing.assert_close(r(x, None, torch.Generator().manual_seed(3)), runs[4])


def test_steps_beyond_t_is_an_error() -> None:
    with pytest.raises(SemcomError, match="between 1 and T = 4"):
        _small().set_steps(5)


def test_link_applies_the_refiner_and_keeps_the_coarse_image() -> None:
    codec = create_codec("deepjscc")
    r = _small()
    link = SemanticLink(codec, create_channel("awgn"), r).eval()
    with torch.no_grad():
        out = link(torch.rand(2, 3, 32, 32), 5.0, torch.Generator().manual_seed(0))
    assert out["x_hat"].shape == out["x_coarse"].shape == (2, 3, 32, 32)
    assert not torch.equal(out["x_hat"], out["x_coarse"])


def test_link_refuses_a_refiner_for_other_images() -> None:
    codec = create_codec("deepjscc", in_channels=1, image_size=(28, 28))
    with pytest.raises(SemcomError, match=r"\[3, 32, 32\].*\[1, 28, 28\]"):
        SemanticLink(codec, create_channel("awgn"), _small())
