from __future__ import annotations

import math

import pytest
import torch

from semcom.metrics import ms_ssim, psnr, ssim


def test_psnr_is_per_image_and_matches_mse() -> None:
    x = torch.full((2, 3, 8, 8), 0.5)
    x_hat = x.clone()
    x_hat[0] += 0.1  # MSE 0.01 -> 20 dB
    x_hat[1] += 0.01  # MSE 1e-4 -> 40 dB
    assert psnr(x_hat, x) == pytest.approx(torch.tensor([20.0, 40.0]), abs=1e-3)
    # the mean of per-image PSNRs, not the PSNR of the mean MSE
    assert float(psnr(x_hat, x).mean()) == pytest.approx(30.0, abs=1e-3)
    assert 10 * math.log10(1 / ((0.01 + 1e-4) / 2)) != pytest.approx(30.0, abs=1)


def test_ssim_identity_and_noise() -> None:
    x = torch.rand(2, 1, 32, 32)
    assert ssim(x, x) == pytest.approx(torch.ones(2), abs=1e-4)
    assert (ssim((x + 0.3 * torch.randn_like(x)).clamp(0, 1), x) < 0.9).all()


@pytest.mark.parametrize("size", [(32, 32), (170, 200), (200, 175)])
def test_ms_ssim_is_none_below_176_px(size: tuple[int, int]) -> None:
    assert ms_ssim(torch.rand(1, 3, *size), torch.rand(1, 3, *size)) is None


def test_ms_ssim_only_for_large_images() -> None:
    x = torch.rand(1, 3, 176, 176)
    value = ms_ssim(x, x)
    assert value is not None
    assert value == pytest.approx(torch.ones(1), abs=1e-4)
