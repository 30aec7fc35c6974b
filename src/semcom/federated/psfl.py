"""PSFL (paper 001 Sec. III): personalised local distillation + adaptive global pruning.

Server (:class:`PSFLStrategy`, FedAvg underneath): before each round's broadcast it
prunes the global student with the ratio of Eq. 22 from that round's uplink SNRs
(:mod:`semcom.federated.pruning`; ``psfl.agp = false`` skips it) and sends the pruned
weights with their masks; uploads are the kept values in mask order (no index overhead;
their measured size is what the energy model prices); it averages them by examples.

Client (:func:`psfl_client_round`): picks its mentor by data volume
(:func:`mentor_size`), keeps it in the node's Flower state across rounds, runs PLD
(:mod:`semcom.federated.distillation`; Adam at ``train.lr`` for both models) for
``train.local_epochs`` with the student's pruned weights held at zero, and uploads the
student only (with ``psfl.symbol_map = "linear"``, the default, the client also keeps its
student-to-mentor symbol map in that state). The local accuracy it reports is its
mentor's (the model that serves it). A resumed run restarts the mentors (and maps) from
their initialisation (they live on the clients).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from flwr.app import ArrayRecord, RecordDict

from semcom.codecs.base import Codec
from semcom.data import ImageDataset
from semcom.errors import SemcomError
from semcom.federated.config import FLConfig
from semcom.federated.distillation import SymbolMap, pld_losses
from semcom.federated.payload import from_record, to_record
from semcom.federated.pruning import (
    Masks,
    agp_ratio,
    apply_masks,
    kept_values,
    pruned_fraction,
    restore_values,
    update_masks,
)
from semcom.federated.strategies import RobustFedAvg
from semcom.federated.workload import classifier, compute_device, local_batches, partitions
from semcom.link import SemanticLink
from semcom.registry import create_channel, create_codec
from semcom.seeding import make_generator

__all__ = [
    "MASKS_KEY",
    "MENTOR_KEY",
    "SYMBOL_MAP_KEY",
    "PSFLStrategy",
    "mentor_size",
    "psfl_client_round",
]

MASKS_KEY = "masks"
MENTOR_KEY = "psfl.mentor"
SYMBOL_MAP_KEY = "psfl.symbol_map"


def _masks_record(masks: Masks) -> ArrayRecord:
    return ArrayRecord({k: v.to(torch.uint8) for k, v in masks.items()})


def _masks_from(record: ArrayRecord) -> Masks:
    return {k: v.to(torch.bool) for k, v in record.to_torch_state_dict().items()}


class PSFLStrategy(RobustFedAvg):
    """FedAvg of the pruned students with AGP before every broadcast (module docstring).

    Args:
        reference: the student's ``state_dict`` layout.
        cfg: the run's config (``[psfl]``, ``[wireless] snr_db``, ``fl.seed``).
        **kwargs: :class:`RobustFedAvg`'s.
    """

    compresses_uploads = True  # pruned uploads: the kept values only

    def __init__(self, reference: dict[str, torch.Tensor], cfg: FLConfig, **kwargs: Any) -> None:
        super().__init__(reference, cfg, **kwargs)
        self.masks: Masks | None = None
        self.shadow: dict[str, torch.Tensor] | None = None  # regrow = "last"
        self.ratio = 0.0

    def prepare_broadcast(
        self, server_round: int, arrays: ArrayRecord, snr_db: torch.Tensor
    ) -> ArrayRecord:
        p = self.cfg.psfl
        if not p.agp or server_round < p.agp_start_round:
            return arrays
        lo, hi = self.cfg.wireless.snr_range
        self.ratio = agp_ratio(snr_db, lo, hi, p.max_prune_ratio)
        weights = from_record(arrays)
        if p.regrow == "last" and self.shadow is not None and self.masks is not None:
            # pruned positions still hold zeros: give them their last aggregated values
            weights = {
                k: torch.where(self.masks[k], v, self.shadow[k]) if k in self.masks else v
                for k, v in weights.items()
            }
        gen = make_generator(self.cfg.fl.seed * 7919 + server_round)
        self.masks = update_masks(weights, self.masks, self.ratio, gen)
        if p.regrow == "last":
            self.shadow = {k: weights[k].clone() for k in self.masks}
        return to_record(apply_masks(weights, self.masks))

    def train_records(self, server_round: int) -> dict[str, ArrayRecord]:
        return {} if self.masks is None else {MASKS_KEY: _masks_record(self.masks)}

    def upload_to_dense(self, record: ArrayRecord) -> ArrayRecord:
        if self.masks is None:
            return record
        return to_record(restore_values(from_record(record), self.masks, self.reference))

    def round_info(self) -> dict[str, float]:
        if self.masks is None:
            return {"prune_ratio": 0.0}
        return {"prune_ratio": pruned_fraction(self.masks)}

    def extra_state(self) -> dict[str, Any]:
        return {"masks": self.masks, "ratio": self.ratio, "shadow": self.shadow}

    def load_extra_state(self, state: dict[str, Any]) -> None:
        self.masks, self.ratio = state.get("masks"), float(state.get("ratio", 0.0))
        self.shadow = state.get("shadow")


def mentor_size(cfg: FLConfig, partition_id: int) -> str:
    """The ``vitjscc`` size of client ``partition_id``'s mentor: clients sorted by data
    volume (ties by id) take ``psfl.mentors`` in ``psfl.mentor_shares`` proportions, the
    smallest volumes the first mentor (paper 001 Table I)."""
    p = cfg.psfl
    if not p.personalised:
        return p.mentors[0]
    sizes = [len(part) for part in partitions(cfg)]
    order = sorted(range(len(sizes)), key=lambda i: (sizes[i], i))
    rank = order.index(partition_id)
    edges = np.cumsum(p.mentor_shares) * len(sizes)
    for size, edge in zip(p.mentors, edges, strict=True):
        if rank < round(edge):
            return size
    return p.mentors[-1]


def build_mentor(cfg: FLConfig, size: str, like: ImageDataset, partition_id: int) -> Codec:
    """A fresh mentor (seeded by ``fl.seed`` and the client)."""
    with torch.random.fork_rng():
        torch.manual_seed(cfg.fl.seed * 1_000_003 + partition_id)
        codec = create_codec(
            "vitjscc",
            size=size,
            in_channels=like.channels,
            image_size=(like.height, like.width),
            cbr=cfg.model.cbr,
            **cfg.psfl.mentor_options,
        )
    assert isinstance(codec, Codec)
    return codec


@dataclass(frozen=True)
class PSFLRoundResult:
    """A client's PSFL round: its upload, examples, student loss and its terms."""

    upload: ArrayRecord
    num_examples: int
    loss: float
    logs: dict[str, float]
    seconds: float


def load_mentor(
    cfg: FLConfig, state: RecordDict, data: ImageDataset, partition_id: int
) -> tuple[Codec, str]:
    """The client's mentor from its Flower state, or a fresh one; and its size."""
    size = mentor_size(cfg, partition_id)
    mentor = build_mentor(cfg, size, data, partition_id)
    if MENTOR_KEY in state.array_records:
        mentor.load_state_dict(from_record(state.array_records[MENTOR_KEY]))
    return mentor, size


def load_symbol_map(state: RecordDict, k: int) -> SymbolMap:
    """The client's student-to-mentor symbol map (``k`` complex channel symbols per image,
    ``[B, 2k] float32`` in and out) from its Flower state, or the identity."""
    symbol_map = SymbolMap(k)
    if SYMBOL_MAP_KEY in state.array_records:
        symbol_map.load_state_dict(from_record(state.array_records[SYMBOL_MAP_KEY]))
    return symbol_map


def psfl_client_round(
    cfg: FLConfig,
    student: Codec,
    content: RecordDict,
    state: RecordDict,
    data: ImageDataset,
    snr_db: float,
    partition_id: int,
    seed: int,
) -> PSFLRoundResult:
    """One client's round of PLD (module docstring); ``student`` holds the broadcast."""
    t0 = time.perf_counter()
    if data.labels is None:
        raise SemcomError("PSFL needs labelled training images (the task losses of PLD)")
    clf = classifier(cfg)
    assert clf is not None  # the config requires one for psfl
    masks = _masks_from(content.array_records[MASKS_KEY]) if MASKS_KEY in content else None
    mentor, size = load_mentor(cfg, state, data, partition_id)
    device = compute_device(cfg)
    clf = clf.to(device)
    channel = create_channel(cfg.model.channel, **cfg.model.channel_options).to(device)
    link_m = SemanticLink(mentor.to(device), channel).train()
    link_s = SemanticLink(student.to(device), channel).train()
    opt_m = torch.optim.Adam(mentor.parameters(), lr=cfg.train.lr)
    opt_s = torch.optim.Adam(student.parameters(), lr=cfg.train.lr)
    symbol_map: SymbolMap | None = None
    if cfg.psfl.symbol_map == "linear":
        symbol_map = load_symbol_map(state, student.k).to(device)
        opt_s.add_param_group({"params": list(symbol_map.parameters())})
    sums: dict[str, float] = {}
    loss_sum, seen = 0.0, 0
    for idx, noise in local_batches(cfg, len(data), seed, device):
        x = data.batch(idx).to(device)
        y = data.labels[idx].to(device)
        out_s = link_s(x, snr_db, noise)  # the student draws its noise first
        losses = pld_losses(
            x,
            y,
            link_m(x, snr_db, noise),
            out_s,
            clf,
            cfg.psfl.distillation_weight,
            cfg.psfl.semantic_weight,
            symbol_map,
            cfg.psfl.student_distillation_weight,
        )
        opt_m.zero_grad(set_to_none=True)
        opt_s.zero_grad(set_to_none=True)
        (losses.mentor_total + losses.student_total).backward()  # type: ignore[no-untyped-call]
        opt_m.step()
        opt_s.step()
        if masks is not None:  # pruned weights stay pruned
            with torch.no_grad():
                for name, p in student.named_parameters():
                    if name in masks:
                        p.mul_(masks[name].to(device=p.device, dtype=p.dtype))
        n = len(idx)
        loss_sum += float(losses.student_total.detach()) * n
        for k, v in losses.logs.items():
            sums[k] = sums.get(k, 0.0) + v * n
        seen += n
    mentor.eval().to("cpu")
    student.eval().to("cpu")
    state.array_records[MENTOR_KEY] = to_record(mentor.state_dict())
    if symbol_map is not None:
        state.array_records[SYMBOL_MAP_KEY] = to_record(symbol_map.to("cpu").state_dict())
    weights = student.state_dict()
    upload = to_record(kept_values(weights, masks) if masks is not None else weights)
    logs = {k: v / max(seen, 1) for k, v in sums.items()}
    logs["mentor_index"] = float(cfg.psfl.mentors.index(size))
    return PSFLRoundResult(
        upload, len(data), loss_sum / max(seen, 1), logs, time.perf_counter() - t0
    )
