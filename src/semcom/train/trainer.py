"""Centralised training of a codec over a channel: ``semcom train``.

Each epoch shuffles the training images, draws one SNR per image uniformly from
``snr_db``, sends the batch through codec + channel and minimises the MSE (Adam; the
learning rate constant or cosine-annealed to 1/100 over the run; optional random
horizontal flips). Every
random choice of epoch ``e`` comes from generators seeded by ``(seed, e)``, so a run
resumed from its ``last.pt`` continues exactly as an uninterrupted one would.

Files in ``out``: ``last.pt`` (state after the last finished epoch, written
atomically), ``train_log.csv`` (one row per epoch) and the final
``<codec>-<sha8>.pt`` (see :mod:`semcom.train.checkpoint`).

Example:
    >>> import tempfile
    >>> from semcom.config import TrainConfig
    >>> from semcom.train import train
    >>> cfg = TrainConfig(data="patches", epochs=1, out=tempfile.mkdtemp(), device="cpu")
    >>> result = train(cfg, progress=False)
    >>> result.stopped_by, len(result.history), result.checkpoint.name.startswith("deepjscc-")
    ('epochs', 1, True)
"""

from __future__ import annotations

import csv
import math
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from semcom.channels.base import Channel
from semcom.codecs.base import Codec
from semcom.config import TrainConfig
from semcom.data import ImageDataset, load_images
from semcom.device import autocast, resolve_device
from semcom.errors import SemcomError
from semcom.link import SemanticLink
from semcom.losses import IMAGE_LOSSES
from semcom.metrics import psnr
from semcom.parsing import parse_cbr
from semcom.registry import create_channel, create_codec
from semcom.seeding import make_generator, seed_everything
from semcom.tasks.classifier import (
    ImageClassifier,
    accuracy,
    classifier_payload,
    load_classifier,
)
from semcom.train.checkpoint import (
    FORMAT,
    atomic_save,
    codec_payload,
    load_checkpoint,
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
    "val_accuracy",
]
#: Keys that may change when resuming; any other change is an error.
RESUMABLE_CHANGES = {"epochs", "time_budget_min", "device", "out", "precision"}


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
    """The codec of ``cfg`` sized for ``data``'s images (with ``cfg.init``'s weights if set)."""
    if cfg.init is not None:
        return _initial_codec(cfg, data)
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


def _initial_codec(cfg: TrainConfig, data: ImageDataset) -> Codec:
    """The codec of checkpoint ``cfg.init``, checked against ``cfg`` and ``data``."""
    assert cfg.init is not None
    start = load_checkpoint(cfg.init)
    where = f"the --init checkpoint {cfg.init!r}"
    if start.codec_name != cfg.codec:
        raise SemcomError(f"{where} holds codec {start.codec_name!r}, not {cfg.codec!r}")
    saved_cbr = parse_cbr(start.codec_config.get("cbr", cfg.cbr))
    if abs(saved_cbr - cfg.cbr) > 1e-9:
        raise SemcomError(f"{where} has cbr {saved_cbr:.4g}, not {cfg.cbr:.4g}")
    # Options that keep the weights' shapes (receiver_csi, say) may change on fine-tuning.
    changed = {k: v for k, v in cfg.codec_options.items() if start.codec_config.get(k) != v}
    try:
        codec = replace(start, codec_config={**start.codec_config, **changed}).build_codec()
    except SemcomError:
        if not changed:
            raise
        differences = ", ".join(
            f"{k}={start.codec_config.get(k)!r}, not {v!r}" for k, v in changed.items()
        )
        raise SemcomError(
            f"{where} has {differences}; its weights do not fit that network: drop the codec "
            "option to use the checkpoint's"
        ) from None
    want = (codec.in_channels, *codec.image_size)
    have = (data.channels, data.height, data.width)
    if want != have:
        raise SemcomError(
            f"{where} expects {want[0]}x{want[1]}x{want[2]} images; data {data.name!r} has "
            f"{have[0]}x{have[1]}x{have[2]}"
        )
    return codec.train()


def _epoch_generators(seed: int, epoch: int, device: torch.device) -> tuple[torch.Generator, ...]:
    base = seed * 1_000_003 + epoch * 7_919
    return (
        make_generator(base + 1),  # shuffling (CPU)
        make_generator(base + 2, device),  # SNR draws
        make_generator(base + 3, device),  # channel noise
        make_generator(base + 4, device),  # augmentation
    )


#: The cosine schedule ends at ``lr * FINAL_LR_FACTOR``.
FINAL_LR_FACTOR = 0.01


def scheduled_lr(cfg: TrainConfig, done: float) -> float:
    """Learning rate after fraction ``done`` (0..1) of the run, for ``cfg.lr_schedule``.

    Example:
        >>> cfg = TrainConfig(epochs=10, lr=1e-3, lr_schedule="cosine")
        >>> [round(scheduled_lr(cfg, f), 6) for f in (0.0, 0.5, 1.0)]
        [0.001, 0.000505, 1e-05]
    """
    if cfg.lr_schedule == "constant":
        return cfg.lr
    low = cfg.lr * FINAL_LR_FACTOR
    return low + 0.5 * (cfg.lr - low) * (1 + math.cos(math.pi * min(max(done, 0.0), 1.0)))


def _augment(x: torch.Tensor, kind: str, gen: torch.Generator) -> torch.Tensor:
    """``x: [B, C, H, W]`` with augmentation ``kind`` applied (``"flip"``: each image mirrored
    left-right with probability 1/2)."""
    if kind == "none":
        return x
    flip = torch.rand(len(x), generator=gen, device=x.device) < 0.5
    return torch.where(flip[:, None, None, None], x.flip(-1), x)


def validation_psnr(
    codec: Codec, channel: Channel, data: ImageDataset, snr_db: float, device: torch.device
) -> float:
    """Mean per-image PSNR (dB) of ``data`` sent at ``snr_db`` with a fixed noise seed."""
    return validation_scores(codec, channel, data, snr_db, device)[0]


@torch.no_grad()
def validation_scores(
    codec: Codec,
    channel: Channel,
    data: ImageDataset,
    snr_db: float,
    device: torch.device,
    classifier: torch.nn.Module | None = None,
) -> tuple[float, float | None]:
    """Mean per-image PSNR (dB) of ``data`` sent at ``snr_db`` with a fixed noise seed, and
    the ``classifier``'s accuracy on the reconstructions (``None`` without one)."""
    was_training = codec.training
    codec.eval()
    gen = make_generator(12345, device)
    link = SemanticLink(codec, channel)
    values, right = [], 0
    for x, y in data.iter_batches(256, shuffle=False, generator=None):
        x = x.to(device)
        out = link(x, snr_db, gen)
        values.append(psnr(out["x_hat"], x))
        if classifier is not None and y is not None:
            right += int(accuracy(classifier, out["x_hat"], y).sum())
    codec.train(was_training)
    mean = float(torch.cat(values).mean())
    return mean, None if classifier is None else right / max(len(data), 1)


def _task_classifier(
    cfg: TrainConfig, data: ImageDataset, device: torch.device
) -> tuple[torch.nn.Module | None, bool]:
    """The classifier of ``--task classify`` and whether it is trained with the codec."""
    if cfg.task != "classify":
        return None, False
    if data.labels is None or data.num_classes is None:
        raise SemcomError(f"--task classify needs labelled data; {cfg.data!r} has no labels")
    if cfg.classifier is None:
        return ImageClassifier(data.channels, data.num_classes).to(device), True
    ckpt = load_classifier(cfg.classifier)
    model = ckpt.build(device)
    if model.in_channels != data.channels or model.num_classes < data.num_classes:
        raise SemcomError(
            f"classifier {cfg.classifier!r} takes {model.in_channels}-channel images and "
            f"{model.num_classes} classes; the data has {data.channels} and {data.num_classes}"
        )
    return model, False


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
    link = SemanticLink(codec, channel)
    classifier, joint = _task_classifier(cfg, data, device)
    params = list(codec.parameters())
    if joint:
        assert classifier is not None
        params += list(classifier.parameters())
    optimizer = torch.optim.Adam(params, lr=cfg.lr)

    epoch, elapsed, history = 0, 0.0, []
    if resume and state_path.exists():
        state = load_training_state(state_path)
        _check_resumable(state["train_config"], cfg)
        codec.load_state_dict(state["model"])
        if joint:
            assert classifier is not None
            classifier.load_state_dict(state["classifier"])
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
    labels = data.labels.to(device) if data.labels is not None else None

    with make_progress(progress) as bar:
        task = bar.add_task("train", total=n_batches, status="")
        while epoch < max_epochs:
            if elapsed >= budget_s:
                stopped_by = "time budget"
                break
            shuffle_gen, snr_gen, noise_gen, aug_gen = _epoch_generators(cfg.seed, epoch, device)
            order = torch.randperm(len(data), generator=shuffle_gen).to(device)
            label = f"epoch {epoch + 1}" + (f"/{cfg.epochs}" if cfg.epochs else "")
            bar.reset(task, total=n_batches, description=label, status="")
            codec.train()
            if joint:
                assert classifier is not None
                classifier.train()
            t0 = time.perf_counter()
            loss_sum, psnr_sum, seen = 0.0, 0.0, 0
            for i in range(n_batches):
                idx = order[i * cfg.batch_size : (i + 1) * cfg.batch_size]
                x = _augment(images[idx].float().div_(255), cfg.augment, aug_gen)
                done = max(
                    (epoch + i / n_batches) / max_epochs,
                    (elapsed + time.perf_counter() - t0) / budget_s,
                )
                for group in optimizer.param_groups:
                    group["lr"] = scheduled_lr(cfg, done)
                snr = low + (high - low) * torch.rand(len(idx), generator=snr_gen, device=device)
                with autocast(device, cfg.precision):
                    x_hat = link(x, snr, noise_gen)["x_hat"].float()
                    loss = IMAGE_LOSSES[cfg.loss](x_hat, x)
                    if classifier is not None:
                        assert labels is not None
                        logits = classifier(x_hat)
                        loss = loss + cfg.task_weight * F.cross_entropy(logits.float(), labels[idx])
                optimizer.zero_grad(set_to_none=True)
                loss.backward()  # type: ignore[no-untyped-call]
                optimizer.step()
                with torch.no_grad():
                    loss_sum += float(loss) * len(idx)
                    psnr_sum += float(psnr(x_hat, x).sum())
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
            val_psnr, val_acc = validation_scores(codec, channel, val, val_snr, device, classifier)
            history.append(
                {
                    "epoch": epoch,
                    "train_loss": loss_sum / seen,
                    "train_psnr_db": psnr_sum / seen,
                    "val_psnr_db": val_psnr,
                    "val_snr_db": val_snr,
                    "elapsed_s": elapsed,
                    "images_per_s": seen / max(epoch_s, 1e-9),
                    "val_accuracy": val_acc,
                }
            )
            bar.update(task, status=f"loss {loss_sum / seen:.4f}  val PSNR {val_psnr:.2f} dB")
            atomic_save(
                {
                    "format": FORMAT + "+state",
                    "train_config": cfg.to_dict(),
                    "model": codec.state_dict(),
                    **({"classifier": classifier.state_dict()} if joint and classifier else {}),
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
    payload = codec_payload(codec, cfg.to_dict(), history)
    if isinstance(classifier, ImageClassifier):
        names = list(data.class_names or [str(i) for i in range(classifier.num_classes)])
        payload["classifier"] = classifier_payload(classifier.eval(), names, {}, [])
    final = save_hashed(payload, out, codec.name)
    return TrainResult(final, codec, history, stopped_by)
