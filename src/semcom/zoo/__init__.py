"""The model zoo: pretrained weights inside the package, hash-checked, each with a card.

``zoo:NAME`` works wherever a checkpoint path does (``semcom sweep --checkpoint
zoo:deepjscc-cifar10-awgn``); :func:`load` returns a ready :class:`~semcom.SemanticLink`.

Example:
    >>> import torch, semcom
    >>> link = semcom.load("zoo:deepjscc-cifar10-awgn")
    >>> link(torch.rand(2, 3, 32, 32), snr_db=10.0)["x_hat"].shape
    torch.Size([2, 3, 32, 32])
"""

from __future__ import annotations

from pathlib import Path

import torch

from semcom.link import SemanticLink
from semcom.zoo.card import ModelCard, PsnrPoint
from semcom.zoo.cards import CARDS
from semcom.zoo.store import (
    PREFIX,
    get_card,
    is_zoo_spec,
    names,
    verified_weights,
    weights_path,
)


def load(
    spec: str | Path,
    channel: str | None = None,
    device: torch.device | str = "cpu",
    refiner_steps: int | None = None,
    refiner: bool = True,
) -> SemanticLink:
    """A ready link from ``zoo:NAME`` or a checkpoint path.

    Args:
        spec: ``zoo:NAME`` or the path of a codec or link checkpoint.
        channel: channel name; default: the one the model was trained on.
        device: where the link lives.
        refiner_steps: reverse diffusion steps of a link checkpoint's refiner (1..T;
            default T).
        refiner: ``False`` drops a link checkpoint's refiner (the NGF ablation).

    Returns:
        :class:`~semcom.SemanticLink` in eval mode.
    """
    from semcom.registry import create_channel
    from semcom.train.checkpoint import load_checkpoint

    ckpt = load_checkpoint(spec)
    name = channel or str(ckpt.train_config.get("channel", "awgn"))
    ref = ckpt.build_refiner(device) if refiner else None
    if ref is not None and refiner_steps is not None:
        ref.set_steps(refiner_steps)  # type: ignore[operator]
    codec = ckpt.build_codec(device)
    return SemanticLink(codec, create_channel(name).to(device), ref).eval()


__all__ = [
    "CARDS",
    "PREFIX",
    "ModelCard",
    "PsnrPoint",
    "get_card",
    "is_zoo_spec",
    "load",
    "names",
    "verified_weights",
    "weights_path",
]
