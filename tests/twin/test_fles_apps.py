"""FLeS on Flower's simulation engine: a small two-phase run end to end."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
import torch

from semcom.data.health import synthesize_health_records
from semcom.errors import SemcomError
from semcom.twin import TwinStore
from semcom.twin.fles_apps import ROUND_COLUMNS, _receiver_throughput, cluster_figures, run_fles
from semcom.twin.fles_config import TOLERANCE_STUDY, FLeSSettings, layout


def test_layouts_follow_the_scenarios(tmp_path: Path) -> None:
    data = tmp_path / "r.csv"
    synthesize_health_records(120, seed=0).to_csv(data)
    fles = layout(FLeSSettings(data=str(data), scenario="fles", users_per_cluster=2))
    assert len(fles.user_records) == 6
    assert sum(len(r) for r in fles.user_records) == 96  # the 80 % training split
    for records, cluster in zip(fles.user_records, fles.user_cluster, strict=True):
        assert set(records.column("Physical_Activity")) == {cluster}
    multi = layout(FLeSSettings(data=str(data), scenario="multi"))
    assert [len(r) for r in multi.user_records] == [32, 32, 32]
    single = layout(FLeSSettings(data=str(data), scenario="single"))
    assert len(single.user_records) == 1
    assert len(single.user_records[0]) == 32
    with pytest.raises(SemcomError, match="unknown scenario"):
        FLeSSettings(scenario="solo")


def test_a_fles_run_on_flower(tmp_path: Path) -> None:
    data = tmp_path / "r.csv"
    synthesize_health_records(150, seed=1).to_csv(data)
    s = FLeSSettings(data=str(data), scenario="fles", rounds=2, users_per_cluster=2)
    url = f"sqlite:///{tmp_path / 'tw.db'}"
    out = run_fles(s, tmp_path / "run", progress=False, store_url=url)
    with (out / "rounds.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert tuple(rows[0]) == ROUND_COLUMNS
    assert len(rows) == 2 * 3  # rounds x clusters
    assert all(int(r["uplink_bits"]) > 0 and float(r["energy_j"]) > 0 for r in rows)
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary["clusters"]) == {"Sedentary", "Mild Activity", "Moderate Activity"}
    for name, v in summary["clusters"].items():  # each cluster has a receiver of its own
        assert v["receiver"] == name
        assert v["semantic_throughput_bps"] == v["own_receiver_throughput_bps"] >= 0
        shares = [v["within_tolerance_at"][f"{t:g}"] for t in TOLERANCE_STUDY]
        assert shares == sorted(shares)
        assert v["within_tolerance_at"][f"{s.tolerance:g}"] == v["within_tolerance"]
    for v in summary["clusters"].values():  # the content layer, per cluster
        assert 0 <= v["content"]["field_accuracy"] <= 1
    # each cluster serves its own fine-tuned model, not the shared global one: the layers
    # that phase 2 averages (the heads) differ between clusters
    heads = [
        torch.load(p, weights_only=True)["state_dict"]["numeric_head.bias"]
        for p in sorted((out / "models").glob("*.pt"))
    ]
    assert len(heads) == 3
    assert not torch.equal(heads[0], heads[1])
    store = TwinStore.open(url)
    model = store.model_for("Sedentary")
    assert model is not None
    assert model.name == "fles-customised"
    path, _, sha = (model.checkpoint or "").partition("#sha256=")
    assert Path(path).exists()
    assert len(sha) == 64
    from semcom.twin.sync import load_cluster_model

    assert load_cluster_model(model).k == s.symbols  # hash-checked and loadable
    ckpt = torch.load(path, weights_only=True)
    assert "state_dict" in ckpt["content"]  # the cluster's customised text generator


def test_progress_goes_to_stderr(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "r.csv"
    synthesize_health_records(90, seed=2).to_csv(data)
    s = FLeSSettings(data=str(data), scenario="single", rounds=1)
    run_fles(s, tmp_path / "run", progress=True)
    out, err = capfd.readouterr()
    assert "single round 1/1" in err
    assert "content layer: global generator trained" in err
    assert out.strip() == ""  # stdout stays free for the commands' results


def test_the_multi_user_channel_serves_a_receivers_transmitters(tmp_path: Path) -> None:
    from semcom.channels.multiuser import MultiUserMIMO

    ch = FLeSSettings(scenario="fles", channel="mu-mimo", users_per_cluster=2).make_channel()
    assert isinstance(ch, MultiUserMIMO)
    assert (ch.n_users, ch.n_antennas, ch.detector) == (2, 4, "mmse")
    multi = FLeSSettings(scenario="multi", channel="mu-mimo", users=3, antennas=3)
    assert multi.make_channel().n_users == 3
    with pytest.raises(SemcomError, match="unknown channel 'fiber'"):
        FLeSSettings(channel="fiber")
    with pytest.raises(SemcomError, match="zero-forcing needs at least as many antennas"):
        FLeSSettings(channel="mu-mimo", detector="zf", antennas=2, users_per_cluster=3)
    data = tmp_path / "r.csv"
    synthesize_health_records(90, seed=3).to_csv(data)
    s = FLeSSettings(
        data=str(data), scenario="fles", rounds=1, users_per_cluster=2, channel="mu-mimo"
    )
    summary = json.loads(
        (run_fles(s, tmp_path / "run", progress=False) / "summary.json").read_text()
    )
    assert summary["settings"]["channel"] == "mu-mimo"
    assert len(summary["clusters"]) == 3


def test_one_receiver_serves_every_cluster_in_turn() -> None:
    def cluster(receiver: str, good_bits: float) -> dict[str, Any]:
        return {"receiver": receiver, "good_bits": good_bits, "airtime_s": 0.3, "compute_s": 0.1}

    shared = {c: cluster("all", 80.0) for c in ("a", "b", "c")}
    _receiver_throughput(shared)
    assert [m["receiver_busy_s"] for m in shared.values()] == pytest.approx([1.2] * 3)
    assert shared["a"]["semantic_throughput_bps"] == pytest.approx(80.0 / 1.2)
    own = {c: cluster(c, 80.0) for c in ("a", "b", "c")}
    _receiver_throughput(own)
    assert own["a"]["semantic_throughput_bps"] == pytest.approx(80.0 / 0.4)


def test_a_summary_from_before_the_receiver_accounting_is_read_with_it() -> None:
    def old(share: float) -> dict[str, Any]:  # one receiver per cluster, as then written
        good = share * 10 * 100.0
        return {
            "within_tolerance": share,
            "test_records": 10,
            "record_bits": 100.0,
            "airtime_s": 0.3,
            "compute_s": 0.1,
            "semantic_throughput_bps": good / 0.4,
        }

    for scenario, busy in (("multi", 1.2), ("fles", 0.4)):
        summary = {"settings": {"scenario": scenario}, "clusters": {c: old(0.2) for c in "abc"}}
        figures = cluster_figures(summary)
        assert figures["a"]["own_receiver_throughput_bps"] == pytest.approx(200 / 0.4)
        assert figures["a"]["semantic_throughput_bps"] == pytest.approx(200 / busy)


def test_kept_adam_moments_reach_the_users_next_round(tmp_path: Path) -> None:
    data = tmp_path / "r.csv"
    synthesize_health_records(120, seed=4).to_csv(data)
    errors = {}
    for keep in (False, True):
        s = FLeSSettings(data=str(data), scenario="multi", rounds=2, keep_optimizer=keep)
        out = run_fles(s, tmp_path / f"run-{keep}", progress=False)
        with (out / "rounds.csv").open() as f:
            errors[keep] = [float(r["error_rate"]) for r in csv.DictReader(f)][::3]
    assert errors[False][0] == errors[True][0]  # round 1: nothing kept yet
    assert errors[False][1] != errors[True][1]  # round 2 continues round 1's Adam
