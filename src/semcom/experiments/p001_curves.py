"""Paper 001's per-round comparisons (Figs. 7-8, 9-10, 11-12): global loss and accuracy of
several federated runs per data set, as CSV and line plots."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from semcom.experiments.p001_common import fl_config, plot_panels, run_fl, run_name, write_rows
from semcom.experiments.recipe import RecipeOptions

#: label -> (strategy, dirichlet r, run-name variant, psfl options)
Variant = tuple[str, float, str, dict[str, Any]]


def compare(
    options: RecipeOptions, stem: str, names: list[str], variants: dict[str, Variant]
) -> tuple[list[Path], dict[str, dict[str, list[dict[str, str]]]]]:
    """Run every variant on every data set; write ``<stem>.csv`` (dataset, variant, round,
    global_loss, global_accuracy, energy_j) and ``<stem>.png``; return the files and the
    clients' rows per data set and variant."""
    rows, panels = [], []
    clients_of: dict[str, dict[str, list[dict[str, str]]]] = {}
    for ds in names:
        loss: dict[str, list[tuple[float, float]]] = {}
        acc: dict[str, list[tuple[float, float]]] = {}
        for label, (strategy, r, variant, psfl) in variants.items():
            cfg = fl_config(options, strategy, ds, dirichlet=r, **psfl)
            rounds, clients = run_fl(options, run_name(strategy, ds, r, variant), cfg)
            clients_of.setdefault(ds, {})[label] = clients
            for row in rounds:
                t = int(row["round"])
                rows.append(
                    {
                        "dataset": ds,
                        "variant": label,
                        "round": t,
                        "global_loss": row["global_loss"],
                        "global_accuracy": row["global_accuracy"],
                        "energy_j": row["energy_j"],
                    }
                )
                loss.setdefault(label, []).append((t, float(row["global_loss"])))
                acc.setdefault(label, []).append((t, float(row["global_accuracy"])))
        panels += [
            (f"{ds}: global loss", "loss (MSE)", loss),
            (f"{ds}: global accuracy", "accuracy", acc),
        ]
    fields = ["dataset", "variant", "round", "global_loss", "global_accuracy", "energy_j"]
    csv_path = write_rows(options.out / f"{stem}.csv", fields, rows)
    return [csv_path, plot_panels(options.out / f"{stem}.png", panels, columns=2)], clients_of
