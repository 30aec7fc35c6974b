"""Paper 000 Figs. 4-5: FLeS against single-user, multi-user (and the centralised
reference) on the dementia health records.

Every scenario (:mod:`semcom.twin.fles_config`) runs on Flower's simulation engine with
the same 800 training records, learning rate and epochs (one local epoch per round), for
3 seeds. Runs are shared by both figures and kept in ``<out>/000-runs-<scale>/``: a
finished run (its ``summary.json``) is reused, so the second figure costs nothing and an
interrupted recipe restarts where it stopped.

- ``000-fig4``: error rate, MAE and MSE per epoch (mean over the clusters' test records;
  mean ± std over seeds) per scenario -> ``fig4.csv``, ``fig4.png``.
- ``000-fig5``: semantic throughput per cluster (bits of test records regenerated within
  tolerance per second of airtime + compute of the receiver that serves the cluster: FLeS
  has one receiver per cluster, single- and multi-user one for all three, as in the
  paper's explanation of its Fig. 5) per scenario -> ``fig5.csv`` (also the throughput
  with a receiver per cluster for every scenario, and the share of records regenerated
  at each tolerance of ``TOLERANCE_STUDY``), ``fig5.png``.

``--scale cpu``: 30 epochs; ``--scale paper``: 100. Data: ``--data`` (a CSV), default the
shared ``dementia_patients_health_data.csv``.
"""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from semcom.errors import SemcomError
from semcom.experiments.p001_common import write_rows
from semcom.experiments.recipe import RECIPES, RecipeOptions
from semcom.train.progress import STDERR

__all__ = ["DEFAULT_DATA", "SCENARIO_ORDER", "epochs_to_reach", "scenario_runs"]

DEFAULT_DATA = "../shared/data/dementia_patients_health_data.csv"
SCENARIO_ORDER = ("single", "multi", "fles", "central")
SEEDS = (0, 1, 2)
ROUNDS = {"cpu": 30, "paper": 100}


def _data(options: RecipeOptions) -> str:
    data = options.data or DEFAULT_DATA
    if not Path(data).exists():
        raise SemcomError(
            f"health records {data!r} not found; pass --data PATH (a CSV with the dementia "
            "schema, see docs/twins.md)"
        )
    return data


def scenario_runs(
    options: RecipeOptions,
    rounds: int | None = None,
    seeds: tuple[int, ...] = SEEDS,
    variants: dict[str, tuple[str, dict[str, Any]]] | None = None,
) -> dict[str, list[Path]]:
    """Run (or reuse) every scenario x seed; ``{scenario: [run folders]}``.

    ``variants``: extra rows, ``{label: (scenario, settings overrides)}`` (e.g.
    ``{"fles-3ep": ("fles", {"local_epochs": 3})}``), run for the same seeds.
    """
    from semcom.twin.fles_config import FLeSSettings

    data = _data(options)
    n = rounds or ROUNDS[options.scale]
    root = options.out / f"000-runs-{options.scale}"
    jobs: list[tuple[str, str, dict[str, Any]]] = [(n, n, {}) for n in SCENARIO_ORDER]
    jobs += [(label, sc, dict(kw)) for label, (sc, kw) in (variants or {}).items()]
    planned = []  # every run's settings first: a bad variant fails before any run
    for label, scenario, overrides in jobs:
        for seed in seeds:
            try:
                s = FLeSSettings(data=data, scenario=scenario, rounds=n, seed=seed, **overrides)
            except TypeError as e:  # an unknown setting name
                raise SemcomError(f"variant {label!r}: {e}") from None
            planned.append((label, seed, s))
    out: dict[str, list[Path]] = {}
    for label, seed, s in planned:
        run = root / f"{label}-seed{seed}"
        _run_or_reuse(s, run, options, f"000: {label}, seed {seed}, {n} epochs")
        out.setdefault(label, []).append(run)
    return out


def _run_or_reuse(s: Any, run: Path, options: RecipeOptions, title: str) -> None:
    from semcom.twin.fles_apps import run_fles
    from semcom.twin.fles_config import PREDATED_SETTINGS, FLeSSettings

    summary = run / "summary.json"
    if summary.exists():
        saved = json.loads(summary.read_text())["settings"]
        # a setting the run predates ran with its default (or as PREDATED_SETTINGS says)
        if {**FLeSSettings().to_dict(), **PREDATED_SETTINGS, **saved} != s.to_dict():
            summary.unlink()  # settings changed: run again
    if not summary.exists():
        if options.progress:
            STDERR.print(title, highlight=False)
        run_fles(replace(s), run, progress=options.progress)


def _curves(run: Path) -> dict[str, np.ndarray]:
    with (run / "rounds.csv").open() as f:
        rows = list(csv.DictReader(f))
    rounds = sorted({int(r["round"]) for r in rows})
    out = {}
    for key in ("error_rate", "mae", "mse"):
        out[key] = np.array(
            [np.mean([float(r[key]) for r in rows if int(r["round"]) == t]) for t in rounds]
        )
    return out


def epochs_to_reach(curve: np.ndarray, factor: float = 1.1) -> int:
    """First epoch (1-based) whose value is within ``factor`` x the curve's final value."""
    final = float(curve[-1])
    return int(np.argmax(curve <= factor * final)) + 1


def fig4_rows(runs: dict[str, list[Path]]) -> list[dict[str, Any]]:
    rows = []
    for scenario, folders in runs.items():
        curves = [_curves(r) for r in folders]
        for t in range(len(curves[0]["error_rate"])):
            row: dict[str, Any] = {"scenario": scenario, "epoch": t + 1}
            for key in ("error_rate", "mae", "mse"):
                vals = [c[key][t] for c in curves]
                row[key] = float(np.mean(vals))
                row[f"{key}_std"] = float(np.std(vals))
            rows.append(row)
    return rows


def fig5_rows(runs: dict[str, list[Path]]) -> list[dict[str, Any]]:
    from semcom.twin.fles_apps import cluster_figures

    rows = []
    for scenario, folders in runs.items():
        per: dict[str, list[float]] = {}
        own: dict[str, list[float]] = {}
        text: dict[str, list[float]] = {}
        study: dict[str, dict[str, list[float]]] = {}
        for run in folders:
            summary = json.loads((run / "summary.json").read_text())
            for cluster, m in cluster_figures(summary).items():
                per.setdefault(cluster, []).append(float(m["semantic_throughput_bps"]))
                own.setdefault(cluster, []).append(float(m["own_receiver_throughput_bps"]))
                content = m.get("content", {})  # runs saved before the content layer: none
                text.setdefault(cluster, []).append(content.get("field_accuracy", np.nan))
                for tol, share in m.get("within_tolerance_at", {}).items():
                    study.setdefault(cluster, {}).setdefault(tol, []).append(float(share))
        for cluster, vals in per.items():
            rows.append(
                {
                    "scenario": scenario,
                    "cluster": cluster,
                    "throughput_bps": float(np.mean(vals)),
                    "throughput_bps_std": float(np.std(vals)),
                    "own_receiver_throughput_bps": float(np.mean(own[cluster])),
                    "content_field_accuracy": float(np.mean(text[cluster])),
                    "content_field_accuracy_std": float(np.std(text[cluster])),
                    **{
                        f"within_tolerance@{tol}": float(np.mean(v))
                        for tol, v in study.get(cluster, {}).items()
                    },
                }
            )
    return rows


@RECIPES.register("000-fig4", summary="FLeS vs single / multi-user: error rate, MAE, MSE per epoch")
def fig4(options: RecipeOptions) -> list[Path]:
    """Run Fig. 4 (module docstring)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = fig4_rows(scenario_runs(options))
    fields = ["scenario", "epoch"] + [
        k for key in ("error_rate", "mae", "mse") for k in (key, f"{key}_std")
    ]
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.4))
    for ax, key in zip(axes, ("error_rate", "mae", "mse"), strict=True):
        for scenario in SCENARIO_ORDER:
            sel = [r for r in rows if r["scenario"] == scenario]
            if not sel:
                continue
            x = [r["epoch"] for r in sel]
            y = np.array([r[key] for r in sel])
            sd = np.array([r[f"{key}_std"] for r in sel])
            ax.plot(x, y, label=scenario)
            ax.fill_between(x, y - sd, y + sd, alpha=0.2)
        ax.set_xlabel("epoch")
        ax.set_title(key.replace("_", " "))
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    png = options.out / "fig4.png"
    fig.savefig(png, dpi=120)
    plt.close(fig)
    return [write_rows(options.out / "fig4.csv", fields, rows), png]


@RECIPES.register(
    "000-fig5", summary="FLeS vs single / multi-user: semantic throughput per cluster"
)
def fig5(options: RecipeOptions) -> list[Path]:
    """Run Fig. 5 (module docstring)."""
    import matplotlib

    from semcom.twin.fles_config import TOLERANCE_STUDY

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = fig5_rows(scenario_runs(options))
    clusters = sorted({r["cluster"] for r in rows})
    fig, ax = plt.subplots(figsize=(6.5, 3.4))
    width = 0.8 / len(SCENARIO_ORDER)
    for i, scenario in enumerate(SCENARIO_ORDER):
        vals = {r["cluster"]: r for r in rows if r["scenario"] == scenario}
        x = np.arange(len(clusters)) + i * width
        ax.bar(
            x,
            [vals[c]["throughput_bps"] / 1e3 for c in clusters],
            width,
            yerr=[vals[c]["throughput_bps_std"] / 1e3 for c in clusters],
            label=scenario,
        )
    ax.set_xticks(np.arange(len(clusters)) + 0.4 - width / 2, clusters)
    ax.set_ylabel("semantic throughput (kbit/s)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    png = options.out / "fig5.png"
    fig.savefig(png, dpi=120)
    plt.close(fig)
    fields = [
        "scenario",
        "cluster",
        "throughput_bps",
        "throughput_bps_std",
        "own_receiver_throughput_bps",
        "content_field_accuracy",
        "content_field_accuracy_std",
        *(f"within_tolerance@{tol:g}" for tol in TOLERANCE_STUDY),
    ]
    return [write_rows(options.out / "fig5.csv", fields, rows), png]
