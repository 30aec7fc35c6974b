"""Paper 001 Figs. 11-12 and 13: PSFL against FedAvg, STC, FTTQ and FedPAQ (all on GSC-M).

Figs. 11-12: global loss, global accuracy per round, and each client's local accuracy
after the last round (Fashion-MNIST; paper scale adds CIFAR-10): ``fig11_12.csv``,
``fig11_12_clients.csv``, ``fig11_12.png``. Fig. 13: the uplink energy of every round as a
box per method (the same runs): ``fig13.csv``, ``fig13.png``.
"""

from __future__ import annotations

from pathlib import Path

from semcom.experiments.p001_common import datasets, write_rows
from semcom.experiments.p001_curves import Variant, compare
from semcom.experiments.recipe import RECIPES, RecipeOptions

CONTENDERS: dict[str, Variant] = {
    "PSFL": ("psfl", 0.9, "", {}),
    "FedAvg": ("fedavg", 0.9, "", {}),
    "STC": ("stc", 0.9, "", {}),
    "FTTQ": ("fttq", 0.9, "", {}),
    "FedPAQ": ("fedpaq", 0.9, "", {}),
}


def _names(options: RecipeOptions) -> list[str]:
    return datasets(options, ("fashion-mnist",), ("fashion-mnist", "cifar10"))


@RECIPES.register("001-fig11-12", summary="PSFL vs FedAvg, STC, FTTQ, FedPAQ: loss, accuracy")
def fig11_12(options: RecipeOptions) -> list[Path]:
    """Run Figs. 11-12 (module docstring)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    files, clients_of = compare(options, "fig11_12", _names(options), CONTENDERS)
    rows = []
    for ds, by_label in clients_of.items():
        for label, clients in by_label.items():
            last = max(int(c["round"]) for c in clients)
            for c in clients:
                if int(c["round"]) == last and c["status"] == "ok":
                    rows.append(
                        {
                            "dataset": ds,
                            "method": label,
                            "client": c["partition_id"],
                            "local_accuracy": c["local_accuracy"],
                        }
                    )
    fields = ["dataset", "method", "client", "local_accuracy"]
    files.insert(1, write_rows(options.out / "fig11_12_clients.csv", fields, rows))
    sets = sorted({r["dataset"] for r in rows})
    fig, axes = plt.subplots(1, len(sets), figsize=(6 * len(sets), 3.4), squeeze=False)
    for ax, ds in zip(axes[0], sets, strict=True):
        labels = list(CONTENDERS)
        width = 0.8 / len(labels)
        for i, label in enumerate(labels):
            mine = [r for r in rows if r["dataset"] == ds and r["method"] == label]
            xs = [int(r["client"]) + (i - len(labels) / 2) * width for r in mine]
            ax.bar(xs, [float(r["local_accuracy"] or "nan") for r in mine], width, label=label)
        ax.set_title(f"{ds}: local accuracy per client (last round)", fontsize=9)
        ax.set_xlabel("client")
        ax.set_ylabel("accuracy")
        ax.legend(fontsize=7)
    fig.tight_layout()
    png = options.out / "fig11_12_clients.png"
    fig.savefig(png, dpi=120)
    plt.close(fig)
    return [*files, png]


@RECIPES.register("001-fig13", summary="uplink energy per round of each method (box plot)")
def fig13(options: RecipeOptions) -> list[Path]:
    """Run Fig. 13 (module docstring): reuses Figs. 11-12's runs."""
    import csv

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    files, _ = compare(options, "fig13_curves", _names(options), CONTENDERS)
    with files[0].open() as f:
        rows = list(csv.DictReader(f))
    out = write_rows(options.out / "fig13.csv", ["dataset", "variant", "round", "energy_j"], rows)
    sets = sorted({r["dataset"] for r in rows})
    fig, axes = plt.subplots(1, len(sets), figsize=(5.5 * len(sets), 3.4), squeeze=False)
    for ax, ds in zip(axes[0], sets, strict=True):
        labels = list(CONTENDERS)
        data = [
            [float(r["energy_j"]) for r in rows if r["dataset"] == ds and r["variant"] == lb]
            for lb in labels
        ]
        ax.boxplot(data, tick_labels=labels)
        ax.set_yscale("log")
        ax.set_title(f"{ds}: uplink energy per round", fontsize=9)
        ax.set_ylabel("energy (J)")
    fig.tight_layout()
    png = options.out / "fig13.png"
    fig.savefig(png, dpi=120)
    plt.close(fig)
    for extra in files:  # only the energy figure is Fig. 13's
        extra.unlink()
    return [out, png]
