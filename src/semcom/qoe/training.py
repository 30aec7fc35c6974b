"""Train, evaluate and keep QoE agents: what ``semcom qoe`` and the 002 recipes run.

A run folder (``<out>/<agent>/seed<k>/``) holds

- ``rewards.csv``: per window of ``window`` training steps, the mean reward per step,
  the mean total QoE, the share of steps over the bandwidth / compute budget, threshold
  violations per step and clipped actions (``step`` = the window's last step);
- the policy (``policy.pt`` for CODI, ``policy.zip`` for SAC / PPO);
- ``meta.json``: agent, seed, steps, the environment's settings and ``config_hash``,
  threads, training wall time and seconds per 10k steps;
- ``eval.json``: :func:`evaluate_policy` of the trained policy (deterministic decisions
  on ``EVAL_EPISODES`` fixed episodes).

A run is written into a temporary folder and renamed when complete: an interrupted run
leaves nothing half-written, and a finished one (same settings) is reused.

Example:
    >>> import tempfile
    >>> from pathlib import Path
    >>> from semcom.qoe import QoEConfig
    >>> with tempfile.TemporaryDirectory() as d:
    ...     run = train_run("greedy", QoEConfig(users=2), steps=40, seed=0, out=Path(d),
    ...                     progress=False)
    ...     sorted(p.name for p in run.folder.iterdir())
    ['eval.json', 'meta.json', 'rewards.csv']
"""

from __future__ import annotations

import csv
import json
import shutil
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch

from semcom import __version__
from semcom.errors import SemcomError
from semcom.qoe.agents import GAMMA, LEARNING_AGENTS, Agent, make_agent
from semcom.qoe.config import QoEConfig, config_hash
from semcom.qoe.env import QoEEnv
from semcom.train.progress import make_progress

EVAL_EPISODES = 20
EVAL_SEED = 10_000
REWARD_COLUMNS = (
    "step",
    "reward",
    "total_qoe",
    "bandwidth_over_share",
    "compute_over_share",
    "threshold_violations",
    "clipped_actions",
)


class RewardRecorder(gym.Wrapper[np.ndarray, np.ndarray, np.ndarray, np.ndarray]):
    """Records every step's reward and constraint flags; drives a progress callback.

    Stops recording after ``limit`` steps (PPO rounds its budget up to whole rollouts).
    """

    def __init__(self, env: QoEEnv, limit: int, on_step: Any = None) -> None:
        super().__init__(env)
        self.limit = limit
        self.on_step = on_step
        self.rows: list[tuple[float, float, bool, bool, int, bool]] = []

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        obs, reward, terminated, truncated, info = self.env.step(action)
        if len(self.rows) < self.limit:
            self.rows.append(
                (
                    float(reward),
                    info["total_qoe"],
                    info["bandwidth_over"] > 0,
                    info["compute_over"] > 0,
                    info["threshold_violations"],
                    info["action_clipped"],
                )
            )
            if self.on_step is not None:
                self.on_step(len(self.rows))
        return obs, float(reward), terminated, truncated, info

    def windows(self, window: int) -> list[dict[str, float]]:
        """Per-window means (:data:`REWARD_COLUMNS`)."""
        out = []
        for start in range(0, len(self.rows), window):
            chunk = np.array(self.rows[start : start + window], dtype=np.float64)
            out.append(
                {
                    "step": start + len(chunk),
                    "reward": float(chunk[:, 0].mean()),
                    "total_qoe": float(chunk[:, 1].mean()),
                    "bandwidth_over_share": float(chunk[:, 2].mean()),
                    "compute_over_share": float(chunk[:, 3].mean()),
                    "threshold_violations": float(chunk[:, 4].mean()),
                    "clipped_actions": float(chunk[:, 5].sum()),
                }
            )
        return out


def evaluate_policy(
    agent: Agent,
    config: QoEConfig,
    episodes: int = EVAL_EPISODES,
    seed: int = EVAL_SEED,
    options: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Deterministic decisions on ``episodes`` fixed episodes (seeds ``seed + i``).

    Returns reward per step (mean and std over episodes), total QoE per step, mean
    resolution ratio and diffusion steps, constraint violation shares, clipped actions,
    and the median decision latency in seconds. ``options`` go to every ``reset``
    (e.g. ``{"compute_scale": 0.5}``).
    """
    if episodes < 1:
        raise SemcomError(f"episodes must be at least 1, got {episodes}")
    env = QoEEnv(config)
    per_episode, qoe, res, steps, bw, comp, viol, latency = [], [], [], [], [], [], [], []
    for i in range(episodes):
        obs, _ = env.reset(seed=seed + i, options=options)
        rewards, done = [], False
        while not done:
            t0 = time.perf_counter()
            action = agent.act(obs)
            latency.append(time.perf_counter() - t0)
            obs, reward, terminated, truncated, info = env.step(action)
            done = terminated or truncated
            rewards.append(reward)
            qoe.append(info["total_qoe"])
            res.append(float(np.mean(info["resolution"])))
            steps.append(float(np.mean(info["steps"])))
            bw.append(info["bandwidth_over"] > 0)
            comp.append(info["compute_over"] > 0)
            viol.append(info["threshold_violations"])
        per_episode.append(float(np.mean(rewards)))
    return {
        "agent": agent.name,
        "episodes": episodes,
        "reward": float(np.mean(per_episode)),
        "reward_std": float(np.std(per_episode)),
        "total_qoe": float(np.mean(qoe)),
        "resolution": float(np.mean(res)),
        "diffusion_steps": float(np.mean(steps)),
        "bandwidth_over_share": float(np.mean(bw)),
        "compute_over_share": float(np.mean(comp)),
        "threshold_violations": float(np.mean(viol)),
        "clipped_actions": env.clipped_actions,
        "decision_latency_s": statistics.median(latency),
        "config_hash": config_hash(config),
        "options": options or {},
    }


@dataclass(frozen=True)
class Run:
    """A finished training run: its folder and what it recorded."""

    folder: Path
    meta: dict[str, Any]
    evaluation: dict[str, Any]

    def rewards(self) -> list[dict[str, float]]:
        """``rewards.csv`` as dicts of floats."""
        with (self.folder / "rewards.csv").open() as f:
            return [{k: float(v) for k, v in row.items()} for row in csv.DictReader(f)]


def _finished(
    folder: Path, agent: str, config: QoEConfig, steps: int, seed: int, hyper: dict[str, Any]
) -> Run | None:
    try:
        meta = json.loads((folder / "meta.json").read_text())
        evaluation = json.loads((folder / "eval.json").read_text())
    except (OSError, json.JSONDecodeError):
        return None
    same = (
        meta.get("agent") == agent
        and meta.get("steps") == steps
        and meta.get("seed") == seed
        and meta.get("config_hash") == config_hash(config)
        and meta.get("hyper", {}) == hyper
    )
    return Run(folder, meta, evaluation) if same else None


def train_run(
    agent: str,
    config: QoEConfig,
    steps: int,
    seed: int,
    out: Path,
    *,
    window: int = 500,
    threads: int = 1,
    progress: bool = True,
    reuse: bool = True,
    hyper: dict[str, Any] | None = None,
) -> Run:
    """Train ``agent`` for ``steps`` environment steps into ``out/<agent>/seed<seed>``.

    ``threads``: torch threads (small networks run fastest on one). ``reuse``: return
    a finished run with the same agent, steps, seed, environment and ``hyper`` instead
    of retraining. ``hyper``: the agent's own settings (tuning); ``meta.json`` records
    them with the shared discount filled in (:data:`~semcom.qoe.agents.GAMMA`), so a run
    trained under another default is not reused.
    """
    if steps < 1:
        raise SemcomError(f"steps must be at least 1, got {steps}")
    if window < 1:
        raise SemcomError(f"window must be at least 1, got {window}")
    folder = out / agent / f"seed{seed}"
    settings = {"gamma": GAMMA, **(hyper or {})} if agent in LEARNING_AGENTS else hyper or {}
    if reuse and (run := _finished(folder, agent, config, steps, seed, settings)) is not None:
        return run
    torch.set_num_threads(threads)
    tmp = folder.with_name(folder.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    with make_progress(progress) as bar:
        task = bar.add_task(f"{agent} seed {seed}", total=steps, status="")
        recorder = RewardRecorder(
            QoEEnv(config), steps, lambda n: bar.update(task, completed=n) if n % 50 == 0 else None
        )
        model = make_agent(agent, recorder, seed, **(hyper or {}))
        t0 = time.perf_counter()
        model.learn(steps)
        wall = time.perf_counter() - t0
        bar.update(task, completed=steps)
    rows = recorder.windows(window)
    with (tmp / "rewards.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=REWARD_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    model.save(tmp)
    evaluation = evaluate_policy(model, config)
    meta = {
        "agent": agent,
        "seed": seed,
        "steps": steps,
        "config": config.to_dict(),
        "config_hash": config_hash(config),
        "hyper": settings,
        "threads": threads,
        "wall_s": wall,
        "s_per_10k_steps": wall / steps * 10_000,
        "semcom": __version__,
    }
    (tmp / "meta.json").write_text(json.dumps(meta, indent=2))
    (tmp / "eval.json").write_text(json.dumps(evaluation, indent=2))
    if folder.exists():
        shutil.rmtree(folder)
    tmp.rename(folder)
    return Run(folder, meta, evaluation)


def load_run(folder: Path, config: QoEConfig | None = None) -> tuple[Agent, QoEConfig]:
    """The trained agent in ``folder`` and its environment settings.

    ``config``: evaluate on other settings (the policy's observation and action sizes,
    i.e. its number of users, must match).
    """
    meta_path = folder / "meta.json"
    if not meta_path.is_file():
        raise SemcomError(f"{folder} holds no trained policy (no meta.json); see semcom qoe train")
    meta = json.loads(meta_path.read_text())
    trained = QoEConfig.from_dict(meta["config"])
    cfg = config or trained
    if cfg.users != trained.users and meta["agent"] not in ("greedy", "random"):
        raise SemcomError(
            f"the {meta['agent']} policy in {folder} was trained for {trained.users} users; "
            f"got {cfg.users} (train one for that many users)"
        )
    agent = make_agent(meta["agent"], QoEEnv(cfg), int(meta.get("seed", 0)))
    agent.load_weights(folder)
    return agent, cfg
