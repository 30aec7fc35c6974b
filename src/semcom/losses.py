"""Image reconstruction losses shared by ``semcom train`` and ``semcom train-refiner``.

Every loss takes ``(x_hat, x)``, both ``[B, C, H, W] float32`` in ``[0, 1]``, and returns a
scalar to minimise:

* ``mse``: the mean squared error over the batch (every pixel weighs the same);
* ``l1``: the mean absolute error (paper 003's ``L_pre``);
* ``psnr``: ``-PSNR`` averaged over the images, i.e. ``mean_b 10 log10(MSE_b)``, the
  quantity every benchmark here reports. Unlike ``mse`` it weighs an image's error
  *relative* to that image's own: under block fading a batch mixes images in deep fades
  (large MSE) with clear ones, and ``mse`` spends the network on the former while the mean
  PSNR moves as much with the latter.

Example:
    >>> import torch
    >>> x = torch.zeros(2, 1, 2, 2)
    >>> x_hat = torch.tensor([0.1, 0.01]).view(2, 1, 1, 1).expand(2, 1, 2, 2)
    >>> round(float(IMAGE_LOSSES["psnr"](x_hat, x)), 2)  # -(20 + 40) / 2
    -30.0
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from semcom.errors import SemcomError

#: Floor of an image's mean squared error under the log (PSNR 100 dB at peak 1).
MSE_FLOOR = 1e-10


def negative_psnr(x_hat: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """``mean_b 10 log10(MSE_b)`` in dB (minus the mean per-image PSNR at peak 1).

    Args:
        x_hat: ``[B, ...] float32`` reconstructions.
        x: ``[B, ...] float32`` originals in ``[0, 1]``.

    Returns:
        Scalar float32 tensor, differentiable.
    """
    mse = (x_hat - x).pow(2).flatten(1).mean(dim=1)
    return (10.0 * torch.log10(mse.clamp_min(MSE_FLOOR))).mean()


#: The losses by name (``--loss`` / ``--image-loss``).
IMAGE_LOSSES: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "mse": F.mse_loss,
    "l1": F.l1_loss,
    "psnr": negative_psnr,
}


def check_loss(name: str, what: str = "loss") -> str:
    """Return ``name`` if it is a key of :data:`IMAGE_LOSSES`, else raise :class:`SemcomError`
    naming ``what`` (the setting: ``loss``, ``image_loss``) and the choices.

    Example:
        >>> check_loss("psnr")
        'psnr'
    """
    if name not in IMAGE_LOSSES:
        raise SemcomError(f"unknown {what} {name!r}; choose one of: {', '.join(IMAGE_LOSSES)}")
    return name
