"""Image classifiers for task-oriented semantic communication (paper 001, Eq. 8).

The receiver classifies the reconstruction; accuracy on reconstructions says how much of
the task-relevant meaning survived the channel. :class:`ImageClassifier` is a small
VGG-style network (three stages of two 3x3 convolutions with group normalisation and
ReLU, max-pooling between stages, global average pooling, a linear layer), so it takes
any image size.

Classifier checkpoints (``semcom train-classifier``) hold the weights, the constructor
arguments, the class names and the training record; ``zoo:classifier-cifar10`` (and
``-mnist``, ``-fashion-mnist``) are shipped.

Example:
    >>> import torch
    >>> from semcom.tasks import ImageClassifier
    >>> model = ImageClassifier(in_channels=3, num_classes=10)
    >>> model(torch.rand(2, 3, 32, 32)).shape
    torch.Size([2, 10])
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from semcom.errors import SemcomError

FORMAT = "semcom-classifier/1"
GROUP_SIZE = 8


def _stage(cin: int, cout: int) -> list[nn.Module]:
    layers: list[nn.Module] = []
    for c in (cin, cout):
        layers += [
            nn.Conv2d(c, cout, 3, padding=1, bias=False),
            nn.GroupNorm(max(cout // GROUP_SIZE, 1), cout),
            nn.ReLU(inplace=True),
        ]
    return layers


class ImageClassifier(nn.Module):
    """VGG-style classifier: ``[B, C, H, W] float32`` in [0, 1] -> logits ``[B, classes]``.

    Args:
        in_channels: 1 or 3.
        num_classes: number of classes.
        width: channels of the first stage (then 2x, 4x).
    """

    def __init__(self, in_channels: int = 3, num_classes: int = 10, width: int = 32) -> None:
        super().__init__()
        if in_channels not in (1, 3):
            raise SemcomError(f"in_channels must be 1 or 3, got {in_channels}")
        if num_classes < 2:
            raise SemcomError(f"a classifier needs at least 2 classes, got {num_classes}")
        if width < GROUP_SIZE or width % GROUP_SIZE:
            raise SemcomError(f"width must be a positive multiple of {GROUP_SIZE}, got {width}")
        self.in_channels, self.num_classes, self.width = in_channels, num_classes, width
        w = width
        self.features = nn.Sequential(
            *_stage(in_channels, w),
            nn.MaxPool2d(2),
            *_stage(w, 2 * w),
            nn.MaxPool2d(2),
            *_stage(2 * w, 4 * w),
            nn.AdaptiveAvgPool2d(1),
        )
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(0.2), nn.Linear(4 * w, num_classes))

    def config(self) -> dict[str, int]:
        """Constructor arguments."""
        return {
            "in_channels": self.in_channels,
            "num_classes": self.num_classes,
            "width": self.width,
        }

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.head(self.features(x * 2 - 1))
        return out


@torch.no_grad()
def accuracy(model: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """``[B] bool``: whether ``model`` classifies each image (``[B, C, H, W]``) right."""
    was = model.training
    model.eval()
    pred: torch.Tensor = model(images).argmax(dim=1)
    model.train(was)
    return pred == labels.to(pred.device)


@dataclass
class ClassifierCheckpoint:
    """A loaded classifier checkpoint."""

    path: Path
    config: dict[str, int]
    state_dict: dict[str, torch.Tensor]
    class_names: list[str] = field(default_factory=list)
    train_config: dict[str, Any] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)

    def build(self, device: torch.device | str = "cpu") -> ImageClassifier:
        """The classifier with its weights, in eval mode, frozen, on ``device``."""
        model = ImageClassifier(**self.config)
        model.load_state_dict(self.state_dict)
        return model.to(device).eval().requires_grad_(False)


def classifier_payload(
    model: ImageClassifier,
    class_names: list[str],
    train_config: dict[str, Any],
    history: list[dict[str, Any]],
) -> dict[str, Any]:
    """What a classifier checkpoint file holds."""
    return {
        "format": FORMAT,
        "config": model.config(),
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "class_names": class_names,
        "train_config": train_config,
        "history": history,
    }


def load_classifier(spec: str | Path) -> ClassifierCheckpoint:
    """Read a classifier checkpoint: a file path or ``zoo:classifier-...``."""
    from semcom.zoo.store import is_zoo_spec, verified_weights

    p = verified_weights(str(spec)) if is_zoo_spec(spec) else Path(spec)
    if not p.is_file():
        raise SemcomError(f"no classifier checkpoint at {str(p)!r}")
    try:
        raw = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as e:  # truncated or foreign file
        raise SemcomError(f"cannot read classifier checkpoint {str(p)!r}: {e}") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise SemcomError(f"{str(p)!r} is not a semcom classifier checkpoint")
    return ClassifierCheckpoint(
        p,
        dict(raw["config"]),
        raw["state_dict"],
        list(raw.get("class_names", [])),
        dict(raw.get("train_config", {})),
        list(raw.get("history", [])),
    )


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file (for zoo cards)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()
