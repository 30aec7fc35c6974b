"""STC, FTTQ and FedPAQ: each client's compressed upload, the server's reconstruction,
STC's residuals, learned ternary scales, and a short run of each on Flower."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import torch
from flwr.app import RecordDict

from semcom.errors import SemcomError
from semcom.federated import ttq, workload
from semcom.federated.compressed import (
    COMPRESSED,
    STCStrategy,
    compressed_client_round,
)
from semcom.federated.config import FLConfig, fl_config_from_dict
from semcom.federated.payload import record_bits, to_record
from semcom.federated.workload import build_model, client_images


def _cfg(strategy: str, rounds: int = 2, **options: object) -> FLConfig:
    tables: dict[str, dict[str, object]] = {
        "fl": {"strategy": strategy, "clients": 3, "rounds": rounds, "seed": 2},
        "model": {"codec_options": {"width": 8}},
        "data": {"spec": "patches:16", "partition": "iid", "eval_images": 32},
        "train": {"batch_size": 32},
        "simulation": {"ray_cpus": 2},
    }
    if options:
        tables[strategy] = dict(options)
    return fl_config_from_dict(tables)


def _client(cfg: FLConfig, state: RecordDict | None = None) -> tuple[object, dict, dict]:
    data = client_images(cfg, 0)
    codec = build_model(cfg, data)
    start = {k: v.clone() for k, v in codec.state_dict().items()}
    upload, _ = compressed_client_round(
        cfg, codec, state if state is not None else RecordDict(), data, 10.0, seed=5
    )
    return upload, start, codec.state_dict()


@pytest.mark.parametrize("name", sorted(COMPRESSED))
def test_uploads_are_small_and_rebuild_near_the_local_model(name: str) -> None:
    cfg = _cfg(name)
    upload, start, local = _client(cfg)
    strategy = COMPRESSED[name](start, cfg)
    dense = strategy.upload_to_dense(upload).to_torch_state_dict()  # type: ignore[arg-type]
    assert record_bits(upload) < 0.25 * record_bits(to_record(local))  # type: ignore[arg-type]
    moved = sum(float((local[k] - start[k]).norm() ** 2) for k in local) ** 0.5
    off = sum(float((dense[k] - local[k]).norm() ** 2) for k in local) ** 0.5
    if name == "fedpaq":  # unbiased; QSGD's bound with d = 512, s = 4: E|e|^2 <= 5.66 |v|^2
        assert off < 1.5 * 5.66**0.5 * moved
    elif name == "stc":  # the kept 1 % moves the model towards the local one
        toward = sum(float(((dense[k] - start[k]) * (local[k] - start[k])).sum()) for k in local)
        assert toward > 0
    else:  # fttq: the ternary model of the latent weights
        for v in dense.values():
            if v.dim() >= 2:
                assert len(v.unique()) <= 3


def test_stc_keeps_what_it_did_not_send_on_both_ends() -> None:
    cfg = _cfg("stc", fraction=0.01)
    state = RecordDict()
    _client(cfg, state)
    residual = state.array_records["stc.residual"].to_torch_state_dict()
    assert sum(float(v.abs().sum()) for v in residual.values()) > 0
    reference = build_model(cfg, client_images(cfg, 0)).state_dict()
    server = STCStrategy(reference, cfg)
    average = {
        k: v + 0.01 * torch.randn_like(v) if v.is_floating_point() else v
        for k, v in reference.items()
    }
    new = server.finish_aggregate(1, to_record(average)).to_torch_state_dict()  # type: ignore[arg-type]
    changed = sum(int((new[k] != reference[k]).sum()) for k in reference)
    total = sum(v.numel() for v in reference.values())
    assert 0 < changed <= 0.011 * total + len(reference)  # top 1 % per tensor
    assert server.residual is not None
    assert "residual" in server.extra_state()


def test_ttq_learns_its_scales() -> None:
    torch.manual_seed(0)
    lin = torch.nn.Linear(16, 4)
    ttq.attach(lin, 0.05)
    before = ttq.scales(lin)["weight"]
    opt = torch.optim.SGD(lin.parameters(), lr=0.1)
    x = torch.randn(64, 16)
    target = torch.randn(64, 4) * 3
    for _ in range(20):
        opt.zero_grad()
        torch.nn.functional.mse_loss(lin(x), target).backward()
        opt.step()
    after = ttq.detach(lin)["weight"]
    assert after != before
    assert not hasattr(lin, "parametrizations")


def test_strategy_tables_belong_to_their_strategy() -> None:
    with pytest.raises(SemcomError, match=r"\[stc\] options are for fl.strategy = 'stc'"):
        fl_config_from_dict({"fl": {"strategy": "fedpaq"}, "stc": {"fraction": 0.1}})
    with pytest.raises(SemcomError, match=r"stc.fraction must be in \(0, 1\]"):
        _cfg("stc", fraction=0.0)
    with pytest.raises(SemcomError, match=r"fedpaq\.levels"):
        _cfg("fedpaq", levels=0)
    with pytest.raises(SemcomError, match="cannot carry strategy 'stc'"):
        fl_config_from_dict({"fl": {"strategy": "stc"}, "privacy": {"secagg": True}})


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(COMPRESSED))
def test_a_short_run_of_each_contender(tmp_path: Path, name: str) -> None:
    from semcom.federated.run import run_simulation_fl

    cfg = _cfg(name)
    run_simulation_fl(cfg, tmp_path, progress=False)
    with (tmp_path / "rounds.csv").open() as f:
        rounds = list(csv.DictReader(f))
    dense = record_bits(to_record(build_model(cfg, workload.test_images(cfg)).state_dict()))
    assert [r["participants"] for r in rounds] == ["3", "3"]
    for r in rounds:
        assert int(r["uplink_bits"]) < 3 * 0.25 * dense
        assert float(r["global_loss"]) == float(r["global_loss"])  # not NaN
