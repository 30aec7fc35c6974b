"""Image quality: PSNR, SSIM, MS-SSIM (torchmetrics), one value per image.

All functions take ``x_hat`` and ``x`` of shape ``[B, C, H, W] float32`` in [0, 1]
and return ``[B] float32`` — one value per image. Reported figures are the mean over
images of these per-image values (not the PSNR of the mean squared error).

Example:
    >>> import torch
    >>> from semcom.metrics import psnr
    >>> x = torch.rand(2, 3, 32, 32)
    >>> psnr(x.clamp(0, 1), x).shape
    torch.Size([2])
"""

from __future__ import annotations

import torch
from torchmetrics.functional.image import (
    multiscale_structural_similarity_index_measure,
    peak_signal_noise_ratio,
    structural_similarity_index_measure,
)

#: MS-SSIM (5 scales, 11-px window) needs both sides at least this long: after four
#: halvings the image must still exceed the window (``side // 16 > 10``).
MS_SSIM_MIN_SIZE = 176


def psnr(x_hat: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Per-image PSNR in dB, ``[B] float32``, peak value 1."""
    out: torch.Tensor = peak_signal_noise_ratio(
        x_hat.float(), x.float(), data_range=1.0, reduction="none", dim=(1, 2, 3)
    )
    return out


def ssim(x_hat: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Per-image SSIM (Gaussian window 11, sigma 1.5), ``[B] float32``, unitless."""
    out = structural_similarity_index_measure(
        x_hat.float(), x.float(), data_range=1.0, reduction="none"
    )
    assert isinstance(out, torch.Tensor)  # a tuple only with return_full_image=True
    return out


def ms_ssim_defined(height: int, width: int) -> bool:
    """Whether MS-SSIM is defined for ``height x width`` images (both at least 176 px)."""
    return min(height, width) >= MS_SSIM_MIN_SIZE


def ms_ssim(x_hat: torch.Tensor, x: torch.Tensor) -> torch.Tensor | None:
    """Per-image MS-SSIM ``[B] float32``, or ``None`` for images under 176 px."""
    if not ms_ssim_defined(x.shape[-2], x.shape[-1]):
        return None
    out: torch.Tensor = multiscale_structural_similarity_index_measure(
        x_hat.float(), x.float(), data_range=1.0, reduction="none"
    )
    return out
