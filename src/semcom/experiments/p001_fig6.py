"""Paper 001 Fig. 6: each client's classes on CIFAR-10 for Dirichlet r = 0.3, 0.6, 0.9.

The partition the federated runs use (9 clients, seed ``--seed``) of the shared CIFAR-10
subset (``--data`` names another of paper 001's data sets). Writes ``fig6.csv`` (r, client,
class, images) and ``fig6.png`` (stacked bars per r).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from semcom.experiments.p001_common import datasets, fl_config, write_rows
from semcom.experiments.recipe import RECIPES, RecipeOptions
from semcom.federated.workload import partitions, train_images

RS = (0.3, 0.6, 0.9)


@RECIPES.register("001-fig6", summary="Dirichlet partitions of CIFAR-10, r = 0.3 / 0.6 / 0.9")
def fig6(options: RecipeOptions) -> list[Path]:
    """Run Fig. 6 (module docstring)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ds = datasets(options, ("cifar10",), ("cifar10",))[0]
    rows = []
    fig, axes = plt.subplots(1, len(RS), figsize=(4.2 * len(RS), 3.4), squeeze=False)
    for ax, r in zip(axes[0], RS, strict=True):
        cfg = fl_config(options, "fedavg", ds, dirichlet=r)
        cfg = replace(cfg, data=replace(cfg.data, train_images=0))  # the whole data set
        labels = train_images(cfg).labels
        assert labels is not None
        classes = int(labels.max()) + 1
        hist = np.stack(
            [np.bincount(labels[p].numpy(), minlength=classes) for p in partitions(cfg)]
        )
        bottom = np.zeros(len(hist))
        cmap = plt.get_cmap("tab10")
        for c in range(classes):
            ax.bar(range(len(hist)), hist[:, c], bottom=bottom, color=cmap(c), label=str(c))
            bottom += hist[:, c]
            rows += [
                {"r": r, "client": k, "class": c, "images": int(n)}
                for k, n in enumerate(hist[:, c])
            ]
        ax.set_title(f"{ds}, r = {r:g}", fontsize=9)
        ax.set_xlabel("client")
        ax.set_ylabel("images")
    axes[0][-1].legend(fontsize=6, ncol=2, bbox_to_anchor=(1.01, 1), loc="upper left")
    fig.tight_layout()
    png = options.out / "fig6.png"
    fig.savefig(png, dpi=120)
    plt.close(fig)
    return [write_rows(options.out / "fig6.csv", ["r", "client", "class", "images"], rows), png]
