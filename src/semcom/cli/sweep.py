"""``semcom sweep``: evaluate checkpoints over SNRs; writes results.csv and a plot."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from semcom.errors import SemcomError
from semcom.evaluation.sweep import EvalData, Receiver, RefinedCodec
from semcom.parsing import parse_snr_list
from semcom.train.progress import STDERR

if TYPE_CHECKING:
    import torch

    from semcom.metrics.lpips import AlexLPIPS


def sweep_command(
    checkpoint: Annotated[
        list[Path] | None, typer.Option(help="Codec checkpoint (repeat for several).")
    ] = None,
    method: Annotated[
        list[str] | None,
        typer.Option(
            help="Digital baseline, e.g. digital:jpeg+ldpc+qam, digital:webp+ldpc2/3+qam16, "
            "digital:jpeg+capacity (repeat for several)."
        ),
    ] = None,
    data: Annotated[
        str | None,
        typer.Option(help="Data spec (evaluation split); default: the first checkpoint's data."),
    ] = None,
    cbr: Annotated[
        str | None,
        typer.Option(help="Bandwidth ratio of the digital methods; default: the checkpoints'."),
    ] = None,
    channel: Annotated[
        str, typer.Option(help="Channel name, or several separated by commas.")
    ] = "awgn",
    snr_db: Annotated[
        str, typer.Option("--snr-db", help="SNRs in dB: '0,5,10' or 'start:stop:step'.")
    ] = "0,5,10,15,20",
    limit: Annotated[int | None, typer.Option(help="Evaluate only the first N images.")] = None,
    out: Annotated[Path, typer.Option(help="Folder for results.csv and psnr_vs_snr.png.")] = Path(
        "runs/sweep"
    ),
    json_out: Annotated[
        bool, typer.Option("--json", help="Print the rows as a JSON list on stdout, nothing else.")
    ] = False,
    batch_size: Annotated[int, typer.Option("--batch-size")] = 256,
    seed: Annotated[int, typer.Option(help="Noise seed.")] = 0,
    device: Annotated[str, typer.Option(help="auto | cpu | cuda")] = "auto",
    progress: Annotated[bool, typer.Option(help="Show a progress bar (stderr).")] = True,
    download: Annotated[
        bool, typer.Option(help="Allow downloading cifar10 / mnist / ... (semcom[download]).")
    ] = False,
    skip_bad: Annotated[
        bool, typer.Option("--skip-bad", help="folder: data: skip files that are not images.")
    ] = False,
    classifier: Annotated[
        str | None,
        typer.Option(
            help="Classifier (path or zoo:classifier-...) whose accuracy on the reconstructions "
            "fills the accuracy column; default: the one a checkpoint was trained with."
        ),
    ] = None,
    refiner_steps: Annotated[
        str | None,
        typer.Option(
            "--refiner-steps",
            help="Link checkpoints: reverse diffusion steps to evaluate, e.g. '1,2,4' (one "
            "method each); 0 adds the codec without its refiner (NGF). Default: T.",
        ),
    ] = None,
    lpips_weights: Annotated[
        Path | None,
        typer.Option(
            "--lpips-weights",
            help="LPIPS weights (file or folder); default: $SEMCOM_LPIPS_WEIGHTS or "
            "~/.cache/semcom/lpips when present.",
        ),
    ] = None,
) -> int:
    """Evaluate every checkpoint and digital method at every SNR with a fixed noise seed.

    Images of another size than the model's (folder:PATH of photographs, patches:64, ...)
    are cut into tiles of the model's size, sent, stitched and scored per image. Digital
    methods code each image whole with the same channel uses per image.
    """
    from semcom.data import is_folder_spec, load_image_folder, load_images
    from semcom.device import resolve_device
    from semcom.evaluation import rows_as_json, sweep_codecs, write_csv
    from semcom.evaluation.plots import plot_psnr_vs_snr
    from semcom.train.checkpoint import load_checkpoint

    snrs = parse_snr_list(snr_db)
    channels = [c.strip() for c in channel.split(",") if c.strip()]
    if limit is not None and limit < 1:
        raise SemcomError(f"--limit must be at least 1, got {limit}")
    dev = resolve_device(device)
    from semcom.digital import parse_digital_method
    from semcom.parsing import parse_cbr

    digital = [parse_digital_method(m) for m in method or []]
    if not checkpoint and not digital:
        raise SemcomError("give at least one --checkpoint or --method digital:...")
    ckpts = [load_checkpoint(p) for p in checkpoint or []]
    spec = data or (str(ckpts[0].train_config.get("data", "patches")) if ckpts else "patches")
    steps_list = _parse_steps(refiner_steps)
    codecs: dict[str, Receiver] = {}
    classifiers: dict[str, torch.nn.Module | None] = {}
    for i, c in enumerate(ckpts):
        base = c.name if c.name not in codecs else f"{c.name}#{i}"
        codec, refiner = c.build_codec(dev), c.build_refiner(dev)
        if refiner is None:
            codecs[base] = codec
            classifiers[base] = c.build_classifier(dev)
            continue
        chosen: list[int | None] = list(steps_list) or [None]
        for steps in chosen:
            if steps == 0:
                label: str = f"{base} NGF"
                codecs[label] = codec
            else:
                label = base if steps is None else f"{base} steps={steps}"
                codecs[label] = RefinedCodec(codec, refiner, steps)
            classifiers[label] = c.build_classifier(dev)
    if steps_list and not any(c.refiner is not None for c in ckpts):
        raise SemcomError("--refiner-steps needs a link checkpoint (semcom train-refiner)")
    if classifier is not None:
        from semcom.tasks import load_classifier

        classifiers = {"*": load_classifier(classifier).build(dev)}
    dataset: EvalData
    if is_folder_spec(spec):
        wanted = {
            (c.codec if isinstance(c, RefinedCodec) else c).in_channels for c in codecs.values()
        }
        if len(wanted) > 1:
            raise SemcomError("the checkpoints mix greyscale and RGB models; sweep them apart")
        dataset = load_image_folder(
            spec, "eval", channels=wanted.pop() if wanted else None, skip_bad=skip_bad
        )
        if limit is not None:
            dataset = dataset.subset(range(min(limit, len(dataset))))
    else:
        dataset = load_images(spec, "eval", download=download)
        if limit is not None:
            dataset = dataset.head(limit)
    lpips_metric = _lpips_metric(lpips_weights, dev)
    rows = sweep_codecs(
        codecs,
        dataset,
        channels,
        snrs,
        digital=digital,
        cbr=parse_cbr(cbr) if cbr is not None else None,
        batch_size=batch_size,
        seed=seed,
        device=dev,
        progress=progress,
        lpips_metric=lpips_metric,
        classifiers=classifiers,
    )
    write_csv(rows, out / "results.csv")
    plot_psnr_vs_snr(rows, out / "psnr_vs_snr.png", title=f"{dataset.name}, {len(dataset)} images")
    if json_out:
        typer.echo(json.dumps(rows_as_json(rows)))
    else:
        from rich.table import Table

        any_digital = any(r.delivered is not None for r in rows)
        columns = ["method", "channel", "SNR (dB)", "PSNR (dB)", "SSIM"]
        columns += ["LPIPS"] if lpips_metric is not None else []
        any_accuracy = any(r.accuracy is not None for r in rows)
        columns += ["accuracy"] if any_accuracy else []
        table = Table(*columns, "images", *(["delivered"] if any_digital else []))
        for r in rows:
            cells = [r.method, r.channel, f"{r.snr_db:g}", f"{r.psnr_db:.2f}", f"{r.ssim:.3f}"]
            if lpips_metric is not None:
                cells.append(f"{r.lpips:.4f}")
            if any_accuracy:
                cells.append("" if r.accuracy is None else f"{r.accuracy:.1%}")
            cells.append(str(r.n_images))
            if any_digital:
                cells.append("" if r.delivered is None else f"{r.delivered:.0%}")
            table.add_row(*cells)
        STDERR.print(table)
        for r in rows:
            if r.note:
                STDERR.print(f"note: {r.method} {r.channel} {r.snr_db:g} dB: {r.note}")
        STDERR.print(f"wrote {out / 'results.csv'} and {out / 'psnr_vs_snr.png'}")
    return 0


def _parse_steps(text: str | None) -> list[int]:
    """``"1,2,4"`` -> ``[1, 2, 4]``; one-line errors for anything else."""
    if text is None:
        return []
    try:
        steps = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise SemcomError(
            f"--refiner-steps takes whole numbers such as '1,2,4', got {text!r}"
        ) from None
    if not steps or any(s < 0 for s in steps):
        raise SemcomError(f"--refiner-steps takes numbers from 0 (NGF) to T, got {text!r}")
    return steps


def _lpips_metric(path: Path | None, device: torch.device) -> AlexLPIPS | None:
    """LPIPS when weights are given (must load) or found in the default places, else None."""
    from semcom.metrics.lpips import load_lpips, resolve_lpips_weights

    if path is not None:
        return load_lpips(path, device=device)
    try:
        resolve_lpips_weights()
    except SemcomError:
        return None  # no weights installed: no lpips column
    return load_lpips(device=device)
