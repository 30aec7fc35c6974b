"""FLeS's pieces: phase-1 averaging, phase-2 gated aggregation and customisation, a
user's local round, evaluation."""

from __future__ import annotations

import torch

from semcom.codecs.multimodal import HealthFeaturizer, HealthRecordCodec
from semcom.data.health import synthesize_health_records
from semcom.registry import create_channel
from semcom.twin.domain import DomainGate, FeatureMoments
from semcom.twin.fles import (
    customise,
    evaluate,
    feature_rows,
    fedavg,
    global_aggregate,
    load_optimizer_moments,
    local_round,
    optimizer_moments,
)


def _codec(seed: int) -> tuple[HealthFeaturizer, HealthRecordCodec]:
    recs = synthesize_health_records(40, seed=0)
    feat = HealthFeaturizer.fit(recs)
    torch.manual_seed(seed)
    return feat, HealthRecordCodec(feat, k=8)


def test_fedavg_weights_by_examples() -> None:
    a, b = {"w": torch.zeros(2)}, {"w": torch.ones(2)}
    assert fedavg([a, b], [1, 3])["w"].tolist() == [0.75, 0.75]


def test_phase2_with_full_gates_is_fedavg_and_customise_interpolates() -> None:
    _, c1 = _codec(1)
    _, c2 = _codec(2)
    s1, s2 = c1.state_dict(), c2.state_dict()
    ones = torch.ones(2 * c1.hidden)
    glob = global_aggregate(c1, [s1, s2], [ones, ones], [1.0, 1.0])
    avg = fedavg([s1, s2], [1.0, 1.0])
    assert all(torch.allclose(glob[k].float(), avg[k].float()) for k in avg)
    assert all(torch.equal(customise(c1, glob, s1, ones)[k], glob[k]) for k in glob)
    zeros = torch.zeros_like(ones)
    kept = customise(c1, glob, s1, zeros)
    for name in feature_rows(c1):
        assert torch.equal(kept[name], s1[name])  # all task-specific: the cluster's rows
    assert torch.equal(kept["dense256.weight"], glob["dense256.weight"])


def test_local_round_trains_and_reports_moments() -> None:
    feat, codec = _codec(0)
    batch = feat.encode(synthesize_health_records(64, seed=3))
    ch = create_channel("awgn")
    gen = torch.Generator().manual_seed(0)
    before = evaluate(codec, batch, ch, 20.0, gen)
    gate = DomainGate(2 * codec.hidden)
    glob = FeatureMoments.of(torch.randn(50, 2 * codec.hidden))
    res = local_round(
        codec,
        gate,
        batch,
        ch,
        20.0,
        epochs=60,
        lr=3e-3,
        batch_size=16,
        global_moments=glob,
        align_weight=1.0,
        share_weight=0.1,
        generator=gen,
    )
    after = evaluate(codec, batch, ch, 20.0, gen)
    assert res.num_examples == 64
    assert res.moments.mean.shape == (2 * codec.hidden,)
    assert res.gate.shape == (2 * codec.hidden,)
    assert not torch.equal(res.gate, torch.full_like(res.gate, 0.5))  # the gate trained
    assert after["category_accuracy"] > before["category_accuracy"] + 0.1
    assert set(after) >= {"error_rate", "mae", "mse", "within_tolerance"}
    # a tolerance study reads the same transmission at other tolerances
    gen.manual_seed(5)
    base = evaluate(codec, batch, ch, 20.0, gen, tolerance=0.2)
    gen.manual_seed(5)
    study = evaluate(codec, batch, ch, 20.0, gen, tolerance=0.2, study=(0.1, 0.2, 0.9))
    assert study["within_tolerance@0.2"] == study["within_tolerance"] == base["within_tolerance"]
    assert study["within_tolerance@0.1"] <= study["within_tolerance@0.2"]
    assert study["within_tolerance@0.9"] == 1.0 > study["within_tolerance@0.1"]


def _round(codec: HealthRecordCodec, feat: HealthFeaturizer, **kw: object) -> object:
    batch = feat.encode(synthesize_health_records(24, seed=3))
    return local_round(
        codec, DomainGate(2 * codec.hidden), batch, create_channel("awgn"), 20.0, epochs=1,
        lr=3e-3, batch_size=8, global_moments=None, align_weight=0.0, share_weight=0.1,
        generator=torch.Generator().manual_seed(0), **kw,  # type: ignore[arg-type]
    )  # fmt: skip


def test_adam_moments_round_trip_and_carry_into_the_next_round() -> None:
    feat, codec = _codec(0)
    start = {k: v.clone() for k, v in codec.state_dict().items()}
    first = _round(codec, feat)
    moments = first.optimizer  # type: ignore[attr-defined]
    n_params = len(list(codec.parameters()))  # the gate has no gradient without alignment
    assert {k.split(".", 1)[1] for k in moments} == {"step", "exp_avg", "exp_avg_sq"}
    assert len(moments) == 3 * n_params
    assert all(float(v) == 3 for k, v in moments.items() if k.endswith(".step"))  # 24 / 8
    # flat -> Adam -> flat is the identity
    opt = torch.optim.Adam(codec.parameters(), lr=1e-3)
    codec_only = {
        k: v
        for k, v in moments.items()
        if int(k.split(".")[0]) < len(opt.param_groups[0]["params"])
    }
    load_optimizer_moments(opt, codec_only)
    back = optimizer_moments(opt)
    assert back.keys() == codec_only.keys()
    assert all(torch.equal(back[k], codec_only[k]) for k in back)
    # a round started from kept moments continues Adam's count and moves differently
    codec.load_state_dict(start)
    fresh = _round(codec, feat)
    codec.load_state_dict(start)
    kept = _round(codec, feat, optimizer=moments)
    assert all(float(v) == 6 for k, v in kept.optimizer.items() if k.endswith(".step"))  # type: ignore[attr-defined]
    assert not torch.equal(fresh.state["dense256.weight"], kept.state["dense256.weight"])  # type: ignore[attr-defined]
