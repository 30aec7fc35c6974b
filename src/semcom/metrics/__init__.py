"""Metrics: image quality (PSNR, SSIM, MS-SSIM), one value per image."""

from semcom.metrics.image_quality import MS_SSIM_MIN_SIZE, ms_ssim, ms_ssim_defined, psnr, ssim

__all__ = ["MS_SSIM_MIN_SIZE", "ms_ssim", "ms_ssim_defined", "psnr", "ssim"]
