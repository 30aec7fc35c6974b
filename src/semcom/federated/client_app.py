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

from collections.abc import Mapping
from typing import Any, cast

import numpy as np
import torch
from flwr.app import ArrayRecord, ConfigRecord, Context, Message, MetricRecord, RecordDict
from flwr.clientapp import ClientApp
from flwr.common import Code, FitRes, Status, ndarrays_to_parameters, parameters_to_ndarrays
from flwr.compat.common import recorddict_compat as compat
from flwr.supercore.differential_privacy import KEY_CLIPPING_NORM, compute_clip_model_update

from semcom.errors import SemcomError
from semcom.federated.compressed import COMPRESSED, compressed_client_round
from semcom.federated.config import FLConfig, load_fl_config
from semcom.federated.faults import InjectedFaultError, planned_faults
from semcom.federated.payload import from_record, to_record
from semcom.federated.psfl import MENTOR_KEY, load_mentor, psfl_client_round
from semcom.federated.secure_aggregation import is_legacy_train, secagg_mod
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


def _server_round(msg: Message) -> int:
    if is_legacy_train(msg):
        return int(msg.content.config_records["fitins.config"]["server-round"])  # type: ignore[arg-type]
    return int(msg.content["config"]["server-round"])  # type: ignore[arg-type]


def _state(codec: torch.nn.Module, arrays: list[np.ndarray]) -> dict[str, torch.Tensor]:
    """Arrays in ``state_dict`` order as the codec's ``state_dict`` (its dtypes)."""
    ref = codec.state_dict()
    if len(arrays) != len(ref):
        raise SemcomError(f"the server sent {len(arrays)} tensors, the model has {len(ref)}")
    return {
        k: torch.from_numpy(np.asarray(a)).to(v.dtype).reshape(v.shape)
        for (k, v), a in zip(ref.items(), arrays, strict=True)
    }


def make_client_app(cfg: FLConfig | None = None) -> ClientApp:
    """A ``ClientApp`` for ``cfg`` (``None``: read the run config's ``config`` path).

    Flower's SecAgg+ client mod is always installed (:func:`secagg_mod`); it only acts on
    SecAgg+ messages, so the same app serves runs with and without ``[privacy] secagg``.
    """
    app = ClientApp(mods=[secagg_mod])

    @app.train()
    def train(msg: Message, context: Context) -> Message:
        c = _config(context, cfg)
        torch.set_num_threads(max(1, int(os.environ.get("SEMCOM_CLIENT_THREADS", "1"))))
        pid = _partition_id(context, c)
        server_round = _server_round(msg)
        faults = planned_faults(c, server_round)
        if pid in faults["raise"]:
            raise InjectedFaultError(f"client {pid} failed on purpose in round {server_round}")
        data = client_images(c, pid)
        codec = build_model(c, data)
        legacy = is_legacy_train(msg)  # SecAgg+'s FitIns
        if legacy:
            fit_ins = compat.recorddict_to_fitins(msg.content, keep_input=True)
            sent = parameters_to_ndarrays(fit_ins.parameters)
            config: Mapping[str, Any] = fit_ins.config
        else:
            sent = cast(ArrayRecord, msg.content["arrays"]).to_numpy_ndarrays()
            config = cast(ConfigRecord, msg.content["config"])
        codec.load_state_dict(_state(codec, sent))
        snr = float(WirelessModel(c.wireless, c.fl.clients, c.fl.seed).snr_db(server_round)[pid])
        seed = c.fl.seed * 100_003 + server_round * 997 + pid

        def metrics_of(n: int, loss: float, seconds: float, **extra: float) -> dict[str, Any]:
            return {
                "num-examples": n,
                "train-loss": loss,
                "partition-id": pid,
                "snr-db": snr,
                "train-seconds": seconds,
                **{k.replace("_", "-"): v for k, v in extra.items()},
            }

        def reply(upload: ArrayRecord, metrics: dict[str, Any]) -> Message:
            content = RecordDict({"arrays": upload, "metrics": MetricRecord(metrics)})
            return Message(content, reply_to=msg)

        if c.fl.strategy == "psfl":  # PLD with the client's mentor; uploads the pruned student
            r = psfl_client_round(c, codec, msg.content, context.state, data, snr, pid, seed)
            return reply(r.upload, metrics_of(r.num_examples, r.loss, r.seconds, **r.logs))
        if c.fl.strategy in COMPRESSED:  # STC / FTTQ / FedPAQ: a compressed upload
            upload, res = compressed_client_round(c, codec, context.state, data, snr, seed)
            return reply(upload, metrics_of(res.num_examples, res.loss, res.seconds))
        result = local_train(c, codec, data, snr, seed=seed)
        state = codec.state_dict()
        if pid in faults["nan"]:
            state = {
                k: torch.full_like(v, float("nan")) if v.is_floating_point() else v
                for k, v in state.items()
            }
        if KEY_CLIPPING_NORM in config:  # [privacy] dp = "client-fixed": clip the update
            weights = [v.detach().cpu().numpy().copy() for v in state.values()]
            compute_clip_model_update(weights, sent, float(config[KEY_CLIPPING_NORM]))
            state = _state(codec, weights)
        metrics = metrics_of(result.num_examples, result.loss, result.seconds)
        if legacy:  # SecAgg+: answer in the FitRes its mod expects
            weights = [v.detach().cpu().numpy() for v in state.values()]
            fit_res = FitRes(
                Status(Code.OK, ""), ndarrays_to_parameters(weights), result.num_examples, metrics
            )
            return Message(compat.fitres_to_recorddict(fit_res, keep_input=True), reply_to=msg)
        return reply(to_record(state), metrics)

    @app.evaluate()
    def evaluate(msg: Message, context: Context) -> Message:
        c = _config(context, cfg)
        pid = _partition_id(context, c)
        data = client_images(c, pid).head(_LOCAL_EVAL_IMAGES)
        codec = build_model(c, data)
        record = msg.content["arrays"]
        assert isinstance(record, ArrayRecord)
        codec.load_state_dict(from_record(record))
        if c.fl.strategy == "psfl" and MENTOR_KEY in context.state.array_records:
            codec, _ = load_mentor(c, context.state, data, pid)  # the model that serves it
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
