"""Paper 003 Fig. 5: LPIPS against SNR (lower is better), same methods as Fig. 4 minus the
digital chain's capacity reference.

Needs the AlexNet-LPIPS weights (``--lpips-weights``, ``$SEMCOM_LPIPS_WEIGHTS`` or
``~/.cache/semcom/lpips``; docs/metrics.md); without them it stops with that reason (exit
status 2). Writes ``fig5.csv`` and ``fig5.png``.
"""

from __future__ import annotations

from pathlib import Path

from semcom.evaluation.sweep import write_csv
from semcom.experiments.p003_common import eval_data, figure4_rows, lpips_for, plot_per_channel
from semcom.experiments.p003_fig4 import snrs_for
from semcom.experiments.recipe import RECIPES, RecipeOptions


@RECIPES.register("003-fig5", summary="LPIPS vs SNR (needs LPIPS weights)")
def fig5(options: RecipeOptions) -> list[Path]:
    """Run Fig. 5 (module docstring)."""
    metric = lpips_for(options, "003-fig5")
    data = eval_data(options, cpu_limit=256)
    rows = [
        r
        for r in figure4_rows(options, data, snrs_for(options), lpips_metric=metric)
        if r.method != "JPEG+capacity"
    ]
    csv_path = options.out / "fig5.csv"
    write_csv(rows, csv_path)
    png = plot_per_channel(
        rows, "lpips", "LPIPS (AlexNet, lower is better)", options.out / "fig5.png",
        f"Paper 003 Fig. 5 — {data.name}, {len(data)} images",
    )  # fmt: skip
    return [csv_path, png]
