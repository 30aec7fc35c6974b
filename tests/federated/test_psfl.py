"""PSFL on Flower: mentors by data volume, AGP-pruned broadcasts and uploads, a whole run."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import torch

from semcom.errors import SemcomError
from semcom.federated import workload
from semcom.federated.config import FLConfig, fl_config_from_dict
from semcom.federated.payload import record_bits, to_record
from semcom.federated.pruning import agp_ratio, kept_values, prunable
from semcom.federated.psfl import MASKS_KEY, PSFLStrategy, mentor_size
from semcom.federated.wireless import WirelessModel
from semcom.federated.workload import build_model, partitions


def _npz(tmp_path: Path, n: int = 90) -> str:
    rng = np.random.default_rng(0)
    path = tmp_path / "toy.npz"
    np.savez(
        path,
        x_train=rng.integers(0, 256, (n, 28, 28), dtype=np.uint8),
        y_train=rng.integers(0, 10, n),
        x_test=rng.integers(0, 256, (32, 28, 28), dtype=np.uint8),
        y_test=rng.integers(0, 10, 32),
    )
    return f"npz:{path}"


def _cfg(spec: str, clients: int = 3, rounds: int = 2, **psfl: object) -> FLConfig:
    return fl_config_from_dict(
        {
            "fl": {"strategy": "psfl", "clients": clients, "rounds": rounds, "seed": 3},
            "model": {
                "codec": "csc",
                "codec_options": {"width": 8},
                "classifier": "zoo:classifier-fashion-mnist",
            },
            "data": {"spec": spec, "partition": "dirichlet", "min_size": 4, "eval_images": 32},
            "train": {"batch_size": 16},
            "simulation": {"ray_cpus": 2},
            "psfl": dict(psfl),
        }
    )


def test_mentors_follow_table_one_by_data_volume(tmp_path: Path) -> None:
    cfg = _cfg(_npz(tmp_path, 400), clients=9)
    sizes = [len(p) for p in partitions(cfg)]
    by_volume = sorted(range(9), key=lambda i: (sizes[i], i))
    got = [mentor_size(cfg, i) for i in by_volume]
    assert got == ["gsc-m"] * 4 + ["gsc-l"] * 3 + ["gsc-h"] * 2
    flat = _cfg(_npz(tmp_path, 400), clients=9, personalised=False)
    assert {mentor_size(flat, i) for i in range(9)} == {"gsc-m"}


def test_bad_psfl_options_are_one_line_errors(tmp_path: Path) -> None:
    spec = _npz(tmp_path)
    with pytest.raises(SemcomError, match="sum to 1"):
        _cfg(spec, mentor_shares=[0.5, 0.3, 0.3])
    with pytest.raises(SemcomError, match=r"max_prune_ratio must be in \[0, 1\)"):
        _cfg(spec, max_prune_ratio=1.0)
    with pytest.raises(SemcomError, match=r"psfl.semantic_weight must be >= 0"):
        _cfg(spec, semantic_weight=-1.0)
    with pytest.raises(SemcomError, match=r"psfl.student_distillation_weight must be >= 0"):
        _cfg(spec, student_distillation_weight=-0.5)
    with pytest.raises(SemcomError, match=r"\[psfl\] options are for fl.strategy = 'psfl'"):
        fl_config_from_dict({"fl": {"strategy": "fedavg"}, "psfl": {"agp": False}})
    with pytest.raises(SemcomError, match=r"needs model\.classifier"):
        fl_config_from_dict({"fl": {"strategy": "psfl"}})


def test_the_server_prunes_by_eq22_and_reads_mask_order_uploads(tmp_path: Path) -> None:
    cfg = _cfg(_npz(tmp_path))
    student = build_model(cfg, workload.test_images(cfg))
    reference = student.state_dict()
    strategy = PSFLStrategy(reference, cfg)
    snr = torch.as_tensor(WirelessModel(cfg.wireless, 3, cfg.fl.seed).snr_db(1))
    pruned = strategy.prepare_broadcast(1, to_record(reference), snr).to_torch_state_dict()
    ratio = agp_ratio(snr, 0.0, 25.0, 0.9)
    assert strategy.round_info()["prune_ratio"] == pytest.approx(ratio, abs=1e-3)
    assert MASKS_KEY in strategy.train_records(1)
    masks = strategy.masks
    assert masks is not None
    assert set(masks) == {k for k, v in reference.items() if prunable(k, v)}
    upload = to_record(kept_values(pruned, masks))
    dense = strategy.upload_to_dense(upload).to_torch_state_dict()
    for k, v in pruned.items():
        assert torch.equal(dense[k], v)
    assert record_bits(upload) < (1 - ratio + 0.05) * record_bits(to_record(reference))


@pytest.mark.slow
def test_a_psfl_run_uploads_pruned_students(tmp_path: Path) -> None:
    from semcom.federated.run import run_simulation_fl

    cfg = _cfg(_npz(tmp_path))
    out = tmp_path / "run"
    run_simulation_fl(cfg, out, progress=False)
    with (out / "rounds.csv").open() as f:
        rounds = list(csv.DictReader(f))
    with (out / "clients.csv").open() as f:
        clients = list(csv.DictReader(f))
    assert [r["participants"] for r in rounds] == ["3", "3"]
    wireless = WirelessModel(cfg.wireless, 3, cfg.fl.seed)
    dense_bits = record_bits(to_record(build_model(cfg, workload.test_images(cfg)).state_dict()))
    for r in rounds:
        t = int(r["round"])
        ratio = agp_ratio(torch.as_tensor(wireless.snr_db(t)), 0.0, 25.0, 0.9)
        assert float(r["prune_ratio"]) == pytest.approx(ratio, abs=1e-3)
        for c in clients:
            if c["round"] == str(t):
                assert c["status"] == "ok"
                assert int(c["bits"]) < (1 - ratio + 0.05) * dense_bits
                assert c["local_accuracy"] != ""  # the mentor's, on the client's images
    final = torch.load(out / "fl_state.pt", weights_only=True)
    weights = final["model"]
    zero = sum(int((v == 0).sum()) for k, v in weights.items() if prunable(k, v))
    total = sum(v.numel() for k, v in weights.items() if prunable(k, v))
    assert zero / total >= float(rounds[-1]["prune_ratio"]) - 1e-3
    assert final["strategy"]["masks"] is not None  # for --resume


def test_the_mentor_lives_in_the_node_state_across_rounds(tmp_path: Path) -> None:
    from flwr.app import RecordDict

    from semcom.federated.psfl import MENTOR_KEY, load_mentor, psfl_client_round
    from semcom.federated.workload import client_images

    cfg = _cfg(_npz(tmp_path), mentor_options={"narrow": 4})
    data = client_images(cfg, 0)
    state = RecordDict()
    content = RecordDict()
    student = build_model(cfg, data)
    fresh, _ = load_mentor(cfg, state, data, 0)
    r1 = psfl_client_round(cfg, student, content, state, data, 10.0, 0, seed=1)
    assert MENTOR_KEY in state.array_records
    after_1 = state.array_records[MENTOR_KEY].to_torch_state_dict()
    mentor, _ = load_mentor(cfg, state, data, 0)
    for k, v in mentor.state_dict().items():
        assert torch.equal(v, after_1[k])  # restored from the state, not re-initialised
    assert any(not torch.equal(v, fresh.state_dict()[k]) for k, v in after_1.items())
    psfl_client_round(cfg, build_model(cfg, data), content, state, data, 10.0, 0, seed=2)
    after_2 = state.array_records[MENTOR_KEY].to_torch_state_dict()
    assert any(not torch.equal(v, after_1[k]) for k, v in after_2.items())
    assert r1.num_examples == len(data)
    assert {"mentor_task", "student_task", "mentor_index"} <= set(r1.logs)


def test_a_linear_symbol_map_lives_in_the_node_state(tmp_path: Path) -> None:
    from flwr.app import RecordDict

    from semcom.federated.psfl import SYMBOL_MAP_KEY, psfl_client_round
    from semcom.federated.workload import client_images

    cfg = _cfg(_npz(tmp_path), mentor_options={"narrow": 4})
    assert cfg.psfl.symbol_map == "linear"  # the default
    data = client_images(cfg, 0)
    state, content = RecordDict(), RecordDict()
    psfl_client_round(cfg, build_model(cfg, data), content, state, data, 10.0, 0, seed=1)
    first = state.array_records[SYMBOL_MAP_KEY].to_torch_state_dict()["linear.weight"]
    assert not torch.equal(first, torch.eye(first.shape[0]))  # trained, from the identity
    psfl_client_round(cfg, build_model(cfg, data), content, state, data, 10.0, 0, seed=2)
    second = state.array_records[SYMBOL_MAP_KEY].to_torch_state_dict()["linear.weight"]
    assert not torch.equal(second, first)  # went on from the stored map
    plain = _cfg(_npz(tmp_path), mentor_options={"narrow": 4}, symbol_map="identity")
    bare = RecordDict()
    psfl_client_round(plain, build_model(plain, data), content, bare, data, 10.0, 0, seed=1)
    assert SYMBOL_MAP_KEY not in bare.array_records
    with pytest.raises(SemcomError, match=r"psfl\.symbol_map"):
        _cfg(_npz(tmp_path), symbol_map="mlp")


def test_agp_can_start_later_and_regrow_last_values(tmp_path: Path) -> None:
    cfg = _cfg(_npz(tmp_path), agp_start_round=2, regrow="last")
    reference = build_model(cfg, workload.test_images(cfg)).state_dict()
    strategy = PSFLStrategy(reference, cfg)
    arrays = to_record(reference)
    assert strategy.prepare_broadcast(1, arrays, torch.tensor([0.0])) is arrays  # not yet
    assert strategy.masks is None
    low, high = torch.tensor([0.0, 2.5]), torch.tensor([20.0, 25.0])  # ratio 0.85, then 0.1
    pruned = strategy.prepare_broadcast(2, arrays, low).to_torch_state_dict()
    first = strategy.masks
    assert first is not None
    regrown = strategy.prepare_broadcast(3, to_record(pruned), high).to_torch_state_dict()
    assert strategy.masks is not None
    for k, m in strategy.masks.items():
        back = m & ~first[k]
        assert torch.equal(regrown[k][back], reference[k][back])  # their last values
    with pytest.raises(SemcomError, match=r"psfl\.regrow"):
        _cfg(_npz(tmp_path), regrow="random")
