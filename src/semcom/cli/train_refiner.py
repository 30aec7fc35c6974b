"""``semcom train-refiner``: the two-stage SFT refiner behind a frozen codec."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from semcom.train.progress import STDERR


def train_refiner_command(
    checkpoint: Annotated[
        str, typer.Option(help="The codec checkpoint (path or zoo:NAME), used frozen.")
    ],
    data: Annotated[str, typer.Option(help="Data spec of images of the codec's size.")],
    refiner: Annotated[str, typer.Option(help="Refiner size: sft-small | sft-paper.")] = (
        "sft-small"
    ),
    refiner_option: Annotated[
        list[str] | None,
        typer.Option("--refiner-option", help="KEY=VALUE override of the size (repeatable)."),
    ] = None,
    channel: Annotated[
        str | None, typer.Option(help="Channel; default: the codec's training channel.")
    ] = None,
    snr_db: Annotated[
        str | None,
        typer.Option("--snr-db", help="Training SNR range LOW:HIGH (dB); default: the codec's."),
    ] = None,
    stage1_epochs: Annotated[
        int, typer.Option("--stage1-epochs", help="Epochs of stage 1 (N1 + N2, oracle prior).")
    ] = 10,
    stage2_epochs: Annotated[
        int, typer.Option("--stage2-epochs", help="Epochs of stage 2 (N1' + diffusion, N2).")
    ] = 10,
    batch_size: Annotated[int, typer.Option("--batch-size", help="Images per step.")] = 16,
    lr: Annotated[float, typer.Option(help="Adam learning rate at the start of a stage.")] = 2e-4,
    lr_schedule: Annotated[
        str, typer.Option("--lr-schedule", help="cosine (to lr/100 per stage) | constant.")
    ] = "cosine",
    augment: Annotated[str, typer.Option(help="none | flip.")] = "flip",
    image_loss: Annotated[
        str,
        typer.Option(
            "--image-loss",
            help="L_pre: l1 (paper 003) | mse | psnr (minus mean per-image PSNR).",
        ),
    ] = "l1",
    val_images: Annotated[
        int, typer.Option("--val-images", help="Validation images per epoch.")
    ] = 512,
    seed: Annotated[int, typer.Option(help="Seed of every random choice.")] = 0,
    device: Annotated[str, typer.Option(help="auto | cpu | cuda")] = "auto",
    out: Annotated[Path, typer.Option(help="Run folder.")] = Path("runs/refiner"),
    precision: Annotated[
        str, typer.Option(help="fp32 | bf16 (autocast training passes; faster on AVX-512 BF16).")
    ] = "fp32",
    resume: Annotated[bool, typer.Option(help="Continue the run in --out.")] = False,
    progress: Annotated[bool, typer.Option(help="Show a progress bar (stderr).")] = True,
) -> int:
    """Train a refiner for a codec; writes a link checkpoint (codec + refiner)."""
    from semcom.parsing import parse_options, parse_snr_range
    from semcom.train.refiner_trainer import RefinerTrainConfig, train_refiner

    cfg = RefinerTrainConfig(
        checkpoint=checkpoint,
        data=data,
        refiner=refiner,
        refiner_options=dict(parse_options(refiner_option)) if refiner_option else {},
        channel=channel,
        snr_db=parse_snr_range(snr_db) if snr_db else None,
        stage1_epochs=stage1_epochs,
        stage2_epochs=stage2_epochs,
        batch_size=batch_size,
        lr=lr,
        lr_schedule=lr_schedule,
        augment=augment,
        image_loss=image_loss,
        val_images=val_images,
        seed=seed,
        device=device,
        out=str(out),
        precision=precision,
    )
    result = train_refiner(cfg, resume=resume, progress=progress)
    STDERR.print(
        f"validation PSNR {result.val_psnr_db:.2f} dB with the refiner, "
        f"{result.val_psnr_ngf_db:.2f} dB without; wrote {result.checkpoint}"
    )
    typer.echo(str(result.checkpoint))
    return 0
