"""``semcom twin init | train | sync | show``: human digital twins in a twin store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

twin_app = typer.Typer(
    help="Human digital twins: a store of physical and versioned virtual twins.",
    no_args_is_help=True,
)

DB_HELP = "Database URL: sqlite:///semcom.db (default) or postgresql+psycopg://user@host/db."
DbOption = Annotated[str, typer.Option("--db", help=DB_HELP)]


def _models_dir(db: str, models: Path | None) -> Path:
    if models is not None:
        return models
    if db.startswith("sqlite:///") and db != "sqlite:///:memory:":
        return Path(db.removeprefix("sqlite:///")).resolve().parent / "twin-models"
    return Path("twin-models")


@twin_app.command("init")
def twin_init(
    data: Annotated[Path, typer.Option("--data", help="Health-record CSV (the dementia schema).")],
    db: DbOption = "sqlite:///semcom.db",
    clusters: Annotated[int, typer.Option("--clusters", help="Number of clusters.")] = 3,
    features: Annotated[
        str,
        typer.Option("--features", help="Node-selection features: activity, snr, compute."),
    ] = "activity,snr,compute",
    seed: Annotated[int, typer.Option("--seed", help="Seed of SNRs, compute classes, KMeans.")] = 0,
) -> int:
    """Create the store (or upgrade it) and register one physical twin per record,
    grouped into clusters by node selection."""
    from semcom.twin.store import TwinStore
    from semcom.twin.sync import init_twins

    store = TwinStore.create(db)
    names = tuple(f.strip() for f in features.split(",") if f.strip())
    sizes = init_twins(store, data, clusters, names, seed)
    for cluster, n in sizes.items():
        typer.echo(f"{cluster}: {n} twins")
    return 0


@twin_app.command("train")
def twin_train(
    db: DbOption = "sqlite:///semcom.db",
    epochs: Annotated[int, typer.Option("--epochs", help="Training epochs per cluster.")] = 40,
    symbols: Annotated[int, typer.Option("--symbols", help="Channel symbols k per record.")] = 16,
    models: Annotated[
        Path | None,
        typer.Option("--models", help="Checkpoint folder (default: twin-models/ by the db)."),
    ] = None,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    content_epochs: Annotated[
        int, typer.Option("--content-epochs", help="Epochs of the global text generator.")
    ] = 30,
    channel: Annotated[
        str,
        typer.Option(
            help="awgn, rayleigh-block, rayleigh-fast or mu-mimo (3 users, 3 antennas, ZF)."
        ),
    ] = "awgn",
    progress: Annotated[bool, typer.Option(help="A progress line per epoch on stderr.")] = True,
) -> int:
    """Train the multimodal codec of every cluster on its twins' records, then the
    content-generation layer that writes the twins' text fields, and register each
    cluster's next model version (with its test error rate and content accuracy)."""
    from semcom.train.progress import STDERR
    from semcom.twin.store import TwinStore
    from semcom.twin.sync import train_cluster_models

    store = TwinStore.open(db)

    def show(line: str) -> None:
        STDERR.print(line, highlight=False)

    for m in train_cluster_models(
        store,
        _models_dir(db, models),
        epochs=epochs,
        k=symbols,
        seed=seed,
        progress=show if progress else None,
        content_epochs=content_epochs,
        channel=channel,
    ):
        content = m.metrics.get("content", {})
        typer.echo(
            f"{m.cluster}: model v{m.version}, test error rate {m.metrics['error_rate']:.4f}, "
            f"categorical accuracy {m.metrics['category_accuracy']:.3f}, text fields "
            f"written right {content.get('field_accuracy', float('nan')):.3f}"
        )
    return 0


@twin_app.command("sync")
def twin_sync(
    db: DbOption = "sqlite:///semcom.db",
    twin: Annotated[
        list[str] | None, typer.Option("--twin", help="Only this twin id (repeatable).")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Channel-noise seed.")] = 0,
    channel: Annotated[
        str | None,
        typer.Option(help="Send over this channel (default: the one each model trained on)."),
    ] = None,
) -> int:
    """Push each physical twin's newest record through its cluster's model and the
    channel; append the regenerated record as a new virtual-twin version."""
    from semcom.twin.store import TwinStore
    from semcom.twin.sync import sync_twins

    report = sync_twins(TwinStore.open(db), twin or None, channel=channel, seed=seed)
    typer.echo(f"synced {report.ok} twins, {len(report.failed)} failed")
    for twin_id, reason in report.failed.items():
        typer.echo(f"failed {twin_id}: {reason}")
    return 0 if not report.failed else 1


@twin_app.command("show")
def twin_show(
    twin_id: Annotated[str, typer.Argument(help="The twin's id, e.g. p0007.")],
    db: DbOption = "sqlite:///semcom.db",
    plot: Annotated[
        Path | None, typer.Option("--plot", help="Save the history plot here (PNG).")
    ] = None,
) -> int:
    """The twin's profile, its version history (provenance per version) and, with
    --plot, its regenerated heart rate and blood oxygen against the physical record."""
    from rich.console import Console
    from rich.table import Table

    from semcom.twin.store import TwinStore

    store = TwinStore.open(db)
    info = store.twin(twin_id)
    history = store.history(twin_id)
    console = Console(width=max(Console().width, 132))
    record = info.profile.get("record", {})
    console.print(
        f"twin {info.id}  cluster {info.cluster}  mean SNR "
        f"{info.profile.get('mean_snr_db', float('nan')):.1f} dB  versions {len(history)}",
        highlight=False,
    )
    table = Table(
        "version",
        "time (UTC)",
        "model",
        "SNR dB",
        "bits",
        "latency ms",
        "HeartRate",
        "BloodOxygen",
        "Activity",
    )
    for v in history:
        s = v.state
        table.add_row(
            str(v.version),
            v.created_at.strftime("%Y-%m-%d %H:%M:%S"),
            "-" if v.model_version_id is None else str(v.model_version_id),
            "-" if v.snr_db is None else f"{v.snr_db:.1f}",
            "-" if v.bits is None else str(v.bits),
            "-" if v.latency_s is None else f"{1e3 * v.latency_s:.2f}",
            str(s.get("HeartRate", "-")),
            f"{s['BloodOxygenLevel']:.2f}" if isinstance(s.get("BloodOxygenLevel"), float) else "-",
            str(s.get("Physical_Activity", "-")),
        )
    console.print(table)
    if history and "note" in history[-1].state:
        typer.echo(
            f"note written by the content layer (v{history[-1].version}): "
            f"{history[-1].state['note']}"
        )
    if isinstance(record, dict) and record:
        console.print(
            "physical record: "
            + ", ".join(f"{k} {record.get(k)}" for k in ("HeartRate", "BloodOxygenLevel"))
            + f", Physical_Activity {record.get('Physical_Activity')}",
            highlight=False,
        )
    if plot is not None:
        from semcom.twin.plots import plot_history

        plot_history(info, history, plot)
        typer.echo(str(plot))
    return 0
