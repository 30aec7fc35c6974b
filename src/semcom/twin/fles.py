"""FLeS's two-phase federated multi-task learning (paper 000), the algorithm's pieces.

Each cluster of users is a task. A user (transmitter) holds its records; its cluster's
receiver holds the decoder; the cloud server holds the global model. A model is paper
000's :class:`~semcom.codecs.multimodal.HealthRecordCodec` plus each user's
:class:`~semcom.twin.domain.DomainGate` over the 2 x 64 semantic features.

- **Phase 1** (inside each cluster): the users train the cluster's encoder and decoder on
  their records over the channel (:func:`local_round`: task loss + the gate's
  moment-matching objective against the global shared-feature moments) and the cluster
  averages them by examples (:func:`fedavg`).
- **Phase 2** (receivers and cloud): the clusters' models are aggregated into the global
  one (:func:`global_aggregate`): the layers that produce the semantic features are
  averaged row by row in proportion to how sharable each cluster found each feature
  (:func:`~semcom.twin.domain.gated_average`), everything else by examples; then each
  cluster's customised model starts from the global one, keeping its task-specific share
  (:func:`customise`: row ``j`` = ``g_j`` global + ``(1 - g_j)`` cluster), and the next
  phase 1 fine-tunes it.

The same pieces run the paper's other scenarios: *multi-user* is one cluster of three
users without phase 2 (and without the gate's objective), *single-user* one cluster of
one user.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from semcom.channels.base import Channel
from semcom.codecs.multimodal import HealthBatch, HealthRecordCodec, semantic_error_rate
from semcom.errors import SemcomError
from semcom.twin.domain import DomainGate, FeatureMoments, gate_loss, gated_average

__all__ = [
    "LocalResult",
    "customise",
    "evaluate",
    "feature_rows",
    "fedavg",
    "global_aggregate",
    "load_optimizer_moments",
    "local_round",
    "optimizer_moments",
]

State = dict[str, torch.Tensor]


def feature_rows(codec: HealthRecordCodec) -> dict[str, slice]:
    """Parameters whose first axis indexes semantic features, and which features:
    the numeric branch's Dense 64 (features ``0..h-1``) and the text branch's Conv1D
    (features ``h..2h-1``)."""
    h = codec.hidden
    return {
        "num_dense.weight": slice(0, h),
        "num_dense.bias": slice(0, h),
        "conv.weight": slice(h, 2 * h),
        "conv.bias": slice(h, 2 * h),
    }


@dataclass(frozen=True)
class LocalResult:
    """A user's phase-1 update: weights, gate, shared-feature moments, examples, loss,
    and the user's Adam moments (flat, :func:`optimizer_moments`) for the next round."""

    state: State
    gate: torch.Tensor
    moments: FeatureMoments
    num_examples: int
    loss: float
    optimizer: State


def local_round(
    codec: HealthRecordCodec,
    gate: DomainGate,
    batch: HealthBatch,
    channel: Channel,
    snr_db: float,
    *,
    epochs: int,
    lr: float,
    batch_size: int,
    global_moments: FeatureMoments | None,
    align_weight: float,
    share_weight: float,
    generator: torch.Generator,
    optimizer: State | None = None,
) -> LocalResult:
    """One user's local training of the cluster's codec and its own gate.

    Args:
        codec: the cluster's model (trained in place).
        gate: the user's domain classifier (trained in place).
        batch: the user's records.
        channel, snr_db: the link and the user's SNR this round (dB).
        epochs, lr, batch_size: local Adam training.
        global_moments: the global shared-feature moments (``None``: no alignment term,
            the multi-user and single-user scenarios).
        align_weight: weight of the gate objective in the loss.
        share_weight: the gate objective's sharing prior.
        generator: shuffling and channel noise.
        optimizer: the user's Adam moments from its previous round (``None``: a fresh
            Adam, as every round did before ``keep_optimizer``).
    """
    if len(batch) < 2:
        raise SemcomError("a user needs at least 2 records")
    params = list(codec.parameters()) + list(gate.parameters())
    opt = torch.optim.Adam(params, lr=lr)
    if optimizer:
        load_optimizer_moments(opt, optimizer)
    codec.train()
    total, seen = 0.0, 0
    for _ in range(epochs):
        perm = torch.randperm(len(batch), generator=generator)
        for i in range(0, len(batch), batch_size):
            idx = perm[i : i + batch_size]
            if len(idx) < 2:
                continue
            b = batch.index(idx)
            out = codec(b, channel, snr_db, generator)
            loss = codec.loss(out, b)
            if global_moments is not None and align_weight > 0:
                loss = loss + align_weight * gate_loss(
                    gate, codec.features(b), global_moments, share_weight
                )
            opt.zero_grad(set_to_none=True)
            loss.backward()  # type: ignore[no-untyped-call]
            opt.step()
            total += float(loss.detach()) * len(idx)
            seen += len(idx)
    codec.eval()
    with torch.no_grad():
        shared, _ = gate.split(codec.features(batch))
    return LocalResult(
        {k: v.detach().clone() for k, v in codec.state_dict().items()},
        gate().detach().clone(),
        FeatureMoments.of(shared),
        len(batch),
        total / max(seen, 1),
        optimizer_moments(opt),
    )


def optimizer_moments(opt: torch.optim.Adam) -> State:
    """Adam's per-parameter state as flat tensors, what a Flower ``ArrayRecord`` can hold:
    for parameter ``i`` (in ``opt``'s order, only those that have had a step)
    ``"{i}.exp_avg"`` and ``"{i}.exp_avg_sq"`` (the parameter's shape, float32) and
    ``"{i}.step"`` (a scalar float32: steps taken)."""
    out: State = {}
    for i, st in opt.state_dict()["state"].items():
        for key, value in st.items():
            out[f"{i}.{key}"] = torch.as_tensor(value).detach().clone()
    return out


def load_optimizer_moments(opt: torch.optim.Adam, flat: State) -> None:
    """The inverse of :func:`optimizer_moments` into ``opt`` (same parameters)."""
    sd = opt.state_dict()
    state: dict[int, dict[str, torch.Tensor]] = {}
    for name, value in flat.items():
        i, key = name.split(".", 1)
        state.setdefault(int(i), {})[key] = value.clone()
    sd["state"] = state
    opt.load_state_dict(sd)


def fedavg(states: Sequence[State], weights: Sequence[float]) -> State:
    """Example-weighted average of state dicts (phase 1 inside a cluster)."""
    if not states or len(states) != len(weights):
        raise SemcomError("fedavg needs one weight per state")
    total = float(sum(weights))
    return {
        k: sum(w / total * s[k].float() for s, w in zip(states, weights, strict=True)).to(  # type: ignore[union-attr]
            states[0][k].dtype
        )
        for k in states[0]
    }


def global_aggregate(
    codec: HealthRecordCodec,
    cluster_states: Sequence[State],
    cluster_gates: Sequence[torch.Tensor],
    weights: Sequence[float],
) -> State:
    """Phase 2: the global model from the clusters' (module docstring)."""
    rows = feature_rows(codec)
    out = fedavg(cluster_states, weights)
    for name, sl in rows.items():
        out[name] = gated_average(
            [s[name] for s in cluster_states], [g[sl] for g in cluster_gates], weights
        )
    return out


def customise(
    codec: HealthRecordCodec, global_state: State, cluster_state: State, gate: torch.Tensor
) -> State:
    """A cluster's next model: the global one, with each feature's rows blended back to
    the cluster's own by ``1 - g`` (its task-specific share)."""
    out = {k: v.clone() for k, v in global_state.items()}
    for name, sl in feature_rows(codec).items():
        g = gate[sl].reshape(-1, *([1] * (global_state[name].ndim - 1)))
        out[name] = g * global_state[name] + (1 - g) * cluster_state[name]
    return out


def evaluate(
    codec: HealthRecordCodec,
    batch: HealthBatch,
    channel: Channel,
    snr_db: float | torch.Tensor,
    generator: torch.Generator,
    tolerance: float = 0.1,
    study: Sequence[float] = (),
) -> dict[str, float]:
    """Error rate, MAE, MSE, categorical accuracy and ``within_tolerance``, the share of
    records whose per-record semantic error — the mean over its fields of the relative
    numeric error (``|err| / range``) and of the categorical misses (0 or 1) — is at most
    ``tolerance``; for each ``tol`` in ``study`` also ``within_tolerance@{tol:g}`` (the
    same transmission, another tolerance)."""
    codec.eval()
    with torch.no_grad():
        out = codec(batch, channel, snr_db, generator)
        m = semantic_error_rate(out, batch, codec.featurizer)
        rel = ((out["numeric"] - batch.numeric).abs() * batch.present).sum(1)
        miss = torch.stack(
            [lg.argmax(-1) != batch.labels[:, j] for j, lg in enumerate(out["logits"])], 1
        )
        fields = batch.present.sum(1) + miss.shape[1]
        err = (rel + miss.float().sum(1)) / fields
    shares = {f"within_tolerance@{tol:g}": float((err <= tol).float().mean()) for tol in study}
    return {**m, "within_tolerance": float((err <= tolerance).float().mean()), **shares}
