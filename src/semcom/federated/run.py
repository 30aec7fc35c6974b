"""``semcom fl run``: check a config, then run it on Flower's simulation engine (Ray).

:func:`preflight` refuses a bad run before anything starts (unknown keys are refused
when the TOML is read; here: data that cannot be split among the clients, a classifier
that does not fit the data, a run folder already in use). :func:`run_simulation_fl`
builds the apps and calls ``flwr.simulation.run_simulation`` with one virtual SuperNode
per client.
"""

from __future__ import annotations

import logging
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("FLWR_DISABLE_RUNTIME_DEPENDENCY_INSTALLATION", "1")

from semcom.errors import SemcomError
from semcom.federated.config import FLConfig
from semcom.federated.payload import record_bits, to_record
from semcom.federated.server_app import STATE_FILE, ServerOptions
from semcom.federated.workload import (
    build_model,
    classifier,
    partitions,
    test_images,
    train_images,
)


@dataclass(frozen=True)
class Plan:
    """What a run will do: client sizes, model size and the bits of one upload."""

    client_sizes: list[int]
    parameters: int
    upload_bits: int
    test_images: int

    def summary(self, cfg: FLConfig) -> str:
        sizes = self.client_sizes
        return (
            f"{cfg.fl.strategy}: {cfg.fl.rounds} rounds, {cfg.fl.clients} clients "
            f"({cfg.data.partition}"
            + (f" r={cfg.data.dirichlet:g}" if cfg.data.partition == "dirichlet" else "")
            + f", {min(sizes)}-{max(sizes)} images each), {cfg.model.codec} with "
            f"{self.parameters:,} parameters ({self.upload_bits / 8e6:.2f} MB per upload), "
            f"{self.test_images} test images"
        )


def preflight(cfg: FLConfig, out: Path | None = None, resume: bool = False) -> Plan:
    """Everything that can be checked before Flower starts; a :class:`SemcomError` when not."""
    if out is not None and (out / STATE_FILE).exists() and not resume:
        raise SemcomError(
            f"{str(out)!r} already holds a federated run; pass --resume to continue it or "
            "choose another --out"
        )
    parts = partitions(cfg)
    data = train_images(cfg)
    test = test_images(cfg)
    if (test.channels, test.height, test.width) != (data.channels, data.height, data.width):
        raise SemcomError(
            f"test images are {test.channels}x{test.height}x{test.width} but training "
            f"images {data.channels}x{data.height}x{data.width}"
        )
    clf = classifier(cfg)
    if clf is not None:
        if test.labels is None:
            raise SemcomError("model.classifier needs labelled test images")
        n_classes = getattr(clf, "num_classes", None)
        if n_classes is not None and test.num_classes is not None and test.num_classes > n_classes:
            raise SemcomError(
                f"classifier {cfg.model.classifier!r} knows {n_classes} classes; the data "
                f"has {test.num_classes}"
            )
    codec = build_model(cfg, data)
    return Plan(
        client_sizes=[len(p) for p in parts],
        parameters=sum(p.numel() for p in codec.parameters()),
        upload_bits=record_bits(to_record(codec.state_dict())),
        test_images=len(test),
    )


def _quiet_flower() -> None:
    for name in ("flwr", "ray"):
        logging.getLogger(name).setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", category=FutureWarning, module="ray")
    os.environ.setdefault("RAY_DEDUP_LOGS", "1")
    os.environ.setdefault("RAY_ACCEL_ENV_VAR_OVERRIDE_ON_ZERO", "0")


def run_simulation_fl(
    cfg: FLConfig, out: Path, *, resume: bool = False, progress: bool = True
) -> Path:
    """Run ``cfg`` on Flower's simulation engine; returns ``out`` (see ``history``)."""
    from flwr.simulation import run_simulation

    from semcom.federated.client_app import make_client_app
    from semcom.federated.server_app import make_server_app

    preflight(cfg, out, resume)
    _quiet_flower()
    sim = cfg.simulation
    init_args: dict[str, object] = {
        "include_dashboard": False,
        "logging_level": logging.ERROR,
        "log_to_driver": False,  # client failures are recorded in clients.csv
    }
    if sim.ray_cpus:
        init_args["num_cpus"] = sim.ray_cpus
    backend = {
        "client_resources": {"num_cpus": sim.client_cpus, "num_gpus": sim.client_gpus},
        "init_args": init_args,
    }
    run_simulation(
        server_app=make_server_app(cfg, ServerOptions(out, resume=resume, progress=progress)),
        client_app=make_client_app(cfg),
        num_supernodes=cfg.fl.clients,
        backend_config=backend,  # type: ignore[arg-type]
    )
    return out
