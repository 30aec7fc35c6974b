"""A whole run on Flower's simulation engine: 30 % of the clients fail every round (raise
or upload NaN), the run completes on the others, records who failed and why, and a run
stopped after round 1 resumes to the same result as one that never stopped."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from semcom.errors import SemcomError
from semcom.federated.config import FLConfig, fl_config_from_dict
from semcom.federated.faults import planned_faults
from semcom.federated.run import run_simulation_fl


def _cfg(rounds: int, **faults: float) -> FLConfig:
    return fl_config_from_dict(
        {
            "fl": {"rounds": rounds, "clients": 10, "min_answer_fraction": 0.6, "seed": 1},
            "model": {"codec_options": {"width": 8}},
            "data": {"spec": "patches:16", "partition": "iid", "eval_images": 32},
            "train": {"batch_size": 64},
            "simulation": {"ray_cpus": 2},
            "faults": dict(faults),
        }
    )


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open() as f:
        return list(csv.DictReader(f))


@pytest.mark.slow
def test_failing_clients_are_excluded_and_the_run_resumes(tmp_path: Path) -> None:
    cfg = _cfg(2, raise_fraction=0.2, nan_fraction=0.1)
    full = tmp_path / "full"
    run_simulation_fl(cfg, full, progress=False)
    rounds = _rows(full / "rounds.csv")
    assert [r["round"] for r in rounds] == ["1", "2"]
    assert all(int(r["participants"]) == 7 and int(r["failed"]) == 3 for r in rounds)
    assert float(rounds[1]["global_loss"]) < float(rounds[0]["global_loss"])
    clients = _rows(full / "clients.csv")
    for t in (1, 2):
        plan = planned_faults(cfg, t)
        mine = [c for c in clients if c["round"] == str(t)]
        ok = {int(c["partition_id"]) for c in mine if c["status"] == "ok"}
        assert ok == set(range(10)) - plan["raise"] - plan["nan"]
        nan = {int(c["partition_id"]) for c in mine if "NaN" in c["status"]}
        assert nan == plan["nan"]
        raised = [c["status"] for c in mine if c["status"].startswith("error:")]
        assert len(raised) == 2
        assert all("failed on purpose" in s for s in raised)
        assert all(float(c["energy_j"]) > 0 for c in mine if c["status"] == "ok")
    assert (full / "rounds.png").stat().st_size > 0

    # the same run stopped after round 1, then resumed for round 2
    part = tmp_path / "part"
    run_simulation_fl(_cfg(1, raise_fraction=0.2, nan_fraction=0.1), part, progress=False)
    with pytest.raises(SemcomError, match="already holds a federated run"):
        run_simulation_fl(cfg, part, progress=False)
    run_simulation_fl(cfg, part, resume=True, progress=False)
    resumed = _rows(part / "rounds.csv")
    for a, b in zip(rounds, resumed, strict=True):
        for key in ("participants", "global_loss", "uplink_bits", "energy_j"):
            assert float(a[key]) == pytest.approx(float(b[key]), rel=1e-5), key


def test_too_few_answers_stop_the_run_with_a_message(tmp_path: Path) -> None:
    cfg = _cfg(2, raise_fraction=0.5)  # min_answer_fraction 0.6 needs 6 of 10
    with pytest.raises(SemcomError, match=r"round 1: only 5 of 10 clients sent a usable update"):
        run_simulation_fl(cfg, tmp_path / "o", progress=False)


def test_resume_refuses_a_changed_config(tmp_path: Path) -> None:
    import torch

    from semcom.federated.server_app import FORMAT, STATE_FILE, ServerOptions, _load_state

    saved = _cfg(2)
    torch.save({"format": FORMAT, "config": saved.to_dict()}, tmp_path / STATE_FILE)
    opts = ServerOptions(tmp_path, resume=True)
    assert _load_state(_cfg(5), opts) is not None  # more rounds: fine
    tables = saved.to_dict()
    changed = fl_config_from_dict({**tables, "train": {**tables["train"], "lr": 0.01}})
    with pytest.raises(SemcomError, match=r"its config differs in train.lr"):
        _load_state(changed, opts)
    with pytest.raises(SemcomError, match="pass --resume"):
        _load_state(saved, ServerOptions(tmp_path, resume=False))


def test_resume_accepts_a_state_from_before_an_option_existed(tmp_path: Path) -> None:
    import torch

    from semcom.federated.server_app import FORMAT, STATE_FILE, ServerOptions, _load_state

    tables = _cfg(2).to_dict()
    del tables["data"]["train_images"]  # a run saved before data.train_images existed
    torch.save({"format": FORMAT, "config": tables}, tmp_path / STATE_FILE)
    opts = ServerOptions(tmp_path, resume=True)
    assert _load_state(_cfg(2), opts) is not None  # it ran with the default (0: all)
    limited = _cfg(2).to_dict()
    limited["data"]["train_images"] = 100
    with pytest.raises(SemcomError, match=r"differs in data.train_images"):
        _load_state(fl_config_from_dict(limited), opts)


def _step_after_one_round(tmp_path: Path, privacy: dict[str, object], clients: int = 3) -> float:
    """L2 distance the global model moved in one round of a small run."""
    import torch

    from semcom.federated.server_app import STATE_FILE
    from semcom.federated.workload import build_model, test_images

    tables = _cfg(1).to_dict()
    tables["fl"]["clients"] = clients
    tables["privacy"] = privacy
    cfg = fl_config_from_dict(tables)
    run_simulation_fl(cfg, tmp_path, progress=False)
    after = torch.load(tmp_path / STATE_FILE, weights_only=True)["model"]
    before = build_model(cfg, test_images(cfg)).state_dict()
    return float(torch.sqrt(sum(((after[k] - v) ** 2).sum() for k, v in before.items())))


@pytest.mark.parametrize(
    "dp",
    [
        "server-fixed",
        pytest.param("client-fixed", marks=pytest.mark.slow),
        pytest.param("server-adaptive", marks=pytest.mark.slow),
    ],
)
def test_dp_clips_the_round_update(tmp_path: Path, dp: str) -> None:
    """Flower's DP wrappers inside our FedAvg (server- or client-side clipping): with no
    noise, the global model moves by at most the clipping norm in a round."""
    privacy = {"dp": dp, "noise_multiplier": 0.0, "clipping_norm": 0.01}
    assert 0 < _step_after_one_round(tmp_path, privacy) <= 0.01 + 1e-6


@pytest.mark.slow
def test_secagg_matches_plain_fedavg_and_survives_a_dropout(tmp_path: Path) -> None:
    """SecAgg+ (Flower's workflow and mod) gives the plain FedAvg average up to its
    quantisation, with one of 5 clients failing; uploads are dense masked vectors."""
    import torch

    from semcom.federated.server_app import STATE_FILE

    def run(name: str, secagg: bool) -> tuple[dict[str, torch.Tensor], list[dict[str, str]]]:
        tables = _cfg(1, raise_fraction=0.2).to_dict()
        tables["fl"]["clients"] = 5
        tables["privacy"] = {"secagg": secagg}
        run_simulation_fl(fl_config_from_dict(tables), tmp_path / name, progress=False)
        state = torch.load(tmp_path / name / STATE_FILE, weights_only=True)["model"]
        return state, _rows(tmp_path / name / "clients.csv")

    plain, plain_clients = run("plain", False)
    assert [c["status"] for c in plain_clients].count("ok") == 4
    secure, secure_clients = run("secagg", True)
    worst = max(float((plain[k] - secure[k]).abs().max()) for k in plain)
    assert worst < 1e-4, worst
    assert [c["status"] for c in secure_clients].count("ok") == 4
    assert any(c["status"].startswith("secagg:") for c in secure_clients)
    n_weights = sum(v.numel() for v in plain.values())
    for c in secure_clients:
        if c["status"] == "ok":
            assert int(c["bits"]) >= 32 * n_weights  # dense: at least one word per weight
            assert float(c["energy_j"]) > 0


def test_secagg_refuses_what_it_cannot_carry(monkeypatch: pytest.MonkeyPatch) -> None:
    tables = _cfg(1).to_dict()
    with pytest.raises(SemcomError, match="hides the individual updates"):
        fl_config_from_dict({**tables, "privacy": {"secagg": True, "dp": "server-fixed"}})
    with pytest.raises(SemcomError, match="nan_fraction"):
        fl_config_from_dict(
            {**tables, "privacy": {"secagg": True}, "faults": {"nan_fraction": 0.1}}
        )
    from semcom.federated import strategies, strategy_registry

    class Compressing(strategies.RobustFedAvg):
        compresses_uploads = True

    monkeypatch.setitem(strategy_registry.STRATEGIES, "compressing", Compressing)
    fl = {**tables["fl"], "strategy": "compressing"}
    fl_config_from_dict({**tables, "fl": fl})  # fine without secagg
    with pytest.raises(SemcomError, match="cannot carry strategy 'compressing'"):
        fl_config_from_dict({**tables, "fl": fl, "privacy": {"secagg": True}})
    fl_config_from_dict({**tables, "privacy": {"secagg": True, "dp": "client-fixed"}})
