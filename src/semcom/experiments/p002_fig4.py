"""Paper 002 Fig. 4: CODI against SAC and PPO on the QoE environment ``semcom/QoE-v0``.

- ``002-fig4a``: reward per step (mean over windows of training steps; mean ± std over
  seeds) versus training steps for CODI, SAC and PPO at 10 users, with the greedy
  heuristic and the random policy as reference lines (their evaluation reward)
  -> ``fig4a.csv``, ``fig4a.png``.
- ``002-fig4b``: total QoE net of constraint penalties (the evaluation reward per step of
  the trained policies: deterministic decisions on 20 fixed episodes) versus the number of
  users, 2, 5, 10 and 20, for the same agents -> ``fig4b.csv``, ``fig4b.png``.

The environment is :class:`~semcom.qoe.config.QoEConfig`'s default (its hash is in every
CSV row). ``--scale cpu``: 10k steps (fig4a) / 5k steps (fig4b), 1 seed; ``--scale
paper``: 50k steps, 3 seeds (the benchmark setting). Runs are kept in
``<out>/002-runs-<scale>/users<N>/<agent>/seed<k>``; a finished run is reused, so an
interrupted recipe restarts where it stopped.
"""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any

import numpy as np

from semcom.experiments.p001_common import write_rows
from semcom.experiments.recipe import RECIPES, RecipeOptions
from semcom.qoe.agents import LEARNING_AGENTS, make_agent
from semcom.qoe.config import QoEConfig, config_hash
from semcom.qoe.env import QoEEnv
from semcom.qoe.training import Run, evaluate_policy, train_run

USERS = (2, 5, 10, 20)
REFERENCE_AGENTS = ("greedy", "random")
STEPS = {"cpu": {"fig4a": 10_000, "fig4b": 5_000}, "paper": {"fig4a": 50_000, "fig4b": 50_000}}
SEEDS = {"cpu": 1, "paper": 3}


def _runs(options: RecipeOptions, figure: str, users: int) -> dict[str, list[Run]]:
    steps = STEPS[options.scale][figure]
    cfg = QoEConfig(users=users)
    out = options.out / f"002-runs-{options.scale}" / f"users{users}"
    return {
        agent: [
            train_run(agent, cfg, steps, seed, out, progress=options.progress)
            for seed in range(SEEDS[options.scale])
        ]
        for agent in LEARNING_AGENTS
    }


def _references(users: int) -> dict[str, dict[str, Any]]:
    cfg = QoEConfig(users=users)
    return {
        name: evaluate_policy(make_agent(name, QoEEnv(cfg), seed=0), cfg)
        for name in REFERENCE_AGENTS
    }


def _mean_std(values: list[float]) -> tuple[float, float]:
    return statistics.mean(values), (statistics.stdev(values) if len(values) > 1 else 0.0)


@RECIPES.register("002-fig4a", summary="CODI vs SAC vs PPO: reward versus training steps")
def fig4a(options: RecipeOptions) -> list[Path]:
    """Run Fig. 4(a) (module docstring)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    users = 10
    runs = _runs(options, "fig4a", users)
    refs = _references(users)
    digest = config_hash(QoEConfig(users=users))
    rows: list[dict[str, Any]] = []
    fig, ax = plt.subplots(figsize=(6.5, 3.6))
    for agent, agent_runs in runs.items():
        curves = [r.rewards() for r in agent_runs]
        steps = [int(w["step"]) for w in curves[0]]
        for i, step in enumerate(steps):
            mean, std = _mean_std([c[i]["reward"] for c in curves])
            rows.append(
                {"agent": agent, "step": step, "reward": mean, "reward_std": std,
                 "seeds": len(curves), "config_hash": digest}
            )  # fmt: skip
        y = np.array([r["reward"] for r in rows if r["agent"] == agent])
        sd = np.array([r["reward_std"] for r in rows if r["agent"] == agent])
        ax.plot(steps, y, label=agent.upper())
        ax.fill_between(steps, y - sd, y + sd, alpha=0.2)
    for name, ev in refs.items():
        ax.axhline(ev["reward"], linestyle="--", linewidth=1, color="grey" if name == "random"
                   else "black", label=f"{name} (evaluation)")  # fmt: skip
        rows.append(
            {"agent": name, "step": 0, "reward": ev["reward"], "reward_std": ev["reward_std"],
             "seeds": 1, "config_hash": digest}
        )  # fmt: skip
    ax.set_xlabel("training steps")
    ax.set_ylabel("reward per step (total QoE - penalties)")
    ax.set_title(f"semcom/QoE-v0, {users} users")
    ax.legend(fontsize=8)
    fig.tight_layout()
    png = options.out / "fig4a.png"
    fig.savefig(png, dpi=120)
    plt.close(fig)
    fields = ["agent", "step", "reward", "reward_std", "seeds", "config_hash"]
    return [write_rows(options.out / "fig4a.csv", fields, rows), png]


@RECIPES.register("002-fig4b", summary="CODI vs SAC vs PPO: total QoE versus number of users")
def fig4b(options: RecipeOptions) -> list[Path]:
    """Run Fig. 4(b) (module docstring)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows: list[dict[str, Any]] = []
    for users in USERS:
        digest = config_hash(QoEConfig(users=users))
        evals = {a: [r.evaluation for r in rs] for a, rs in _runs(options, "fig4b", users).items()}
        evals.update({name: [ev] for name, ev in _references(users).items()})
        for agent, evs in evals.items():
            mean, std = _mean_std([e["reward"] for e in evs])
            rows.append(
                {
                    "agent": agent,
                    "users": users,
                    "reward": mean,
                    "reward_std": std,
                    "total_qoe": statistics.mean(e["total_qoe"] for e in evs),
                    "diffusion_steps": statistics.mean(e["diffusion_steps"] for e in evs),
                    "resolution": statistics.mean(e["resolution"] for e in evs),
                    "seeds": len(evs),
                    "config_hash": digest,
                }
            )
    fig, ax = plt.subplots(figsize=(6.5, 3.6))
    agents = [*LEARNING_AGENTS, *REFERENCE_AGENTS]
    width = 0.8 / len(agents)
    for i, agent in enumerate(agents):
        sel = [r for r in rows if r["agent"] == agent]
        ax.bar(
            np.arange(len(USERS)) + i * width,
            [r["reward"] for r in sel],
            width,
            yerr=[r["reward_std"] for r in sel],
            label=agent.upper() if agent in LEARNING_AGENTS else agent,
        )
    ax.set_xticks(np.arange(len(USERS)) + 0.4 - width / 2, [str(u) for u in USERS])
    ax.set_xlabel("users")
    ax.set_ylabel("total QoE - penalties (per step)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    png = options.out / "fig4b.png"
    fig.savefig(png, dpi=120)
    plt.close(fig)
    fields = [
        "agent", "users", "reward", "reward_std", "total_qoe", "diffusion_steps",
        "resolution", "seeds", "config_hash",
    ]  # fmt: skip
    return [write_rows(options.out / "fig4b.csv", fields, rows), png]


__all__ = ["SEEDS", "STEPS", "USERS", "fig4a", "fig4b"]
