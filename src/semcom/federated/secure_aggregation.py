"""SecAgg+ inside semcom's round loop, from Flower's own modules.

The server runs one round of Flower's ``SecAggPlusWorkflow`` (setup, share keys, collect
masked vectors, unmask) in place of a plain send / aggregate, and learns only the
example-weighted average of the sampled clients' weights; the clients wrap their train
handler in Flower's ``secaggplus_mod`` (:func:`secagg_mod`, installed on every semcom
``ClientApp``; it lets ordinary messages through untouched).

The workflow speaks Flower's legacy ``FitIns`` / ``FitRes`` records, so the server side
hands it a two-method adapter in place of a legacy strategy (its sampling is our
strategy's ``configure_train``) and the client's train handler answers in whichever
format it was asked (see :func:`is_legacy_train`).

What SecAgg+ changes, by construction:

- each client's weights are clipped to ``[-secagg_clipping_range, secagg_clipping_range]``
  and quantised to ``secagg_quantization_range`` levels before masking, so the average
  differs from plain FedAvg by at most about one quantisation step per weight;
- a client's upload is the dense masked vector (its measured size, plus the public keys
  and encrypted shares it sent before, is the ``bits`` the energy model prices; the
  unmask stage's few shares are not counted);
- the server cannot screen individual uploads (NaN, shapes): a client that drops out is
  recorded as ``secagg: no masked vector`` and the protocol recovers the others' sum.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
from flwr.app import Array, ArrayRecord, ConfigRecord, Context, Message, RecordDict
from flwr.app.message_type import MessageType
from flwr.client.mod import secaggplus_mod
from flwr.clientapp.typing import ClientAppCallable
from flwr.common import FitIns, FitRes, Parameters, parameters_to_ndarrays
from flwr.common.secure_aggregation.secaggplus_constants import RECORD_KEY_CONFIGS, Key, Stage
from flwr.server.client_manager import ClientManager
from flwr.server.compat.legacy_context import LegacyContext
from flwr.server.strategy import Strategy
from flwr.server.workflow import SecAggPlusWorkflow
from flwr.server.workflow.constant import MAIN_CONFIGS_RECORD, MAIN_PARAMS_RECORD
from flwr.server.workflow.constant import Key as WorkflowKey
from flwr.serverapp import Grid

from semcom.federated.config import FLConfig
from semcom.federated.strategies import ClientUpdate, RobustFedAvg

__all__ = ["UPLOAD_BITS_KEY", "is_legacy_train", "secagg_mod", "secure_train_round"]

#: metric a SecAgg+ client adds to its ``FitRes``: the bits it uploaded in the protocol
UPLOAD_BITS_KEY = "upload-bits"
_SENT_KEY = "semcom_secagg_sent"  # client state: bytes sent in this round's earlier stages


def is_legacy_train(msg: Message) -> bool:
    """Whether a train message carries Flower's legacy ``FitIns`` (SecAgg+'s third stage)."""
    return "fitins.parameters" in msg.content.array_records


@dataclass
class _Proxy:
    node_id: int


@dataclass
class _RoundAdapter:
    """The two legacy-strategy calls ``SecAggPlusWorkflow`` makes, for one round."""

    node_ids: list[int]
    config: dict[str, Any]
    results: list[tuple[_Proxy, FitRes]] = field(default_factory=list)

    def configure_fit(
        self, server_round: int, parameters: Parameters, client_manager: object
    ) -> list[tuple[_Proxy, FitIns]]:
        return [(_Proxy(n), FitIns(parameters, dict(self.config))) for n in self.node_ids]

    def aggregate_fit(
        self, server_round: int, results: list[tuple[_Proxy, FitRes]], failures: list[Any]
    ) -> tuple[Parameters | None, dict[str, Any]]:
        self.results = results  # every FitRes now carries the unmasked average
        return (results[0][1].parameters if results else None), {}


@dataclass
class _Available:
    n: int

    def num_available(self) -> int:
        return self.n


def _max_weight(cfg: FLConfig) -> float:
    """Largest client example count (SecAgg+ caps weights at ``max_weight``)."""
    from semcom.federated.workload import partitions

    return float(max(1, *(len(p) for p in partitions(cfg))))


def secure_train_round(
    strategy: RobustFedAvg, grid: Grid, server_round: int, arrays: ArrayRecord, cfg: FLConfig
) -> ArrayRecord | None:
    """One training round through SecAgg+; fills ``strategy.last_round`` like
    ``aggregate_train`` does.

    Args:
        strategy: samples the clients (``configure_train``) and keeps the round report.
        grid: Flower's grid.
        server_round: round number t >= 1.
        arrays: the global weights (names of ``strategy.reference``).
        cfg: the run's config (``[privacy]`` secagg keys, ``fl.timeout_s``).

    Returns:
        the example-weighted average of the surviving clients' weights, or ``None`` when
        the protocol could not finish (too few clients answered a stage).
    """
    messages = list(strategy.configure_train(server_round, arrays, ConfigRecord(), grid))
    report = strategy.last_round
    if not messages:
        return None
    names = list(strategy.reference)
    config = dict(cast(ConfigRecord, messages[0].content["config"]))
    adapter = _RoundAdapter([m.metadata.dst_node_id for m in messages], config)
    base = Context(run_id=0, node_id=0, node_config={}, state=RecordDict(), run_config={})
    context = LegacyContext(
        base,
        strategy=cast(Strategy, adapter),
        client_manager=cast(ClientManager, _Available(len(adapter.node_ids))),
    )
    ordered = ArrayRecord([np.asarray(arrays[n].numpy()) for n in names])
    context.state.array_records[MAIN_PARAMS_RECORD] = ordered
    context.state.config_records[MAIN_CONFIGS_RECORD] = ConfigRecord(
        {WorkflowKey.CURRENT_ROUND: server_round}
    )
    p = cfg.privacy
    shares = int(p.secagg_shares) if p.secagg_shares > 1 else float(p.secagg_shares)
    threshold = int(p.secagg_threshold) if p.secagg_threshold > 1 else float(p.secagg_threshold)
    workflow = SecAggPlusWorkflow(
        num_shares=shares,
        reconstruction_threshold=threshold,
        max_weight=_max_weight(cfg),
        clipping_range=p.secagg_clipping_range,
        quantization_range=p.secagg_quantization_range,
        timeout=cfg.fl.timeout_s,
    )
    workflow(grid, context)
    answered: set[int] = set()
    for proxy, res in sorted(adapter.results, key=lambda r: int(r[1].metrics["partition-id"])):
        m = res.metrics
        answered.add(proxy.node_id)
        pid = int(m["partition-id"])
        strategy.remember_partition(proxy.node_id, pid)
        report.accepted.append(
            ClientUpdate(
                node_id=proxy.node_id,
                partition_id=pid,
                num_examples=int(res.num_examples),
                train_loss=float(m["train-loss"]),
                bits=int(m[UPLOAD_BITS_KEY]),
            )
        )
    for node in report.sampled:
        if node not in answered:
            report.failed.append((node, strategy.partition_of(node), "secagg: no masked vector"))
    if not adapter.results:
        return None
    average = parameters_to_ndarrays(adapter.results[0][1].parameters)
    return ArrayRecord(
        {n: Array(np.ascontiguousarray(a)) for n, a in zip(names, average, strict=True)}
    )


def _config_bytes(record: ConfigRecord | None) -> int:
    """Bytes of the ``bytes`` / ``list[bytes]`` values of a SecAgg+ config record."""
    total = 0
    for v in (record or {}).values():
        if isinstance(v, bytes):
            total += len(v)
        elif isinstance(v, list):
            total += sum(len(b) for b in v if isinstance(b, bytes))
    return total


def secagg_mod(msg: Message, context: Context, call_next: ClientAppCallable) -> Message:
    """Flower's ``secaggplus_mod`` for SecAgg+ messages; every other message passes.

    Adds :data:`UPLOAD_BITS_KEY` to the client's ``FitRes`` metrics: the bytes of its
    public keys, encrypted shares and masked vector, times 8.
    """
    if (
        msg.metadata.message_type != MessageType.TRAIN
        or RECORD_KEY_CONFIGS not in msg.content.config_records
    ):
        return call_next(msg, context)
    stage = msg.content.config_records[RECORD_KEY_CONFIGS].get(Key.STAGE)
    out = secaggplus_mod(msg, context, call_next)
    if out.has_error():
        return out
    sent_record = context.state.config_records.get(_SENT_KEY) or ConfigRecord({"bytes": 0})
    earlier = 0 if stage == Stage.SETUP else int(cast(int, sent_record["bytes"]))
    stage_configs = out.content.config_records[RECORD_KEY_CONFIGS]
    sent = earlier + _config_bytes(stage_configs)
    if Key.MASKED_PARAMETERS in stage_configs:
        out.content.config_records["fitres.metrics"][UPLOAD_BITS_KEY] = 8 * sent
        sent = 0  # the next round starts afresh
    context.state.config_records[_SENT_KEY] = ConfigRecord({"bytes": sent})
    return out
