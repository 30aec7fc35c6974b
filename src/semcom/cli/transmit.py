"""``semcom transmit``: one image in, the received image out (any size, tiled)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from semcom.train.progress import STDERR


def transmit_command(
    image: Annotated[Path, typer.Argument(help="Image file (PNG, JPEG, ...), any size.")],
    model: Annotated[str, typer.Option(help="zoo:NAME or a checkpoint path.")] = (
        "zoo:deepjscc-cifar10-awgn"
    ),
    channel: Annotated[
        str | None, typer.Option(help="Channel; default: the one the model was trained on.")
    ] = None,
    snr_db: Annotated[float, typer.Option("--snr-db", help="Channel SNR in dB.")] = 10.0,
    out: Annotated[Path, typer.Option(help="Where to write the received image.")] = Path(
        "received.png"
    ),
    seed: Annotated[int, typer.Option(help="Noise seed.")] = 0,
    device: Annotated[str, typer.Option(help="auto | cpu | cuda")] = "auto",
) -> int:
    """Send an image through a model and a channel; write what the receiver reconstructs."""
    from semcom.data.image_file import read_image, write_image
    from semcom.device import resolve_device
    from semcom.transmission import transmit_image
    from semcom.zoo import load

    link = load(model, channel=channel, device=resolve_device(device))
    x = read_image(image, channels=link.codec.in_channels)
    result = transmit_image(link, x, snr_db, seed=seed)
    write_image(result.received, out)
    c, h, w = x.shape
    ssim_text = "n/a (image under 11 px)" if result.ssim is None else f"{result.ssim:.4f}"
    STDERR.print(
        f"{image.name}: {w}x{h}, {c} channel(s) -> {result.tiles} tiles of "
        f"{link.codec.image_size[1]}x{link.codec.image_size[0]}, "
        f"{result.channel_uses} channel uses ({result.channel_uses / (c * h * w):.4f} per value) "
        f"over {link.channel.name} at {snr_db:g} dB",
        highlight=False,
        soft_wrap=True,
    )
    typer.echo(f"PSNR {result.psnr_db:.2f} dB  SSIM {ssim_text}  -> {out}")
    return 0
