"""What paper 001's recipes share: data sets, the federated runs' configs, and running them.

Scales (``--scale``):

* ``cpu`` (default): MNIST and Fashion-MNIST subsets (the first 2,000 training images,
  256 test images), 9 clients, 5 rounds; narrow models — the contenders' GSC-M and PSFL's
  mentors are ``vitjscc`` at ``narrow = 2`` (GSC-M 411k parameters on 28x28), PSFL's
  student is CSC width 8 (194k; CSC : GSC-M = 1 : 2.1);
* ``paper``: all the subsets' images plus CIFAR-10 (the shared training subset, 10 % held
  out for testing), 1,000 test images, 9 clients, 50 rounds (the paper does not state its
  number of rounds), our full GSC sizes and CSC width 16.

Every strategy trains with the task loss CE + MSE (Eq. 16) against the zoo classifier of
its data set; SNRs are i.i.d. uniform in [0, 25] dB, P = 0.1 W, AWGN (Sec. V-A).

The federated runs live in ``<out>/../001-runs-<scale>/<name>`` — shared by all of paper 001's
recipes (Fig. 4-5's PSFL run is Fig. 7-8's r = 0.9 run and Fig. 9-10's full PSFL), and
resumed where they stopped.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from semcom.errors import SemcomError
from semcom.federated.config import FLConfig, fl_config_from_dict
from semcom.federated.history import write_csv

if TYPE_CHECKING:
    from semcom.experiments.recipe import RecipeOptions

SHARED = Path("../shared/data")
#: data set name -> (training spec, test spec, classifier)
DATASETS: dict[str, tuple[str, str, str]] = {
    "mnist": (
        f"npz:{SHARED}/mnist_subset.npz#train",
        f"npz:{SHARED}/mnist_subset.npz#test",
        "zoo:classifier-mnist",
    ),
    "fashion-mnist": (
        f"npz:{SHARED}/fashion_mnist_subset.npz#train",
        f"npz:{SHARED}/fashion_mnist_subset.npz#test",
        "zoo:classifier-fashion-mnist",
    ),
    "cifar10": (
        f"npz:{SHARED}/cifar10_train_subset.npz#val=0.1",
        f"npz:{SHARED}/cifar10_train_subset.npz#val=0.1",
        "zoo:classifier-cifar10",
    ),
}


#: the knobs of each scale (module docstring)
CPU: dict[str, int] = {
    "rounds": 5,
    "clients": 9,
    "train_images": 2000,
    "eval_images": 256,
    "narrow": 2,
    "csc_width": 8,
}
PAPER: dict[str, int] = {
    "rounds": 50,
    "clients": 9,
    "train_images": 0,
    "eval_images": 1000,
    "narrow": 1,
    "csc_width": 16,
}


def datasets(options: RecipeOptions, cpu: tuple[str, ...], paper: tuple[str, ...]) -> list[str]:
    """The data sets a recipe runs on at ``options.scale`` (``--data`` names one)."""
    names = list(cpu if options.scale == "cpu" else paper)
    if options.data is not None:
        if options.data not in DATASETS:
            raise SemcomError(
                f"paper 001's recipes take --data {', '.join(DATASETS)} (their shared "
                f"subsets); got {options.data!r}"
            )
        names = [options.data]
    for name in names:
        path = Path(DATASETS[name][0].split(":", 1)[1].split("#")[0])
        if not path.exists():
            raise SemcomError(
                f"paper 001's recipes need the shared {name} subset at {str(path)!r} "
                "(run from the checkout next to ../shared)"
            )
    return names


def fl_config(
    options: RecipeOptions,
    strategy: str,
    dataset: str,
    dirichlet: float = 0.9,
    **psfl: Any,
) -> FLConfig:
    """The run of ``strategy`` on ``dataset`` at ``options.scale`` (module docstring)."""
    cpu = options.scale == "cpu"
    train, test, clf = DATASETS[dataset]
    k = CPU if cpu else PAPER
    tables: dict[str, dict[str, Any]] = {
        "fl": {
            "strategy": strategy,
            "rounds": k["rounds"],
            "clients": k["clients"],
            "seed": options.seed,
        },
        "model": {
            "codec": "vitjscc",
            "codec_options": {"size": "gsc-m", "narrow": k["narrow"]},
            "classifier": clf,
        },
        "data": {
            "spec": train,
            "eval_spec": test,
            "partition": "dirichlet",
            "dirichlet": dirichlet,
            "eval_images": k["eval_images"],
            "train_images": k["train_images"],
            "min_size": 2,
        },
        "train": {"local_epochs": 1, "batch_size": 32, "lr": 1e-3, "task_weight": 1.0},
        "simulation": {"client_gpus": 0.1 if _gpu(options) else 0.0},
    }
    if strategy == "psfl":
        tables["model"]["codec"] = "csc"
        tables["model"]["codec_options"] = {"width": k["csc_width"]}
        tables["psfl"] = {"mentor_options": {"narrow": k["narrow"]}, **psfl}
    return fl_config_from_dict(tables, source=f"recipe run {strategy} on {dataset}")


def _gpu(options: RecipeOptions) -> bool:
    import torch

    return options.device != "cpu" and torch.cuda.is_available()


def run_name(strategy: str, dataset: str, dirichlet: float = 0.9, variant: str = "") -> str:
    """The folder name of a run under ``001-runs``."""
    return f"{strategy}{variant}-{dataset}-r{dirichlet:g}"


def run_fl(
    options: RecipeOptions, name: str, cfg: FLConfig
) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """Run (or resume, or reuse) ``cfg`` in the shared runs folder; its ``rounds.csv``
    and ``clients.csv`` rows."""
    from semcom.federated.run import run_simulation_fl

    out = options.out.parent / f"001-runs-{options.scale}" / name
    rounds = _rows(out / "rounds.csv")
    if len(rounds) < cfg.fl.rounds:
        if options.progress:
            print(f"== {name}: rounds {len(rounds) + 1}..{cfg.fl.rounds}", file=sys.stderr)
        resume = (out / "fl_state.pt").exists()
        run_simulation_fl(cfg, out, resume=resume, progress=options.progress)
    rounds = [r for r in _rows(out / "rounds.csv") if int(r["round"]) <= cfg.fl.rounds]
    clients = [c for c in _rows(out / "clients.csv") if int(c["round"]) <= cfg.fl.rounds]
    return rounds, clients


def _rows(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with path.open() as f:
        return list(csv.DictReader(f))


def write_rows(path: Path, fields: list[str], rows: list[dict[str, Any]]) -> Path:
    """A CSV of ``rows`` (only ``fields``; missing or NaN values empty); its path."""
    write_csv(path, fields, rows)
    return path


def mean_of(rows: list[dict[str, str]], key: str) -> float:
    """Mean of a numeric column over the rows that have it (NaN when none)."""
    vals = [float(r[key]) for r in rows if r.get(key, "") not in ("", "nan")]
    return sum(vals) / len(vals) if vals else float("nan")


def plot_panels(
    path: Path,
    panels: list[tuple[str, str, dict[str, list[tuple[float, float]]]]],
    columns: int,
) -> Path:
    """Line plots, one panel per ``(title, y label, {series: [(x, y), ...]})``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = (len(panels) + columns - 1) // columns
    fig, axes = plt.subplots(rows, columns, figsize=(4.2 * columns, 3.2 * rows), squeeze=False)
    for ax, (title, ylabel, series) in zip(axes.flat, panels, strict=False):
        for label, points in series.items():
            ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", ms=3, label=label)
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("round")
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    for ax in list(axes.flat)[len(panels) :]:
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
