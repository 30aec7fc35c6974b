"""``semcom qoe train | eval``: QoE optimisation agents on ``semcom/QoE-v0``."""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from semcom.errors import SemcomError
from semcom.train.progress import STDERR

qoe_app = typer.Typer(
    help="QoE optimisation of the HDT physical-therapy platform: CODI, SAC, PPO, "
    "greedy, random on semcom/QoE-v0.",
    no_args_is_help=True,
)

UsersOption = Annotated[int, typer.Option("--users", help="Number of users N (2-20).")]
TableOption = Annotated[
    Path | None,
    typer.Option(
        "--quality-table", help="A `semcom refiner-profile` JSON (default: the built-in table)."
    ),
]


def _config(users: int, quality_table: Path | None, settings: list[str] | None) -> Any:
    from semcom.qoe.config import QoEConfig

    values: dict[str, Any] = {"users": users}
    if quality_table is not None:
        values["quality_table"] = str(quality_table)
    for item in settings or []:
        key, sep, text = item.partition("=")
        if not sep:
            raise SemcomError(f"--set takes KEY=VALUE, got {item!r}")
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            value = text
        values[key.strip().replace("-", "_")] = value
    return QoEConfig.from_dict(values)


def _summary_table(title: str, rows: list[dict[str, Any]]) -> Table:
    table = Table(title=title)
    for col in ("agent", "seeds", "reward / step", "total QoE", "resolution", "steps", "viol."):
        table.add_column(col)
    for r in rows:
        table.add_row(
            r["agent"],
            str(r["n"]),
            r["reward"],
            f"{r['total_qoe']:.3f}",
            f"{r['resolution']:.2f}",
            f"{r['diffusion_steps']:.2f}",
            f"{r['threshold_violations']:.2f}",
        )
    return table


def _mean_std(values: list[float]) -> str:
    if len(values) == 1:
        return f"{values[0]:.3f}"
    return f"{statistics.mean(values):.3f} ± {statistics.stdev(values):.3f}"


def _row(agent: str, evals: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "agent": agent,
        "n": len(evals),
        "reward": _mean_std([e["reward"] for e in evals]),
        **{
            k: statistics.mean(e[k] for e in evals)
            for k in ("total_qoe", "resolution", "diffusion_steps", "threshold_violations")
        },
    }


@qoe_app.command("train")
def qoe_train(
    agent: Annotated[
        str, typer.Option("--agent", help="codi | sac | ppo | greedy | random (comma-separated).")
    ] = "codi",
    users: UsersOption = 10,
    steps: Annotated[int, typer.Option("--steps", help="Environment steps per run.")] = 10_000,
    seeds: Annotated[int, typer.Option("--seeds", help="Runs with seeds 0..S-1.")] = 1,
    out: Annotated[Path, typer.Option("--out", help="Folder for the runs.")] = Path("runs/qoe"),
    quality_table: TableOption = None,
    setting: Annotated[
        list[str] | None,
        typer.Option("--set", help="KEY=VALUE environment setting (e.g. compute_s=0.5)."),
    ] = None,
    agent_setting: Annotated[
        list[str] | None,
        typer.Option(
            "--agent-set",
            help="KEY=VALUE setting of the agent (e.g. actor_update=action-gradient for "
            "CODI, learning_rate=0.001 for SAC); recorded in meta.json.",
        ),
    ] = None,
    window: Annotated[int, typer.Option("--window", help="Steps per CSV row.")] = 500,
    threads: Annotated[int, typer.Option("--threads", help="torch threads.")] = 1,
    reuse: Annotated[
        bool, typer.Option(help="Reuse a finished run with the same settings.")
    ] = True,
    progress: Annotated[bool, typer.Option(help="Show progress bars (stderr).")] = True,
) -> int:
    """Train agents; each run writes rewards.csv, the policy, meta.json and eval.json into
    OUT/AGENT/seedK and the mean ± std over seeds is printed."""
    from semcom.parsing import parse_options
    from semcom.qoe.agents import AGENTS
    from semcom.qoe.config import config_hash
    from semcom.qoe.training import train_run

    names = [a.strip() for a in agent.split(",") if a.strip()]
    for name in names:
        if name not in AGENTS:
            raise SemcomError(f"unknown agent {name!r}; choose one of: {', '.join(AGENTS)}")
    if seeds < 1:
        raise SemcomError(f"--seeds must be at least 1, got {seeds}")
    if steps < 1:
        raise SemcomError(f"--steps must be at least 1, got {steps}")
    if window < 1:
        raise SemcomError(f"--window must be at least 1, got {window}")
    if threads < 1:
        raise SemcomError(f"--threads must be at least 1, got {threads}")
    cfg = _config(users, quality_table, setting)
    hyper = parse_options(agent_setting or [])
    if hyper:  # bad settings fail here, before any run starts
        from semcom.qoe.agents import make_agent
        from semcom.qoe.env import QoEEnv

        for name in names:
            make_agent(name, QoEEnv(cfg), 0, **hyper)
    STDERR.print(f"environment semcom/QoE-v0, {cfg.users} users, config hash {config_hash(cfg)}")
    rows = []
    for name in names:
        evals = []
        for seed in range(seeds):
            run = train_run(
                name,
                cfg,
                steps,
                seed,
                out,
                window=window,
                threads=threads,
                progress=progress,
                reuse=reuse,
                hyper=hyper or None,
            )
            evals.append(run.evaluation)
            typer.echo(str(run.folder))
        rows.append(_row(name, evals))
    STDERR.print(_summary_table(f"after {steps} steps (deterministic evaluation)", rows))
    return 0


def _run_folders(policy: Path) -> list[Path]:
    if (policy / "meta.json").is_file():
        return [policy]
    found = sorted(p.parent for p in policy.glob("seed*/meta.json"))
    if not found:
        raise SemcomError(
            f"{policy} holds no trained policy (a run folder with meta.json, or an agent "
            "folder of seed* runs); see semcom qoe train"
        )
    return found


@qoe_app.command("eval")
def qoe_eval(
    policy: Annotated[
        Path, typer.Option("--policy", help="A run folder (OUT/AGENT/seedK) or OUT/AGENT.")
    ],
    users: Annotated[
        int | None, typer.Option("--users", help="Users (default: the policy's).")
    ] = None,
    episodes: Annotated[int, typer.Option("--episodes", help="Evaluation episodes.")] = 20,
    compute_scale: Annotated[
        float | None, typer.Option("--compute-scale", help="Fix the compute budget factor.")
    ] = None,
    bandwidth_scale: Annotated[
        float | None, typer.Option("--bandwidth-scale", help="Fix the bandwidth factor.")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="First episode's seed.")] = 10_000,
    critic_ascent: Annotated[
        int,
        typer.Option(
            "--critic-ascent",
            help="Refine each decision by this many Adam steps up the agent's own critic "
            "(CODI, SAC; 0: off).",
        ),
    ] = 0,
    ascent_lr: Annotated[
        float, typer.Option("--ascent-lr", help="Step size of --critic-ascent.")
    ] = 0.1,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON, one line per run.")] = False,
) -> int:
    """Evaluate trained policies with deterministic decisions on fixed episodes."""
    import dataclasses

    from semcom.qoe.critic_ascent import CriticAscent
    from semcom.qoe.training import evaluate_policy, load_run

    if episodes < 1:
        raise SemcomError(f"--episodes must be at least 1, got {episodes}")
    if critic_ascent < 0 or not ascent_lr > 0:
        raise SemcomError(
            f"--critic-ascent must be >= 0 and --ascent-lr > 0, got {critic_ascent} and {ascent_lr}"
        )
    options: dict[str, float] = {}
    for key, value in (("compute_scale", compute_scale), ("bandwidth_scale", bandwidth_scale)):
        if value is not None:
            if value <= 0:
                raise SemcomError(f"--{key.replace('_', '-')} must be > 0, got {value}")
            options[key] = value
    evals = []
    for folder in _run_folders(policy):
        agent, cfg = load_run(folder)
        if users is not None and users != cfg.users:
            agent, cfg = load_run(folder, dataclasses.replace(cfg, users=users))
        if critic_ascent:
            agent = CriticAscent(agent, critic_ascent, ascent_lr)
        result = evaluate_policy(agent, cfg, episodes, seed, options or None)
        result["policy"] = str(folder)
        result["critic_ascent"] = {"steps": critic_ascent, "lr": ascent_lr}
        evals.append(result)
        if as_json:
            typer.echo(json.dumps(result))
    if not as_json:
        label = evals[0]["agent"] + (f" + ascent {critic_ascent}" if critic_ascent else "")
        table = _summary_table(f"{episodes} episodes", [_row(label, evals)])
        STDERR.print(table)
        typer.echo(
            f"reward per step {_mean_std([e['reward'] for e in evals])} "
            f"(config hash {evals[0]['config_hash']})"
        )
    return 0
