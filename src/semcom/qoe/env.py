"""``semcom/QoE-v0``: resolution ratio and diffusion steps for N users of the virtual
physical-therapy platform (paper 002's case study), under shared bandwidth, edge compute
and per-user QoE thresholds.

Each episode draws, per user, a mean channel SNR (dB), a QoE threshold and a demand
(frames per second), and two budget factors (bandwidth, compute) from
:class:`~semcom.qoe.config.QoEConfig`'s ranges. The SNR then moves per step as a
Gauss-Markov process around the user's mean. At every step the agent picks, per user, a
resolution ratio ``r`` and a number of reverse diffusion steps ``s`` (1..T_max); then

- bitrate ``= demand * frame_bits * r^2`` (bit/s); its bandwidth ``= bitrate /
  log2(1 + SNR)`` (Hz, OFDMA, Shannon rate as in paper 001 Eq. 12);
- similarity ``= ssim(s, SNR)`` from the quality table; compute ``= demand * r^2 *
  latency(s, SNR)`` (seconds of edge time per second of video);
- ``QoE_i = w1 * (r / r_max)^2 + w2 * similarity``;
- reward ``= sum_i QoE_i - N * (p_bw * bw_over + p_c * c_over) - p_q * sum_i
  max(0, threshold_i - QoE_i)``, where ``*_over = max(0, used / budget - 1)``.

Observation ``[3N + 2] float32`` in [0, 1]: per user the SNR scaled to the configured
range, the threshold over ``w1 + w2`` and the demand over its maximum (users first, one
block per quantity), then the two budget factors over their maximum. Action
``[2N] float32`` in [-1, 1]: N resolution values then N step values, mapped linearly
onto the resolution range and rounded onto 1..T_max. Out-of-bounds (or NaN) actions are
clipped (NaN to 0), counted in ``clipped_actions`` and flagged in ``info``; an episode
never crashes on them.

Example:
    >>> import gymnasium as gym, semcom
    >>> env = gym.make("semcom/QoE-v0", users=4)
    >>> obs, info = env.reset(seed=0)
    >>> obs.shape, env.action_space.shape
    ((14,), (8,))
    >>> obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
    >>> sorted(info)[:3]
    ['action_clipped', 'bandwidth_hz', 'bandwidth_over']
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from semcom.errors import SemcomError
from semcom.qoe.config import QoEConfig, config_hash
from semcom.qoe.quality_table import QualityTable


@dataclass(frozen=True)
class Allocation:
    """What one decision costs and earns (all arrays ``[N]``).

    Attributes:
        resolution: resolution ratios.
        steps: reverse diffusion steps (int).
        qoe: per-user QoE.
        bandwidth_hz: per-user bandwidth needed.
        compute_s: per-user edge compute seconds.
        bandwidth_over: relative overuse of the bandwidth budget (0 when within).
        compute_over: relative overuse of the compute budget.
        shortfall: per-user QoE below threshold (0 when met).
        reward: the penalised total QoE.
    """

    resolution: np.ndarray
    steps: np.ndarray
    qoe: np.ndarray
    bandwidth_hz: np.ndarray
    compute_s: np.ndarray
    bandwidth_over: float
    compute_over: float
    shortfall: np.ndarray
    reward: float


@dataclass(frozen=True)
class Situation:
    """The state an allocation is judged in (arrays ``[N]``; budgets already scaled)."""

    snr_db: np.ndarray
    threshold: np.ndarray
    demand_fps: np.ndarray
    bandwidth_hz: float
    compute_s: float


def user_costs(
    config: QoEConfig,
    table: QualityTable,
    situation: Situation,
    resolution: np.ndarray,
    steps: np.ndarray,
    users: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(bandwidth_hz, compute_s, qoe)`` of each user's decision (module docstring).

    ``resolution`` ``[M]`` float and ``steps`` ``[M]`` int are the decisions of the users
    ``users`` ``[M]`` (indices into the situation; default all N users, M = N).
    """
    c = config
    res = np.asarray(resolution, dtype=np.float64)
    k = np.asarray(steps, dtype=np.int64)
    idx = slice(None) if users is None else users
    demand, snr = situation.demand_fps[idx], situation.snr_db[idx]
    pixels = res**2
    bandwidth = demand * c.frame_bits * pixels / np.log2(1.0 + 10.0 ** (snr / 10.0))
    compute = demand * pixels * table.latency_s(k, snr)
    qoe = c.w_bitrate * (res / c.resolution[1]) ** 2 + c.w_similarity * table.ssim(k, snr)
    return bandwidth, compute, qoe


def penalised_reward(
    config: QoEConfig,
    situation: Situation,
    qoe_total: Any,
    bandwidth_total: Any,
    compute_total: Any,
    shortfall_total: Any,
) -> Any:
    """``sum QoE - N (p_bw bw_over + p_c c_over) - p_q sum shortfall`` from the totals
    (floats, or arrays of alternatives, which broadcast)."""
    c = config
    bw_over = np.maximum(0.0, bandwidth_total / situation.bandwidth_hz - 1.0)
    c_over = np.maximum(0.0, compute_total / situation.compute_s - 1.0)
    n = len(situation.snr_db)
    return (
        qoe_total
        - n * (c.penalty_bandwidth * bw_over + c.penalty_compute * c_over)
        - c.penalty_threshold * shortfall_total
    )


def evaluate_allocation(
    config: QoEConfig,
    table: QualityTable,
    situation: Situation,
    resolution: np.ndarray,
    steps: np.ndarray,
) -> Allocation:
    """QoE, resource use and reward of ``(resolution, steps)`` in ``situation``."""
    res = np.asarray(resolution, dtype=np.float64)
    k = np.asarray(steps, dtype=np.int64)
    bandwidth, compute, qoe = user_costs(config, table, situation, res, k)
    bw_total, c_total = float(bandwidth.sum()), float(compute.sum())
    bw_over = max(0.0, bw_total / situation.bandwidth_hz - 1.0)
    c_over = max(0.0, c_total / situation.compute_s - 1.0)
    shortfall = np.maximum(0.0, situation.threshold - qoe)
    reward = float(
        penalised_reward(
            config, situation, float(qoe.sum()), bw_total, c_total, float(shortfall.sum())
        )
    )
    return Allocation(res, k, qoe, bandwidth, compute, bw_over, c_over, shortfall, reward)


class QoEEnv(gym.Env[np.ndarray, np.ndarray]):
    """The environment (module docstring).

    Args:
        config: the settings (default :class:`QoEConfig`).
        **overrides: settings replacing the config's (``users=5``, ``compute_s=0.5``...).
    """

    metadata: dict[str, Any] = {"render_modes": []}  # noqa: RUF012 (gymnasium's API)

    def __init__(self, config: QoEConfig | None = None, **overrides: Any) -> None:
        cfg = config or QoEConfig()
        if overrides:
            try:
                cfg = dataclasses.replace(cfg, **overrides)
            except TypeError as e:
                raise SemcomError(f"unknown QoE setting: {e}") from None
        self.config = cfg
        self.table = cfg.table()
        self.t_max = cfg.t_max
        self.config_hash = config_hash(cfg)
        n = cfg.users
        self.observation_space = spaces.Box(0.0, 1.0, shape=(3 * n + 2,), dtype=np.float32)
        self.action_space = spaces.Box(-1.0, 1.0, shape=(2 * n,), dtype=np.float32)
        #: actions that had to be clipped (out of [-1, 1] or NaN), over the env's life
        self.clipped_actions = 0
        self._situation: Situation | None = None
        self._mean_snr = np.zeros(n)
        self._t = 0

    # --- the state -------------------------------------------------------------------
    @property
    def situation(self) -> Situation:
        """The current state (after :meth:`reset`)."""
        if self._situation is None:
            raise SemcomError("call reset() before step()")
        return self._situation

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Draw a new episode. ``options``: ``bandwidth_scale`` / ``compute_scale`` fix
        this episode's budget factors (e.g. to evaluate a policy at a small budget)."""
        super().reset(seed=seed)
        c, n, rng = self.config, self.config.users, self.np_random
        options = options or {}
        self._mean_snr = rng.uniform(*c.snr_db, size=n)
        threshold = rng.uniform(*c.threshold, size=n)
        demand = rng.uniform(*c.demand_fps, size=n)
        bw_scale = float(options.get("bandwidth_scale", rng.uniform(*c.budget_scale)))
        c_scale = float(options.get("compute_scale", rng.uniform(*c.budget_scale)))
        if bw_scale <= 0 or c_scale <= 0:
            raise SemcomError("bandwidth_scale and compute_scale must be > 0")
        self._situation = Situation(
            snr_db=self._mean_snr.copy(),
            threshold=threshold,
            demand_fps=demand,
            bandwidth_hz=c.bandwidth_hz * bw_scale,
            compute_s=c.compute_s * c_scale,
        )
        self._t = 0
        return self._observation(), {}

    def _observation(self) -> np.ndarray:
        c, s = self.config, self.situation
        lo, hi = c.snr_db
        snr = (s.snr_db - lo) / (hi - lo) if hi > lo else np.zeros_like(s.snr_db)
        top = c.budget_scale[1]
        obs = np.concatenate(
            [
                snr,
                s.threshold / max(c.w_bitrate + c.w_similarity, 1e-12),
                s.demand_fps / c.demand_fps[1],
                [s.bandwidth_hz / (c.bandwidth_hz * top), s.compute_s / (c.compute_s * top)],
            ]
        )
        out: np.ndarray = np.clip(obs, 0.0, 1.0).astype(np.float32)
        return out

    # --- actions ---------------------------------------------------------------------
    def decode_action(self, action: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``[2N]`` in [-1, 1] -> (resolution ratios ``[N]``, steps ``[N]`` int in 1..T)."""
        n = self.config.users
        a = np.clip(np.asarray(action, dtype=np.float64).reshape(-1), -1.0, 1.0)
        lo, hi = self.config.resolution
        res = lo + (a[:n] + 1.0) / 2.0 * (hi - lo)
        steps = 1 + np.rint((a[n:] + 1.0) / 2.0 * (self.t_max - 1)).astype(np.int64)
        return res, steps

    def encode_action(self, resolution: np.ndarray, steps: np.ndarray) -> np.ndarray:
        """Inverse of :meth:`decode_action` (for heuristics that think in r and s)."""
        lo, hi = self.config.resolution
        r = (np.asarray(resolution, dtype=np.float64) - lo) / (hi - lo) * 2 - 1 if hi > lo else 0
        k = np.asarray(steps, dtype=np.float64)
        s = (k - 1) / (self.t_max - 1) * 2 - 1 if self.t_max > 1 else np.zeros_like(k)
        out: np.ndarray = np.clip(np.concatenate([np.broadcast_to(r, k.shape), s]), -1, 1)
        return out.astype(np.float32)

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """Apply one decision; returns ``(obs, reward, terminated, truncated, info)``."""
        situation = self.situation
        a = np.asarray(action, dtype=np.float64).reshape(-1)
        if a.shape != self.action_space.shape:
            raise SemcomError(
                f"action has {a.size} values; this environment takes {2 * self.config.users}"
                f" (resolution then steps for {self.config.users} users)"
            )
        bad = ~np.isfinite(a)
        clipped = bool(bad.any() or (np.abs(a[~bad]) > 1.0).any())
        if clipped:
            self.clipped_actions += 1
            a = np.where(bad, 0.0, a)
        res, steps = self.decode_action(a)
        alloc = evaluate_allocation(self.config, self.table, situation, res, steps)
        info = {
            "qoe": alloc.qoe,
            "total_qoe": float(alloc.qoe.sum()),
            "resolution": res,
            "steps": steps,
            "bandwidth_hz": float(alloc.bandwidth_hz.sum()),
            "compute_s": float(alloc.compute_s.sum()),
            "bandwidth_over": alloc.bandwidth_over,
            "compute_over": alloc.compute_over,
            "threshold_violations": int((alloc.shortfall > 0).sum()),
            "action_clipped": clipped,
            "config_hash": self.config_hash,
        }
        self._advance()
        truncated = self._t >= self.config.episode_len
        return self._observation(), alloc.reward, False, truncated, info

    def _advance(self) -> None:
        c, s = self.config, self.situation
        rho = c.snr_corr
        noise = self.np_random.normal(0.0, c.snr_std_db, size=c.users)
        snr = self._mean_snr + rho * (s.snr_db - self._mean_snr) + np.sqrt(1 - rho**2) * noise
        self._situation = dataclasses.replace(s, snr_db=np.clip(snr, *c.snr_db))
        self._t += 1


ENV_ID = "semcom/QoE-v0"


def register_env() -> None:
    """Register ``semcom/QoE-v0`` with gymnasium (idempotent; done by ``import semcom``)."""
    if ENV_ID not in gym.registry:
        gym.register(id=ENV_ID, entry_point="semcom.qoe.env:QoEEnv")
