"""``semcom demo``: the main job: train, sweep and report, on CPU, offline, in minutes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from semcom.errors import SemcomError
from semcom.train.progress import STDERR


def demo_command(
    out: Annotated[Path, typer.Option(help="Folder for the report.")] = Path("semcom-demo"),
    train_minutes: Annotated[
        float, typer.Option("--train-minutes", help="Training budget in minutes.")
    ] = 2.5,
    finetune_minutes: Annotated[
        float,
        typer.Option(
            "--finetune-minutes", help="Fine-tune budget of the zoo CIFAR-10 model (0: skip)."
        ),
    ] = 1.0,
    device: Annotated[str, typer.Option(help="auto | cpu | cuda")] = "auto",
    progress: Annotated[bool, typer.Option(help="Show progress bars.")] = True,
    twins: Annotated[
        bool,
        typer.Option(help="End with the human-digital-twin scenario (store, FLeS, sync)."),
    ] = True,
) -> int:
    """Train a small DeepJSCC on bundled photographs, fine-tune a zoo model on them, sweep
    AWGN and Rayleigh fading, then run a short human-digital-twin scenario; write a
    report."""
    from semcom.experiments.demo import run_demo

    if train_minutes <= 0:
        raise SemcomError(f"--train-minutes must be positive, got {train_minutes}")
    if finetune_minutes < 0:
        raise SemcomError(f"--finetune-minutes must be 0 or more, got {finetune_minutes}")
    result = run_demo(
        out,
        train_minutes=train_minutes,
        finetune_minutes=finetune_minutes,
        device=device,
        progress=progress,
        twins=twins,
    )
    at10 = [r for r in result.rows if r.channel == "awgn" and r.snr_db == 10.0]
    summary = ", ".join(f"{r.method} {r.psnr_db:.2f} dB" for r in at10)
    STDERR.print(
        f"done in {result.seconds / 60:.1f} min; PSNR at 10 dB (AWGN): {summary}", soft_wrap=True
    )
    typer.echo(f"report: {result.report}")
    return 0
