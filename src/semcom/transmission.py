"""Sending one image of any size through a link: tile, transmit as a batch, stitch.

Example:
    >>> import torch, semcom
    >>> from semcom.transmission import transmit_image
    >>> link = semcom.load("zoo:deepjscc-cifar10-awgn")
    >>> result = transmit_image(link, torch.rand(3, 40, 60), snr_db=10.0)
    >>> result.received.shape, result.tiles, result.channel_uses
    (torch.Size([3, 40, 60]), 4, 2048)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from semcom.link import SemanticLink
from semcom.metrics import ms_ssim, psnr, ssim
from semcom.seeding import make_generator
from semcom.tiling import tile_image, untile

#: SSIM's Gaussian window is 11 px: smaller images get no SSIM.
SSIM_MIN_SIZE = 11


@dataclass(frozen=True)
class TransmitResult:
    """What :func:`transmit_image` returns.

    Attributes:
        received: the reconstruction, ``[C, H, W] float32`` in [0, 1].
        tiles: how many tiles of the codec's size the image was cut into.
        channel_uses: complex channel uses for the whole image (tiles x k).
        psnr_db: PSNR of the whole image, dB.
        ssim: SSIM of the whole image, or ``None`` below 11 px.
        ms_ssim: MS-SSIM, or ``None`` for images under 176 px.
    """

    received: torch.Tensor
    tiles: int
    channel_uses: int
    psnr_db: float
    ssim: float | None
    ms_ssim: float | None


@torch.no_grad()
def send_image(
    link: SemanticLink,
    image: torch.Tensor,
    snr_db: float,
    generator: torch.Generator | None = None,
    *,
    batch_size: int = 1024,
    refiner_generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Send ``image: [C, H, W] float32`` in [0, 1] (any H, W) over ``link`` at ``snr_db`` dB.

    The image is cut into tiles of the codec's size, the tiles are sent in batches of up to
    ``batch_size`` (channel noise from ``generator``, a refiner's from ``refiner_generator``,
    see :meth:`~semcom.link.SemanticLink.forward`) and stitched back: returns the reconstruction
    ``[C, H, W] float32`` in [0, 1], on the link's device.
    """
    device = next(link.codec.parameters()).device
    tiles, grid = tile_image(image.to(device), link.codec.image_size)
    parts = [
        link(tiles[i : i + batch_size], snr_db, generator, refiner_generator)["x_hat"].clamp(0, 1)
        for i in range(0, len(tiles), batch_size)
    ]
    return untile(torch.cat(parts), grid, (image.shape[1], image.shape[2]))


def image_quality(
    received: torch.Tensor, image: torch.Tensor
) -> tuple[float, float | None, float | None]:
    """PSNR (dB), SSIM and MS-SSIM of ``received`` against ``image`` (both ``[C, H, W]``);
    SSIM is ``None`` under 11 px, MS-SSIM under 176 px."""
    x_hat, x = received.unsqueeze(0), image.unsqueeze(0).to(received.device)
    small = min(image.shape[1:]) < SSIM_MIN_SIZE
    ms = ms_ssim(x_hat, x)
    return (
        float(psnr(x_hat, x)[0]),
        None if small else float(ssim(x_hat, x)[0]),
        None if ms is None else float(ms[0]),
    )


@torch.no_grad()
def transmit_image(
    link: SemanticLink,
    image: torch.Tensor,
    snr_db: float,
    *,
    seed: int = 0,
    batch_size: int = 1024,
) -> TransmitResult:
    """Send ``image: [C, H, W] float32`` in [0, 1] (any H, W) over ``link`` at ``snr_db`` dB.

    The image is cut into tiles of the codec's size, the tiles are sent as batches of up to
    ``batch_size`` (one noise stream seeded by ``seed``) and stitched back.
    """
    device = next(link.codec.parameters()).device
    received = send_image(link, image, snr_db, make_generator(seed, device), batch_size=batch_size)
    p, s, m = image_quality(received, image)
    (th, tw), (h, w) = link.codec.image_size, image.shape[1:]
    tiles = math.ceil(h / th) * math.ceil(w / tw)
    return TransmitResult(
        received=received.cpu(),
        tiles=tiles,
        channel_uses=tiles * link.channel_uses,
        psnr_db=p,
        ssim=s,
        ms_ssim=m,
    )
