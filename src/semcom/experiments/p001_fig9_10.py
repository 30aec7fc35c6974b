"""Paper 001 Figs. 9-10: the ablations — PSFL, PSFL without PLD (every mentor GSC-M) and
PSFL without AGP (no pruning) — global loss and accuracy per round (CPU scale: MNIST,
Fashion-MNIST; paper scale adds CIFAR-10). Writes ``fig9_10.csv`` and ``fig9_10.png``."""

from __future__ import annotations

from pathlib import Path

from semcom.experiments.p001_common import datasets
from semcom.experiments.p001_curves import Variant, compare
from semcom.experiments.recipe import RECIPES, RecipeOptions


@RECIPES.register("001-fig9-10", summary="PSFL ablations: without PLD, without AGP")
def fig9_10(options: RecipeOptions) -> list[Path]:
    """Run Figs. 9-10 (module docstring)."""
    names = datasets(options, ("mnist", "fashion-mnist"), ("mnist", "fashion-mnist", "cifar10"))
    variants: dict[str, Variant] = {
        "PSFL": ("psfl", 0.9, "", {}),
        "without PLD": ("psfl", 0.9, "-nopld", {"personalised": False}),
        "without AGP": ("psfl", 0.9, "-noagp", {"agp": False}),
    }
    return compare(options, "fig9_10", names, variants)[0]
