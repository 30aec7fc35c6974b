"""Swin-JSCC: the Swin Transformer JSCC codec of GSC (Zhang et al., paper 003, Sec. III-A-C).

Encoder: 4x4 patch partition and linear embedding to ``C`` (``embed_dim``, paper 32),
stage 1 (``depth1`` Swin blocks alternating W-MSA and SW-MSA, window 2), stage 2
(patch merging to ``2C`` and ``depth2`` Swin blocks), then a linear channel coder to
the latent channels that carry ``k`` complex symbols (``downsample = 8``). Decoder:
the mirror — linear channel decoder, stage 2 blocks, patch splitting to ``C``, stage 1
blocks, and a linear patch reverse to pixels with a sigmoid.

SNR-adaptive: after each encoder stage and before each decoder stage an
:class:`~semcom.codecs.snr_modulation.SNRModulation` rescales the features from
``snr_db`` (channel-state modulation as in SwinJSCC / WITT), so one model trained over
an SNR range serves that whole range. With ``receiver_csi=True`` the decoder's layers
read the example's own SNR after fading (:func:`~semcom.codecs.snr_modulation.effective_snr_db`,
from the channel's ``csi``) instead of the average: under block fading the receiver knows
the fade it equalised, the transmitter does not.

Paper 003's training recipe (Sec. IV-A) — SNR 1-13 dB, batch 32, Adam at lr 1e-4, MSE — is
what ``semcom train --codec swinjscc`` uses for whichever of ``--snr-db``, ``--batch-size``
and ``--lr`` it is not given (:attr:`SwinJSCC.recipe`).

Example:
    >>> import torch
    >>> from semcom import create_codec, create_channel
    >>> codec = create_codec("swinjscc", cbr="1/6")
    >>> out = codec(torch.rand(2, 3, 32, 32), create_channel("awgn"), snr_db=10.0)
    >>> out["x_hat"].shape, out["symbols"].shape
    (torch.Size([2, 3, 32, 32]), torch.Size([2, 512]))
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from semcom.codecs.base import Codec
from semcom.codecs.snr_modulation import SNRModulation, effective_snr_db
from semcom.codecs.swin_blocks import PatchMerging, PatchSplitting, SwinStage
from semcom.errors import SemcomError
from semcom.registry import CODECS

#: Dimension per attention head: stage 1 has ``C / 16`` heads, stage 2 ``2C / 16``.
HEAD_DIM = 16
PATCH = 4


@CODECS.register(
    "swinjscc", summary="Swin-JSCC (GSC, paper 003): Swin Transformer, SNR-adaptive, window 2"
)
class SwinJSCC(Codec):
    """Swin-JSCC codec.

    Args:
        in_channels: image channels C (1 or 3).
        image_size: ``(H, W)`` pixels.
        cbr: bandwidth ratio k / (C*H*W) (default 1/6).
        embed_dim: token dimension of stage 1 (paper: C = 32); stage 2 uses twice it.
            A multiple of 16 (one attention head per 16 dimensions).
        depth1: Swin blocks in stage 1 (W-MSA, SW-MSA, ...).
        depth2: Swin blocks in stage 2.
        window: attention window side in tokens (paper: 2).
        mlp_ratio: MLP width relative to the token dimension.
        snr_adaptive: condition features on ``snr_db`` (default True); False builds the
            SNR-blind network for ablations.
        receiver_csi: the decoder conditions on each example's SNR after fading, from
            the channel's ``csi`` (default False: the average ``snr_db``). Changes
            nothing over AWGN; needs ``snr_adaptive``.
    """

    name = "swinjscc"
    downsample = 2 * PATCH
    #: Paper 003's training settings (Sec. IV-A), the defaults of ``semcom train --codec
    #: swinjscc`` for whatever the command line or TOML file leaves unset.
    recipe: ClassVar[dict[str, Any]] = {"snr_db": (1.0, 13.0), "batch_size": 32, "lr": 1e-4}

    def __init__(
        self,
        in_channels: int = 3,
        image_size: tuple[int, int] | list[int] = (32, 32),
        cbr: float | str = 1 / 6,
        embed_dim: int = 32,
        depth1: int = 2,
        depth2: int = 2,
        window: int = 2,
        mlp_ratio: float = 4.0,
        snr_adaptive: bool = True,
        receiver_csi: bool = False,
    ) -> None:
        super().__init__(in_channels, image_size, cbr)
        if embed_dim < HEAD_DIM or embed_dim % HEAD_DIM:
            raise SemcomError(
                f"embed_dim must be a positive multiple of {HEAD_DIM}, got {embed_dim}"
            )
        if depth1 < 1 or depth2 < 1:
            raise SemcomError(f"depth1 and depth2 must be at least 1, got {depth1}, {depth2}")
        if window < 1:
            raise SemcomError(f"window must be at least 1 token, got {window}")
        if mlp_ratio <= 0:
            raise SemcomError(f"mlp_ratio must be positive, got {mlp_ratio}")
        if receiver_csi and not snr_adaptive:
            raise SemcomError("receiver_csi needs snr_adaptive (the CSI enters through it)")
        self.embed_dim, self.depth1, self.depth2 = embed_dim, depth1, depth2
        self.window, self.mlp_ratio, self.snr_adaptive = window, float(mlp_ratio), snr_adaptive
        self.receiver_csi = receiver_csi
        c1, c2 = embed_dim, 2 * embed_dim
        latent = self._latent_channels()

        def stage(dim: int, depth: int) -> SwinStage:
            return SwinStage(dim, depth, dim // HEAD_DIM, window, mlp_ratio)

        def modulation(dim: int) -> nn.Module:
            return SNRModulation(dim) if snr_adaptive else nn.Identity()

        # encoder
        self.embed = nn.Conv2d(in_channels, c1, PATCH, stride=PATCH)
        self.embed_norm = nn.LayerNorm(c1)
        self.enc_stage1 = stage(c1, depth1)
        self.enc_mod1 = modulation(c1)
        self.merge = PatchMerging(c1, c2)
        self.enc_stage2 = stage(c2, depth2)
        self.enc_mod2 = modulation(c2)
        self.enc_head = nn.Sequential(nn.LayerNorm(c2), nn.Linear(c2, latent))
        # decoder
        self.dec_head = nn.Linear(latent, c2)
        self.dec_mod2 = modulation(c2)
        self.dec_stage2 = stage(c2, depth2)
        self.split = PatchSplitting(c2, c1)
        self.dec_mod1 = modulation(c1)
        self.dec_stage1 = stage(c1, depth1)
        self.unembed = nn.Sequential(nn.LayerNorm(c1), nn.Linear(c1, in_channels * PATCH * PATCH))

    def extra_config(self) -> dict[str, Any]:
        return {
            "embed_dim": self.embed_dim,
            "depth1": self.depth1,
            "depth2": self.depth2,
            "window": self.window,
            "mlp_ratio": self.mlp_ratio,
            "snr_adaptive": self.snr_adaptive,
            "receiver_csi": self.receiver_csi,
        }

    def _modulate(self, layer: nn.Module, x: torch.Tensor, snr_db: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = layer(x, snr_db) if self.snr_adaptive else x
        return out

    def analysis(self, x: torch.Tensor, snr_db: torch.Tensor) -> torch.Tensor:
        """``[B, C, Hp, Wp]`` in [0, 1] -> ``[B, c, Hp/8, Wp/8]``, conditioned on ``snr_db [B]``."""
        t = self.embed_norm(self.embed(x * 2 - 1).permute(0, 2, 3, 1))  # [B, H/4, W/4, C]
        t = self._modulate(self.enc_mod1, self.enc_stage1(t), snr_db)
        t = self.enc_stage2(self.merge(t))
        t = self._modulate(self.enc_mod2, t, snr_db)
        out: torch.Tensor = self.enc_head(t).permute(0, 3, 1, 2)
        return out

    def synthesis(
        self, z: torch.Tensor, snr_db: torch.Tensor, csi: torch.Tensor | None
    ) -> torch.Tensor:
        """``[B, c, Hp/8, Wp/8]`` -> ``[B, C, Hp, Wp]`` in [0, 1]; ``csi [B, k] complex64``
        is read only with ``receiver_csi`` (the channels equalise)."""
        if self.receiver_csi:
            snr_db = effective_snr_db(snr_db, csi)
        t = self.dec_head(z.permute(0, 2, 3, 1))
        t = self.dec_stage2(self._modulate(self.dec_mod2, t, snr_db))
        t = self.split(t)
        t = self.dec_stage1(self._modulate(self.dec_mod1, t, snr_db))
        pixels = self.unembed(t).permute(0, 3, 1, 2)  # [B, C*16, H/4, W/4]
        return torch.sigmoid(F.pixel_shuffle(pixels, PATCH))
