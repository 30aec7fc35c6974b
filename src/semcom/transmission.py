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
    tiles, grid = tile_image(image.to(device), link.codec.image_size)
    gen = make_generator(seed, device)
    parts = [
        link(tiles[i : i + batch_size], snr_db, gen)["x_hat"].clamp(0, 1)
        for i in range(0, len(tiles), batch_size)
    ]
    received = untile(torch.cat(parts), grid, (image.shape[1], image.shape[2]))
    x, x_hat = image.unsqueeze(0).to(device), received.unsqueeze(0)
    small = min(image.shape[1:]) < SSIM_MIN_SIZE
    ms = ms_ssim(x_hat, x)
    return TransmitResult(
        received=received.cpu(),
        tiles=len(tiles),
        channel_uses=len(tiles) * link.channel_uses,
        psnr_db=float(psnr(x_hat, x)[0]),
        ssim=None if small else float(ssim(x_hat, x)[0]),
        ms_ssim=None if ms is None else float(ms[0]),
    )
