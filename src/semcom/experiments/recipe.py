"""Figure recipes: what ``semcom reproduce NAME`` runs, and the options every recipe takes.

A recipe is a function ``(RecipeOptions) -> list[Path]`` registered under the paper's
figure name (``003-fig4``); it writes its CSV and PNG files into ``options.out`` and
returns their paths. ``scale="cpu"`` (default) runs on a laptop in minutes with the zoo
models; ``scale="paper"`` uses the paper's settings where they differ (documented per
recipe in docs/reproduce.md).

Example:
    >>> from semcom.experiments.recipe import RECIPES
    >>> "003-fig4" in RECIPES.names()
    True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from semcom.errors import SemcomError
from semcom.registry import Registry

#: The data the zoo models were validated on, when the project's shared data are present.
SHARED_CIFAR_VAL = "npz:../shared/data/cifar10_train_subset.npz#val=0.1"


@dataclass(frozen=True)
class RecipeOptions:
    """Options of every recipe.

    Attributes:
        out: folder for the CSV and PNG files.
        scale: ``"cpu"`` or ``"paper"``.
        data: data spec; ``None``: the shared CIFAR-10 validation split when present, else
            the bundled ``patches``.
        limit: first N images (``None``: the scale's default).
        channels: channels to run (``awgn``, ``rayleigh-block``).
        links: channel -> GSC link checkpoint (default: ``zoo:gsc-cifar10-<channel>``).
        baselines: channel -> DeepJSCC checkpoint (default: the zoo's).
        lpips_weights: LPIPS weights (file or folder); ``None``: the default places.
        device: ``auto``, ``cpu``, ``cuda``.
        seed: noise seed.
        progress: progress bars on stderr.
    """

    out: Path
    scale: str = "cpu"
    data: str | None = None
    limit: int | None = None
    channels: tuple[str, ...] = ("awgn", "rayleigh-block")
    links: dict[str, str] = field(default_factory=dict)
    baselines: dict[str, str] = field(default_factory=dict)
    lpips_weights: Path | None = None
    device: str = "auto"
    seed: int = 0
    progress: bool = True

    def __post_init__(self) -> None:
        if self.scale not in ("cpu", "paper"):
            raise SemcomError(f"unknown scale {self.scale!r}; choose one of: cpu, paper")
        if self.limit is not None and self.limit < 1:
            raise SemcomError(f"--limit must be at least 1, got {self.limit}")
        for ch in self.channels:
            if ch not in ZOO_LINKS:
                raise SemcomError(
                    f"paper 003's figures use channels {', '.join(ZOO_LINKS)}; got {ch!r}"
                )

    def link(self, channel: str) -> str:
        """The GSC link checkpoint for ``channel``."""
        return self.links.get(channel, ZOO_LINKS[channel])

    def baseline(self, channel: str) -> str:
        """The DeepJSCC checkpoint for ``channel``."""
        return self.baselines.get(channel, ZOO_BASELINES[channel])

    def data_spec(self) -> str:
        """``data``, or the default described above."""
        if self.data is not None:
            return self.data
        shared = Path("../shared/data/cifar10_train_subset.npz")
        return SHARED_CIFAR_VAL if shared.exists() else "patches"


ZOO_LINKS = {"awgn": "zoo:gsc-cifar10-awgn", "rayleigh-block": "zoo:gsc-cifar10-rayleigh"}
ZOO_BASELINES = {
    "awgn": "zoo:deepjscc-cifar10-awgn",
    "rayleigh-block": "zoo:deepjscc-cifar10-rayleigh",
}

Recipe = Callable[[RecipeOptions], list[Path]]
RECIPES: Registry[list[Path]] = Registry("recipe")


def run_recipe(name: str, options: RecipeOptions) -> list[Path]:
    """Run the recipe ``name``; returns the files it wrote."""
    options.out.mkdir(parents=True, exist_ok=True)
    files: list[Path] = RECIPES.entry(name).factory(options)
    return files


# the recipes register themselves on import (one module per figure or table)
import semcom.experiments.p000_scenarios  # noqa: E402
import semcom.experiments.p001_fig4_5  # noqa: E402
import semcom.experiments.p001_fig6  # noqa: E402
import semcom.experiments.p001_fig7_8  # noqa: E402
import semcom.experiments.p001_fig9_10  # noqa: E402
import semcom.experiments.p001_fig11_12  # noqa: E402
import semcom.experiments.p002_fig4  # noqa: E402
import semcom.experiments.p003_fig4  # noqa: E402
import semcom.experiments.p003_fig4cd  # noqa: E402
import semcom.experiments.p003_fig5  # noqa: E402
import semcom.experiments.p003_fig6  # noqa: E402
import semcom.experiments.p003_fig7  # noqa: E402
import semcom.experiments.p003_table1  # noqa: E402, F401
