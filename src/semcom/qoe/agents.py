"""Every QoE agent behind one interface: CODI, SAC, PPO, greedy and random.

An :class:`Agent` learns by stepping the environment it was built on
(``learn(total_steps)``), decides (``act(obs) -> action [2N] float32``), and saves
itself into a folder (``save(folder)`` / ``load_weights(folder)``). SAC and PPO are
stable-baselines3's, with their published defaults except the discount, which every
learning agent shares (``gamma``); CODI is :mod:`semcom.qoe.codi`.

- **greedy**: a model-based heuristic that reads the state from the observation and
  raises, one notch at a time, the user's resolution (8 levels) or step count whose
  increase improves the penalised total QoE most, until no single increase improves it.
- **random**: uniform actions.

Example:
    >>> from semcom.qoe import QoEEnv
    >>> env = QoEEnv(users=3)
    >>> agent = make_agent("greedy", env, seed=0)
    >>> obs, _ = env.reset(seed=0)
    >>> agent.act(obs).shape
    (6,)
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
import torch

from semcom.errors import SemcomError
from semcom.qoe.codi import CODI
from semcom.qoe.env import (
    QoEEnv,
    Situation,
    evaluate_allocation,
    penalised_reward,
    user_costs,
)

AGENTS = ("codi", "sac", "ppo", "greedy", "random")
LEARNING_AGENTS = ("codi", "sac", "ppo")
#: the discount every learning agent uses. The next state of ``semcom/QoE-v0`` does not
#: depend on the action (the SNRs move on their own), so the best policy maximises each
#: step's reward and a critic needs no bootstrapped future: 0. At 0.95 (this default until
#: 2026-11-24) the action-independent value of the next state dominated every critic's
#: target, and CODI, SAC and PPO ended 5.6, 6.7 and 17.9 % lower after 50k steps
#: (docs/benchmarks.md).
GAMMA = 0.0
RESOLUTION_LEVELS = 8


class Agent(ABC):
    """A QoE policy bound to the environment it learns on."""

    name: ClassVar[str]

    def __init__(self, env: gym.Env[Any, Any], seed: int) -> None:
        self.env = env
        self.seed = seed

    @property
    def qoe_env(self) -> QoEEnv:
        """The :class:`QoEEnv` under any wrappers."""
        env = self.env.unwrapped
        if not isinstance(env, QoEEnv):
            raise SemcomError("this agent needs a semcom/QoE-v0 environment")
        return env

    def learn(self, total_steps: int) -> None:
        """Step ``env`` ``total_steps`` times, learning from it where the agent learns."""
        obs, _ = self.env.reset(seed=self.seed)
        for _ in range(total_steps):
            obs, _r, terminated, truncated, _ = self.env.step(self.act(obs))
            if terminated or truncated:
                obs, _ = self.env.reset()

    @abstractmethod
    def act(self, obs: np.ndarray) -> np.ndarray:
        """The decision for ``obs [3N + 2]``: ``[2N] float32`` in [-1, 1]."""

    def q_tensor(self, state: torch.Tensor, action: torch.Tensor) -> torch.Tensor:
        """The agent's critic, differentiable: ``min(Q1, Q2)`` of its double-Q critic for
        ``state [B, 3N + 2]`` and ``action [B, 2N]`` (float32, in [-1, 1]) -> ``[B]``
        (reward units). Agents without an action critic (PPO's is a state value, greedy
        and random have none) raise :class:`~semcom.errors.SemcomError`."""
        raise SemcomError(f"the {self.name} agent has no action-value critic")

    def critic_value(self, obs: np.ndarray, action: np.ndarray) -> float:
        """What the agent's critic expects ``action [2N]`` to earn in ``obs [3N + 2]``
        (:meth:`q_tensor`, reward units)."""
        s, a = _pair(obs, action)
        with torch.no_grad():
            return float(self.q_tensor(s, a)[0])

    def save(self, folder: Path) -> None:
        """Write the policy into ``folder`` (nothing for agents without weights)."""
        return None

    def load_weights(self, folder: Path) -> None:
        """Read what :meth:`save` wrote."""
        return None


class RandomAgent(Agent):
    """Uniform actions from a seeded generator."""

    name = "random"

    def __init__(self, env: gym.Env[Any, Any], seed: int) -> None:
        super().__init__(env, seed)
        self.rng = np.random.default_rng(seed)

    def act(self, obs: np.ndarray) -> np.ndarray:
        return self.rng.uniform(-1, 1, self.env.action_space.shape).astype(np.float32)


def situation_from_obs(env: QoEEnv, obs: np.ndarray) -> Situation:
    """Invert the observation scaling (exact inside the configured ranges)."""
    c, n = env.config, env.config.users
    o = np.asarray(obs, dtype=np.float64)
    lo, hi = c.snr_db
    top = c.budget_scale[1]
    return Situation(
        snr_db=lo + o[:n] * (hi - lo),
        threshold=o[n : 2 * n] * (c.w_bitrate + c.w_similarity),
        demand_fps=o[2 * n : 3 * n] * c.demand_fps[1],
        bandwidth_hz=float(o[3 * n]) * c.bandwidth_hz * top,
        compute_s=float(o[3 * n + 1]) * c.compute_s * top,
    )


class GreedyAgent(Agent):
    """Marginal-gain greedy on the penalised total QoE (module docstring)."""

    name = "greedy"

    def act(self, obs: np.ndarray) -> np.ndarray:
        env = self.qoe_env
        c, table, n, t_max = env.config, env.table, env.config.users, env.t_max
        sit = situation_from_obs(env, obs)
        levels = np.linspace(c.resolution[0], c.resolution[1], RESOLUTION_LEVELS)
        ri = np.zeros(n, dtype=np.int64)
        si = np.ones(n, dtype=np.int64)
        cur = evaluate_allocation(c, table, sit, levels[ri], si)
        users = np.arange(n)
        while True:
            # candidates: every user one resolution notch up, every user one step up
            cand_r = np.concatenate([np.minimum(ri + 1, RESOLUTION_LEVELS - 1), ri])
            cand_s = np.concatenate([si, np.minimum(si + 1, t_max)])
            moved = np.concatenate([ri < RESOLUTION_LEVELS - 1, si < t_max])
            who = np.concatenate([users, users])
            bw_u, comp_u, qoe_u = user_costs(c, table, sit, levels[cand_r], cand_s, who)
            short_u = np.maximum(0.0, sit.threshold[who] - qoe_u)
            reward = penalised_reward(
                c,
                sit,
                cur.qoe.sum() - cur.qoe[who] + qoe_u,
                cur.bandwidth_hz.sum() - cur.bandwidth_hz[who] + bw_u,
                cur.compute_s.sum() - cur.compute_s[who] + comp_u,
                cur.shortfall.sum() - cur.shortfall[who] + short_u,
            )
            reward = np.where(moved, reward, -np.inf)
            best = int(np.argmax(reward))
            if not reward[best] > cur.reward + 1e-12:
                break
            u = int(who[best])
            ri[u], si[u] = cand_r[best], cand_s[best]
            cur = evaluate_allocation(c, table, sit, levels[ri], si)
        return env.encode_action(levels[ri], si)


class CODIAgent(Agent):
    """:class:`~semcom.qoe.codi.CODI` with the shared discount."""

    name = "codi"

    def __init__(self, env: gym.Env[Any, Any], seed: int, **hyper: Any) -> None:
        super().__init__(env, seed)
        self.model = CODI(env, seed=seed, **{"gamma": GAMMA, **hyper})

    def learn(self, total_steps: int) -> None:
        self.model.learn(total_steps)

    def act(self, obs: np.ndarray) -> np.ndarray:
        return self.model.predict(obs, deterministic=True)[0]

    def q_tensor(self, state: torch.Tensor, action: torch.Tensor) -> torch.Tensor:
        return self.model.q_value(state, action)

    def save(self, folder: Path) -> None:
        self.model.save(folder / "policy.pt")

    def load_weights(self, folder: Path) -> None:
        self.model = CODI.load(folder / "policy.pt", self.env)


class _SB3Agent(Agent):
    """A stable-baselines3 algorithm with its defaults (``gamma`` shared)."""

    algorithm: ClassVar[str]

    def __init__(self, env: gym.Env[Any, Any], seed: int, **hyper: Any) -> None:
        super().__init__(env, seed)
        import stable_baselines3

        self._cls = getattr(stable_baselines3, self.algorithm)
        try:
            self.model = self._cls(
                "MlpPolicy", env, seed=seed, device="cpu", verbose=0, **{"gamma": GAMMA, **hyper}
            )
        except TypeError as e:
            raise SemcomError(f"unknown {self.algorithm} setting: {e}") from None

    def learn(self, total_steps: int) -> None:
        self.model.learn(total_timesteps=total_steps)

    def act(self, obs: np.ndarray) -> np.ndarray:
        action, _ = self.model.predict(obs, deterministic=True)
        return np.asarray(action, dtype=np.float32)

    def save(self, folder: Path) -> None:
        self.model.save(folder / "policy.zip")

    def load_weights(self, folder: Path) -> None:
        try:
            self.model = self._cls.load(folder / "policy.zip", env=self.env, device="cpu")
        except ValueError as e:  # SB3: spaces of the saved model and env differ
            raise SemcomError(
                f"the policy in {folder} does not fit this environment: {e}"
            ) from None


class SACAgent(_SB3Agent):
    name = "sac"
    algorithm = "SAC"

    def q_tensor(self, state: torch.Tensor, action: torch.Tensor) -> torch.Tensor:
        q: torch.Tensor = torch.cat(self.model.critic(state, action), dim=1).min(dim=1).values
        return q


def _pair(obs: np.ndarray, action: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """``(obs [1, S], action [1, A])`` float32 tensors for a critic."""
    s = torch.as_tensor(np.asarray(obs, np.float32).reshape(1, -1))
    a = torch.as_tensor(np.clip(np.asarray(action, np.float32).reshape(1, -1), -1.0, 1.0))
    return s, a


class PPOAgent(_SB3Agent):
    name = "ppo"
    algorithm = "PPO"


_CLASSES: dict[str, type[Agent]] = {
    cls.name: cls for cls in (CODIAgent, SACAgent, PPOAgent, GreedyAgent, RandomAgent)
}


def make_agent(name: str, env: gym.Env[Any, Any], seed: int = 0, **hyper: Any) -> Agent:
    """Build agent ``name`` (one of :data:`AGENTS`) on ``env``."""
    if name not in _CLASSES:
        raise SemcomError(f"unknown agent {name!r}; choose one of: {', '.join(AGENTS)}")
    cls = _CLASSES[name]
    if hyper and name in ("greedy", "random"):
        raise SemcomError(f"the {name} agent takes no settings, got {', '.join(hyper)}")
    return cls(env, seed, **hyper)
