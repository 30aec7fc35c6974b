"""Paper 001 Figs. 7-8: PSFL's global loss and accuracy per round for Dirichlet r = 0.3,
0.6 and 0.9 (CPU scale: MNIST, Fashion-MNIST; paper scale adds CIFAR-10). Writes
``fig7_8.csv`` and ``fig7_8.png``."""

from __future__ import annotations

from pathlib import Path

from semcom.experiments.p001_common import datasets
from semcom.experiments.p001_curves import Variant, compare
from semcom.experiments.recipe import RECIPES, RecipeOptions


@RECIPES.register("001-fig7-8", summary="PSFL under Dirichlet r = 0.3 / 0.6 / 0.9")
def fig7_8(options: RecipeOptions) -> list[Path]:
    """Run Figs. 7-8 (module docstring)."""
    names = datasets(options, ("mnist", "fashion-mnist"), ("mnist", "fashion-mnist", "cifar10"))
    variants: dict[str, Variant] = {f"r = {r:g}": ("psfl", r, "", {}) for r in (0.3, 0.6, 0.9)}
    return compare(options, "fig7_8", names, variants)[0]
