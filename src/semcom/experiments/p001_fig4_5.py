"""Paper 001 Figs. 4-5: loss and accuracy of the mentors against the student, per round.

One PSFL run per data set (CPU scale: MNIST, Fashion-MNIST; paper scale adds CIFAR-10).
Mentor loss / accuracy: the clients' mean mentor task loss (Eq. 15) and their mentors'
accuracy on their own images; student: the mean student task loss (Eq. 16) and the global
(pruned) student's accuracy on the test images. Writes ``fig4_5.csv`` and ``fig4_5.png``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from semcom.experiments.p001_common import (
    datasets,
    fl_config,
    mean_of,
    plot_panels,
    run_fl,
    run_name,
    write_rows,
)
from semcom.experiments.recipe import RECIPES, RecipeOptions


@RECIPES.register("001-fig4-5", summary="PSFL: mentor vs student loss and accuracy per round")
def fig4_5(options: RecipeOptions) -> list[Path]:
    """Run Figs. 4-5 (module docstring)."""
    rows, panels = [], []
    for ds in datasets(options, ("mnist", "fashion-mnist"), ("mnist", "fashion-mnist", "cifar10")):
        rounds, clients = run_fl(options, run_name("psfl", ds), fl_config(options, "psfl", ds))
        series: dict[str, dict[str, list[tuple[float, float]]]] = {"loss": {}, "accuracy": {}}
        for r in rounds:
            t = int(r["round"])
            mine = [c for c in clients if c["round"] == r["round"] and c["status"] == "ok"]
            row: dict[str, Any] = {
                "dataset": ds,
                "round": t,
                "mentor_loss": mean_of(mine, "mentor_task"),
                "student_loss": mean_of(mine, "student_task"),
                "mentor_accuracy": mean_of(mine, "local_accuracy"),
                "student_accuracy": float(r["global_accuracy"]),
            }
            rows.append(row)
            for who in ("mentor", "student"):
                series["loss"].setdefault(who, []).append((t, row[f"{who}_loss"]))
                series["accuracy"].setdefault(who, []).append((t, row[f"{who}_accuracy"]))
        panels += [
            (f"{ds}: loss", "task loss", series["loss"]),
            (f"{ds}: accuracy", "accuracy", series["accuracy"]),
        ]
    fields = [
        "dataset",
        "round",
        "mentor_loss",
        "student_loss",
        "mentor_accuracy",
        "student_accuracy",
    ]
    csv_path = write_rows(options.out / "fig4_5.csv", fields, rows)
    return [csv_path, plot_panels(options.out / "fig4_5.png", panels, columns=2)]
