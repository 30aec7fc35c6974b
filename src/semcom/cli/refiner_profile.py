"""``semcom refiner-profile``: PSNR, SSIM and latency of a link for steps 1..T and SNRs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from semcom.errors import SemcomError
from semcom.train.progress import STDERR


def refiner_profile_command(
    checkpoint: Annotated[str, typer.Option(help="Link checkpoint (semcom train-refiner).")],
    out: Annotated[Path, typer.Option(help="Where to write the JSON profile.")] = Path(
        "profile.json"
    ),
    data: Annotated[
        str | None, typer.Option(help="Data spec (evaluation split); default: the codec's data.")
    ] = None,
    channel: Annotated[
        str | None, typer.Option(help="Channel; default: the codec's training channel.")
    ] = None,
    snr_db: Annotated[str, typer.Option("--snr-db", help="SNRs in dB.")] = "0,5,10,15,20",
    limit: Annotated[int | None, typer.Option(help="Profile only the first N images.")] = None,
    batch_size: Annotated[
        int, typer.Option("--batch-size", help="Batch of the latency measurement.")
    ] = 64,
    seed: Annotated[int, typer.Option(help="Noise seed.")] = 0,
    device: Annotated[str, typer.Option(help="auto | cpu | cuda")] = "auto",
    progress: Annotated[bool, typer.Option(help="Show a progress bar (stderr).")] = True,
) -> int:
    """Measure a link for every reverse-step count and SNR; write the JSON the QoE layer reads."""
    from semcom.data import load_images
    from semcom.device import resolve_device
    from semcom.evaluation.refiner_profile import refiner_profile
    from semcom.evaluation.sweep import RefinedCodec
    from semcom.parsing import parse_snr_list
    from semcom.train.checkpoint import load_checkpoint

    if limit is not None and limit < 1:
        raise SemcomError(f"--limit must be at least 1, got {limit}")
    if batch_size < 1:
        raise SemcomError(f"--batch-size must be at least 1, got {batch_size}")
    dev = resolve_device(device)
    ckpt = load_checkpoint(checkpoint)
    refiner = ckpt.build_refiner(dev)
    if refiner is None:
        raise SemcomError(f"{checkpoint!r} has no refiner; give a link checkpoint")
    spec = data or str(ckpt.train_config.get("data", "patches"))
    dataset = load_images(spec, "eval")
    if limit is not None:
        dataset = dataset.head(limit)
    profile = refiner_profile(
        RefinedCodec(ckpt.build_codec(dev), refiner),
        dataset,
        channel or str(ckpt.train_config.get("channel", "awgn")),
        parse_snr_list(snr_db),
        batch_size=batch_size,
        seed=seed,
        device=dev,
        progress=progress,
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(profile, indent=1) + "\n")
    from rich.table import Table

    table = Table("SNR (dB)", "steps", "PSNR (dB)", "SSIM", "ms / image")
    for r in profile["rows"]:
        table.add_row(
            f"{r['snr_db']:g}",
            str(r["steps"]),
            f"{r['psnr_db']:.2f}",
            f"{r['ssim']:.3f}",
            f"{1000 * r['latency_s_per_image']:.2f}",
        )
    STDERR.print(table)
    STDERR.print(f"wrote {out}")
    return 0
