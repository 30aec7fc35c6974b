"""Training an :class:`~semcom.tasks.classifier.ImageClassifier` on clean images.

Adam with a cosine schedule (to lr/100), cross-entropy, optional horizontal flips, seeded
per epoch; the validation accuracy is measured after every epoch; the final checkpoint
is ``classifier-<sha8>.pt`` in ``out``.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from semcom.data import load_images
from semcom.device import resolve_device
from semcom.errors import SemcomError
from semcom.seeding import make_generator, seed_everything
from semcom.tasks.classifier import ImageClassifier, accuracy, classifier_payload
from semcom.train.checkpoint import save_hashed
from semcom.train.progress import make_progress


@dataclass(frozen=True)
class ClassifierConfig:
    """How a classifier is trained (stored in its checkpoint)."""

    data: str
    epochs: int = 30
    batch_size: int = 128
    lr: float = 2e-3
    width: int = 32
    augment: str = "none"
    seed: int = 0
    device: str = "auto"
    out: str = "runs/classifier"

    def __post_init__(self) -> None:
        if self.epochs < 1:
            raise SemcomError(f"epochs must be at least 1, got {self.epochs}")
        if self.augment not in ("none", "flip"):
            raise SemcomError(f"unknown augment {self.augment!r}; choose one of: none, flip")


def evaluate_accuracy(
    model: ImageClassifier, images: torch.Tensor, labels: torch.Tensor, batch: int = 512
) -> float:
    """Fraction of ``images`` (``[N, C, H, W] uint8``) classified right."""
    right = 0
    device = next(model.parameters()).device
    for i in range(0, len(images), batch):
        x = images[i : i + batch].to(device).float().div_(255)
        right += int(accuracy(model, x, labels[i : i + batch]).sum())
    return right / max(len(images), 1)


def train_classifier(cfg: ClassifierConfig, progress: bool = True) -> tuple[Path, float]:
    """Train on ``cfg.data``'s train part; returns the checkpoint and the final validation
    accuracy (on the eval part)."""
    device = resolve_device(cfg.device)
    seed_everything(cfg.seed)
    train = load_images(cfg.data, "train")
    val = load_images(cfg.data, "eval")
    if train.labels is None or val.labels is None:
        raise SemcomError(f"data {cfg.data!r} has no labels; a classifier needs them")
    classes = train.num_classes
    if classes is None or classes < 2:
        raise SemcomError(f"data {cfg.data!r} has fewer than 2 classes")
    names = list(train.class_names or [str(i) for i in range(classes)])
    model = ImageClassifier(train.channels, classes, cfg.width).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    images, labels = train.images.to(device), train.labels.to(device)
    steps = math.ceil(len(train) / cfg.batch_size)
    history: list[dict[str, Any]] = []
    t_start = time.perf_counter()
    with make_progress(progress) as bar:
        task = bar.add_task("classifier", total=steps, status="")
        for epoch in range(cfg.epochs):
            gen = make_generator(cfg.seed * 1_000_003 + epoch)
            order = torch.randperm(len(train), generator=gen).to(device)
            bar.reset(task, total=steps, description=f"epoch {epoch + 1}/{cfg.epochs}")
            model.train()
            loss_sum = 0.0
            for i in range(steps):
                done = (epoch + i / steps) / cfg.epochs
                for group in opt.param_groups:
                    group["lr"] = cfg.lr * (0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * done)))
                idx = order[i * cfg.batch_size : (i + 1) * cfg.batch_size]
                x = images[idx].float().div_(255)
                if cfg.augment == "flip":
                    flip = torch.rand(len(idx), generator=gen).to(device) < 0.5
                    x = torch.where(flip[:, None, None, None], x.flip(-1), x)
                loss = F.cross_entropy(model(x), labels[idx])
                opt.zero_grad(set_to_none=True)
                loss.backward()  # type: ignore[no-untyped-call]
                opt.step()
                loss_sum += float(loss.detach()) * len(idx)
                bar.update(
                    task, advance=1, status=f"loss {loss_sum / ((i + 1) * cfg.batch_size):.3f}"
                )
            val_acc = evaluate_accuracy(model, val.images, val.labels)
            history.append(
                {
                    "epoch": epoch + 1,
                    "train_loss": loss_sum / len(train),
                    "val_accuracy": val_acc,
                    "elapsed_s": time.perf_counter() - t_start,
                }
            )
            bar.update(task, status=f"val accuracy {val_acc:.1%}")
    model.eval()
    payload = classifier_payload(model, names, asdict(cfg), history)
    return save_hashed(payload, Path(cfg.out), "classifier"), history[-1]["val_accuracy"]
