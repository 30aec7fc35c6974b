"""The semantic link: codec + channel (+ refiner), the one end-to-end forward.

Training, sweeps, single-image transmission, federated learning and the service all
call :meth:`SemanticLink.forward`; nothing else chains the layers.

Example:
    >>> import torch
    >>> from semcom import SemanticLink, create_codec, create_channel
    >>> link = SemanticLink(create_codec("deepjscc"), create_channel("awgn"))
    >>> out = link(torch.rand(4, 3, 32, 32), snr_db=10.0)
    >>> out["x_hat"].shape
    torch.Size([4, 3, 32, 32])
"""

from __future__ import annotations

import torch
from torch import nn

from semcom.channels.base import Channel
from semcom.codecs.base import Codec


class SemanticLink(nn.Module):
    """``x -> codec.encode -> channel -> codec.decode -> refiner -> x_hat``.

    Args:
        codec: a :class:`~semcom.codecs.base.Codec`.
        channel: a :class:`~semcom.channels.base.Channel`.
        refiner: optional image-to-image module
            ``(x_hat [B,C,H,W], snr_db [B], generator) -> [B,C,H,W]`` applied after decoding
            (e.g. :class:`~semcom.refiners.sft.SFTRefiner`); ``None`` is the no-refinement
            (NGF) ablation. A :class:`~semcom.refiners.base.Refiner` built for other images
            than the codec's is refused (:class:`~semcom.errors.SemcomError` naming both).
    """

    def __init__(self, codec: Codec, channel: Channel, refiner: nn.Module | None = None) -> None:
        super().__init__()
        if refiner is not None:
            from semcom.refiners.base import check_refiner_matches

            check_refiner_matches(codec, refiner)
        self.codec = codec
        self.channel = channel
        self.refiner = refiner

    @property
    def channel_uses(self) -> int:
        """Complex channel uses per image (k)."""
        return self.codec.k

    def forward(
        self,
        x: torch.Tensor,
        snr_db: float | torch.Tensor,
        generator: torch.Generator | None = None,
        refiner_generator: torch.Generator | None = None,
    ) -> dict[str, torch.Tensor]:
        """Send images ``x: [B, C, H, W] float32`` in [0, 1] at ``snr_db`` (dB, ``[B]`` or float).

        ``generator`` draws the channel's noise (and fading); the refiner draws its own noise
        from ``refiner_generator``, or from ``generator`` after the channel when that is
        ``None``. Evaluations pass both, so that a link with a refiner and the same codec
        without one see the same channel realisations, batch after batch (a paired
        comparison).

        Returns the codec's dict (``x_hat``, ``symbols``, ``received``, ``csi``); with a
        refiner, ``x_hat`` is the refined image and ``x_coarse`` the decoder's output.
        """
        out: dict[str, torch.Tensor] = self.codec(x, self.channel, snr_db, generator)
        if self.refiner is not None:
            out["x_coarse"] = out["x_hat"]
            refiner_gen = generator if refiner_generator is None else refiner_generator
            out["x_hat"] = self.refiner(out["x_hat"], snr_db, refiner_gen)
        return out
