"""``semcom train``: train a codec over a channel (see :mod:`semcom.train.trainer`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from semcom.config import TrainConfig, codec_recipe, config_from_dict, load_config, read_toml
from semcom.parsing import parse_options, parse_snr_range
from semcom.train.progress import STDERR


def train_command(
    codec: Annotated[
        str | None, typer.Option(help="Registered codec (see 'semcom models').")
    ] = None,
    codec_option: Annotated[
        list[str] | None,
        typer.Option(
            "--codec-option", help="Codec constructor option KEY=VALUE (repeat), e.g. width=64."
        ),
    ] = None,
    data: Annotated[
        str | None,
        typer.Option(help="Data spec: patches, patches:64, npz:PATH#val=0.1, folder:PATH, ..."),
    ] = None,
    channel: Annotated[
        str | None, typer.Option(help="awgn | rayleigh-block | rayleigh-fast | mu-mimo")
    ] = None,
    snr_db: Annotated[
        str | None, typer.Option("--snr-db", help="Training SNR in dB: 'low:high' or one value.")
    ] = None,
    cbr: Annotated[str | None, typer.Option(help="Bandwidth ratio k/(C*H*W), e.g. 1/6.")] = None,
    epochs: Annotated[int | None, typer.Option(help="Epochs to train.")] = None,
    time_budget_min: Annotated[
        float | None, typer.Option("--time-budget-min", help="Stop after this many minutes.")
    ] = None,
    batch_size: Annotated[int | None, typer.Option("--batch-size", help="Images per step.")] = None,
    lr: Annotated[float | None, typer.Option(help="Adam learning rate.")] = None,
    lr_schedule: Annotated[
        str | None, typer.Option("--lr-schedule", help="constant | cosine (to lr/100 by the end).")
    ] = None,
    augment: Annotated[
        str | None, typer.Option(help="none | flip (random horizontal flips).")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Seed of every random choice.")] = None,
    out: Annotated[str | None, typer.Option(help="Run folder.")] = None,
    device: Annotated[str | None, typer.Option(help="auto | cpu | cuda")] = None,
    init: Annotated[
        str | None,
        typer.Option(
            help="Start from this checkpoint's weights (path or zoo:NAME): fine-tune. "
            "--codec-option may change options that keep the weights (receiver_csi=true)."
        ),
    ] = None,
    task: Annotated[
        str | None,
        typer.Option(
            help="reconstruct (--loss) | classify (--loss + CE of a classifier, paper 001).",
        ),
    ] = None,
    classifier: Annotated[
        str | None,
        typer.Option(
            help="--task classify: a frozen classifier (path or zoo:classifier-...); "
            "default: train one jointly."
        ),
    ] = None,
    task_weight: Annotated[
        float | None, typer.Option("--task-weight", help="Weight of the CE term (default 1).")
    ] = None,
    precision: Annotated[
        str | None,
        typer.Option(help="fp32 | bf16 (autocast forward; ~1.9x faster on AVX-512 BF16 CPUs)."),
    ] = None,
    loss: Annotated[
        str | None,
        typer.Option(help="mse | l1 | psnr (minus the mean per-image PSNR) (default mse)."),
    ] = None,
    resume: Annotated[bool, typer.Option(help="Continue the run in --out.")] = False,
    config: Annotated[
        Path | None, typer.Option(help="TOML file with TrainConfig keys; flags override it.")
    ] = None,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
    download: Annotated[
        bool, typer.Option(help="Allow downloading cifar10 / mnist / ... (semcom[download]).")
    ] = False,
    skip_bad: Annotated[
        bool, typer.Option("--skip-bad", help="folder: data: skip files that are not images.")
    ] = False,
) -> int:
    """Train a codec; writes last.pt every epoch and a hash-named final checkpoint."""
    from semcom.train.trainer import train

    overrides = {
        "codec": codec,
        "codec_options": parse_options(codec_option) if codec_option else None,
        "data": data,
        "channel": channel,
        "snr_db": parse_snr_range(snr_db) if snr_db is not None else None,
        "cbr": cbr,
        "epochs": epochs,
        "time_budget_min": time_budget_min,
        "batch_size": batch_size,
        "lr": lr,
        "lr_schedule": lr_schedule,
        "augment": augment,
        "seed": seed,
        "out": out,
        "device": device,
        "init": init,
        "task": task,
        "classifier": classifier,
        "task_weight": task_weight,
        "precision": precision,
        "loss": loss,
    }
    given = {k: v for k, v in overrides.items() if v is not None}
    from_file = read_toml(config) if config is not None else {}
    name = str(given.get("codec", from_file.get("codec", "deepjscc")))
    recipe = {k: v for k, v in codec_recipe(name).items() if k not in given | from_file}
    if config is not None:
        cfg = load_config(TrainConfig, config, overrides={**recipe, **given})
    else:
        cfg = config_from_dict(TrainConfig, {**recipe, **given}, source="command line")
    result = train(cfg, resume=resume, progress=progress, download=download, skip_bad=skip_bad)
    last = result.history[-1] if result.history else {}
    accuracy = last.get("val_accuracy")
    STDERR.print(
        f"stopped by {result.stopped_by} after {len(result.history)} epochs; "
        f"val PSNR {last.get('val_psnr_db', float('nan')):.2f} dB"
        + (f", accuracy {accuracy:.1%}" if accuracy is not None else "")
        + f" at {last.get('val_snr_db', float('nan')):g} dB SNR"
    )
    typer.echo(str(result.checkpoint))
    return 0
