"""What paper 003's figure recipes share: loading the links, the data, a sweep per channel."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import torch

from semcom.data import ImageDataset, load_images
from semcom.device import resolve_device
from semcom.digital import parse_digital_method
from semcom.errors import SemcomError
from semcom.evaluation.sweep import Receiver, RefinedCodec, SweepRow, sweep_codecs
from semcom.experiments.recipe import RecipeOptions
from semcom.metrics.lpips import AlexLPIPS, load_lpips
from semcom.train.checkpoint import Checkpoint, load_checkpoint
from semcom.train.progress import STDERR

#: Paper 003's legend -> semcom method.
DIGITAL = {"JPEG+LDPC+QAM": "digital:jpeg+ldpc+qam", "JPEG+capacity": "digital:jpeg+capacity"}
CHANNEL_TITLES = {"awgn": "AWGN", "rayleigh-block": "Rayleigh (block fading)"}


def load_link(spec: str) -> Checkpoint:
    """A link checkpoint (codec + refiner); a codec checkpoint is a one-line error."""
    ckpt = load_checkpoint(spec)
    if ckpt.refiner is None:
        raise SemcomError(
            f"{spec!r} is a codec checkpoint; paper 003's GSC needs a link checkpoint"
        )
    return ckpt


def lpips_for(options: RecipeOptions, recipe: str) -> AlexLPIPS:
    """The LPIPS metric ``recipe`` needs, on the options' device; without the weights a
    one-line :class:`SemcomError` naming the recipe."""
    try:
        return load_lpips(options.lpips_weights, device=resolve_device(options.device))
    except SemcomError as e:
        raise SemcomError(f"{recipe} needs LPIPS weights: {e}") from None


def eval_data(options: RecipeOptions, cpu_limit: int | None) -> ImageDataset:
    """The evaluation images: the options' data, limited (CPU scale: to ``cpu_limit``)."""
    spec = options.data_spec()
    data = load_images(spec, "eval")
    limit = options.limit or (cpu_limit if options.scale == "cpu" else None)
    if limit is not None:
        data = data.head(limit)
    STDERR.print(f"data: {spec}, {len(data)} images", highlight=False)
    return data


def figure4_rows(
    options: RecipeOptions,
    data: ImageDataset,
    snrs_db: Sequence[float],
    lpips_metric: AlexLPIPS | None = None,
    digital: bool = True,
) -> list[SweepRow]:
    """Per channel: GSC, NGF, DeepJSCC (and the digital references) at ``snrs_db``;
    methods named as in the paper's legend."""
    device = resolve_device(options.device)
    rows: list[SweepRow] = []
    for channel in options.channels:
        link = load_link(options.link(channel))
        codec = link.build_codec(device)
        refiner = link.build_refiner(device)
        assert refiner is not None
        receivers: dict[str, Receiver] = {
            "GSC": RefinedCodec(codec, refiner),
            "NGF": codec,
            "DeepJSCC": load_checkpoint(options.baseline(channel)).build_codec(device),
        }
        methods = [parse_digital_method(m) for m in DIGITAL.values()] if digital else []
        names = dict(zip([m.label for m in methods], DIGITAL, strict=True))
        got = sweep_codecs(
            receivers,
            data,
            [channel],
            list(snrs_db),
            digital=methods,
            seed=options.seed,
            device=device,
            progress=options.progress,
            lpips_metric=lpips_metric,
        )
        rows += [dataclasses.replace(r, method=names.get(r.method, r.method)) for r in got]
    return rows


def plot_per_channel(
    rows: list[SweepRow],
    metric: str,
    ylabel: str,
    path: Path,
    title: str,
    titles: dict[str, str] | None = None,
) -> Path:
    """One panel per channel, one line per method, ``metric`` (a SweepRow field) vs SNR;
    ``titles``: channel -> panel title (default :data:`CHANNEL_TITLES`)."""
    channels = list(dict.fromkeys(r.channel for r in rows))
    fig, axes = plt.subplots(1, len(channels), figsize=(5.2 * len(channels), 4), dpi=120)
    axes = [axes] if len(channels) == 1 else list(axes)
    styles = {"GSC": "-o", "NGF": "--s", "DeepJSCC": "-.^", "JPEG+LDPC+QAM": ":d"}
    styles |= {"MU-GSC": "-o", "MU-NGF": "--s", "MU-GSC (MMSE)": "-v", "MU-NGF (MMSE)": "--v"}
    titles = CHANNEL_TITLES if titles is None else titles
    for ax, channel in zip(axes, channels, strict=True):
        for method in dict.fromkeys(r.method for r in rows if r.channel == channel):
            pts = sorted(
                (r.snr_db, getattr(r, metric))
                for r in rows
                if (r.channel, r.method) == (channel, method)
            )
            ax.plot([p[0] for p in pts], [p[1] for p in pts], styles.get(method, "-x"),
                    label=method, markersize=4)  # fmt: skip
        ax.set_title(titles.get(channel, channel), fontsize=9)
        ax.set_xlabel("SNR (dB)")
        ax.set_ylabel(ylabel)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle(title, fontsize=8, wrap=True)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def first_batch(data: ImageDataset, n: int, device: torch.device) -> torch.Tensor:
    """The first ``n`` images as ``[n, C, H, W] float32`` in [0, 1]."""
    return data.batch(slice(0, min(n, len(data)))).to(device)
