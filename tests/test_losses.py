from __future__ import annotations

import pytest
import torch

from semcom.errors import SemcomError
from semcom.losses import IMAGE_LOSSES, check_loss, negative_psnr
from semcom.metrics import psnr


def test_negative_psnr_is_minus_the_mean_per_image_psnr() -> None:
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(4, 3, 8, 8, generator=gen)
    # images with very different errors: the mean of the dB values, not the dB of the mean
    scale = torch.tensor([0.01, 0.03, 0.1, 0.3]).view(4, 1, 1, 1)
    x_hat = x + scale * torch.randn(4, 3, 8, 8, generator=gen)
    assert float(negative_psnr(x_hat, x)) == pytest.approx(-float(psnr(x_hat, x).mean()), abs=1e-4)
    pooled = -10 * torch.log10(torch.nn.functional.mse_loss(x_hat, x))
    assert float(-negative_psnr(x_hat, x)) > float(pooled) + 1.0


def test_a_perfect_reconstruction_stays_finite() -> None:
    x = torch.rand(2, 1, 4, 4, requires_grad=True)
    loss = negative_psnr(x, x.detach())
    loss.backward()  # type: ignore[no-untyped-call]
    assert float(loss.detach()) == pytest.approx(-100.0)
    assert x.grad is not None
    assert torch.isfinite(x.grad).all()


@pytest.mark.parametrize("name", sorted(IMAGE_LOSSES))
def test_every_loss_is_a_differentiable_scalar_that_falls_with_the_error(name: str) -> None:
    loss = IMAGE_LOSSES[name]
    x = torch.rand(3, 3, 8, 8)
    noise = torch.randn(3, 3, 8, 8, generator=torch.Generator().manual_seed(1))
    near, far = loss(x + 0.01 * noise, x), loss(x + 0.1 * noise, x)
    assert near.shape == ()
    assert float(near) < float(far)
    x_hat = (x + 0.1 * noise).requires_grad_(True)
    loss(x_hat, x).backward()  # type: ignore[no-untyped-call]
    assert x_hat.grad is not None
    assert float(x_hat.grad.abs().sum()) > 0


def test_an_unknown_loss_lists_the_choices() -> None:
    assert check_loss("mse") == "mse"
    with pytest.raises(SemcomError, match="unknown loss 'ssim'; choose one of: mse, l1, psnr"):
        check_loss("ssim")
