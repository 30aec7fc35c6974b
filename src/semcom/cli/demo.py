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
    device: Annotated[str, typer.Option(help="auto | cpu | cuda")] = "auto",
    progress: Annotated[bool, typer.Option(help="Show progress bars.")] = True,
) -> int:
    """Train a small DeepJSCC on bundled photographs, sweep AWGN and Rayleigh, write a report."""
    from semcom.experiments.demo import run_demo

    if train_minutes <= 0:
        raise SemcomError(f"--train-minutes must be positive, got {train_minutes}")
    result = run_demo(out, train_minutes=train_minutes, device=device, progress=progress)
    best = max(result.rows, key=lambda r: r.psnr_db)
    STDERR.print(
        f"done in {result.seconds / 60:.1f} min; best PSNR {best.psnr_db:.2f} dB "
        f"({best.channel}, {best.snr_db:g} dB)"
    )
    typer.echo(f"report: {result.report}")
    return 0
