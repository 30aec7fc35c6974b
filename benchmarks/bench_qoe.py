"""CODI against SAC, PPO, greedy and random on ``semcom/QoE-v0``: issue 9's targets.

``final`` (default 50k steps, 3 seeds, equal budgets, 10 users):

- CODI's final reward >= 1.05x SAC's and >= PPO's (deterministic evaluation of each
  trained policy on the same 20 fixed episodes; mean +- std over seeds);
- wall time per 10k training steps per agent (one torch thread) and the median decision
  latency per step (all N users decided at once);
- ``--oracle``: each agent against the optimum per step on the same episodes, bracketed
  by :func:`semcom.qoe.bound.reward_bound` (an allocation that earns the lower figure,
  and a Lagrangian upper bound no policy can beat).

- ``--critic``: what each trained critic (CODI's, SAC's) expects its own decision and the
  optimum's decision to earn, against what they do earn, on the same episodes — whether
  the critic could ever lead its actor to the optimum.

``budget``: does the learned policy use fewer diffusion steps when the compute budget
shrinks? CODI (and the greedy heuristic) on two environments that differ only in
``compute_s``: the default 1.5 s and a quarter of it with the built-in quality table
(``--compute-s``), 0.3 s and 0.075 s with a real refiner profile (``--profile``, default the
``zoo:gsc-cifar10-awgn`` profile in ``benchmarks/profiles/``; ``--profile-compute-s``:
that link needs about 3 ms per frame, so 1.5 s never binds); reports the mean diffusion
steps and resolution ratio of each evaluated policy.

Runs are ``semcom qoe train`` runs (shared with the CLI, resumable)::

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_qoe.py --oracle        # final, 50k x 3
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_qoe.py --agents codi,sac --critic
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_qoe.py --part budget --steps 10000 --seeds 1
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_qoe.py --agents codi \
        --codi-set actor_update=action-gradient --codi-set action_gradient_steps=5 \
        --out runs/bench-qoe-ag                   # CODI with DIPO's actor update

Every agent uses its published defaults (stable-baselines3's for SAC / PPO, GDMOPT's for
CODI) and the same discount (``semcom.qoe.agents.GAMMA``, 0: the next state does not
depend on the action; ``--gamma`` to run all of them at another): the same (zero) tuning
budget for all.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path
from typing import Any

import numpy as np

from semcom.errors import SemcomError
from semcom.parsing import parse_options
from semcom.qoe.agents import GAMMA, LEARNING_AGENTS, Agent, make_agent
from semcom.qoe.bound import reward_bound
from semcom.qoe.config import QoEConfig, config_hash
from semcom.qoe.critic_ascent import CriticAscent
from semcom.qoe.env import QoEEnv, evaluate_allocation
from semcom.qoe.training import (
    EVAL_EPISODES,
    EVAL_SEED,
    evaluate_policy,
    load_run,
    train_run,
)

PROFILE = Path(__file__).parent / "profiles" / "gsc-cifar10-awgn.json"


def _ms(values: list[float]) -> str:
    if len(values) == 1:
        return f"{values[0]:.3f}"
    return f"{statistics.mean(values):.3f} ± {statistics.stdev(values):.3f}"


def optimum_per_step(cfg: QoEConfig, episodes: int = EVAL_EPISODES) -> tuple[float, float]:
    """The best possible mean reward per step on the evaluation episodes, bracketed:
    ``(achievable, upper)`` from :func:`semcom.qoe.bound.reward_bound` (the next state does
    not depend on the action, so the per-step optimum is the optimal policy's reward)."""
    env = QoEEnv(cfg)
    lows, highs = [], []
    for i in range(episodes):
        env.reset(seed=EVAL_SEED + i)
        done = False
        while not done:
            b = reward_bound(cfg, env.table, env.situation)
            lows.append(b.achievable)
            highs.append(b.upper)
            _, _, terminated, truncated, _ = env.step(env.encode_action(b.resolution, b.steps))
            done = terminated or truncated
    return float(np.mean(lows)), float(np.mean(highs))


def critic_check(agent: Agent, cfg: QoEConfig, episodes: int = EVAL_EPISODES) -> dict[str, float]:
    """Mean over the evaluation episodes' steps of the agent's critic value of its own
    decision (``q_own``) and of the optimum's (``q_opt``, the allocation of
    :func:`semcom.qoe.bound.reward_bound`), what each earns (``r_own``, ``r_opt``), and the
    share of steps where the critic prefers the optimum's decision (``prefers_opt``)."""
    env = QoEEnv(cfg)
    rows = []
    for i in range(episodes):
        obs, _ = env.reset(seed=EVAL_SEED + i)
        done = False
        while not done:
            s = env.situation
            b = reward_bound(cfg, env.table, s)
            own, opt = agent.act(obs), env.encode_action(b.resolution, b.steps)
            r_own = evaluate_allocation(cfg, env.table, s, *env.decode_action(own)).reward
            r_opt = evaluate_allocation(cfg, env.table, s, *env.decode_action(opt)).reward
            rows.append((agent.critic_value(obs, own), agent.critic_value(obs, opt), r_own, r_opt))
            obs, _, terminated, truncated, _ = env.step(own)
            done = terminated or truncated
    a = np.asarray(rows)
    return {
        "q_own": float(a[:, 0].mean()),
        "q_opt": float(a[:, 1].mean()),
        "r_own": float(a[:, 2].mean()),
        "r_opt": float(a[:, 3].mean()),
        "prefers_opt": float((a[:, 1] > a[:, 0]).mean()),
    }


def _shared(args: argparse.Namespace) -> dict[str, Any] | None:
    """Settings every learning agent shares in this run (``--gamma``)."""
    return None if args.gamma is None else {"gamma": args.gamma}


def _hyper(args: argparse.Namespace, agent: str) -> dict[str, Any] | None:
    """``agent``'s settings in this run: the shared ones, and ``--codi-set`` for CODI,
    ``--sac-set`` for SAC."""
    own = parse_options({"codi": args.codi_set, "sac": args.sac_set}.get(agent, []))
    merged = {**(_shared(args) or {}), **own}
    return merged or None


def final(args: argparse.Namespace) -> None:
    cfg = QoEConfig(users=args.users)
    print(f"# final: {args.users} users, {args.steps} steps, {args.seeds} seeds, "
          f"config hash {config_hash(cfg)}, discount "
          f"{GAMMA if args.gamma is None else args.gamma} for every learner")  # fmt: skip
    results: dict[str, list[dict[str, Any]]] = {}
    walls: dict[str, list[float]] = {}
    critics: dict[str, list[dict[str, float]]] = {}
    for agent in args.agents.split(","):
        if agent in LEARNING_AGENTS:
            runs = [
                train_run(
                    agent,
                    cfg,
                    args.steps,
                    seed,
                    args.out,
                    progress=args.progress,
                    hyper=_hyper(args, agent),
                )
                for seed in range(args.seeds)
            ]
            results[agent] = [r.evaluation for r in runs]
            walls[agent] = [r.meta["s_per_10k_steps"] for r in runs]
            if args.critic_ascent and agent in ("codi", "sac"):
                ascent = args.critic_ascent, args.ascent_lr
                results[f"{agent} + ascent"] = [
                    evaluate_policy(CriticAscent(load_run(r.folder, cfg)[0], *ascent), cfg)
                    for r in runs
                ]
            if args.critic and agent in ("codi", "sac"):
                critics[agent] = [critic_check(load_run(r.folder, cfg)[0], cfg) for r in runs]
        else:
            results[agent] = [
                evaluate_policy(make_agent(agent, QoEEnv(cfg), seed=s), cfg)
                for s in range(args.seeds)
            ]
    print("| agent | final reward / step | total QoE | diffusion steps | resolution | "
          "s / 10k steps | decision latency (ms) |")  # fmt: skip
    print("|---|---|---|---|---|---|---|")
    for agent, evs in results.items():
        wall = f"{statistics.mean(walls[agent]):.0f}" if agent in walls else "-"
        print(
            f"| {agent} | {_ms([e['reward'] for e in evs])} | "
            f"{statistics.mean(e['total_qoe'] for e in evs):.3f} | "
            f"{statistics.mean(e['diffusion_steps'] for e in evs):.2f} | "
            f"{statistics.mean(e['resolution'] for e in evs):.2f} | {wall} | "
            f"{1e3 * statistics.median(e['decision_latency_s'] for e in evs):.2f} |"
        )
    mean = {a: statistics.mean(e["reward"] for e in evs) for a, evs in results.items()}
    if {"codi", "sac"} <= set(mean):
        print(f"CODI / SAC final reward: {mean['codi'] / mean['sac']:.3f} (target >= 1.05)")
    if {"codi + ascent", "sac + ascent"} <= set(mean):
        best_codi = max(mean["codi"], mean["codi + ascent"])
        best_sac = max(mean["sac"], mean["sac + ascent"])
        print(f"CODI / SAC, each with its better decision rule: {best_codi / best_sac:.3f} "
              "(target >= 1.05)")  # fmt: skip
    if {"codi", "ppo"} <= set(mean):
        print(f"CODI / PPO final reward: {mean['codi'] / mean['ppo']:.3f} (target >= 1.00)")
    if args.oracle:
        low, high = optimum_per_step(cfg)
        print(f"optimum reward per step: between {low:.3f} (an allocation that earns it) and "
              f"{high:.3f} (Lagrangian upper bound)")  # fmt: skip
        for agent, m in mean.items():
            print(f"  {agent}: {m / high:.3f} of the upper bound")
    if critics:
        print("| agent | seed | critic: own decision | earns | critic: optimum's decision | "
              "earns | steps the critic prefers the optimum's |")  # fmt: skip
        print("|---|---|---|---|---|---|---|")
        for agent, checks in critics.items():
            for seed, c in enumerate(checks):
                cells = [c[k] for k in ("q_own", "r_own", "q_opt", "r_opt", "prefers_opt")]
                print(f"| {agent} | {seed} | " + " | ".join(f"{x:.3f}" for x in cells) + " |")


def budget(args: argparse.Namespace) -> None:
    tables: list[tuple[str, str | None, list[float]]] = [
        ("built-in table", None, [float(x) for x in args.compute_s.split(",")])
    ]
    if args.profile is not None:
        budgets = [float(x) for x in args.profile_compute_s.split(",")]
        tables.append((f"profile {args.profile.name}", str(args.profile), budgets))
    print(f"# budget: {args.users} users, {args.steps} steps, {args.seeds} seeds")
    print("| quality table | compute_s | agent | diffusion steps | resolution | reward / step |")
    print("|---|---|---|---|---|---|")
    for label, table, budgets in tables:
        for compute in budgets:
            cfg = QoEConfig(users=args.users, compute_s=compute, quality_table=table)
            for agent in args.budget_agents.split(","):
                if agent in LEARNING_AGENTS:
                    evs = [
                        train_run(agent, cfg, args.steps, s, args.out / "budget" / config_hash(cfg),
                                  progress=args.progress, hyper=_hyper(args, agent)).evaluation
                        for s in range(args.seeds)
                    ]  # fmt: skip
                else:
                    evs = [evaluate_policy(make_agent(agent, QoEEnv(cfg)), cfg)]
                print(
                    f"| {label} | {compute:g} | {agent} | "
                    f"{_ms([e['diffusion_steps'] for e in evs])} | "
                    f"{_ms([e['resolution'] for e in evs])} | {_ms([e['reward'] for e in evs])} |"
                )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--part", choices=("final", "budget", "all"), default="final")
    p.add_argument("--agents", default="codi,sac,ppo,greedy,random")
    p.add_argument("--budget-agents", default="codi,greedy")
    p.add_argument("--users", type=int, default=10)
    p.add_argument("--steps", type=int, default=50_000)
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--compute-s", default="1.5,0.375", help="budgets, built-in table")
    p.add_argument(
        "--profile-compute-s",
        default="0.3,0.075",
        help="budgets with the profile (its link needs ~3 ms per frame: 1.5 s never binds)",
    )
    p.add_argument("--profile", type=Path, default=PROFILE)
    p.add_argument("--out", type=Path, default=Path("runs/bench-qoe"))
    p.add_argument("--progress", action="store_true")
    p.add_argument("--oracle", action="store_true", help="also the optimum per step")
    p.add_argument(
        "--critic", action="store_true",
        help="each critic's value of its own and of the optimum's decisions (CODI, SAC)",
    )  # fmt: skip
    p.add_argument(
        "--gamma", type=float, default=None,
        help="discount shared by every learning agent (default: semcom.qoe.agents.GAMMA)",
    )  # fmt: skip
    p.add_argument(
        "--codi-set", action="append", default=[], metavar="KEY=VALUE",
        help="a CODI setting for this run (repeatable), e.g. actor_update=action-gradient",
    )  # fmt: skip
    p.add_argument(
        "--sac-set", action="append", default=[], metavar="KEY=VALUE",
        help="a SAC setting for this run (repeatable), e.g. learning_rate=0.001",
    )  # fmt: skip
    p.add_argument(
        "--critic-ascent", type=int, default=0, metavar="STEPS",
        help="also evaluate CODI and SAC with each decision refined by STEPS Adam steps up "
        "the agent's own critic (semcom.qoe.critic_ascent)",
    )  # fmt: skip
    p.add_argument("--ascent-lr", type=float, default=0.1, help="step size of --critic-ascent")
    args = p.parse_args(argv)
    try:
        if args.part in ("final", "all"):
            final(args)
        if args.part in ("budget", "all"):
            budget(args)
    except SemcomError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
