"""The diffusion on the prior vector: schedule, re-spacing, forward jump."""

from __future__ import annotations

import math

import pytest
import torch

from semcom.errors import SemcomError
from semcom.refiners.vector_diffusion import NoiseEstimator, VectorSchedule


def test_paper_schedule_values() -> None:
    s = VectorSchedule(4, 0.1, 0.99)
    betas = [0.1, 0.1 + 0.89 / 3, 0.1 + 2 * 0.89 / 3, 0.99]
    expected = math.prod(1 - b for b in betas)
    assert float(s.abar[0]) == 1.0
    assert float(s.abar[4]) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize(
    ("steps", "visited"), [(1, [4]), (2, [4, 2]), (3, [4, 3, 1]), (4, [4, 3, 2, 1])]
)
def test_visited_steps_spread_over_the_chain(steps: int, visited: list[int]) -> None:
    assert VectorSchedule(4).visited(steps) == visited


@pytest.mark.parametrize("steps", [0, 5])
def test_steps_outside_one_to_t_is_an_error(steps: int) -> None:
    with pytest.raises(SemcomError, match="between 1 and T = 4"):
        VectorSchedule(4).visited(steps)


class _Oracle(torch.nn.Module):
    """The exact noise of ``z_t`` relative to a known ``z0`` at its step ``t`` (or ``z0``)."""

    def __init__(self, schedule: VectorSchedule, z0: torch.Tensor) -> None:
        super().__init__()
        self.s, self.z0 = schedule, z0

    def forward(self, z_t: torch.Tensor, t: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        if self.s.parameterization == "x0":
            return self.z0
        a = float(self.s.abar[int(t[0])])
        return (z_t - a**0.5 * self.z0) / (1 - a) ** 0.5


@pytest.mark.parametrize("parameterization", ["x0", "eps"])
@pytest.mark.parametrize("steps", [1, 2, 3, 4])
def test_respaced_chain_ends_at_z0_with_the_exact_prediction(
    steps: int, parameterization: str
) -> None:
    # a re-spaced chain ends at abar_0 = 1, so the exact noise estimate returns Z_0 for any
    # number of steps; a chain truncated after `steps` of the T steps would not
    s = VectorSchedule(4, parameterization=parameterization)
    g = torch.Generator().manual_seed(0)
    z0 = torch.randn(5, 8, generator=g, dtype=torch.float64)
    z_t = s.q_sample(z0, g)
    out = s.reverse(_Oracle(s, z0), z_t, torch.zeros_like(z0), steps)
    torch.testing.assert_close(out, z0, rtol=0, atol=1e-9)


def test_q_sample_statistics() -> None:
    s = VectorSchedule(4)
    g = torch.Generator().manual_seed(1)
    z0 = torch.full((20000, 4), 2.0, dtype=torch.float64)
    z_t = s.q_sample(z0, g)
    a = float(s.abar[4])
    assert float(z_t.mean()) == pytest.approx(2 * a**0.5, abs=0.01)
    assert float(z_t.var()) == pytest.approx(1 - a, rel=0.02)


def test_noise_estimator_shape_and_time_dependence() -> None:
    eps = NoiseEstimator(z_dim=8, blocks=2, timesteps=4)
    z, c = torch.randn(3, 8), torch.randn(3, 8)
    a = eps(z, torch.full((3,), 1), c)
    b = eps(z, torch.full((3,), 4), c)
    assert a.shape == (3, 8)
    assert not torch.allclose(a, b)


def test_a_fresh_network_blows_the_chain_up_under_eps_but_not_under_x0() -> None:
    # the reason x0 is the default: a network that outputs 0 (as a fresh one nearly does)
    # makes the eps chain return Z_T / sqrt(abar_T), 24.5 times the noise; the x0 chain returns 0
    zero = lambda z, t, c: torch.zeros_like(z)  # noqa: E731
    z_t = torch.randn(1000, 8, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    s_eps, s_x0 = VectorSchedule(4, parameterization="eps"), VectorSchedule(4)
    torch.testing.assert_close(s_eps.reverse(zero, z_t, z_t, 4), z_t / float(s_eps.abar[4]) ** 0.5)
    assert float(s_eps.abar[4]) ** -0.5 > 24
    assert float(s_x0.reverse(zero, z_t, z_t, 4).abs().max()) < 1e-12


def test_unknown_parameterization_is_an_error() -> None:
    with pytest.raises(SemcomError, match="x0, eps"):
        VectorSchedule(4, parameterization="v")
