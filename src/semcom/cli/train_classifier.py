"""``semcom train-classifier``: a classifier for accuracy-on-reconstruction."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from semcom.train.progress import STDERR


def train_classifier_command(
    data: Annotated[str, typer.Option(help="Data spec with labels (npz:PATH, cifar10, ...).")],
    epochs: Annotated[int, typer.Option(help="Epochs.")] = 30,
    batch_size: Annotated[int, typer.Option("--batch-size", help="Images per step.")] = 128,
    lr: Annotated[float, typer.Option(help="Peak Adam learning rate (cosine to lr/100).")] = 2e-3,
    width: Annotated[int, typer.Option(help="Channels of the first stage.")] = 32,
    augment: Annotated[str, typer.Option(help="none | flip (not for digits).")] = "none",
    seed: Annotated[int, typer.Option(help="Seed of every random choice.")] = 0,
    device: Annotated[str, typer.Option(help="auto | cpu | cuda")] = "auto",
    out: Annotated[Path, typer.Option(help="Run folder.")] = Path("runs/classifier"),
    progress: Annotated[bool, typer.Option(help="Show a progress bar (stderr).")] = True,
) -> int:
    """Train an image classifier on clean images; prints the validation accuracy."""
    from semcom.tasks.train_classifier import ClassifierConfig, train_classifier

    cfg = ClassifierConfig(
        data=data,
        epochs=epochs,
        batch_size=batch_size,
        lr=lr,
        width=width,
        augment=augment,
        seed=seed,
        device=device,
        out=str(out),
    )
    path, acc = train_classifier(cfg, progress=progress)
    STDERR.print(f"validation accuracy {acc:.2%}; wrote {path}")
    typer.echo(str(path))
    return 0
