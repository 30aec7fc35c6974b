"""Centralised training of a codec over a channel: ``semcom train``.

Each epoch shuffles the training images, draws one SNR per image uniformly from
``snr_db``, sends the batch through codec + channel and minimises the MSE. Every
random choice of epoch ``e`` comes from generators seeded by ``(seed, e)``, so a run
resumed from its ``last.pt`` continues exactly as an uninterrupted one would.

Files in ``out``: ``last.pt`` (state after the last finished epoch, written
atomically), ``train_log.csv`` (one row per epoch) and the final
``<codec>-<sha8>.pt`` (see :mod:`semcom.train.checkpoint`).

Example:
    >>> from semcom.config import TrainConfig
    >>> from semcom.train import train  # doctest: +SKIP
    >>> result = train(TrainConfig(epochs=1, out="runs/x"))  # doctest: +SKIP
"""

from __future__ import annotations

import csv
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from semcom.codecs.base import Codec
from semcom.config import TrainConfig
from semcom.data import ImageDataset, load_images
from semcom.device import resolve_device
from semcom.errors import SemcomError
from semcom.metrics import psnr
from semcom.registry import create_channel, create_codec
from semcom.seeding import make_generator, seed_everything
from semcom.train.checkpoint import (
    FORMAT,
    atomic_save,
    codec_payload,
    load_training_state,
    save_hashed,
)
from semcom.train.progress import STDERR, make_progress

STATE_FILE = "last.pt"
LOG_FILE = "train_log.csv"
LOG_COLUMNS = [
    "epoch",
    "train_loss",
    "train_psnr_db",
    "val_psnr_db",
    "val_snr_db",
    "elapsed_s",
    "images_per_s",
]
#: Keys that may change when resuming; any other change is an error.
RESUMABLE_CHANGES = {"epochs", "time_budget_min", "device", "out"}


@dataclass
class TrainResult:
    """What :func:`train` returns.

    Attributes:
        checkpoint: path of the final hash-named checkpoint.
        codec: the trained codec (eval mode).
        history: one dict per epoch with the :data:`LOG_COLUMNS`.
        stopped_by: ``"epochs"`` or ``"time budget"``.
    """

    checkpoint: Path
    codec: Codec
    history: list[dict[str, Any]]
    stopped_by: str


def build_codec_for(cfg: TrainConfig, data: ImageDataset) -> Codec:
    """The codec of ``cfg`` sized for ``data``'s images."""
    codec = create_codec(
        cfg.codec,
        in_channels=data.channels,
        image_size=(data.height, data.width),
        cbr=cfg.cbr,
        **cfg.codec_options,
    )
    if not isinstance(codec, Codec):
        raise SemcomError(f"{cfg.codec!r} is not an image codec")
    return codec


def _epoch_generators(seed: int, epoch: int, device: torch.device) -> tuple[torch.Generator, ...]:
    base = seed * 1_000_003 + epoch * 7_919
    return (
        make_generator(base + 1),  # shuffling (CPU)
        make_generator(base + 2, device),  # SNR draws
        make_generator(base + 3, device),  # channel noise
    )


@torch.no_grad()
def validation_psnr(
    codec: Codec, channel: torch.nn.Module, data: ImageDataset, snr_db: float, device: torch.device
) -> float:
    """Mean per-image PSNR (dB) of ``data`` sent at ``snr_db`` with a fixed noise seed."""
    was_training = codec.training
    codec.eval()
    gen = make_generator(12345, device)
    values = []
    for x, _ in data.iter_batches(256, shuffle=False, generator=None):
        x = x.to(device)
        out = codec(x, channel, snr_db, gen)
        values.append(psnr(out["x_hat"], x))
    codec.train(was_training)
    return float(torch.cat(values).mean())


def _check_resumable(saved: dict[str, Any], cfg: TrainConfig) -> None:
    now = cfg.to_dict()
    for key, value in saved.items():
        if key in RESUMABLE_CHANGES:
            continue
        if now.get(key) != value:
            raise SemcomError(
                f"cannot resume: {key} was {value!r} in the saved run, now {now.get(key)!r} "
                f"(only {', '.join(sorted(RESUMABLE_CHANGES))} may change)"
            )


def _write_log(path: Path, history: list[dict[str, Any]]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=LOG_COLUMNS)
        w.writeheader()
        for row in history:
            w.writerow({k: row.get(k) for k in LOG_COLUMNS})
    tmp.replace(path)


def train(
    cfg: TrainConfig,
    *,
    resume: bool = False,
    progress: bool = True,
    download: bool = False,
    skip_bad: bool = False,
) -> TrainResult:
    """Train ``cfg.codec`` on ``cfg.data`` over ``cfg.channel``; see the module docstring.

    Args:
        cfg: the training configuration.
        resume: continue the run in ``cfg.out`` from its ``last.pt``.
        progress: show a progress bar on stderr.
        download: allow the data spec to download a public data set (``cifar10`` ...).
        skip_bad: ``folder:`` data: skip files that are not images (with a warning).

    Raises:
        SemcomError: bad configuration, an existing run without ``resume``, or a saved
            run whose configuration differs.
    """
    out = Path(cfg.out)
    state_path = out / STATE_FILE
    if state_path.exists() and not resume:
        raise SemcomError(
            f"{str(out)!r} already holds a training run; pass --resume to continue it "
            "or choose another --out"
        )
    device = resolve_device(cfg.device)
    seed_everything(cfg.seed)
    data = load_images(cfg.data, "train", download=download, skip_bad=skip_bad)
    val = load_images(cfg.data, "eval", download=download, skip_bad=skip_bad)
    val = val.head(cfg.val_images)
    codec = build_codec_for(cfg, data).to(device)
    channel = create_channel(cfg.channel, **cfg.channel_options).to(device)
    optimizer = torch.optim.Adam(codec.parameters(), lr=cfg.lr)

    epoch, elapsed, history = 0, 0.0, []
    if resume and state_path.exists():
        state = load_training_state(state_path)
        _check_resumable(state["train_config"], cfg)
        codec.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        epoch, elapsed, history = int(state["epoch"]), float(state["elapsed_s"]), state["history"]
        STDERR.print(f"resuming {out} after epoch {epoch} ({elapsed:.0f} s trained)")
    elif resume:
        STDERR.print(f"nothing to resume in {out}; starting a new run")

    budget_s = cfg.time_budget_min * 60 if cfg.time_budget_min is not None else float("inf")
    max_epochs = cfg.epochs if cfg.epochs is not None else 10**9
    low, high = cfg.snr_db
    val_snr = (low + high) / 2
    n_batches = (len(data) + cfg.batch_size - 1) // cfg.batch_size
    stopped_by = "epochs"
    images = data.images.to(device)

    with make_progress(progress) as bar:
        task = bar.add_task("train", total=n_batches, status="")
        while epoch < max_epochs:
            if elapsed >= budget_s:
                stopped_by = "time budget"
                break
            shuffle_gen, snr_gen, noise_gen = _epoch_generators(cfg.seed, epoch, device)
            order = torch.randperm(len(data), generator=shuffle_gen).to(device)
            label = f"epoch {epoch + 1}" + (f"/{cfg.epochs}" if cfg.epochs else "")
            bar.reset(task, total=n_batches, description=label, status="")
            codec.train()
            t0 = time.perf_counter()
            loss_sum, psnr_sum, seen = 0.0, 0.0, 0
            for i in range(n_batches):
                idx = order[i * cfg.batch_size : (i + 1) * cfg.batch_size]
                x = images[idx].float().div_(255)
                snr = low + (high - low) * torch.rand(len(idx), generator=snr_gen, device=device)
                out_d = codec(x, channel, snr, noise_gen)
                loss = F.mse_loss(out_d["x_hat"], x)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()  # type: ignore[no-untyped-call]
                optimizer.step()
                with torch.no_grad():
                    loss_sum += float(loss) * len(idx)
                    psnr_sum += float(psnr(out_d["x_hat"], x).sum())
                seen += len(idx)
                bar.update(
                    task,
                    advance=1,
                    status=f"loss {loss_sum / seen:.4f}  PSNR {psnr_sum / seen:.2f} dB",
                )
                if elapsed + time.perf_counter() - t0 >= budget_s:
                    break
            epoch_s = time.perf_counter() - t0
            elapsed += epoch_s
            epoch += 1
            val_psnr = validation_psnr(codec, channel, val, val_snr, device)
            history.append(
                {
                    "epoch": epoch,
                    "train_loss": loss_sum / seen,
                    "train_psnr_db": psnr_sum / seen,
                    "val_psnr_db": val_psnr,
                    "val_snr_db": val_snr,
                    "elapsed_s": elapsed,
                    "images_per_s": seen / max(epoch_s, 1e-9),
                }
            )
            bar.update(task, status=f"loss {loss_sum / seen:.4f}  val PSNR {val_psnr:.2f} dB")
            atomic_save(
                {
                    "format": FORMAT + "+state",
                    "train_config": cfg.to_dict(),
                    "model": codec.state_dict(),
                    "optimizer": optimizer.state_dict(),
                    "epoch": epoch,
                    "elapsed_s": elapsed,
                    "history": history,
                },
                state_path,
            )
            _write_log(out / LOG_FILE, history)
        else:
            stopped_by = "epochs"

    codec.eval()
    final = save_hashed(codec_payload(codec, cfg.to_dict(), history), out, codec.name)
    return TrainResult(final, codec, history, stopped_by)
