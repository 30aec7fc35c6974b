"""The refiner contract: an image-to-image module applied after the codec's decoder.

``refiner(x_coarse [B, C, H, W] float32 in [0, 1], snr_db, generator=None) -> [B, C, H, W]``.
A refiner is built for images of ``in_channels`` channels and trained at ``image_size``;
:func:`check_refiner_matches` refuses a refiner whose geometry differs from the codec's.
``config()`` returns the constructor arguments and ``from_state_dict`` rebuilds it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import torch
from torch import nn

from semcom.codecs.base import Codec
from semcom.errors import SemcomError


class Refiner(nn.Module, ABC):
    """Base class of the refiners (see the module docstring)."""

    #: Registry name.
    name: str = "refiner"

    def __init__(self, in_channels: int = 3, image_size: tuple[int, int] | list[int] = (32, 32)):
        super().__init__()
        self.in_channels = int(in_channels)
        self.image_size = (int(image_size[0]), int(image_size[1]))

    @abstractmethod
    def forward(
        self,
        x_coarse: torch.Tensor,
        snr_db: float | torch.Tensor | None = None,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """The refined image ``[B, C, H, W]`` of the decoder output ``x_coarse``."""

    @abstractmethod
    def config(self) -> dict[str, Any]:
        """Constructor keyword arguments that rebuild this refiner."""

    @classmethod
    def from_state_dict(cls, state: dict[str, torch.Tensor], config: dict[str, Any]) -> Refiner:
        """A refiner built from ``config`` with weights ``state`` (strict)."""
        refiner = cls(**config)
        refiner.load_state_dict(state)
        return refiner


def check_refiner_matches(codec: Codec, refiner: nn.Module) -> None:
    """Raise :class:`SemcomError` naming both shapes unless ``refiner`` takes the codec's images."""
    if not isinstance(refiner, Refiner):
        return
    codec_shape = [codec.in_channels, *codec.image_size]
    refiner_shape = [refiner.in_channels, *refiner.image_size]
    if codec_shape != refiner_shape:
        raise SemcomError(
            f"the refiner does not match the codec: the refiner was built for images "
            f"{refiner_shape} (C, H, W), the codec sends {codec_shape}"
        )
