"""Diffusion on the compact prior vector (paper 003 Eqs. 11-13, Algorithms 1-2).

A linear variance schedule ``beta_1 .. beta_T`` (paper: T = 4, 0.1 -> 0.99), the forward
jump ``q(Z_T | Z_0) = N(sqrt(abar_T) Z_0, (1 - abar_T) I)`` and the reverse chain

    a = abar_t / abar_s
    Z_s = (Z_t - (1 - a) / sqrt(1 - abar_t) * eps(Z_t, t, D)) / sqrt(a)

from ``t`` to the previous visited step ``s``. The network either predicts the noise
``eps`` directly (``parameterization="eps"``) or predicts ``Z_0`` and the noise is read off
``Z_t`` (``"x0"``, the default): the update is the same Eq. 13 either way. With the paper's
``beta`` (``abar_T = 0.0017``) a network that outputs about zero, as a fresh one does, makes the
``eps`` chain return ``Z_T / sqrt(abar_T)``, 24.5 times the noise, and the first stage-2 epochs
wreck N2; under ``x0`` the same network gives ``Z_0 = 0``. With every step visited (``s = t - 1``)
this is Eq. 13 exactly; with fewer steps the visited ``t`` are spread evenly over
``T .. 1`` and the chain is *re-spaced* (each jump uses the cumulative ``abar`` of the steps
it skips), so it still starts at ``abar_T`` and ends at ``abar_0 = 1``, not a truncated
chain that stops half-way.

Example:
    >>> import torch
    >>> sched = VectorSchedule(timesteps=4)
    >>> sched.visited(2), sched.visited(4)
    ([4, 2], [4, 3, 2, 1])
    >>> eps = NoiseEstimator(z_dim=8, blocks=1)
    >>> z = sched.sample(eps, torch.rand(3, 8), steps=2, generator=torch.Generator().manual_seed(0))
    >>> z.shape
    torch.Size([3, 8])
"""

from __future__ import annotations

import torch
from torch import nn

from semcom.errors import SemcomError


class NoiseEstimator(nn.Module):
    """``eps(Z_t [B, D], t [B] int, D [B, D]) -> [B, D]``: an MLP of ``concat(Z_t, t/T, D)``
    with residual layers (DiffIR's denoiser). Its output is the noise or ``Z_0``, as the
    schedule's ``parameterization`` says.

    Args:
        z_dim: D, the prior vector length (4 C').
        blocks: residual MLP layers.
        timesteps: T, to scale ``t`` into (0, 1].
    """

    def __init__(self, z_dim: int, blocks: int = 2, timesteps: int = 4) -> None:
        super().__init__()
        self.timesteps = timesteps
        self.inp = nn.Sequential(nn.Linear(2 * z_dim + 1, z_dim), nn.LeakyReLU(0.1))
        self.res = nn.ModuleList(
            nn.Sequential(nn.Linear(z_dim, z_dim), nn.LeakyReLU(0.1)) for _ in range(blocks)
        )
        self.out = nn.Linear(z_dim, z_dim)

    def forward(self, z_t: torch.Tensor, t: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        tt = (t.float() / self.timesteps).reshape(-1, 1).expand(len(z_t), 1)
        h = self.inp(torch.cat([z_t, tt, cond], dim=1))
        for layer in self.res:
            h = h + layer(h)
        result: torch.Tensor = self.out(h)
        return result


class VectorSchedule:
    """The variance schedule and both directions of the chain on ``[B, D]`` vectors.

    Args:
        timesteps: T.
        beta_start, beta_end: ``beta_1`` and ``beta_T`` of the linear schedule.
    """

    def __init__(
        self,
        timesteps: int = 4,
        beta_start: float = 0.1,
        beta_end: float = 0.99,
        parameterization: str = "x0",
    ):
        if parameterization not in ("x0", "eps"):
            raise SemcomError(
                f"unknown parameterization {parameterization!r}; choose one of: x0, eps"
            )
        self.parameterization = parameterization
        if timesteps < 1:
            raise SemcomError(f"timesteps must be at least 1, got {timesteps}")
        if not 0 < beta_start <= beta_end < 1:
            raise SemcomError(f"need 0 < beta_start <= beta_end < 1, got {beta_start}, {beta_end}")
        self.timesteps = timesteps
        betas = torch.linspace(beta_start, beta_end, timesteps, dtype=torch.float64)
        #: ``abar[t]`` for t = 0..T, with ``abar[0] = 1``.
        self.abar = torch.cat([torch.ones(1, dtype=torch.float64), torch.cumprod(1 - betas, 0)])

    def visited(self, steps: int) -> list[int]:
        """The ``t`` the reverse chain visits with ``steps`` network calls (T first)."""
        if not 1 <= steps <= self.timesteps:
            raise SemcomError(
                f"refiner steps must be between 1 and T = {self.timesteps}, got {steps}"
            )
        ts = torch.linspace(self.timesteps, 0, steps + 1).round().long().tolist()
        return [int(t) for t in ts[:-1]]

    def q_sample(self, z0: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """``Z_T ~ q(Z_T | Z_0)`` (Eq. 11) for ``z0: [B, D]``."""
        noise = torch.randn(z0.shape, generator=generator, device=z0.device, dtype=z0.dtype)
        abar = float(self.abar[self.timesteps])
        result: torch.Tensor = abar**0.5 * z0 + (1 - abar) ** 0.5 * noise
        return result

    def reverse(
        self, eps: nn.Module, z_t: torch.Tensor, cond: torch.Tensor, steps: int
    ) -> torch.Tensor:
        """Run the re-spaced reverse chain from ``z_t`` (at ``t = T``) down to ``Z_0``;
        ``eps(z_t, t, cond)`` is the network (its output read per ``parameterization``)."""
        ts = self.visited(steps)
        for i, t in enumerate(ts):
            s = ts[i + 1] if i + 1 < len(ts) else 0
            a_t, a_s = float(self.abar[t]), float(self.abar[s])
            alpha = a_t / a_s
            tt = torch.full((len(z_t),), t, device=z_t.device)
            out = eps(z_t, tt, cond)
            noise = (
                out if self.parameterization == "eps" else (z_t - a_t**0.5 * out) / (1 - a_t) ** 0.5
            )
            z_t = (z_t - (1 - alpha) / (1 - a_t) ** 0.5 * noise) / alpha**0.5
        return z_t

    def sample(
        self,
        eps: nn.Module,
        cond: torch.Tensor,
        steps: int,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """Algorithm 2: ``Z_T ~ N(0, I)``, then :meth:`reverse`; ``cond: [B, D]``."""
        z = torch.randn(cond.shape, generator=generator, device=cond.device, dtype=cond.dtype)
        return self.reverse(eps, z, cond, steps)
