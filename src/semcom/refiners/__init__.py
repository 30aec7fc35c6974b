"""Refiners: generative semantic fine-tuning after the decoder (``None`` = the NGF ablation).

Registered sizes (see ``semcom models``):

* ``sft-small`` — :class:`~semcom.refiners.sft.SFTRefiner`, CPU-friendly (dim 16, blocks
  [1, 1, 2, 2], no refinement blocks at full resolution, C' = 32).
* ``sft-paper`` — paper 003's size (dim 48, heads [1, 2, 4, 8], blocks [3, 5, 6, 6], C' = 96).

Example:
    >>> from semcom.refiners import create_refiner, REFINERS
    >>> REFINERS.names()
    ['sft-paper', 'sft-small']
    >>> create_refiner("sft-small", in_channels=1, image_size=(28, 28)).timesteps
    4
"""

from __future__ import annotations

from typing import Any

from semcom.refiners.base import Refiner, check_refiner_matches
from semcom.refiners.sft import SFTRefiner
from semcom.registry import REFINERS

SIZES: dict[str, dict[str, Any]] = {
    "sft-small": {},
    "sft-paper": {
        "dim": 48,
        "blocks": [3, 5, 6, 6],
        "heads": [1, 2, 4, 8],
        "refinement_blocks": 4,
        "expansion": 2.2,
        "prior_width": 96,
        "prior_blocks": 6,
        "denoiser_blocks": 5,
    },
}


def _register(size: str) -> None:
    def factory(**overrides: Any) -> SFTRefiner:
        return SFTRefiner(**{**SIZES[size], **overrides})

    factory.__doc__ = f"SFT refiner, size {size}"
    REFINERS.register(size, summary=f"compact-prior diffusion refiner (paper 003), {size}")(factory)


for _size in SIZES:
    _register(_size)


def create_refiner(name: str, **kwargs: Any) -> SFTRefiner:
    """Build a registered refiner, e.g. ``create_refiner("sft-small", in_channels=1)``."""
    refiner: SFTRefiner = REFINERS.create(name, **kwargs)
    return refiner


def refiner_from_config(config: dict[str, Any], state: dict[str, Any]) -> SFTRefiner:
    """Rebuild a saved refiner from its ``config()`` and weights (strict)."""
    refiner = SFTRefiner(**config)
    refiner.load_state_dict(state)
    return refiner


__all__ = [
    "REFINERS",
    "SIZES",
    "Refiner",
    "SFTRefiner",
    "check_refiner_matches",
    "create_refiner",
    "refiner_from_config",
]
