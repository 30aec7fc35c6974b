"""How much reward any policy can earn in a ``semcom/QoE-v0`` state: a Lagrangian upper
bound and the best allocation it points to.

The next state of ``semcom/QoE-v0`` does not depend on the action (the SNRs move on their
own), so the best policy takes, in every state, the allocation of highest reward, and the
per-step optimum bounds every agent's reward. The reward (:mod:`semcom.qoe.env`) is a sum
over users plus two penalties on the *totals* of bandwidth and compute. Each penalty is a
minimum of linear functions,

    -N p max(0, X / B - 1) = min over lambda in [0, N p / B] of lambda (B - X),

so for every ``lambda = (lambda_bw, lambda_c)`` in that box the reward of any allocation
is at most ``D(lambda) = sum_i max over (r_i, s_i) of [QoE_i - p_q shortfall_i -
lambda_bw bw_i - lambda_c c_i] + lambda_bw B + lambda_c C`` (weak duality). The inner
maximum is exact and per user: with ``u = r^2``, bandwidth, compute and QoE are linear in
``u`` for a fixed step count, the shortfall adds one kink (where QoE meets the user's
threshold), so the maximum over ``u`` lies at an end of the range or at the kink; the
step counts are enumerated. :func:`reward_bound` minimises ``D`` over a grid of the box
(any grid point is a valid bound; the grid only makes it tighter) and also returns the
best of the allocations the grid's ``lambda`` pick, scored with the true reward: a
reward some policy reaches.

Example:
    >>> from semcom.qoe import QoEEnv
    >>> env = QoEEnv(users=3)
    >>> _ = env.reset(seed=0)
    >>> b = reward_bound(env.config, env.table, env.situation)
    >>> b.achievable <= b.upper + 1e-9
    True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from semcom.errors import SemcomError
from semcom.qoe.config import QoEConfig
from semcom.qoe.env import Situation, evaluate_allocation, penalised_reward
from semcom.qoe.quality_table import QualityTable


@dataclass(frozen=True)
class RewardBound:
    """The bound for one state.

    Attributes:
        upper: no allocation earns more reward than this.
        achievable: the true reward of :attr:`resolution` / :attr:`steps`.
        resolution: resolution ratios ``[N] float64`` of the best allocation found.
        steps: diffusion steps ``[N] int64`` of that allocation.
    """

    upper: float
    achievable: float
    resolution: np.ndarray
    steps: np.ndarray


def _per_user_terms(config: QoEConfig, table: QualityTable, s: Situation) -> tuple[np.ndarray, ...]:
    """Per user and step count ``[N, T]``: QoE's constant part, bandwidth and compute per
    unit of ``u = r^2``; and the QoE slope in ``u`` (a float)."""
    c = config
    t = np.arange(1, table.max_steps + 1)
    snr = s.snr_db[:, None]
    ssim = np.asarray(table.ssim(t[None, :], snr), dtype=np.float64)
    latency = np.asarray(table.latency_s(t[None, :], snr), dtype=np.float64)
    q0 = c.w_similarity * ssim
    bw = np.broadcast_to(
        (s.demand_fps * c.frame_bits / np.log2(1.0 + 10.0 ** (s.snr_db / 10.0)))[:, None],
        q0.shape,
    )
    comp = s.demand_fps[:, None] * latency
    return q0, bw, comp, np.asarray(c.w_bitrate / c.resolution[1] ** 2)


def reward_bound(
    config: QoEConfig, table: QualityTable, situation: Situation, grid: int = 48
) -> RewardBound:
    """The Lagrangian bound of one state (module docstring).

    Args:
        config: the environment's settings.
        table: its quality table (``QoEEnv.table``).
        situation: the state (``QoEEnv.situation``).
        grid: points per multiplier axis (``grid^2`` multipliers, then a finer grid of
            the same size around the best), >= 2.
    """
    if grid < 2:
        raise SemcomError(f"grid must be at least 2, got {grid}")
    c, s = config, situation
    n = len(s.snr_db)
    q0, bw, comp, slope = _per_user_terms(c, table, s)
    u_lo, u_hi = c.resolution[0] ** 2, c.resolution[1] ** 2
    if slope > 0:  # where QoE meets the threshold
        kink = np.clip((s.threshold[:, None] - q0) / slope, u_lo, u_hi)
    else:
        kink = np.full_like(q0, u_lo)
    u = np.stack([np.full_like(q0, u_lo), np.full_like(q0, u_hi), kink], -1)  # [N, T, 3]
    qoe = q0[..., None] + slope * u
    value = qoe - c.penalty_threshold * np.maximum(0.0, s.threshold[:, None, None] - qoe)
    bw_u, comp_u = bw[..., None] * u, comp[..., None] * u
    lam_bw_max = n * c.penalty_bandwidth / s.bandwidth_hz
    lam_c_max = n * c.penalty_compute / s.compute_s

    def dual(lb: np.ndarray, lc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """D and each user's maximiser (flat index into [T, 3]) for multipliers [G]."""
        f = (
            value[None]
            - lb[:, None, None, None] * bw_u[None]
            - lc[:, None, None, None] * comp_u[None]
        )
        flat = f.reshape(len(lb), n, -1)
        best = flat.argmax(-1)  # [G, N]
        d = np.take_along_axis(flat, best[..., None], -1)[..., 0].sum(-1)
        return d + lb * s.bandwidth_hz + lc * s.compute_s, best

    lb_axis, lc_axis = np.linspace(0, lam_bw_max, grid), np.linspace(0, lam_c_max, grid)
    upper, best_reward, best_alloc = np.inf, -np.inf, (np.zeros(n), np.ones(n, np.int64))
    for _ in range(2):  # the grid, then a finer one around its best point
        lb, lc = (a.ravel() for a in np.meshgrid(lb_axis, lc_axis, indexing="ij"))
        d, choice = dual(lb, lc)
        i = int(d.argmin())
        upper = min(upper, float(d[i]))
        k_idx, which = np.divmod(choice, 3)  # [G, N]
        users = np.arange(n)[None, :]
        u_pick = u[users, k_idx, which]
        rewards = penalised_reward(
            c,
            s,
            (qoe[users, k_idx, which]).sum(-1),
            (bw_u[users, k_idx, which]).sum(-1),
            (comp_u[users, k_idx, which]).sum(-1),
            np.maximum(0.0, s.threshold[None] - qoe[users, k_idx, which]).sum(-1),
        )
        j = int(np.argmax(rewards))
        if rewards[j] > best_reward:
            best_reward = float(rewards[j])
            best_alloc = (np.sqrt(u_pick[j]), k_idx[j] + 1)
        step_b, step_c = lb_axis[1] - lb_axis[0], lc_axis[1] - lc_axis[0]
        lb_axis = np.linspace(max(0.0, lb[i] - step_b), min(lam_bw_max, lb[i] + step_b), grid)
        lc_axis = np.linspace(max(0.0, lc[i] - step_c), min(lam_c_max, lc[i] + step_c), grid)
    res, steps = _ascend(c, s, best_alloc[0] ** 2, best_alloc[1], q0, bw, comp, slope)
    achieved = evaluate_allocation(c, table, s, res, steps).reward
    return RewardBound(upper, achieved, res, steps.astype(np.int64))


def _ascend(
    c: QoEConfig,
    s: Situation,
    u: np.ndarray,
    steps: np.ndarray,
    q0: np.ndarray,
    bw: np.ndarray,
    comp: np.ndarray,
    slope: np.ndarray,
    sweeps: int = 50,
) -> tuple[np.ndarray, np.ndarray]:
    """Exact best responses, one user at a time, from ``(u [N], steps [N])`` until none
    helps. With the others fixed, a user's reward is concave and piecewise linear in its
    ``u`` for each step count, with kinks where its QoE meets its threshold or a total
    meets its budget: the best ``u`` is at one of those or at an end of the range."""
    u_lo, u_hi = c.resolution[0] ** 2, c.resolution[1] ** 2
    u, k = u.astype(np.float64).copy(), steps.astype(np.int64).copy() - 1  # k: 0-based
    n = len(u)
    users = np.arange(n)

    def totals(uu: np.ndarray, kk: np.ndarray) -> tuple[float, float, float, float]:
        qoe = q0[users, kk] + slope * uu
        return (
            float(qoe.sum()),
            float((bw[users, kk] * uu).sum()),
            float((comp[users, kk] * uu).sum()),
            float(np.maximum(0.0, s.threshold - qoe).sum()),
        )

    best = float(penalised_reward(c, s, *totals(u, k)))
    for _ in range(sweeps):
        improved = False
        for i in range(n):
            q_all, bw_all, c_all, sh_all = totals(u, k)
            q_i = q0[i, k[i]] + slope * u[i]
            q_rest, sh_rest = q_all - q_i, sh_all - max(0.0, s.threshold[i] - q_i)
            bw_rest, c_rest = bw_all - bw[i, k[i]] * u[i], c_all - comp[i, k[i]] * u[i]
            with np.errstate(divide="ignore", invalid="ignore"):
                cand = np.stack(
                    [
                        np.full(q0.shape[1], u_lo),
                        np.full(q0.shape[1], u_hi),
                        (s.threshold[i] - q0[i]) / slope
                        if slope > 0
                        else np.full(q0.shape[1], u_lo),
                        (s.bandwidth_hz - bw_rest) / bw[i],
                        (s.compute_s - c_rest) / comp[i],
                    ]
                )  # [5, T]
            cand = np.clip(np.nan_to_num(cand, nan=u_lo, posinf=u_hi, neginf=u_lo), u_lo, u_hi)
            q_new = q0[i][None] + slope * cand
            value = penalised_reward(
                c,
                s,
                q_rest + q_new,
                bw_rest + bw[i][None] * cand,
                c_rest + comp[i][None] * cand,
                sh_rest + np.maximum(0.0, s.threshold[i] - q_new),
            )
            j = int(np.argmax(value))
            if value.flat[j] > best + 1e-12:
                best, improved = float(value.flat[j]), True
                which, k[i] = np.unravel_index(j, value.shape)
                u[i] = cand[which, k[i]]
        if not improved:
            break
    return np.sqrt(u), k + 1
