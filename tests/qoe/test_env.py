"""``semcom/QoE-v0``: the gymnasium contract, determinism, bounds, constraint accounting,
clipping, and clear errors for bad settings."""

from __future__ import annotations

import json
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import semcom  # noqa: F401  (registers the environment)
from semcom.errors import SemcomError
from semcom.qoe import QoEConfig, QoEEnv, QualityTable, config_hash
from semcom.qoe.env import Situation, evaluate_allocation


@pytest.mark.parametrize("users", [2, 5, 20])
def test_passes_gymnasium_env_checker(users: int) -> None:
    env = gym.make("semcom/QoE-v0", users=users)
    check_env(env.unwrapped)
    assert env.observation_space.shape == (3 * users + 2,)
    assert env.action_space.shape == (2 * users,)


def _rollout(seed: int, steps: int = 25) -> list[tuple[np.ndarray, float]]:
    env = QoEEnv(users=4)
    env.action_space.seed(seed)
    obs, _ = env.reset(seed=seed)
    out = [(obs, 0.0)]
    for _ in range(steps):
        obs, reward, _, truncated, _ = env.step(env.action_space.sample())
        out.append((obs, reward))
        if truncated:
            obs, _ = env.reset()
    return out


def test_deterministic_under_a_seed() -> None:
    a, b, c = _rollout(3), _rollout(3), _rollout(4)
    for (oa, ra), (ob, rb) in zip(a, b, strict=True):
        np.testing.assert_array_equal(oa, ob)
        assert ra == rb
    assert not all(np.array_equal(x[0], y[0]) for x, y in zip(a, c, strict=True))


def test_observations_in_bounds_and_episode_length() -> None:
    env = QoEEnv(users=6, episode_len=7, snr_std_db=10.0)
    obs, _ = env.reset(seed=0)
    for t in range(1, 8):
        assert env.observation_space.contains(obs)
        obs, _, terminated, truncated, _ = env.step(env.action_space.sample())
        assert not terminated
        assert truncated == (t == 7)


def test_actions_map_onto_resolution_range_and_steps() -> None:
    env = QoEEnv(users=3, resolution=(0.5, 1.0))
    env.reset(seed=0)
    res, steps = env.decode_action(np.array([-1, 0, 1, -1, 0, 1], dtype=np.float32))
    np.testing.assert_allclose(res, [0.5, 0.75, 1.0])
    np.testing.assert_array_equal(steps, [1, 1 + round(0.5 * (env.t_max - 1)), env.t_max])
    r2, s2 = env.decode_action(env.encode_action(res, steps))
    np.testing.assert_allclose(r2, res)
    np.testing.assert_array_equal(s2, steps)


def test_reward_and_constraint_accounting_by_hand() -> None:
    """Two users, numbers worked out on paper: QoE, bandwidth, compute and penalties."""
    table = QualityTable.default()
    cfg = QoEConfig(users=2, frame_bits=1e5, penalty_bandwidth=2, penalty_compute=3)
    sit = Situation(
        snr_db=np.array([0.0, 20.0]),
        threshold=np.array([0.99, 0.1]),
        demand_fps=np.array([10.0, 5.0]),
        bandwidth_hz=1e6,
        compute_s=0.05,
    )
    res, steps = np.array([1.0, 0.5]), np.array([10, 1])
    alloc = evaluate_allocation(cfg, table, sit, res, steps)
    bw = np.array([10 * 1e5 / 1.0, 5 * 1e5 * 0.25 / np.log2(101.0)])
    np.testing.assert_allclose(alloc.bandwidth_hz, bw)
    comp = np.array([10 * 1.0 * (0.003 + 0.04), 5 * 0.25 * (0.003 + 0.004)])
    np.testing.assert_allclose(alloc.compute_s, comp)
    qoe = 0.5 * np.array([1.0, 0.25]) + 0.5 * np.array([table.ssim(10, 0.0), table.ssim(1, 20.0)])
    np.testing.assert_allclose(alloc.qoe, qoe)
    bw_over = bw.sum() / 1e6 - 1
    c_over = comp.sum() / 0.05 - 1
    assert alloc.bandwidth_over == pytest.approx(bw_over)
    assert alloc.compute_over == pytest.approx(c_over)
    short = max(0.0, 0.99 - qoe[0])
    assert short > 0
    np.testing.assert_allclose(alloc.shortfall, [short, 0.0])
    expected = qoe.sum() - 2 * (2 * bw_over + 3 * c_over) - 1.0 * short
    assert alloc.reward == pytest.approx(expected)


def test_info_reports_what_the_reward_charged() -> None:
    env = QoEEnv(users=5)
    env.reset(seed=1, options={"bandwidth_scale": 0.5, "compute_scale": 0.5})
    _, reward, _, _, info = env.step(np.ones(10, dtype=np.float32))  # everything at maximum
    assert info["bandwidth_over"] > 0
    assert info["compute_over"] > 0
    penalty = 5 * (2 * info["bandwidth_over"] + 2 * info["compute_over"])
    assert reward <= info["total_qoe"] - penalty + 1e-9
    assert info["config_hash"] == config_hash(env.config)


def test_out_of_bounds_and_nan_actions_are_clipped_and_counted() -> None:
    env = QoEEnv(users=2)
    env.reset(seed=0)
    _, r_big, _, _, info = env.step(np.array([5.0, -7.0, 3.0, np.nan]))
    assert info["action_clipped"]
    assert env.clipped_actions == 1
    env.reset(seed=0)
    _, r_ok, _, _, info = env.step(np.array([1.0, -1.0, 1.0, 0.0]))
    assert not info["action_clipped"]
    assert env.clipped_actions == 1
    assert r_big == pytest.approx(r_ok)  # clipped onto the same decision


def test_wrong_action_size_is_a_clear_error() -> None:
    env = QoEEnv(users=2)
    env.reset(seed=0)
    with pytest.raises(SemcomError, match="takes 4"):
        env.step(np.zeros(3))


@pytest.mark.parametrize(
    ("settings", "needle"),
    [
        ({"max_steps": 0}, "T_max"),
        ({"bandwidth_hz": 0.0}, "bandwidth_hz must be > 0"),
        ({"compute_s": -1.0}, "compute_s must be > 0"),
        ({"users": 21}, "users must be in 2..20"),
        ({"resolution": (0.5, 1.5)}, "resolution"),
        ({"max_steps": 11}, "exceeds the quality table"),
        ({"budget_scale": (1.0, 0.5)}, "low <= high"),
    ],
)
def test_invalid_settings_fail_at_construction(settings: dict[str, object], needle: str) -> None:
    with pytest.raises(SemcomError, match=needle):
        QoEEnv(**settings)  # type: ignore[arg-type]


def test_unknown_setting_is_a_clear_error() -> None:
    with pytest.raises(SemcomError, match="unknown QoE setting"):
        QoEEnv(bandwith_hz=1.0)


def _profile(rows: list[dict[str, object]], T: int = 2) -> dict[str, object]:
    return {"T": T, "image_size": [32, 32], "rows": rows}


def _row(snr: float, steps: int, ssim: float = 0.9, lat: float = 0.01) -> dict[str, object]:
    return {"snr_db": snr, "steps": steps, "ssim": ssim, "latency_s_per_image": lat}


def test_reads_a_refiner_profile(tmp_path: Path) -> None:
    rows = [_row(0, 1, 0.7, 0.01), _row(0, 2, 0.8, 0.02), _row(10, 1, 0.9), _row(10, 2, 0.95)]
    path = tmp_path / "profile.json"
    path.write_text(json.dumps(_profile(rows)))
    env = QoEEnv(users=2, quality_table=str(path))
    assert env.t_max == 2
    assert env.table.ssim(2, 5.0) == pytest.approx(0.875)  # halfway between 0 and 10 dB
    assert env.table.latency_s(2, -3.0) == pytest.approx(0.02)  # held at the edge
    assert config_hash(env.config) != config_hash(QoEConfig(users=2))


@pytest.mark.parametrize(
    ("profile", "needle"),
    [
        ({"rows": []}, "needs keys 'T' and 'rows'"),
        (_profile([]), "non-empty"),
        (_profile([_row(0, 1), _row(0, 3)]), "not in 1..2"),
        (_profile([_row(0, 1), _row(0, 2, ssim=1.5)]), "not in [0, 1]"),
        (_profile([_row(0, 1), _row(0, 2, lat=0.0)]), "must be > 0"),
        (_profile([_row(0, 1), _row(5, 1), _row(5, 2)]), "cells missing"),
        (_profile([_row(0, 1), _row(0, 1)]), "two rows"),
        (_profile([{"snr_db": 0, "steps": 1}]), "row 0 needs"),
        ({"T": 0, "rows": [_row(0, 1)]}, "integer >= 1"),
    ],
)
def test_malformed_quality_table_is_refused(
    tmp_path: Path, profile: dict[str, object], needle: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(profile))
    with pytest.raises(SemcomError, match=needle.replace("[", r"\[").replace("]", r"\]")):
        QoEEnv(users=2, quality_table=str(path))


def test_quality_table_file_errors(tmp_path: Path) -> None:
    with pytest.raises(SemcomError, match="not found"):
        QoEConfig(quality_table=str(tmp_path / "none.json"))
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(SemcomError, match="not valid JSON"):
        QoEConfig(quality_table=str(bad))


def test_default_table_shape_of_the_premise() -> None:
    """More steps: higher SSIM (most at low SNR) and more latency."""
    t = QualityTable.default()
    steps = np.arange(1, t.max_steps + 1)
    for snr in (0.0, 10.0, 20.0):
        assert np.all(np.diff(t.ssim(steps, snr)) > 0)
        assert np.all(np.diff(t.latency_s(steps, snr)) > 0)
    gain = lambda snr: t.ssim(10, snr) - t.ssim(1, snr)  # noqa: E731
    assert gain(0.0) > gain(20.0)
    assert QualityTable.from_profile(t.to_profile()).digest() == t.digest()
