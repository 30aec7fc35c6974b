"""semcom's Flower ``ClientApp``: local training and local evaluation of the global codec.

Each client is a Flower SuperNode started with ``partition-id`` and ``num-partitions``
in its node config (the simulation engine sets both). On a ``train`` message it loads the
global weights, trains ``train.local_epochs`` at its SNR of the round (the
:class:`~semcom.federated.wireless.WirelessModel` of ``fl.seed``) and replies with its
weights and ``num-examples``, ``train-loss``, ``partition-id``, ``snr-db``. On an
``evaluate`` message it scores the global model on its own images (``local-psnr-db``,
``local-accuracy``).

The configuration comes from the factory (:func:`make_client_app`, in-process
simulation) or, in deployment, from the run config key ``config`` (path of the
``fl.toml``, the same file on every machine): ``flwr run . --run-config
"config='fl.toml'"``. The module-level :data:`app` is the deployment entry point.
"""

from __future__ import annotations

import os

os.environ.setdefault("FLWR_DISABLE_RUNTIME_DEPENDENCY_INSTALLATION", "1")

import torch
from flwr.app import ArrayRecord, Context, Message, MetricRecord, RecordDict
from flwr.clientapp import ClientApp

from semcom.errors import SemcomError
from semcom.federated.config import FLConfig, load_fl_config
from semcom.federated.faults import InjectedFaultError, planned_faults
from semcom.federated.payload import from_record, to_record
from semcom.federated.wireless import WirelessModel
from semcom.federated.workload import (
    build_model,
    client_images,
    local_train,
    score,
)

__all__ = ["app", "make_client_app"]

_LOCAL_EVAL_IMAGES = 128


def _config(context: Context, fixed: FLConfig | None) -> FLConfig:
    if fixed is not None:
        return fixed
    return load_fl_config(str(context.run_config["config"]))


def _partition_id(context: Context, cfg: FLConfig) -> int:
    """This node's partition id, checked against ``fl.clients`` (one SuperNode each)."""
    pid = int(context.node_config["partition-id"])
    parts = int(context.node_config.get("num-partitions", cfg.fl.clients))
    if parts != cfg.fl.clients:
        raise SemcomError(
            f"this SuperNode was started with num-partitions={parts} but fl.clients = "
            f"{cfg.fl.clients}: start one SuperNode per client, partition-id 0..K-1"
        )
    return pid


def make_client_app(cfg: FLConfig | None = None) -> ClientApp:
    """A ``ClientApp`` for ``cfg`` (``None``: read the run config's ``config`` path)."""
    app = ClientApp()

    @app.train()
    def train(msg: Message, context: Context) -> Message:
        c = _config(context, cfg)
        torch.set_num_threads(max(1, int(os.environ.get("SEMCOM_CLIENT_THREADS", "1"))))
        pid = _partition_id(context, c)
        server_round = int(msg.content["config"]["server-round"])  # type: ignore[arg-type]
        faults = planned_faults(c, server_round)
        if pid in faults["raise"]:
            raise InjectedFaultError(f"client {pid} failed on purpose in round {server_round}")
        data = client_images(c, pid)
        codec = build_model(c, data)
        codec.load_state_dict(from_record(msg.content["arrays"]))  # type: ignore[arg-type]
        snr = float(WirelessModel(c.wireless, c.fl.clients, c.fl.seed).snr_db(server_round)[pid])
        result = local_train(
            c, codec, data, snr, seed=c.fl.seed * 100_003 + server_round * 997 + pid
        )
        state = codec.state_dict()
        if pid in faults["nan"]:
            state = {
                k: torch.full_like(v, float("nan")) if v.is_floating_point() else v
                for k, v in state.items()
            }
        metrics = MetricRecord(
            {
                "num-examples": result.num_examples,
                "train-loss": result.loss,
                "partition-id": pid,
                "snr-db": snr,
                "train-seconds": result.seconds,
            }
        )
        return Message(RecordDict({"arrays": to_record(state), "metrics": metrics}), reply_to=msg)

    @app.evaluate()
    def evaluate(msg: Message, context: Context) -> Message:
        c = _config(context, cfg)
        pid = _partition_id(context, c)
        data = client_images(c, pid).head(_LOCAL_EVAL_IMAGES)
        codec = build_model(c, data)
        record = msg.content["arrays"]
        assert isinstance(record, ArrayRecord)
        codec.load_state_dict(from_record(record))
        s = score(c, codec, data, c.data.eval_snr_db, seed=pid)
        metrics = MetricRecord(
            {
                "num-examples": s.num_examples,
                "partition-id": pid,
                "local-psnr-db": s.psnr_db,
                "local-accuracy": s.accuracy,
            }
        )
        return Message(RecordDict({"metrics": metrics}), reply_to=msg)

    return app


#: Deployment entry point (``[tool.flwr.app.components] clientapp``).
app = make_client_app()
