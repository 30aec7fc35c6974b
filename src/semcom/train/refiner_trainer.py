"""Two-stage training of a refiner behind a frozen codec (paper 003 Sec. III-D, Alg. 1).

Every step sends a batch through the codec and the channel at SNRs drawn uniformly from
the range (default: the codec's training range), then

* stage 1 fits N1 + N2 to ``L_pre = |x - N2(x_coarse, N1(x_coarse, x))|_1``;
* stage 2 fits N1' + the noise estimator and fine-tunes N2 to ``L_pre + L_diff``,
  ``L_diff = mean |Z_hat - Z_0|`` (N1 frozen).

Adam (paper: lr 2e-4, batch 16, 32x32 images), a cosine schedule to lr/100 per stage by
default. After every epoch: the validation PSNR (dB) at the middle of the SNR range of the
codec alone (NGF) and of codec + refiner (stage 1: with the oracle prior; stage 2: the
inference path), ``train_log.csv`` and ``last.pt`` (``--resume`` continues from it). The
final file is a *link checkpoint*, ``<codec>+<refiner>-<sha8>.pt``: the codec checkpoint
plus a ``refiner`` entry, loadable wherever a checkpoint is.
"""

from __future__ import annotations

import csv
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

from semcom.channels.base import Channel
from semcom.codecs.base import Codec
from semcom.config import check_precision
from semcom.data import ImageDataset, load_images
from semcom.device import autocast, resolve_device
from semcom.errors import SemcomError
from semcom.link import SemanticLink
from semcom.losses import IMAGE_LOSSES, check_loss
from semcom.metrics import psnr
from semcom.parsing import parse_snr_range
from semcom.refiners import REFINERS, SFTRefiner, create_refiner
from semcom.refiners.sft import l1
from semcom.registry import create_channel
from semcom.seeding import make_generator, seed_everything
from semcom.train.checkpoint import FORMAT, _read, atomic_save, load_checkpoint, save_hashed
from semcom.train.progress import STDERR, make_progress

STATE_FORMAT = FORMAT + "+refiner-state"
LOG_COLUMNS = ["stage", "epoch", "train_loss", "val_psnr_ngf_db", "val_psnr_db", "elapsed_s"]


@dataclass(frozen=True)
class RefinerTrainConfig:
    """What ``semcom train-refiner`` needs; the link checkpoint stores it.

    Attributes:
        checkpoint: the codec checkpoint (path or ``zoo:NAME``), used frozen.
        data: data spec of images of the codec's geometry (see ``semcom.data``).
        refiner: registered refiner size (``sft-small``, ``sft-paper``).
        refiner_options: overrides of the size's constructor arguments.
        channel: channel name; ``None``: the codec's training channel.
        snr_db: training SNR range (dB); ``None``: the codec's training range.
        stage1_epochs, stage2_epochs: epochs of each stage.
        batch_size: images per step (paper: 16).
        lr: Adam learning rate at the start of each stage (paper: 2e-4).
        lr_schedule: ``"cosine"`` (to lr/100 over each stage) or ``"constant"``.
        augment: ``"none"`` or ``"flip"``.
        image_loss: ``L_pre``: ``"l1"`` (paper 003, ``|x - x_hat|_1``), ``"mse"`` (the
            squared error) or ``"psnr"`` (minus the mean per-image PSNR, the benchmarks'
            measure; :mod:`semcom.losses`); ``L_diff`` stays L1.
        val_images: held-out images for the per-epoch validation.
        seed: seed of every random choice.
        device: ``auto``, ``cpu`` or ``cuda``.
        out: run folder.
        precision: ``"fp32"`` or ``"bf16"`` (the training forward passes and losses under
            bfloat16 autocast; weights, optimiser state and validation stay float32); may
            change on resume.
    """

    checkpoint: str
    data: str
    refiner: str = "sft-small"
    refiner_options: dict[str, Any] = field(default_factory=dict)
    channel: str | None = None
    snr_db: tuple[float, float] | None = None
    stage1_epochs: int = 10
    stage2_epochs: int = 10
    batch_size: int = 16
    lr: float = 2e-4
    lr_schedule: str = "cosine"
    augment: str = "flip"
    image_loss: str = "l1"
    val_images: int = 512
    seed: int = 0
    device: str = "auto"
    out: str = "runs/refiner"
    precision: str = "fp32"

    def __post_init__(self) -> None:
        snr: Any = self.snr_db
        if isinstance(snr, str):
            object.__setattr__(self, "snr_db", parse_snr_range(snr))
        if self.refiner not in REFINERS:
            REFINERS.entry(self.refiner)  # raises, listing the choices
        if self.stage1_epochs < 0 or self.stage2_epochs < 0:
            raise SemcomError("stage epochs must be 0 or more")
        if self.stage1_epochs + self.stage2_epochs < 1:
            raise SemcomError("train at least one epoch (stage1_epochs + stage2_epochs)")
        if self.batch_size < 1:
            raise SemcomError(f"batch_size must be at least 1, got {self.batch_size}")
        if not self.lr > 0:
            raise SemcomError(f"lr must be positive, got {self.lr}")
        if self.lr_schedule not in ("constant", "cosine"):
            raise SemcomError(f"unknown lr_schedule {self.lr_schedule!r}; choose constant, cosine")
        if self.augment not in ("none", "flip"):
            raise SemcomError(f"unknown augment {self.augment!r}; choose one of: none, flip")
        check_loss(self.image_loss, "image_loss")
        check_precision(self.precision)


@dataclass
class RefinerTrainResult:
    """Where the link checkpoint went and the last validation PSNRs (dB)."""

    checkpoint: Path
    val_psnr_ngf_db: float
    val_psnr_db: float
    history: list[dict[str, Any]]


def _lr(cfg: RefinerTrainConfig, done: float) -> float:
    if cfg.lr_schedule == "constant":
        return cfg.lr
    low = cfg.lr / 100
    return low + 0.5 * (cfg.lr - low) * (1 + math.cos(math.pi * min(max(done, 0.0), 1.0)))


def _stage_params(refiner: SFTRefiner, stage: int) -> list[torch.nn.Parameter]:
    nets = [refiner.n1, refiner.n2] if stage == 1 else [refiner.n1_prime, refiner.eps, refiner.n2]
    if refiner.snr_embed is not None:
        nets.append(refiner.snr_embed)
    return [p for net in nets for p in net.parameters()]


@torch.no_grad()
def validate(
    codec: Codec,
    refiner: SFTRefiner,
    channel: Channel,
    val: ImageDataset,
    snr_db: float,
    stage: int,
    device: torch.device,
    batch_size: int = 128,
) -> tuple[float, float]:
    """Mean per-image PSNR (dB) of the codec alone and of codec + refiner at ``snr_db``
    (fixed noise seed); stage 1 refines with the oracle prior, stage 2 as at inference."""
    refiner.eval()
    gen = make_generator(12_345, device)
    link = SemanticLink(codec, channel)
    ngf, ref = [], []
    for x, _ in val.iter_batches(batch_size, shuffle=False, generator=None):
        x = x.to(device)
        x_c = link(x, snr_db, gen)["x_hat"].clamp(0, 1)
        x_r = refiner.stage1(x_c, x, snr_db) if stage == 1 else refiner(x_c, snr_db, gen)
        ngf.append(psnr(x_c, x))
        ref.append(psnr(x_r.clamp(0, 1), x))
    refiner.train()
    return float(torch.cat(ngf).mean()), float(torch.cat(ref).mean())


def train_refiner(
    cfg: RefinerTrainConfig, *, resume: bool = False, progress: bool = True
) -> RefinerTrainResult:
    """Run both stages (see the module docstring) and write the link checkpoint.

    Raises:
        SemcomError: bad configuration, data of another geometry than the codec's, an
            existing run without ``resume``, or a saved run with another configuration.
    """
    out = Path(cfg.out)
    state_path = out / "last.pt"
    if state_path.exists() and not resume:
        raise SemcomError(
            f"{str(out)!r} already holds a refiner run; pass --resume to continue it "
            "or choose another --out"
        )
    device = resolve_device(cfg.device)
    seed_everything(cfg.seed)
    ckpt = load_checkpoint(cfg.checkpoint)
    if ckpt.refiner is not None:
        raise SemcomError(f"{cfg.checkpoint!r} already has a refiner; give a codec checkpoint")
    codec = ckpt.build_codec(device)
    for p in codec.parameters():
        p.requires_grad_(False)
    channel_name = cfg.channel or str(ckpt.train_config.get("channel", "awgn"))
    channel = create_channel(channel_name).to(device)
    coarse_link = SemanticLink(codec, channel)  # the codec alone: the refiner's input
    low, high = cfg.snr_db or tuple(ckpt.train_config.get("snr_db", (0.0, 20.0)))
    data = load_images(cfg.data, "train")
    val = load_images(cfg.data, "eval").head(cfg.val_images)
    geometry = (data.channels, data.height, data.width)
    if geometry != (codec.in_channels, *codec.image_size):
        raise SemcomError(
            f"data {cfg.data!r} has images {list(geometry)} (C, H, W), the codec takes "
            f"{[codec.in_channels, *codec.image_size]}"
        )
    refiner = create_refiner(
        cfg.refiner,
        **{"in_channels": codec.in_channels, "image_size": codec.image_size},
        **cfg.refiner_options,
    ).to(device)
    saved_cfg = asdict(cfg)

    stage, epoch, elapsed = 1 if cfg.stage1_epochs else 2, 0, 0.0
    history: list[dict[str, Any]] = []
    opt_state: dict[str, Any] | None = None
    if resume and state_path.exists():
        state = _read(state_path)
        if not isinstance(state, dict) or state.get("format") != STATE_FORMAT:
            raise SemcomError(f"{str(state_path)!r} is not a semcom refiner training state")
        changed = [
            k
            for k, v in state["config"].items()
            if k not in ("stage1_epochs", "stage2_epochs", "device", "out", "precision")
            and saved_cfg.get(k) != v
        ]
        if changed:
            raise SemcomError(
                f"cannot resume: {changed[0]} was {state['config'][changed[0]]!r}, now "
                f"{saved_cfg.get(changed[0])!r}"
            )
        refiner.load_state_dict(state["refiner"])
        stage, epoch, elapsed = int(state["stage"]), int(state["epoch"]), float(state["elapsed_s"])
        history, opt_state = list(state["history"]), state["optimizer"]
        STDERR.print(f"resuming {out}: stage {stage} after epoch {epoch} ({elapsed:.0f} s)")

    out.mkdir(parents=True, exist_ok=True)
    log_path = out / "train_log.csv"
    _write_log(log_path, history)
    n_batches = math.ceil(len(data) / cfg.batch_size)
    pre_loss = IMAGE_LOSSES[cfg.image_loss]
    images = data.images
    last = (float("nan"), float("nan"))
    with make_progress(progress) as bar:
        task = bar.add_task("refiner", total=n_batches, status="")
        for st, n_epochs in ((1, cfg.stage1_epochs), (2, cfg.stage2_epochs)):
            if st < stage or n_epochs == 0:
                continue
            if st > stage:
                stage, epoch, opt_state = st, 0, None
            optimizer = torch.optim.Adam(_stage_params(refiner, st), lr=cfg.lr)
            if opt_state is not None:
                optimizer.load_state_dict(opt_state)
                opt_state = None
            while epoch < n_epochs:
                base = cfg.seed * 1_000_003 + st * 100_003 + epoch * 7_919
                order = torch.randperm(len(data), generator=make_generator(base + 1))
                snr_gen = make_generator(base + 2, device)
                noise_gen = make_generator(base + 3, device)
                aug_gen = make_generator(base + 4, device)
                label = f"stage {st} epoch {epoch + 1}/{n_epochs}"
                bar.reset(task, total=n_batches, description=label)
                t0, loss_sum = time.perf_counter(), 0.0
                for i in range(n_batches):
                    idx = order[i * cfg.batch_size : (i + 1) * cfg.batch_size]
                    x = images[idx].to(device).float().div_(255)
                    if cfg.augment == "flip":
                        flip = torch.rand(len(x), generator=aug_gen, device=device) < 0.5
                        x = torch.where(flip[:, None, None, None], x.flip(-1), x)
                    for g in optimizer.param_groups:
                        g["lr"] = _lr(cfg, (epoch + i / n_batches) / n_epochs)
                    snr = low + (high - low) * torch.rand(len(x), generator=snr_gen, device=device)
                    with autocast(device, cfg.precision):
                        with torch.no_grad():
                            x_c = coarse_link(x, snr, noise_gen)["x_hat"].clamp(0, 1)
                        if st == 1:
                            loss = pre_loss(refiner.stage1(x_c, x, snr).float(), x)
                        else:
                            x_r, z_hat, z0 = refiner.stage2(x_c, x, noise_gen, snr)
                            loss = pre_loss(x_r.float(), x) + l1(z_hat.float(), z0.float())
                    optimizer.zero_grad(set_to_none=True)
                    loss.backward()  # type: ignore[no-untyped-call]
                    optimizer.step()
                    loss_sum += float(loss.detach()) * len(x)
                    bar.update(task, advance=1, status=f"loss {float(loss.detach()):.4f}")
                epoch += 1
                last = validate(codec, refiner, channel, val, (low + high) / 2, st, device)
                elapsed += time.perf_counter() - t0
                record = {
                    "stage": st,
                    "epoch": epoch,
                    "train_loss": loss_sum / len(data),
                    "val_psnr_ngf_db": last[0],
                    "val_psnr_db": last[1],
                    "elapsed_s": elapsed,
                }
                history.append(record)
                _append_log(log_path, record)
                bar.update(task, status=f"val {last[1]:.2f} dB (codec alone {last[0]:.2f} dB)")
                atomic_save(
                    {
                        "format": STATE_FORMAT,
                        "config": saved_cfg,
                        "stage": st,
                        "epoch": epoch,
                        "elapsed_s": elapsed,
                        "history": history,
                        "refiner": refiner.state_dict(),
                        "optimizer": optimizer.state_dict(),
                    },
                    state_path,
                )
    if math.isnan(last[1]):
        last = validate(codec, refiner, channel, val, (low + high) / 2, 2, device)
    payload = _link_payload(ckpt.path, refiner, saved_cfg, history)
    path = save_hashed(payload, out, f"{ckpt.codec_name}+{cfg.refiner}")
    return RefinerTrainResult(path, last[0], last[1], history)


def _link_payload(
    codec_path: Path, refiner: SFTRefiner, cfg: dict[str, Any], history: list[dict[str, Any]]
) -> dict[str, Any]:
    """The codec checkpoint's dict plus the ``refiner`` entry."""
    raw = dict(_read(codec_path))
    raw["refiner"] = {
        "name": cfg["refiner"],
        "config": refiner.config(),
        "state_dict": {k: v.detach().cpu() for k, v in refiner.state_dict().items()},
        "train_config": cfg,
        "history": history,
    }
    return raw


def _write_log(path: Path, history: list[dict[str, Any]]) -> None:
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=LOG_COLUMNS)
        w.writeheader()
        w.writerows(history)


def _append_log(path: Path, record: dict[str, Any]) -> None:
    with path.open("a", newline="") as f:
        csv.DictWriter(f, fieldnames=LOG_COLUMNS).writerow(record)
