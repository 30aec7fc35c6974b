"""The scores one evaluation produces (a sweep row without its labels)."""

from __future__ import annotations

from typing import NamedTuple


class Scores(NamedTuple):
    """Mean per-image scores: PSNR (dB, peak 1), SSIM, MS-SSIM (``None`` under 176 px),
    LPIPS (``None`` without LPIPS weights; lower is better), accuracy of a classifier on
    the reconstructions (``None`` without one)."""

    psnr_db: float
    ssim: float
    ms_ssim: float | None
    lpips: float | None = None
    accuracy: float | None = None
