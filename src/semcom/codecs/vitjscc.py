"""ViT-JSCC: the GSC mentors of PSFL (Peng et al., paper 001, Eqs. 1-7), sizes GSC-M/L/H.

Semantic encoder (MAE-style ViT): a ``p x p`` patch embedding plus fixed 2-D sine-cosine
position vectors (Eqs. 1-2), pre-norm transformer blocks (Eq. 3); DNN channel encoder:
a two-layer MLP per token to the latent channels that carry ``k`` symbols (Eq. 4).
Receiver: a DNN channel decoder (Eq. 5) and a lighter ViT semantic decoder (Eq. 6)
whose tokens are projected back to ``p x p`` pixel patches (Eq. 7) with a sigmoid.

Sizes (``size=``) keep the paper's ratios while fitting 32x32 images: the paper's GSC-M
/ L / H have 112M / 330M / 658M parameters (1 : 2.9 : 5.9) and its CSC student 54.7M
(CSC : GSC-M = 1 : 2.05). Here (3x32x32, cbr 1/6) GSC-M / L / H have 1.64M / 4.92M /
9.98M parameters (1 : 3.0 : 6.1) and ``csc`` 0.81M (1 : 2.0); ``semcom models`` prints
them. As in MAE every size shares the same light decoder.

Example:
    >>> import torch
    >>> from semcom import create_codec, create_channel
    >>> codec = create_codec("vitjscc", size="gsc-m")
    >>> codec(torch.rand(2, 3, 32, 32), create_channel("awgn"), 10.0)["x_hat"].shape
    torch.Size([2, 3, 32, 32])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from semcom.codecs.base import Codec
from semcom.errors import SemcomError
from semcom.registry import CODECS

PATCH = 4
HEAD_DIM = 32


@dataclass(frozen=True)
class ViTSize:
    """Encoder width / depth of one GSC size (the decoder is shared by all sizes)."""

    dim: int
    depth: int


SIZES: dict[str, ViTSize] = {
    "gsc-m": ViTSize(dim=128, depth=6),
    "gsc-l": ViTSize(dim=192, depth=10),
    "gsc-h": ViTSize(dim=256, depth=12),
}
DECODER = ViTSize(dim=128, depth=2)


def sincos_positions(h: int, w: int, dim: int) -> torch.Tensor:
    """Fixed 2-D sine-cosine position vectors (MAE): ``[h*w, dim] float32``.

    Half the dimensions encode the row, half the column; ``dim`` a multiple of 4.
    """
    quarter = dim // 4
    freqs = 1.0 / 10000 ** (torch.arange(quarter, dtype=torch.float32) / quarter)
    rows = torch.arange(h, dtype=torch.float32)[:, None] * freqs  # [h, dim/4]
    cols = torch.arange(w, dtype=torch.float32)[:, None] * freqs
    row_emb = torch.cat([rows.sin(), rows.cos()], dim=1)[:, None].expand(h, w, 2 * quarter)
    col_emb = torch.cat([cols.sin(), cols.cos()], dim=1)[None].expand(h, w, 2 * quarter)
    return torch.cat([row_emb, col_emb], dim=-1).reshape(h * w, dim)


def transformer(dim: int, depth: int) -> nn.TransformerEncoder:
    """``depth`` pre-norm transformer blocks (MHSA + GELU MLP of width 4*dim)."""
    layer = nn.TransformerEncoderLayer(
        dim,
        dim // HEAD_DIM,
        4 * dim,
        dropout=0.0,
        activation="gelu",
        batch_first=True,
        norm_first=True,
    )
    return nn.TransformerEncoder(layer, depth, enable_nested_tensor=False)


@CODECS.register(
    "vitjscc", summary="ViT GSC (PSFL, paper 001): MAE-style ViT + DNN channel coder, sizes M/L/H"
)
class ViTJSCC(Codec):
    """ViT semantic codec with a DNN channel coder.

    Args:
        in_channels: image channels C (1 or 3).
        image_size: ``(H, W)`` pixels.
        cbr: bandwidth ratio k / (C*H*W) (default 1/6).
        size: ``"gsc-m"`` (default), ``"gsc-l"`` or ``"gsc-h"``.
        narrow: divide every width (encoder, decoder) by this, 1, 2 or 4; depths and the
            M : L : H ratios stay (``narrow = 4`` is the CPU-scale recipes' mentors).
    """

    name = "vitjscc"
    downsample = PATCH
    #: The values of the ``size`` option (``semcom models`` lists each).
    variants: ClassVar[dict[str, tuple[str, ...]]] = {"size": tuple(SIZES)}
    enc_pos: torch.Tensor
    dec_pos: torch.Tensor

    def __init__(
        self,
        in_channels: int = 3,
        image_size: tuple[int, int] | list[int] = (32, 32),
        cbr: float | str = 1 / 6,
        size: str = "gsc-m",
        narrow: int = 1,
    ) -> None:
        super().__init__(in_channels, image_size, cbr)
        if size not in SIZES:
            raise SemcomError(f"unknown size {size!r}; choose one of: {', '.join(SIZES)}")
        if narrow not in (1, 2, 4):
            raise SemcomError(f"narrow must be 1, 2 or 4, got {narrow}")
        self.size = size
        self.narrow = narrow
        enc = ViTSize(SIZES[size].dim // narrow, SIZES[size].depth)
        dec = ViTSize(DECODER.dim // narrow, DECODER.depth)
        latent = self._latent_channels()
        h, w = self.latent_hw
        self.patch_embed = nn.Conv2d(in_channels, enc.dim, PATCH, stride=PATCH)
        self.register_buffer("enc_pos", sincos_positions(h, w, enc.dim), persistent=False)
        self.encoder = transformer(enc.dim, enc.depth)
        self.encoder_norm = nn.LayerNorm(enc.dim)
        self.channel_encoder = nn.Sequential(
            nn.Linear(enc.dim, enc.dim), nn.GELU(), nn.Linear(enc.dim, latent)
        )
        self.channel_decoder = nn.Sequential(
            nn.Linear(latent, dec.dim), nn.GELU(), nn.Linear(dec.dim, dec.dim)
        )
        self.register_buffer("dec_pos", sincos_positions(h, w, dec.dim), persistent=False)
        self.decoder = transformer(dec.dim, dec.depth)
        self.decoder_norm = nn.LayerNorm(dec.dim)
        self.to_pixels = nn.Linear(dec.dim, in_channels * PATCH * PATCH)

    def extra_config(self) -> dict[str, Any]:
        return {"size": self.size, "narrow": self.narrow}

    def analysis(self, x: torch.Tensor, snr_db: torch.Tensor) -> torch.Tensor:
        """``[B, C, Hp, Wp]`` in [0, 1] -> ``[B, c, Hp/4, Wp/4]`` (``snr_db`` unused)."""
        tokens = self.patch_embed(x * 2 - 1).flatten(2).transpose(1, 2) + self.enc_pos
        tokens = self.encoder_norm(self.encoder(tokens))
        h, w = self.latent_hw
        out: torch.Tensor = self.channel_encoder(tokens)
        return out.transpose(1, 2).reshape(x.shape[0], -1, h, w)

    def synthesis(
        self, z: torch.Tensor, snr_db: torch.Tensor, csi: torch.Tensor | None
    ) -> torch.Tensor:
        """``[B, c, Hp/4, Wp/4]`` -> ``[B, C, Hp, Wp]`` in [0, 1] (``snr_db``, ``csi`` unused)."""
        b, _, h, w = z.shape
        tokens = self.channel_decoder(z.flatten(2).transpose(1, 2)) + self.dec_pos
        tokens = self.decoder_norm(self.decoder(tokens))
        patches = self.to_pixels(tokens).transpose(1, 2).reshape(b, -1, h, w)
        return torch.sigmoid(F.pixel_shuffle(patches, PATCH))
