"""Checkpoints: atomic writes, hash-named final files, validated loading.

A final checkpoint is one file named ``<codec>-<sha8>.pt`` where ``sha8`` is the first
8 hex digits of the sha256 of its bytes (as CompressAI names its weights). It holds
the codec's name, constructor config and weights, the full training config and the
training history, so nothing else is needed to load it; loading re-checks the hash.

Example:
    >>> from semcom.train.checkpoint import load_checkpoint
    >>> ckpt = load_checkpoint("zoo:deepjscc-mnist-awgn")  # or "runs/x/deepjscc-1a2b3c4d.pt"
    >>> codec = ckpt.build_codec()
    >>> ckpt.codec_name, codec.in_channels, codec.image_size, ckpt.train_config["channel"]
    ('deepjscc', 1, (28, 28), 'awgn')
"""

from __future__ import annotations

import hashlib
import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from semcom.codecs.base import Codec
from semcom.errors import SemcomError
from semcom.registry import CODECS

FORMAT = "semcom-checkpoint/1"
_HASHED = re.compile(r"^(?P<stem>.+)-(?P<sha>[0-9a-f]{8})$")


def atomic_save(obj: Any, path: Path) -> None:
    """``torch.save`` to ``path`` through a temporary file, so a kill never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def _read(path: Path) -> Any:
    if not path.exists():
        raise SemcomError(f"checkpoint {str(path)!r} does not exist")
    if path.is_dir():
        raise SemcomError(f"checkpoint {str(path)!r} is a folder, not a checkpoint file")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch.load raises many types on foreign bytes
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise SemcomError(
            f"checkpoint {str(path)!r} is corrupt or not a checkpoint: {first}"
        ) from None


@dataclass
class Checkpoint:
    """A loaded codec checkpoint.

    Attributes:
        path: where it was read from.
        codec_name: registered codec name.
        codec_config: constructor keyword arguments of the codec.
        state_dict: the codec's weights.
        train_config: the :class:`~semcom.config.TrainConfig` it was trained with, as a dict.
        history: per-epoch training records.
        classifier: the classifier trained with the codec (``--task classify``), as a
            classifier checkpoint dict, else ``None``.
        refiner: a *link checkpoint*'s refiner (``semcom train-refiner``): a dict with
            ``name``, ``config``, ``state_dict``, ``train_config`` and ``history``; ``None``
            for a codec checkpoint.
    """

    path: Path
    codec_name: str
    codec_config: dict[str, Any]
    state_dict: dict[str, torch.Tensor]
    train_config: dict[str, Any] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)
    classifier: dict[str, Any] | None = None
    refiner: dict[str, Any] | None = None

    @property
    def name(self) -> str:
        """A short label for tables and plots: the file name without ``.pt``."""
        return self.path.stem

    def build_classifier(self, device: torch.device | str = "cpu") -> torch.nn.Module | None:
        """The classifier trained with the codec (frozen, eval mode), or ``None``."""
        if self.classifier is None:
            return None
        from semcom.tasks.classifier import ClassifierCheckpoint

        c = self.classifier
        return ClassifierCheckpoint(self.path, c["config"], c["state_dict"]).build(device)

    def build_refiner(self, device: torch.device | str = "cpu") -> torch.nn.Module | None:
        """The refiner of a link checkpoint (eval mode), or ``None`` for a codec checkpoint."""
        if self.refiner is None:
            return None
        from semcom.refiners import refiner_from_config

        try:
            refiner = refiner_from_config(
                dict(self.refiner["config"]), dict(self.refiner["state_dict"])
            )
        except (RuntimeError, TypeError, KeyError) as e:
            raise SemcomError(
                f"checkpoint {str(self.path)!r}: its refiner does not load: "
                f"{str(e).splitlines()[0]}"
            ) from None
        return refiner.to(device).eval()

    def build_codec(self, device: torch.device | str = "cpu") -> Codec:
        """The codec with its weights, in eval mode, on ``device``."""
        factory = CODECS.entry(self.codec_name).factory
        if not (isinstance(factory, type) and issubclass(factory, Codec)):
            raise SemcomError(f"codec {self.codec_name!r} cannot be rebuilt from a checkpoint")
        try:
            codec = factory.from_state_dict(self.state_dict, self.codec_config)
        except (RuntimeError, TypeError, KeyError) as e:
            raise SemcomError(
                f"checkpoint {str(self.path)!r} does not match codec {self.codec_name!r}: "
                f"{str(e).splitlines()[0]}"
            ) from None
        return codec.to(device).eval()


def codec_payload(
    codec: Codec, train_config: dict[str, Any], history: list[dict[str, Any]]
) -> dict[str, Any]:
    """The dict a final checkpoint file holds."""
    return {
        "format": FORMAT,
        "codec": {"name": codec.name, "config": codec.config()},
        "state_dict": {k: v.detach().cpu() for k, v in codec.state_dict().items()},
        "train_config": train_config,
        "history": history,
    }


def save_hashed(payload: dict[str, Any], out_dir: Path, stem: str) -> Path:
    """Write ``payload`` as ``out_dir/<stem>-<sha8>.pt``; returns the path."""
    buf = io.BytesIO()
    torch.save(payload, buf)
    data = buf.getvalue()
    sha = hashlib.sha256(data).hexdigest()[:8]
    path = out_dir / f"{stem}-{sha}.pt"
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return path


def load_checkpoint(path: str | Path) -> Checkpoint:
    """Read and validate a codec checkpoint: a file path or ``zoo:NAME``.

    The hash is checked when the file name carries one, and always for zoo weights
    (against the model card's sha256).
    """
    from semcom.zoo.store import is_zoo_spec, verified_weights

    p = verified_weights(str(path)) if is_zoo_spec(path) else Path(path)
    raw = _read(p)
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise SemcomError(f"checkpoint {str(p)!r} is not a semcom codec checkpoint")
    m = _HASHED.match(p.stem)
    if m:
        sha = hashlib.sha256(p.read_bytes()).hexdigest()[:8]
        if sha != m["sha"]:
            raise SemcomError(
                f"checkpoint {str(p)!r} is corrupt: its sha256 starts with {sha}, "
                f"its name says {m['sha']}"
            )
    try:
        return Checkpoint(
            path=p,
            codec_name=str(raw["codec"]["name"]),
            codec_config=dict(raw["codec"]["config"]),
            state_dict=dict(raw["state_dict"]),
            train_config=dict(raw.get("train_config", {})),
            history=list(raw.get("history", [])),
            classifier=raw.get("classifier"),
            refiner=raw.get("refiner"),
        )
    except (KeyError, TypeError):
        raise SemcomError(f"checkpoint {str(p)!r} is missing its codec or weights") from None


def load_training_state(path: Path) -> dict[str, Any]:
    """Read a run's ``last.pt`` (the per-epoch training state)."""
    raw = _read(path)
    if not isinstance(raw, dict) or raw.get("format") != FORMAT + "+state":
        raise SemcomError(f"{str(path)!r} is not a semcom training state")
    return raw
