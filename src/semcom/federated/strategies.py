"""Server strategies: Flower's own, made robust to bad uploads and bookkept per client.

:data:`semcom.federated.strategy_registry.STRATEGIES` maps the ``fl.strategy`` names of
``fl.toml`` to classes; each subclasses
a Flower strategy (``flwr.serverapp.strategy``), so Flower's contract holds
(``configure_train`` / ``aggregate_train`` / ``configure_evaluate`` /
``aggregate_evaluate``). :class:`RobustFedAvg` is FedAvg weighted by examples (paper 001
Eq. 10) that first drops every reply it cannot average — an error reply (the client
raised or its process died), weights with NaN / Inf or the wrong tensors or shapes — and
records why in :attr:`RobustFedAvg.last_round`; clients that never answered before the
round's timeout are recorded as ``timeout``. Every round first waits for all
``min_available_nodes`` to connect (:func:`~semcom.federated.nodes.wait_for_nodes`), so a
run samples the same clients however fast its server thread starts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import torch
from flwr.app import ArrayRecord, ConfigRecord, Message, MetricRecord
from flwr.serverapp import Grid
from flwr.serverapp.strategy import (
    DifferentialPrivacyClientSideFixedClipping,
    DifferentialPrivacyServerSideAdaptiveClipping,
    DifferentialPrivacyServerSideFixedClipping,
    FedAvg,
)
from flwr.supercore.differential_privacy import KEY_CLIPPING_NORM

from semcom.federated.config import FLConfig, PrivacySettings
from semcom.federated.nodes import wait_for_nodes
from semcom.federated.payload import check_update, from_record, record_bits

#: client metrics beyond the standard ones that ``clients.csv`` keeps (PSFL's PLD terms)
EXTRA_CLIENT_METRICS = ("mentor-task", "student-task", "mentor-index")

#: the Flower DP wrappers ``[privacy] dp`` can select
DPStrategy = (
    DifferentialPrivacyServerSideFixedClipping
    | DifferentialPrivacyServerSideAdaptiveClipping
    | DifferentialPrivacyClientSideFixedClipping
)


@dataclass
class ClientUpdate:
    """One accepted upload: who, how many examples, its loss and its measured size."""

    node_id: int
    partition_id: int
    num_examples: int
    train_loss: float
    bits: int
    extra: dict[str, float] = field(default_factory=dict)


@dataclass
class RoundReport:
    """What happened to one round's training messages.

    Attributes:
        sampled: node ids the round's messages went to.
        accepted: the updates that entered the average.
        failed: ``(node_id, partition_id or -1, reason)`` of the excluded ones.
    """

    sampled: list[int] = field(default_factory=list)
    accepted: list[ClientUpdate] = field(default_factory=list)
    failed: list[tuple[int, int, str]] = field(default_factory=list)


def _partition_id(msg: Message) -> int:
    try:
        return int(msg.content["metrics"]["partition-id"])  # type: ignore[arg-type]
    except Exception:
        return -1


def _reason(text: str | None) -> str:
    """The client's own message out of Flower's / Ray's wrapping of an exception."""
    lines = [ln.strip() for ln in (text or "").strip().splitlines() if ln.strip()]
    last = lines[-1] if lines else "unknown error"
    if "Message: " in last:
        last = last.split("Message: ", 1)[1]
    return last.rstrip("'>").strip() or "unknown error"


class RobustFedAvg(FedAvg):
    """FedAvg over the valid replies only (see the module docstring).

    Args:
        reference: the global model's ``state_dict`` layout uploads must match.
        cfg: the run's config (strategies read their ``[table]`` from it).
        dp: optional Flower DP wrapper (:data:`DPStrategy`) around a plain ``FedAvg``; the
            valid replies are aggregated through it (server-side: it clips each update
            against the round's global model; all: it noises the average). For
            client-side clipping the training messages carry Flower's clipping-norm key.
        **kwargs: Flower's ``FedAvg`` arguments (``fraction_train``, ...).
    """

    #: whether uploads are compressed (sparsified / quantised); SecAgg+ refuses those
    compresses_uploads: bool = False

    def __init__(
        self,
        reference: dict[str, torch.Tensor],
        cfg: FLConfig,
        dp: DPStrategy | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.reference = reference
        self.cfg = cfg
        self.dp = dp
        self.last_round = RoundReport()
        self._partition_of: dict[int, int] = {}  # node id -> partition id, once seen

    # -- hooks for strategies that change what travels (defaults: plain FedAvg) ----------
    def prepare_broadcast(
        self, server_round: int, arrays: ArrayRecord, snr_db: torch.Tensor
    ) -> ArrayRecord:
        """The global weights to broadcast in ``server_round`` (e.g. pruned), given the
        round's uplink SNRs ``[K] float`` (dB)."""
        return arrays

    def train_records(self, server_round: int) -> dict[str, ArrayRecord]:
        """Extra records the training messages carry (e.g. pruning masks)."""
        return {}

    def upload_to_dense(self, record: ArrayRecord) -> ArrayRecord:
        """A client's upload as full weights in the reference layout."""
        return record

    def finish_aggregate(self, server_round: int, arrays: ArrayRecord) -> ArrayRecord:
        """The new global model from the round's average (e.g. compressed downstream)."""
        return arrays

    def round_info(self) -> dict[str, float]:
        """Extra per-round figures for ``rounds.csv``."""
        return {}

    def extra_state(self) -> dict[str, Any]:
        """What a resumed run needs besides the weights (saved in ``fl_state.pt``)."""
        return {}

    def load_extra_state(self, state: dict[str, Any]) -> None:
        """Inverse of :meth:`extra_state`."""

    def configure_train(
        self, server_round: int, arrays: ArrayRecord, config: ConfigRecord, grid: Grid
    ) -> Iterable[Message]:
        if isinstance(self.dp, DifferentialPrivacyClientSideFixedClipping):
            config[KEY_CLIPPING_NORM] = self.dp.clipping_norm  # the clients clip
        wait_for_nodes(grid, self.min_available_nodes, self.cfg.fl.timeout_s)  # Flower's race
        messages = list(super().configure_train(server_round, arrays, config, grid))
        for msg in messages:
            for key, record in self.train_records(server_round).items():
                msg.content[key] = record
        if self.dp is not None and hasattr(self.dp, "current_arrays"):
            self.dp.current_arrays = arrays  # what server-side clipping measures against
        self.last_round = RoundReport(sampled=[m.metadata.dst_node_id for m in messages])
        return messages

    def aggregate_train(
        self, server_round: int, replies: Iterable[Message]
    ) -> tuple[ArrayRecord | None, MetricRecord | None]:
        report = self.last_round
        good: list[Message] = []
        answered: set[int] = set()
        for msg in replies:
            node = msg.metadata.src_node_id
            answered.add(node)
            if msg.has_error():
                pid = self._partition_of.get(node, -1)
                report.failed.append((node, pid, "error: " + _reason(msg.error.reason)))
                continue
            record = msg.content.array_records.get(self.arrayrecord_key)
            dense: ArrayRecord | None = None
            why: str | None = "no weights"
            if record is not None:
                try:
                    dense = self.upload_to_dense(record)
                    why = check_update(dense, self.reference)
                except Exception as e:  # an upload that does not fit the broadcast layout
                    why = f"undecodable upload ({type(e).__name__}: {e})"
            if why is not None:
                report.failed.append((node, _partition_id(msg), why))
                continue
            assert record is not None
            assert dense is not None
            msg.content[self.arrayrecord_key] = dense  # what FedAvg averages
            metrics = msg.content["metrics"]
            self._partition_of[node] = int(metrics["partition-id"])  # type: ignore[arg-type]
            report.accepted.append(
                ClientUpdate(
                    node_id=node,
                    partition_id=int(metrics["partition-id"]),  # type: ignore[arg-type]
                    num_examples=int(metrics[self.weighted_by_key]),  # type: ignore[arg-type]
                    train_loss=float(metrics["train-loss"]),  # type: ignore[arg-type]
                    bits=record_bits(record),
                    extra={
                        k.replace("-", "_"): float(metrics[k])  # type: ignore[arg-type]
                        for k in EXTRA_CLIENT_METRICS
                        if k in metrics
                    },
                )
            )
            good.append(msg)
        for node in report.sampled:
            if node not in answered:
                report.failed.append((node, self._partition_of.get(node, -1), "timeout"))
        if not good:
            return None, None
        # replies arrive in completion order; a fixed order makes the weighted sum (and so
        # a resumed run) bit-for-bit reproducible
        good.sort(key=_partition_id)
        report.accepted.sort(key=lambda u: u.partition_id)
        if self.dp is not None:
            return self.dp.aggregate_train(server_round, good)
        return super().aggregate_train(server_round, good)

    def configure_evaluate(
        self, server_round: int, arrays: ArrayRecord, config: ConfigRecord, grid: Grid
    ) -> Iterable[Message]:
        wait_for_nodes(grid, self.min_available_nodes, self.cfg.fl.timeout_s)  # Flower's race
        return super().configure_evaluate(server_round, arrays, config, grid)

    def remember_partition(self, node_id: int, partition_id: int) -> None:
        """Record which partition a node serves (for failures it reports later)."""
        self._partition_of[node_id] = partition_id

    def partition_of(self, node_id: int) -> int:
        """The partition a node served when last seen, -1 if never."""
        return self._partition_of.get(node_id, -1)

    def global_state(self, arrays: ArrayRecord) -> dict[str, torch.Tensor]:
        """The aggregate as a ``state_dict`` (dtypes of the reference)."""
        state = from_record(arrays)
        return {k: state[k].to(v.dtype) for k, v in self.reference.items()}


def make_dp(privacy: PrivacySettings, n_sampled: int, clients: int) -> DPStrategy | None:
    """The Flower DP wrapper ``[privacy] dp`` names (``None`` for ``dp = "none"``).

    Args:
        privacy: the ``[privacy]`` table.
        n_sampled: clients sampled per round (the noise is scaled by it).
        clients: all clients (Flower's ``min_available_nodes``).
    """
    inner = FedAvg(min_train_nodes=1, min_available_nodes=clients)
    p = privacy
    if p.dp == "server-fixed":
        return DifferentialPrivacyServerSideFixedClipping(
            inner, p.noise_multiplier, p.clipping_norm, n_sampled
        )
    if p.dp == "client-fixed":
        return DifferentialPrivacyClientSideFixedClipping(
            inner, p.noise_multiplier, p.clipping_norm, n_sampled
        )
    if p.dp == "server-adaptive":
        return DifferentialPrivacyServerSideAdaptiveClipping(
            inner,
            p.noise_multiplier,
            n_sampled,
            initial_clipping_norm=p.clipping_norm,
            target_clipped_quantile=p.target_quantile,
            clip_norm_lr=p.clip_norm_lr,
        )
    return None
