"""SFT: paper 003's semantic fine-tuning refiner, a diffusion model on a compact prior.

After DiffIR (Xia et al., ICCV 2023). Four networks:

* N1 (:class:`~semcom.refiners.prior.PriorNet`), stage 1 only: the prior
  ``Z_0 = N1(PixelUnshuffle(concat(x_coarse, x)))`` of the decoded image *and* the original;
* N1': ``D = N1'(PixelUnshuffle(x_coarse))``, the decoded image alone;
* N2 (:class:`~semcom.refiners.restoration.RestorationNet`): ``x_hat = N2(x_coarse, Z)``;
* the noise estimator ``eps(Z_t, t, D)`` of the diffusion on ``Z``
  (:mod:`semcom.refiners.vector_diffusion`, T = 4, beta 0.1 -> 0.99).

Training (:mod:`semcom.train.refiner_trainer`): stage 1 fits N1 + N2 to ``L_pre = |x - x_hat|_1``
with the oracle prior; stage 2 fits N1' + eps (and fine-tunes N2) to
``L_pre + mean |Z_hat - Z_0|``, where ``Z_hat`` is the reverse chain run from
``q(Z_T | Z_0)`` and ``Z_0`` comes from the frozen N1. At inference (Algorithm 2) the chain
starts from ``N(0, I)``: the original image is never needed.

Sizes: ``sft-paper`` (dim 48, heads [1, 2, 4, 8], blocks [3, 5, 6, 6], C' = 96) and the
CPU-friendly ``sft-small``.

Example:
    >>> import torch
    >>> from semcom.refiners import create_refiner
    >>> refiner = create_refiner("sft-small")
    >>> g = torch.Generator().manual_seed(0)
    >>> refiner(torch.rand(2, 3, 32, 32), snr_db=5.0, generator=g).shape
    torch.Size([2, 3, 32, 32])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from semcom.errors import SemcomError
from semcom.refiners.base import Refiner
from semcom.refiners.prior import PriorNet
from semcom.refiners.restoration import RestorationNet
from semcom.refiners.sft_blocks import PriorModulation
from semcom.refiners.vector_diffusion import NoiseEstimator, VectorSchedule


class SFTRefiner(Refiner):
    """The compact-prior diffusion refiner (module docstring).

    Args:
        in_channels: image channels C.
        image_size: ``(H, W)`` of the images it is trained on.
        dim: N2's feature width at full resolution.
        blocks: N2's dynamic transformer blocks at levels 1-4.
        heads: N2's attention heads at levels 1-4.
        refinement_blocks: N2's blocks after its decoder.
        expansion: DGFN width factor.
        prior_width: C'; the prior vector has ``4 C'`` values.
        prior_blocks: residual blocks of N1 / N1'.
        denoiser_blocks: residual MLP layers of the noise estimator.
        timesteps: T.
        beta_start, beta_end: the linear variance schedule.
        parameterization: ``"x0"`` (the network predicts ``Z_0``; default) or ``"eps"``
            (it predicts the noise, as written in Eq. 13); see
            :mod:`semcom.refiners.vector_diffusion`.
        steps: reverse steps used by :meth:`forward` (1..T; default T).
        modulation_init: initialisation of N2's prior modulations: ``"default"`` (PyTorch's
            linear init, as DiffIR) or ``"zeros"`` (the plain block at the start; the prior
            then gets no gradient until the maps grow, and in our CPU runs it stayed a
            constant vector: see :mod:`semcom.refiners.sft_blocks`).
        snr_conditioning: add an embedding of the SNR, ``E(snr_db / 20)`` (a two-layer MLP),
            to the vector that modulates N2 and to the diffusion's condition, so that N2
            knows the noise level it restores from; the refiner then needs ``snr_db`` (not
            in paper 003, where the prior is read from the image alone).
    """

    name = "sft"

    def __init__(
        self,
        in_channels: int = 3,
        image_size: tuple[int, int] | list[int] = (32, 32),
        dim: int = 16,
        blocks: Sequence[int] = (1, 1, 2, 2),
        heads: Sequence[int] = (1, 2, 2, 4),
        refinement_blocks: int = 0,
        expansion: float = 2.0,
        prior_width: int = 32,
        prior_blocks: int = 2,
        denoiser_blocks: int = 2,
        timesteps: int = 4,
        beta_start: float = 0.1,
        beta_end: float = 0.99,
        parameterization: str = "x0",
        steps: int | None = None,
        modulation_init: str = "default",
        snr_conditioning: bool = False,
    ) -> None:
        super().__init__(in_channels, image_size)
        if modulation_init not in ("default", "zeros"):
            raise SemcomError(f"unknown modulation_init {modulation_init!r}; choose default, zeros")
        self._config: dict[str, Any] = {
            "in_channels": in_channels,
            "image_size": list(self.image_size),
            "dim": dim,
            "blocks": list(blocks),
            "heads": list(heads),
            "refinement_blocks": refinement_blocks,
            "expansion": expansion,
            "prior_width": prior_width,
            "prior_blocks": prior_blocks,
            "denoiser_blocks": denoiser_blocks,
            "timesteps": timesteps,
            "beta_start": beta_start,
            "beta_end": beta_end,
            "parameterization": parameterization,
            "modulation_init": modulation_init,
            "snr_conditioning": snr_conditioning,
        }
        self.schedule = VectorSchedule(timesteps, beta_start, beta_end, parameterization)
        self.z_dim = 4 * prior_width
        self.n1 = PriorNet(2 * in_channels, prior_width, prior_blocks)
        self.n1_prime = PriorNet(in_channels, prior_width, prior_blocks)
        self.n2 = RestorationNet(
            in_channels, dim, blocks, heads, self.z_dim, refinement_blocks, expansion
        )
        for module in self.n2.modules():
            if isinstance(module, PriorModulation):
                module.reset(modulation_init)
        self.eps = NoiseEstimator(self.z_dim, denoiser_blocks, timesteps)
        self.snr_embed: nn.Module | None = None
        if snr_conditioning:
            self.snr_embed = nn.Sequential(
                nn.Linear(1, self.z_dim), nn.SiLU(), nn.Linear(self.z_dim, self.z_dim)
            )
        self.steps = timesteps
        if steps is not None:
            self.set_steps(steps)

    @property
    def timesteps(self) -> int:
        """T, the length of the diffusion chain."""
        return self.schedule.timesteps

    def set_steps(self, steps: int) -> None:
        """Use ``steps`` (1..T) reverse steps in :meth:`forward`."""
        self.schedule.visited(steps)  # validates
        self.steps = steps

    def config(self) -> dict[str, Any]:
        return dict(self._config)

    def oracle_prior(self, x_coarse: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """``Z_0 = N1(PixelUnshuffle(concat(x_coarse, x)))``: ``[B, 4 C']``."""
        result: torch.Tensor = self.n1(torch.cat([x_coarse, x], dim=1))
        return result

    def _with_snr(self, v: torch.Tensor, snr_db: float | torch.Tensor | None) -> torch.Tensor:
        """``v + E(snr_db / 20)`` with ``snr_conditioning`` (``v: [B, 4 C']``, ``snr_db``
        float or ``[B]`` dB), else ``v`` itself."""
        if self.snr_embed is None:
            return v
        if snr_db is None:
            raise SemcomError("this refiner is conditioned on the SNR: pass snr_db")
        snr = torch.as_tensor(snr_db, dtype=v.dtype, device=v.device)
        embedded: torch.Tensor = self.snr_embed(snr.reshape(-1, 1).expand(len(v), 1) / 20.0)
        return v + embedded

    def restore(
        self, x_coarse: torch.Tensor, z: torch.Tensor, snr_db: float | torch.Tensor | None = None
    ) -> torch.Tensor:
        """``N2(x_coarse, z)`` — with ``snr_conditioning`` N2 is modulated by
        ``z + E(snr_db)``: ``[B, C, H, W]``."""
        result: torch.Tensor = self.n2(x_coarse, self._with_snr(z, snr_db))
        return result

    def stage1(
        self, x_coarse: torch.Tensor, x: torch.Tensor, snr_db: float | torch.Tensor | None = None
    ) -> torch.Tensor:
        """Stage-1 output ``N2(x_coarse, Z_0)`` with the oracle prior: ``[B, C, H, W]``."""
        return self.restore(x_coarse, self.oracle_prior(x_coarse, x), snr_db)

    def condition(
        self, x_coarse: torch.Tensor, snr_db: float | torch.Tensor | None = None
    ) -> torch.Tensor:
        """The diffusion's condition ``N1'(PixelUnshuffle(x_coarse))`` (plus the SNR
        embedding when ``snr_conditioning``): ``[B, 4 C']``; ``snr_db`` float or ``[B]``."""
        return self._with_snr(self.n1_prime(x_coarse), snr_db)

    def stage2(
        self,
        x_coarse: torch.Tensor,
        x: torch.Tensor,
        generator: torch.Generator | None = None,
        snr_db: float | torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Algorithm 1: ``(x_hat, Z_hat, Z_0)``; ``Z_0`` from the (frozen) N1, ``Z_hat`` from the
        full reverse chain started at ``q(Z_T | Z_0)`` and conditioned on N1' (and on
        ``snr_db``, float or ``[B]`` dB, with ``snr_conditioning``)."""
        with torch.no_grad():
            z0 = self.oracle_prior(x_coarse, x)
        cond = self.condition(x_coarse, snr_db)
        z_hat = self.schedule.reverse(
            self.eps, self.schedule.q_sample(z0, generator), cond, self.timesteps
        )
        return self.restore(x_coarse, z_hat, snr_db), z_hat, z0

    def forward(
        self,
        x_coarse: torch.Tensor,
        snr_db: float | torch.Tensor | None = None,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """Algorithm 2: ``x_coarse: [B, C, H, W]`` -> refined ``[B, C, H, W]`` (``steps`` calls
        of the noise estimator); ``snr_db`` (float or ``[B]`` dB) is used only by a refiner
        built with ``snr_conditioning`` (paper 003 reads the prior from the image alone)."""
        if x_coarse.shape[1] != self.in_channels:
            raise SemcomError(
                f"the refiner takes {self.in_channels}-channel images, got {x_coarse.shape[1]}"
            )
        cond = self.condition(x_coarse, snr_db)
        z = self.schedule.sample(self.eps, cond, self.steps, generator)
        return self.restore(x_coarse, z, snr_db)


def l1(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Mean absolute difference (the paper's ``L_pre`` and ``L_diff``)."""
    return F.l1_loss(a, b)
