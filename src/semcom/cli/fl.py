"""``semcom fl run`` / ``semcom fl partition``: federated learning on Flower."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

fl_app = typer.Typer(
    help="Federated learning of semantic codecs on Flower (simulation and deployment).",
    no_args_is_help=True,
)


@fl_app.command("run")
def fl_run(
    config: Annotated[Path, typer.Option("--config", help="The run's fl.toml.")],
    out: Annotated[Path, typer.Option("--out", help="Run folder.")] = Path("runs/fl"),
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue the run in --out from its last round.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check the config and print the plan only.")
    ] = False,
    progress: Annotated[bool, typer.Option(help="One line per round on stderr.")] = True,
    scale: Annotated[
        str,
        typer.Option(
            help="cpu: the file as written (the default); paper: paper 001's clients, "
            "GSC-M codec, AWGN, SNR 0-25 dB and 0.1 W over the file."
        ),
    ] = "cpu",
) -> int:
    """Run fl.toml on Flower's simulation engine (one virtual SuperNode per client).

    Writes rounds.csv, clients.csv, rounds.png and the resumable fl_state.pt into --out.
    """
    from semcom.federated.config import load_fl_config
    from semcom.federated.run import preflight, run_simulation_fl
    from semcom.federated.scales import apply_scale
    from semcom.train.progress import STDERR

    cfg, changed = apply_scale(load_fl_config(config), scale)
    for line in changed:
        STDERR.print(f"--scale {scale}: {line}", highlight=False, soft_wrap=True)
    plan = preflight(cfg, out, resume)
    STDERR.print(plan.summary(cfg), highlight=False, soft_wrap=True)
    if dry_run:
        return 0
    run_simulation_fl(cfg, out, resume=resume, progress=progress)
    typer.echo(str(out / "rounds.csv"))
    return 0


@fl_app.command("partition")
def fl_partition(
    data: Annotated[str, typer.Option("--data", help="Data spec (labelled for Dirichlet).")],
    clients: Annotated[int, typer.Option("--clients", help="Number of clients.")] = 9,
    dirichlet: Annotated[
        float | None,
        typer.Option("--dirichlet", help="Dirichlet concentration r (default 0.9)."),
    ] = None,
    iid: Annotated[bool, typer.Option("--iid", help="IID split instead of Dirichlet.")] = False,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    out: Annotated[Path, typer.Option("--out", help="Where the plot goes.")] = Path(
        "runs/partition.png"
    ),
    json_out: Annotated[
        bool, typer.Option("--json", help="Print JSON instead of a table.")
    ] = False,
) -> int:
    """Print the per-client class histogram of a partition and save its plot (paper 001
    Fig. 6)."""
    from rich.console import Console
    from rich.table import Table

    from semcom.errors import SemcomError
    from semcom.federated.config import fl_config_from_dict
    from semcom.federated.partition_plot import plot_partition
    from semcom.federated.workload import partitions, train_images

    if iid and dirichlet is not None:
        raise SemcomError("choose --iid or --dirichlet R, not both")
    cfg = fl_config_from_dict(
        {
            "fl": {"clients": clients, "seed": seed},
            "data": {
                "spec": data,
                "partition": "iid" if iid else "dirichlet",
                "dirichlet": 0.9 if dirichlet is None else dirichlet,
                "min_size": 1,
            },
        }
    )
    parts = partitions(cfg)
    images = train_images(cfg)
    from semcom.data import class_histogram

    if images.labels is None:
        hist = [[len(p)] for p in parts]
        names = ["images"]
    else:
        n_classes = images.num_classes or int(images.labels.max()) + 1
        hist = class_histogram(images.labels, parts, n_classes).tolist()
        names = list(images.class_names or [str(c) for c in range(n_classes)])
    title = f"{images.name}: {clients} clients, " + (
        "IID" if iid else f"Dirichlet r={cfg.data.dirichlet:g}"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    plot_partition(out, hist, names, title)
    if json_out:
        typer.echo(json.dumps({"classes": names, "histogram": hist, "plot": str(out)}))
        return 0
    table = Table(title=title)
    table.add_column("client", justify="right")
    for n in names:
        table.add_column(n, justify="right")
    table.add_column("total", justify="right")
    for k, row in enumerate(hist):
        table.add_row(str(k), *[str(v) for v in row], str(sum(row)))
    Console().print(table)
    typer.echo(f"plot: {out}")
    return 0
