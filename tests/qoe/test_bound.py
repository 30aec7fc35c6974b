"""The Lagrangian reward bound: never below what an exhaustive search finds, its allocation
earns exactly the reward it reports in the environment, and it is tight on small cases."""

from __future__ import annotations

import numpy as np
import pytest

from semcom.errors import SemcomError
from semcom.qoe import QoEEnv
from semcom.qoe.agents import make_agent
from semcom.qoe.bound import reward_bound
from semcom.qoe.env import evaluate_allocation, penalised_reward, user_costs


def _exhaustive_two_users(env: QoEEnv, levels: int = 121) -> float:
    """Best reward over a grid of every (resolution, steps) pair of two users."""
    c, s = env.config, env.situation
    r = np.linspace(*c.resolution, levels)
    grid_r, grid_k = (a.ravel() for a in np.meshgrid(r, np.arange(1, env.t_max + 1)))
    per = [
        user_costs(c, env.table, s, grid_r, grid_k, users=np.full(grid_r.size, u)) for u in (0, 1)
    ]
    bw, comp, qoe = (per[0][j][:, None] + per[1][j][None] for j in range(3))
    short = (np.maximum(0.0, s.threshold[0] - per[0][2])[:, None]
             + np.maximum(0.0, s.threshold[1] - per[1][2])[None])  # fmt: skip
    return float(np.max(penalised_reward(c, s, qoe, bw, comp, short)))


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("overrides", [{}, {"compute_s": 0.2}, {"bandwidth_hz": 2e5}])
def test_no_allocation_beats_the_bound(seed: int, overrides: dict[str, float]) -> None:
    env = QoEEnv(users=2, **overrides)
    env.reset(seed=seed)
    b = reward_bound(env.config, env.table, env.situation)
    best = _exhaustive_two_users(env)
    assert best <= b.upper + 1e-9
    assert b.achievable <= b.upper + 1e-9
    assert b.achievable >= best - 0.02 * abs(best)  # and close to the optimum


@pytest.mark.parametrize("users", [3, 10, 20])
def test_its_allocation_earns_what_it_says_and_beats_greedy(users: int) -> None:
    env = QoEEnv(users=users)
    greedy = make_agent("greedy", env)
    obs, _ = env.reset(seed=3)
    for _ in range(5):
        b = reward_bound(env.config, env.table, env.situation)
        assert b.resolution.shape == (users,)
        assert b.steps.dtype == np.int64
        assert b.steps.min() >= 1
        assert b.steps.max() <= env.t_max
        res, steps = env.decode_action(greedy.act(obs))
        greedy_reward = evaluate_allocation(env.config, env.table, env.situation, res, steps)
        assert greedy_reward.reward <= b.upper + 1e-9
        assert b.achievable >= greedy_reward.reward - 1e-6
        obs, reward, *_ = env.step(env.encode_action(b.resolution, b.steps))
        assert reward == pytest.approx(b.achievable, abs=1e-5)


def test_a_too_small_grid_is_refused() -> None:
    env = QoEEnv(users=2)
    env.reset(seed=0)
    with pytest.raises(SemcomError, match="grid must be at least 2"):
        reward_bound(env.config, env.table, env.situation, grid=1)
