"""The compression contenders of paper 001 (Sec. V): STC, FTTQ and FedPAQ on Flower.

Every client trains as in FedAvg (Adam, ``train.local_epochs`` — FedPAQ's averaging
period), then uploads a compressed record (:mod:`semcom.federated.compression`) whose
measured size is what the energy model prices:

- ``stc`` (Sattler et al. 2019): the update ``w_local - w_global`` plus the client's
  residual, top-``stc.fraction`` sparse-ternarised; the residual (what was not sent)
  stays on the client (its Flower state). Downstream, the server sparse-ternarises the
  averaged update plus its own residual the same way, and that is the new global model;
- ``fttq`` (Xu et al. 2020): kernels are trained ternary with learned scales
  (:mod:`semcom.federated.ttq`) and uploaded as 2-bit codes plus the two scales; biases
  and norm parameters travel as ``float32``. The server averages the ternary models;
- ``fedpaq`` (Reisizadeh et al. 2020): the update quantised stochastically (unbiased)
  to ``fedpaq.levels`` levels per sign.

The server rebuilds each upload into full weights (:meth:`CompressedFedAvg.upload_to_dense`)
and averages them by examples (Eq. 10). A resumed run keeps the server's residual (STC);
the clients' residuals restart at zero.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch
from flwr.app import ArrayRecord, ConfigRecord, Message, RecordDict
from flwr.serverapp import Grid

from semcom.codecs.base import Codec
from semcom.data import ImageDataset
from semcom.federated import ttq
from semcom.federated.compression import (
    decode_state,
    decode_ternary_state,
    encode_state,
    encode_ternary_state,
    sparse_ternary_decode,
    sparse_ternary_encode,
)
from semcom.federated.config import FLConfig
from semcom.federated.payload import from_record, to_record
from semcom.federated.strategies import RobustFedAvg
from semcom.federated.workload import LocalResult, local_train

__all__ = [
    "COMPRESSED",
    "CompressedFedAvg",
    "FTTQStrategy",
    "FedPAQStrategy",
    "STCStrategy",
    "compressed_client_round",
]

_RESIDUAL_KEY = "stc.residual"


def _delta(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k: a[k] - b[k] for k in a if a[k].is_floating_point()}


class CompressedFedAvg(RobustFedAvg):
    """FedAvg over compressed uploads (module docstring); subclasses name the codec."""

    compresses_uploads = True

    def __init__(self, reference: dict[str, torch.Tensor], cfg: FLConfig, **kwargs: Any) -> None:
        super().__init__(reference, cfg, **kwargs)
        self.current: dict[str, torch.Tensor] = {k: v.clone() for k, v in reference.items()}

    def configure_train(
        self, server_round: int, arrays: ArrayRecord, config: ConfigRecord, grid: Grid
    ) -> Iterable[Message]:
        self.current = from_record(arrays)  # what the updates are relative to
        return super().configure_train(server_round, arrays, config, grid)

    def _update_to_dense(self, record: ArrayRecord, codec: str) -> ArrayRecord:
        update = decode_state(record, self.reference, codec)
        return to_record(
            {
                k: self.current[k] + update[k] if v.is_floating_point() else update[k]
                for k, v in self.reference.items()
            }
        )


class STCStrategy(CompressedFedAvg):
    """STC: sparse ternary updates up and down, with residuals (module docstring)."""

    def __init__(self, reference: dict[str, torch.Tensor], cfg: FLConfig, **kwargs: Any) -> None:
        super().__init__(reference, cfg, **kwargs)
        self.residual: dict[str, torch.Tensor] | None = None

    def upload_to_dense(self, record: ArrayRecord) -> ArrayRecord:
        return self._update_to_dense(record, "sparse_ternary")

    def finish_aggregate(self, server_round: int, arrays: ArrayRecord) -> ArrayRecord:
        average = from_record(arrays)
        update = _delta(average, self.current)
        if self.residual is not None:
            update = {k: v + self.residual[k] for k, v in update.items()}
        sent = {
            k: sparse_ternary_decode(sparse_ternary_encode(v, self.cfg.stc.fraction), v.shape)
            for k, v in update.items()
        }
        self.residual = {k: update[k] - sent[k] for k in update}
        return to_record(
            {k: self.current[k] + sent[k] if k in sent else average[k] for k in average}
        )

    def extra_state(self) -> dict[str, Any]:
        return {"residual": self.residual}

    def load_extra_state(self, state: dict[str, Any]) -> None:
        self.residual = state.get("residual")


class FTTQStrategy(CompressedFedAvg):
    """FTTQ: averages the clients' ternary models (module docstring)."""

    def upload_to_dense(self, record: ArrayRecord) -> ArrayRecord:
        return to_record(decode_ternary_state(record, self.reference))


class FedPAQStrategy(CompressedFedAvg):
    """FedPAQ: averages stochastically quantised updates (module docstring)."""

    def upload_to_dense(self, record: ArrayRecord) -> ArrayRecord:
        return self._update_to_dense(record, "stochastic")


#: the contenders by ``fl.strategy`` name
COMPRESSED: dict[str, type[CompressedFedAvg]] = {
    "stc": STCStrategy,
    "fttq": FTTQStrategy,
    "fedpaq": FedPAQStrategy,
}


def compressed_client_round(
    cfg: FLConfig,
    codec: Codec,
    state: RecordDict,
    data: ImageDataset,
    snr_db: float,
    seed: int,
) -> tuple[ArrayRecord, LocalResult]:
    """Local training and the compressed upload of ``cfg.fl.strategy``.

    Args:
        cfg: the run's config.
        codec: holds the broadcast global weights; trained in place.
        state: the node's Flower state (STC's residual lives there).
        data: the client's images.
        snr_db: its SNR of the round.
        seed: seed of its shuffles, channel noise and quantisation draws.
    """
    start = {k: v.detach().clone() for k, v in codec.state_dict().items()}
    name = cfg.fl.strategy
    if name == "fttq":
        ttq.attach(codec, cfg.fttq.threshold)
        result = local_train(cfg, codec, data, snr_db, seed=seed)
        learned = ttq.detach(codec)
        return encode_ternary_state(codec.state_dict(), cfg.fttq.threshold, learned), result
    result = local_train(cfg, codec, data, snr_db, seed=seed)
    update = _delta(codec.state_dict(), start)
    plain = {k: v for k, v in codec.state_dict().items() if not v.is_floating_point()}
    if name == "stc":
        if _RESIDUAL_KEY in state.array_records:
            residual = from_record(state.array_records[_RESIDUAL_KEY])
            update = {k: v + residual[k] for k, v in update.items()}
        record = encode_state({**update, **plain}, "sparse_ternary", fraction=cfg.stc.fraction)
        sent = decode_state(record, {**update, **plain}, "sparse_ternary")
        state.array_records[_RESIDUAL_KEY] = to_record({k: update[k] - sent[k] for k in update})
        return record, result
    gen = torch.Generator().manual_seed(seed + 1)
    return encode_state(
        {**update, **plain}, "stochastic", levels=cfg.fedpaq.levels, generator=gen
    ), result
